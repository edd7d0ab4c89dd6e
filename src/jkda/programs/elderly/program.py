"""The elderly (65+) program, the annual-examination program of the key populations, and the annual bundle.

Everything here is set-based: a few grouped queries over a records queryset, never one query per resident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.programs.registry import DueItem, Program, register
from jkda.services.exam.rules import elderly_age

from .models import ELDERLY_MIN_DAYS, SelfCareAssessment, TcmConstitution

# Enrolment programs whose patients get a yearly examination (a setting: JKDA_EXAM_PROGRAMS).
EXAM_PROGRAMS = ("hypertension", "diabetes", "smi")
LOW_INCOME_PAYMENT = "4"  # 贫困救助
DISABILITY_CODES = ("2", "3", "4", "5", "6", "7", "8")  # any disability other than 1 无残疾
CHUNK = 10_000


def _exam_model():
    from jkda.services.exam.models import Exam

    return Exam


def _birth_limit(year: int) -> dt.date:
    """Residents born on or before this day are 65 or older at some time in the year."""
    return dt.date(year - elderly_age(), 12, 31)


def _record_filter(records) -> list[Q]:
    """`records` (a Record queryset, or record ids) as record_id filters: one subquery, or chunks of ids."""
    if isinstance(records, QuerySet):
        if records.model.__name__ == "Record":
            return [Q(record_id__in=records.values("pk"))]
        return [Q(record_id__in=records)]
    ids = sorted({int(i) for i in records})
    return [Q(record_id__in=ids[i:i + CHUNK]) for i in range(0, len(ids), CHUNK)]


def _ids(model, filters: list[Q], **kw) -> set[int]:
    out: set[int] = set()
    for f in filters:
        out.update(model.objects.filter(f, **kw).values_list("record_id", flat=True).distinct())
    return out


def elderly_managed(records, year: int) -> set[int]:
    """Ids of the records that got the year's elderly management: an examination AND a self-care assessment AND
    guidance (the examination's health guidance or risk-factor advice, or a TCM record with its guidance).

    `records`: a Record queryset or an iterable of record ids. Three grouped queries (per chunk of ids)."""
    filters = _record_filter(records)
    Exam = _exam_model()
    examined = _ids(Exam, filters, service_date__year=year)
    assessed = _ids(SelfCareAssessment, filters, service_date__year=year)
    both = examined & assessed
    if not both:
        return set()
    narrowed = _record_filter(both)
    guided: set[int] = set()
    for f in narrowed:
        guided.update(Exam.objects.filter(f, service_date__year=year)
                      .filter(Q(guidance__icontains='"') | Q(risk_control__icontains='"'))
                      .values_list("record_id", flat=True).distinct())
    guided |= _ids(TcmConstitution, narrowed, service_date__year=year)
    return both & guided


def _year_bounds(as_of: dt.date) -> tuple[dt.date, dt.date]:
    return dt.date(as_of.year, 1, 1), dt.date(as_of.year, 12, 31)


def _due_day(as_of: dt.date, last: dt.date | None, birthday65: dt.date | None = None) -> dt.date:
    """The year's examination is due a year after the last one, never before 1 January (or the 65th birthday)."""
    start, end = _year_bounds(as_of)
    day = start
    if last is not None:
        try:
            anniversary = last.replace(year=last.year + 1)
        except ValueError:  # 29 February
            anniversary = last + dt.timedelta(days=365)
        day = max(day, min(anniversary, end))
    if birthday65 is not None:
        day = max(day, birthday65)
    return day


def _last_exam():
    Exam = _exam_model()
    return Subquery(Exam.objects.filter(record_id=OuterRef("pk")).order_by().values("record_id")
                    .annotate(m=Max("service_date")).values("m"))


def _examined_this_year(as_of: dt.date):
    Exam = _exam_model()
    return Exists(Exam.objects.filter(record_id=OuterRef("pk"), service_date__year=as_of.year))


def _birthday(birth: dt.date, age: int) -> dt.date:
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return dt.date(birth.year + age, 3, 1)


def elderly_due(records: QuerySet, as_of: dt.date) -> Iterable[DueItem]:
    """65+ residents without an examination this year: the annual examination (category "exam"); those examined
    without this year's self-care assessment: the assessment."""
    _start, end = _year_bounds(as_of)
    age = elderly_age()
    qs = (records.filter(resident__birth_date__lte=_birth_limit(as_of.year))
          .annotate(examined=_examined_this_year(as_of), last_exam=_last_exam(),
                    assessed=Exists(SelfCareAssessment.objects.filter(record_id=OuterRef("pk"),
                                                                      service_date__year=as_of.year)))
          .filter(Q(examined=False) | Q(assessed=False))
          .values_list("pk", "resident__birth_date", "examined", "last_exam", "assessed"))
    exam_item = gettext("Elderly annual health examination")
    care_item = gettext("Elderly self-care assessment")
    for pk, birth, examined, last, assessed in qs.iterator(chunk_size=5000):
        b65 = _birthday(birth, age)
        if not examined:
            yield DueItem(pk, "elderly", exam_item, _due_day(as_of, last, b65), kind="exam", category="exam",
                          window_end=end)
        elif not assessed:
            yield DueItem(pk, "elderly", care_item, max(as_of.replace(month=1, day=1), b65), kind="selfcare",
                          category="assessment", window_end=end)


def elderly_eligible(record, on: dt.date) -> str | None:
    birth = record.resident.birth_date
    if birth is None or (on - birth).days < ELDERLY_MIN_DAYS or \
            on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day)) < elderly_age():
        return gettext("Only residents aged %(age)s or more belong to the elderly program.") % {"age": elderly_age()}
    return None


