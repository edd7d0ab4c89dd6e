"""Set-based figures over the follow-ups, for the indicators (each one grouped query, whatever the size).

    quarters_monitored(program, year)        record id → the quarters (1–4) with BP (resp. glucose) measured
    monitored_every_quarter(program, year)   records measured in each of the four quarters
    standard_management(program, start, end) records with ≥ JKDA_CHRONIC_STANDARD_FOLLOWUPS face-to-face
                                             follow-ups (clinic or home; a phone call does not count) in the period
    latest_controlled(program, start, end)   records whose latest follow-up in the period is controlled
                                             (BP below the age's limits, resp. fasting glucose below 7.0)
    latest_in_period(program, start, end)    the latest follow-up of each record in the period (a queryset)

`records` (a Record queryset) restricts any of them, e.g. to one institution's patients under management.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import ExtractQuarter

from . import rules as R
from .programs import DIABETES, HYPERTENSION, model_for

FACE_TO_FACE = ("1", "2")


def _measure(program: str) -> str:
    return {HYPERTENSION: "sbp", DIABETES: "fasting_glucose"}[program]


def _followups(program: str, records: QuerySet | None):
    qs = model_for(program).objects.all()
    if records is not None:
        qs = qs.filter(record_id__in=records.values("pk"))
    return qs


def _year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def quarters_monitored(program: str, year: int, records: QuerySet | None = None) -> dict[int, set[int]]:
    rows = (_followups(program, records).filter(service_date__range=_year(year),
                                                **{f"{_measure(program)}__isnull": False})
            .annotate(q=ExtractQuarter("service_date")).order_by().values_list("record_id", "q").distinct())
    out: dict[int, set[int]] = {}
    for record_id, q in rows:
        out.setdefault(record_id, set()).add(q)
    return out


def monitored_every_quarter(program: str, year: int, records: QuerySet | None = None) -> set[int]:
    rows = (_followups(program, records).filter(service_date__range=_year(year),
                                                **{f"{_measure(program)}__isnull": False})
            .annotate(q=ExtractQuarter("service_date")).order_by().values("record_id")
            .annotate(n=Count("q", distinct=True)).filter(n=4).values_list("record_id", flat=True))
    return set(rows)


def standard_management(program: str, start: dt.date, end: dt.date, records: QuerySet | None = None) -> set[int]:
    needed = R.setting("JKDA_CHRONIC_STANDARD_FOLLOWUPS")
    rows = (_followups(program, records).filter(service_date__range=(start, end), method__in=FACE_TO_FACE)
            .order_by().values("record_id").annotate(n=Count("id")).filter(n__gte=needed)
            .values_list("record_id", flat=True))
    return set(rows)


def latest_in_period(program: str, start: dt.date, end: dt.date, records: QuerySet | None = None) -> QuerySet:
    """The latest follow-up of each record within the period (by date, then entry order), as one queryset."""
    model = model_for(program)
    later = model.objects.filter(record_id=OuterRef("record_id"), service_date__range=(start, end)).filter(
        Q(service_date__gt=OuterRef("service_date")) | Q(service_date=OuterRef("service_date"), pk__gt=OuterRef("pk")))
    return _followups(program, records).filter(service_date__range=(start, end)).filter(~Exists(later))


def latest_controlled(program: str, start: dt.date, end: dt.date, records: QuerySet | None = None) -> set[int]:
    rows = latest_in_period(program, start, end, records).filter(controlled=True).values_list("record_id", flat=True)
    return set(rows)
