"""Rules of the tuberculosis patient health management program (肺结核患者健康管理服务规范, 3rd edition).

- The first home visit is due within 72 hours of the notification (JKDA_TB_FIRST_VISIT_HOURS); without clock
  times the days count: more than 3 days after the notification day is late.
- Supervised treatment visits: every 10 days in the intensive phase (JKDA_TB_INTENSIVE_VISIT_DAYS) and every month
  in the continuation phase (JKDA_TB_CONTINUATION_VISIT_MONTHS) for patients supervised by family (or taking the
  drugs themselves); a doctor-supervised patient's visit is recorded monthly in both phases.
- Intensive phase: 2 months for a new patient, 3 for retreatment (JKDA_TB_INTENSIVE_MONTHS); course: 6 / 8 months
  (JKDA_TB_COURSE_MONTHS).
- Regular medication: more than 90 % of the doses due were taken (JKDA_TB_REGULAR_PERCENT, strictly above).
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction

from django.conf import settings

INTENSIVE, CONTINUATION = "1", "2"
DOCTOR = "1"


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def first_visit_hours() -> int:
    return getattr(settings, "JKDA_TB_FIRST_VISIT_HOURS", 72)


def first_visit_deadline(notified_on: dt.date) -> dt.date:
    """The last day the first visit is on time (without clock times)."""
    return notified_on + dt.timedelta(days=first_visit_hours() // 24)


def first_visit_late(notified_on: dt.date, visited_on: dt.date, notified_time: dt.time | None = None,
                     visited_time: dt.time | None = None) -> bool:
    """True when the first home visit came more than 72 h after the notification (exactly 72 h is on time)."""
    if notified_time is not None and visited_time is not None:
        gap = dt.datetime.combine(visited_on, visited_time) - dt.datetime.combine(notified_on, notified_time)
        return gap > dt.timedelta(hours=first_visit_hours())
    return visited_on > first_visit_deadline(notified_on)


def intensive_months(patient_type: str) -> int:
    table = getattr(settings, "JKDA_TB_INTENSIVE_MONTHS", {"1": 2, "2": 3})
    return table.get(patient_type or "1", 2)


def course_months(patient_type: str) -> int:
    table = getattr(settings, "JKDA_TB_COURSE_MONTHS", {"1": 6, "2": 8})
    return table.get(patient_type or "1", 6)


def phase(on: dt.date, treatment_start: dt.date, patient_type: str) -> str:
    return INTENSIVE if on < add_months(treatment_start, intensive_months(patient_type)) else CONTINUATION


def course_end(treatment_start: dt.date, patient_type: str) -> dt.date:
    return add_months(treatment_start, course_months(patient_type))


def treatment_month(on: dt.date, treatment_start: dt.date) -> int:
    """The month of treatment a day falls in (1 for the first month)."""
    months = (on.year - treatment_start.year) * 12 + on.month - treatment_start.month
    if on.day < treatment_start.day:
        months -= 1
    return max(1, months + 1)


def next_visit(last_visit: dt.date, treatment_start: dt.date, patient_type: str, supervisor: str) -> dt.date:
    """When the next supervised-treatment visit is due after a visit on `last_visit`."""
    if phase(last_visit, treatment_start, patient_type) == INTENSIVE and supervisor != DOCTOR:
        return last_visit + dt.timedelta(days=getattr(settings, "JKDA_TB_INTENSIVE_VISIT_DAYS", 10))
    return add_months(last_visit, getattr(settings, "JKDA_TB_CONTINUATION_VISIT_MONTHS", 1))


def doses_due(start: dt.date, end: dt.date, usage: str = "1") -> int:
    """Doses due from `start` to `end` inclusive: one a day, or three a week for intermittent treatment."""
    days = (end - start).days + 1
    if days <= 0:
        return 0
    return days if usage != "2" else -(-days * 3 // 7)


def medication_rate(taken: int, due: int) -> Fraction | None:
    return Fraction(taken, due) if due else None


def is_regular(taken: int, due: int) -> bool:
    """Regular medication: strictly more than JKDA_TB_REGULAR_PERCENT (90) % of the doses due were taken."""
    rate = medication_rate(taken, due)
    return rate is not None and rate > Fraction(str(getattr(settings, "JKDA_TB_REGULAR_PERCENT", 90))) / 100


# --- set-based ----------------------------------------------------------------------------------------------

def dose_summary(records, as_of: dt.date) -> dict[int, tuple[int, int]]:
    """record id → (doses due, doses taken) for every TB patient of the queryset with a first visit.

    A finished treatment counts what its outcome form records; one still running counts the doses due since the
    treatment start (daily or intermittent) less the doses missed on the follow-ups. Three queries in all."""
    from django.db.models import Sum

    from .models import TbFirstVisit, TbFollowup, TbOutcome

    out: dict[int, tuple[int, int]] = {}
    for rid, due, taken in (TbOutcome.objects.filter(record__in=records).order_by("record_id", "service_date", "id")
                            .values_list("record_id", "doses_due", "doses_taken")):
        out[rid] = (due or 0, taken or 0)
    missed = dict(TbFollowup.objects.filter(record__in=records).order_by().values("record_id")
                  .annotate(m=Sum("missed_doses")).values_list("record_id", "m"))
    for rid, start, usage in (TbFirstVisit.objects.filter(record__in=records).exclude(record_id__in=list(out))
                              .order_by("record_id", "service_date", "id")
                              .values_list("record_id", "treatment_start", "usage")):
        due = doses_due(start, as_of, usage)
        out[rid] = (due, max(0, due - (missed.get(rid) or 0)))
    return out


def regular_medication(records, as_of: dt.date) -> set[int]:
    """Records whose doses taken are more than 90 % of the doses due."""
    return {rid for rid, (due, taken) in dose_summary(records, as_of).items() if is_regular(taken, due)}


def regular_medication_rate(records, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(regular, completed): patients whose treatment ended in [start, end] with the course completed, and of those
    the ones who took more than 90 % of their doses — the indicator's numerator and denominator."""
    from .models import TbOutcome

    rows = (TbOutcome.objects.filter(record__in=records, stop_reason="1", stop_date__gte=start, stop_date__lte=end)
            .order_by("record_id", "stop_date", "id").values_list("record_id", "doses_due", "doses_taken"))
    latest = {rid: (due or 0, taken or 0) for rid, due, taken in rows}
    return sum(1 for due, taken in latest.values() if is_regular(taken, due)), len(latest)
