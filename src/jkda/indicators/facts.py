"""The facts table: every indicator's numerator and denominator per clinical institution and month, for the period
`YYYY-MM-ytd` (1 January to the month's end; to today while the month runs), kept up to date incrementally.

Figures come from `engine.institution_figures` only (no second formula). Dashboards and milestones sum them over
institutions to any level; a rate is never averaged.

Incremental upkeep:

- Writes leave cheap marks (`FactDirty`: institution, year, from-month) in their own transaction, through
  `post_save` of Record, RecordEvent (a transfer marks both institutions), every service form
  (`services.base.service_models()`), Enrollment and PopulationBase (the whole year), and the records app's
  `records_handed_over` signal. A change dated in the past marks every institution that managed the record from
  that day on (its institution now and the institutions it was moved away from since), from that month on.
- `refresh()` (`jkda indicators refresh`, or a scheduled job) recomputes, per month, only the marked
  institutions, each month in one transaction; months never computed, and months last computed on an earlier
  day than their as-of day (the running month, once a day; the month just ended), are recomputed whole, and
  institutions without facts in a month (opened since) are added to it.
  `refresh(full=True)` (`--full`) rebuilds every month of the kept years. A month that has not started is never
  computed. Bulk loaders (`jkda synth`, imports) do not fire signals: run `jkda indicators refresh --full` after
  them, and after changing a setting an indicator reads.
- Kept years: the current year and the JKDA_FACTS_YEARS_BACK (default 1) before it. Older years can be built with
  `--full --year`, but changes to them are not followed.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateField, DateTimeField
from django.db.models.signals import post_save, pre_save
from django.utils import timezone

from jkda.programs.models import Enrollment
from jkda.records.models import Record, RecordEvent
from jkda.regions.models import Institution, PopulationBase

from . import engine, periods
from .models import Fact, FactDirty, FactMonth

_LOCK_KEY = 7_351_209  # PostgreSQL advisory lock id of the facts refresh
CHUNK = 500


def kept_years(today: dt.date | None = None) -> list[int]:
    today = today or periods.today()
    back = max(0, int(getattr(settings, "JKDA_FACTS_YEARS_BACK", 1)))
    return list(range(today.year - back, today.year + 1))


def month_started(year: int, month: int, today: dt.date | None = None) -> bool:
    today = today or periods.today()
    return (year, month) <= (today.year, today.month)


def period_of(year: int, month: int) -> periods.Period:
    return periods.parse(f"{year}-{month:02d}-ytd")


# --- marks --------------------------------------------------------------------------------------------------------

def mark(institutions: Iterable[int | None], day: dt.date, later_years: bool = True) -> int:
    """Mark the facts of these institutions out of date from `day`'s month on (and, unless later_years is False,
    from January of every later kept year). Days before the kept years count from their first January; days
    after today change nothing computed yet. Returns the number of marks written."""
    today = periods.today()
    years = kept_years(today)
    if not later_years and day.year < years[0]:
        return 0
    day = max(day, dt.date(years[0], 1, 1))
    if day > today:
        return 0
    insts = sorted({i for i in institutions if i})
    rows = []
    for inst in insts:
        rows.append(FactDirty(institution_id=inst, year=day.year, month=day.month))
        if later_years:
            rows.extend(FactDirty(institution_id=inst, year=y, month=1) for y in range(day.year + 1, today.year + 1))
    FactDirty.objects.bulk_create(rows)
    return len(rows)


def _start_of_day(day: dt.date) -> dt.datetime:
    return engine._end_of_day(day - dt.timedelta(days=1))


def institutions_since(record_id: int, day: dt.date) -> set[int]:
    """Every institution that managed the record on some day from `day` on: the one now and each one it was moved
    away from since (the engine attributes a record to the institution that held it on the as-of day)."""
    now = Record._base_manager.filter(pk=record_id).values_list("institution_id", flat=True).first()
    moved = (RecordEvent._base_manager.filter(record_id=record_id, kind__in=engine.MOVES,
                                              at__gte=_start_of_day(day))
             .values_list("from_institution_id", flat=True))
    return {i for i in (now, *moved) if i}


def _kept_start() -> dt.date:
    return dt.date(kept_years()[0], 1, 1)


def _date_fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields
            if isinstance(f, DateField) and not isinstance(f, DateTimeField)]


_RECORD_FIELDS = ("institution_id", "established_on", "closed_on", "responsible_doctor_id",
                  "responsible_doctor_name", "resident_id")


def _watched_fields(model) -> tuple[str, ...]:
    if model is Record:
        return _RECORD_FIELDS
    if model is PopulationBase:
        return ("institution_id", "year")
    return ("record_id", *_date_fields(model))


def _remember(sender, instance, raw=False, **kwargs):
    """Before an update: the stored values the marks depend on (an edit can move a date later or away)."""
    instance._facts_before = None
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._facts_before = sender._base_manager.filter(pk=instance.pk).values(*_watched_fields(sender)).first()


def _dates(instance, before: dict | None, names: Iterable[str]) -> list[dt.date]:
    out = []
    for name in names:
        for value in (getattr(instance, name, None), (before or {}).get(name)):
            if isinstance(value, dt.date):
                out.append(value)
    return out


def on_record(sender, instance: Record, created=False, raw=False, **kwargs):
    if raw:
        return
    if created:
        mark([instance.institution_id], instance.established_on)
        return
    before = getattr(instance, "_facts_before", None)
    if before is None:
        days = [_kept_start()]
    else:
        days = []
        if before["established_on"] != instance.established_on:
            days += _dates(instance, before, ["established_on"])
        if before["closed_on"] != instance.closed_on:
            days += _dates(instance, before, ["closed_on"])
        if (before["responsible_doctor_id"], before["responsible_doctor_name"], before["resident_id"]) != (
                instance.responsible_doctor_id, instance.responsible_doctor_name, instance.resident_id):
            days.append(_kept_start())  # completeness is read as it is now, for every period
        if before["institution_id"] != instance.institution_id:
            days.append(periods.today())
    if not days:
        return
    day = min(days)
    insts = institutions_since(instance.pk, day) | {instance.institution_id}
    if before:
        insts.add(before["institution_id"])
    mark(insts, day)


def on_event(sender, instance: RecordEvent, created=False, raw=False, **kwargs):
    if raw or not created:
        return
    if instance.kind in engine.MOVES:
        mark([instance.from_institution_id, instance.to_institution_id], timezone.localdate(instance.at))
    elif instance.kind == RecordEvent.Kind.UPDATED:
        # the resident's data changed (birth date, completeness): it is read as it is now, for every period
        start = _kept_start()
        mark(institutions_since(instance.record_id, start), start)


def on_record_child(sender, instance, created=False, raw=False, **kwargs):
    """A service form or an enrolment: from its earliest date (new or old) on, for every institution that
    managed the record since."""
    if raw:
        return
    before = getattr(instance, "_facts_before", None)
    days = _dates(instance, before, _date_fields(sender))
    if not days:
        days = [_kept_start()]
    day = min(days)
    record_ids = {instance.record_id, (before or {}).get("record_id")} - {None}
    insts: set[int] = set()
    for rid in record_ids:
        insts |= institutions_since(rid, day)
    mark(insts, day)


def on_population(sender, instance: PopulationBase, created=False, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_facts_before", None) or {}
    for inst, year in {(instance.institution_id, instance.year), (before.get("institution_id"), before.get("year"))}:
        if inst and year:
            mark([inst], dt.date(int(year), 1, 1), later_years=False)  # base data of one year: that year


def on_hand_over(sender, source, successor, **kwargs):
    mark([source.pk, successor.pk], periods.today())


def connect() -> None:
    """Connect the marks to the writes (called from IndicatorsConfig.ready)."""
    from jkda.records.signals import records_handed_over
    from jkda.services.base import service_models

    children = [Enrollment, *service_models()]
    for model in (Record, PopulationBase, *children):
        pre_save.connect(_remember, sender=model, dispatch_uid=f"facts.remember.{model._meta.label}")
    post_save.connect(on_record, sender=Record, dispatch_uid="facts.record")
    post_save.connect(on_event, sender=RecordEvent, dispatch_uid="facts.event")
    post_save.connect(on_population, sender=PopulationBase, dispatch_uid="facts.population")
    for model in children:
        post_save.connect(on_record_child, sender=model, dispatch_uid=f"facts.child.{model._meta.label}")
    records_handed_over.connect(on_hand_over, dispatch_uid="facts.hand_over")


# --- refresh ------------------------------------------------------------------------------------------------------

@dataclass
class RefreshResult:
    full: bool
    months: list[tuple[int, int, int]] = field(default_factory=list)  # (year, month, institutions recomputed)
    facts: int = 0  # fact rows written
    marks: int = 0  # marks read and removed
    seconds: float = 0.0

    @property
    def cells(self) -> int:
        """Institution-months recomputed (each holds every indicator)."""
        return sum(n for _y, _m, n in self.months)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def clinical_institutions() -> set[int]:
    return set(Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).values_list("pk", flat=True))


def compute_month(year: int, month: int, institutions: set[int] | None, indicators=None) -> int:
    """Recompute one month's facts for these institutions (None: every clinical institution, replacing the whole
    month) in one transaction; returns the rows written."""
    indicators = indicators or engine.all_indicators()
    period = period_of(year, month)
    insts = clinical_institutions() if institutions is None else set(institutions)
    figures = engine.institution_figures(indicators, period, insts)
    now = timezone.now()
    rows = [Fact(indicator=ind.code, institution_id=inst, year=year, month=month, numerator=num,
                 denominator=den, as_of=period.as_of, computed_at=now)
            for ind in indicators for inst in sorted(insts)
            for num, den in [figures[ind.code].get(inst, (0, 0))]]
    with transaction.atomic():
        _lock()
        month_facts = Fact.objects.filter(year=year, month=month)
        if institutions is None:
            month_facts.delete()
        else:
            ids = sorted(insts)
            for i in range(0, len(ids), CHUNK):
                month_facts.filter(institution_id__in=ids[i:i + CHUNK]).delete()
        Fact.objects.bulk_create(rows, batch_size=2000)
        done = FactMonth.objects.filter(year=year, month=month).first()
        if done is None:
            FactMonth.objects.create(year=year, month=month, as_of=period.as_of, refreshed_at=now)
        else:
            if institutions is None:
                done.as_of = period.as_of
            done.refreshed_at = now
            done.save()
    return len(rows)


def refresh(full: bool = False, years: Iterable[int] | None = None) -> RefreshResult:
    """Bring the facts up to date: the marked cells, plus any month never computed or computed on an earlier day
    than its as-of day; with full=True every month of the years (default: the kept years). Idempotent; each month
    is written in one transaction, so an interrupted refresh leaves whole months and its marks in place."""
    started = time.perf_counter()
    today = periods.today()
    years = sorted(set(years)) if years else kept_years(today)
    result = RefreshResult(full=full)
    marks = list(FactDirty.objects.values_list("pk", "institution_id", "year", "month"))
    dirty: dict[int, dict[int, int]] = defaultdict(dict)  # year → institution → first dirty month
    for _pk, inst, year, month in marks:
        dirty[year][inst] = min(month, dirty[year].get(inst, 13))
    done = {(y, m): as_of for y, m, as_of in FactMonth.objects.filter(year__in=years)
            .values_list("year", "month", "as_of")}
    clinical = clinical_institutions()
    indicators = engine.all_indicators()
    present: dict[tuple[int, int], set[int]] = defaultdict(set)  # institutions with facts, per month
    for y, m, inst in (Fact.objects.filter(year__in=years, indicator=indicators[0].code)
                       .values_list("year", "month", "institution_id")):
        present[(y, m)].add(inst)
    for year in years:
        for month in range(1, 13):
            if not month_started(year, month, today):
                break
            as_of = period_of(year, month).as_of
            if full or (year, month) not in done or done[(year, month)] < as_of:
                insts = None
            else:
                insts = {i for i, first in dirty.get(year, {}).items() if first <= month} & clinical
                insts |= clinical - present[(year, month)]  # an institution opened since: zeros until marked
                if not insts:
                    continue
            result.facts += compute_month(year, month, insts, indicators)
            result.months.append((year, month, len(clinical if insts is None else insts)))
    # the marks read for the years done (and for years no longer kept); marks of other years wait for their refresh
    first_kept = kept_years(today)[0]
    ids = [pk for pk, _inst, year, _month in marks if year in years or year < first_kept]
    for i in range(0, len(ids), CHUNK):
        FactDirty.objects.filter(pk__in=ids[i:i + CHUNK]).delete()
    result.marks = len(ids)
    result.seconds = time.perf_counter() - started
    return result


# --- reading ------------------------------------------------------------------------------------------------------

def figures(year: int, month: int, institutions: Iterable[int] | None = None,
            codes: Iterable[str] | None = None) -> dict[str, dict[int, tuple[int, int]]]:
    """The stored facts in the shape of `engine.institution_figures`: code → institution → (numerator,
    denominator)."""
    qs = Fact.objects.filter(year=year, month=month)
    if codes is not None:
        qs = qs.filter(indicator__in=list(codes))
    out: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    wanted = None if institutions is None else set(institutions)
    for code, inst, num, den in qs.values_list("indicator", "institution_id", "numerator", "denominator"):
        if wanted is None or inst in wanted:
            out[code][inst] = (num, den)
    return dict(out)


def sums_by_month(year: int, institutions: Iterable[int] | None = None,
                  codes: Iterable[str] | None = None) -> dict[str, dict[int, tuple[int, int]]]:
    """code → month → (numerator, denominator) summed over the institutions (the trend of an area), one query."""
    from django.db.models import Sum

    qs = Fact.objects.filter(year=year)
    if codes is not None:
        qs = qs.filter(indicator__in=list(codes))
    if institutions is not None:
        ids = sorted(set(institutions))
        qs = qs.filter(institution_id__in=ids) if len(ids) <= CHUNK else qs
        wanted = set(ids)
    else:
        wanted = None
    out: dict[str, dict[int, tuple[int, int]]] = defaultdict(dict)
    if wanted is not None and len(wanted) > CHUNK:  # sum in Python rather than pass thousands of parameters
        acc: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        for code, month, inst, num, den in qs.values_list("indicator", "month", "institution_id", "numerator",
                                                           "denominator"):
            if inst in wanted:
                acc[(code, month)][0] += num
                acc[(code, month)][1] += den
        for (code, month), (num, den) in acc.items():
            out[code][month] = (num, den)
        return dict(out)
    for row in qs.order_by().values("indicator", "month").annotate(n=Sum("numerator"), d=Sum("denominator")):
        out[row["indicator"]][row["month"]] = (row["n"] or 0, row["d"] or 0)
    return dict(out)


def last_refreshed(year: int, month: int | None = None) -> FactMonth | None:
    qs = FactMonth.objects.filter(year=year)
    if month is not None:
        qs = qs.filter(month=month)
    return qs.order_by("-refreshed_at").first()


def pending_marks() -> int:
    return FactDirty.objects.count()
