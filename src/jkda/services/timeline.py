"""A record's services in date order, and whether the record is "in use" (动态: a service in the last 12 months)."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.urls import reverse

from jkda.records.models import Record

from .base import ServiceForm, service_models

USAGE_WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Entry:
    date: dt.date
    kind: str
    title: str
    summary: str
    institution: str
    doctor: str
    obj: ServiceForm

    @property
    def url(self) -> str:
        return reverse("service_detail", args=[self.kind, self.obj.pk])


def kinds_on_record(record: Record) -> list[type[ServiceForm]]:
    """The service models that hold at least one form of the record, in one query (EXISTS per table): most records
    hold two or three kinds of the two dozen, and the ORM's query for a form table of a hundred columns costs
    about a millisecond to build even when it finds nothing."""
    models = service_models()
    qn = connection.ops.quote_name
    probes = [f"EXISTS (SELECT 1 FROM {qn(m._meta.db_table)} WHERE {qn(m._meta.get_field('record').column)} = %s)"
              for m in models]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(probes), [record.pk] * len(models))
        found = cursor.fetchone()
    return [m for m, hit in zip(models, found, strict=True) if hit]


def timeline(record: Record) -> list[Entry]:
    """Every service form of the record, newest first (one query per kind of form the record holds)."""
    entries = []
    for model in kinds_on_record(record):
        for obj in model.objects.filter(record=record).select_related("institution"):
            entries.append(Entry(obj.date, model.kind, model.title(), obj.summary(), obj.institution.name,
                                 obj.doctor_name, obj))
    entries.sort(key=lambda e: (e.date, e.obj.created_at), reverse=True)
    return entries


def addable(record: Record, on: dt.date, enrolled: set[str] | None = None) -> list[tuple[str, str]]:
    """(kind, title) of the forms that can be recorded for this record today: open record, age, enrolment
    (`enrolled`: the programs the record is enrolled in, when the caller has read them)."""
    from django.core.exceptions import ValidationError

    from .actions import check_open_and_enrolled
    from .base import age_in_days

    if not record.is_active:
        return []
    from jkda.programs.models import Enrollment

    days = age_in_days(record.resident.birth_date, on)
    if enrolled is None:
        enrolled = set(Enrollment.objects.active().filter(record=record).values_list("program", flat=True))
    out = []
    for model in service_models():
        if not model.generic_create:
            continue
        if model.min_age_days is not None and days < model.min_age_days:
            continue
        if model.max_age_days is not None and days > model.max_age_days:
            continue
        try:
            check_open_and_enrolled(model, record, enrolled=enrolled)
        except ValidationError:
            continue
        out.append((model.kind, model.title()))
    return out


def months_before(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def usage_window_start(as_of: dt.date) -> dt.date:
    """The first day that still counts for "in use" on `as_of`: services after this day keep a record in use."""
    return months_before(as_of, USAGE_WINDOW_MONTHS)


def in_use(record: Record, as_of: dt.date) -> bool:
    return record.last_service_on is not None and usage_window_start(as_of) < record.last_service_on <= as_of