def exam_programs() -> tuple[str, ...]:
    from django.conf import settings

    return tuple(getattr(settings, "JKDA_EXAM_PROGRAMS", EXAM_PROGRAMS))


def exam_due(records: QuerySet, as_of: dt.date) -> Iterable[DueItem]:
    """The yearly examination of the key populations under 65 (the 65+ are the elderly program's): patients under
    management for hypertension, diabetes or a severe mental disorder, low-income residents (贫困救助) and the
    disabled, without an examination this year."""
    from jkda.programs.models import Enrollment

    _start, end = _year_bounds(as_of)
    enrolled = Enrollment.objects.filter(record_id=OuterRef("pk"), exited_on__isnull=True,
                                         program__in=exam_programs())
    disabled = Q()
    for c in DISABILITY_CODES:
        disabled |= Q(resident__disability__icontains=f'"{c}"')
    low_income = Q(resident__payment__icontains=f'"{LOW_INCOME_PAYMENT}"')
    qs = (records.filter(resident__birth_date__gt=_birth_limit(as_of.year))
          .annotate(enrolled_in=Subquery(enrolled.order_by("program").values("program")[:1]),
                    examined=_examined_this_year(as_of))
          .filter(examined=False)
          .filter(Q(enrolled_in__isnull=False) | low_income | disabled)
          .annotate(last_exam=_last_exam())
          .values_list("pk", "enrolled_in", "last_exam", "resident__payment"))
    for pk, program, last, payment in qs.iterator(chunk_size=5000):
        if program:
            from jkda.programs.registry import program_label

            item = gettext("Annual examination (%(program)s)") % {"program": program_label(program)}
        elif LOW_INCOME_PAYMENT in (payment or []):
            item = gettext("Annual examination (low income)")
        else:
            item = gettext("Annual examination (disability)")
        yield DueItem(pk, "exam", item, _due_day(as_of, last), kind="exam", category="exam", window_end=end)


def register_programs() -> None:
    lo = ELDERLY_MIN_DAYS
    register(Program(code="elderly", label=_("Elderly health management"), eligible=elderly_eligible,
                     due=elderly_due, by_age=True, order=60, extra={"age_days": (lo, 200 * 366)}))
    register(Program(code="exam", label=_("Health examination"), due=exam_due, by_age=True, order=90))
