"""Rules of the severe mental disorder program: visit classification, next visit, standard management.

Pure functions (no database) except the set-based helpers at the bottom, which take a record queryset.

Classification (国家基本公共卫生服务规范 第三版, 严重精神障碍患者管理服务规范):
  unstable (1)          risk level 3-5, or marked psychotic symptoms, a serious adverse drug reaction or a serious
                        physical disease → treat, refer at once, revisit within 2 weeks
  basically stable (2)  risk level 1-2, or symptoms present / insight not full / a social-function domain poor
                        → revisit within 2 weeks
  stable (3)            risk level 0 and symptoms gone, full insight, social function fair or good
                        → revisit in 3 months

Settings: JKDA_SMI_UNSTABLE_DAYS (14), JKDA_SMI_BASIC_DAYS (14), JKDA_SMI_STABLE_MONTHS (3),
JKDA_SMI_FIRST_FOLLOWUP_DAYS (14: the first follow-up after consent), JKDA_SMI_STANDARD_FOLLOWUPS (4 a year).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable

from django.conf import settings

UNSTABLE, BASIC, STABLE = "1", "2", "3"


def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def classify(risk: int, *, florid: bool = False, serious_adverse: bool = False, serious_physical: bool = False,
             symptoms: Iterable[str] = (), insight: str = "1", social: Iterable[str] = ()) -> str:
    """The visit classification: "1" unstable, "2" basically stable, "3" stable (the most severe condition wins)."""
    if risk >= 3 or florid or serious_adverse or serious_physical:
        return UNSTABLE
    not_good = bool(list(symptoms)) or (insight or "1") != "1" or any(s == "3" for s in social)
    if risk >= 1 or not_good:
        return BASIC
    return STABLE


def interval(classification: str) -> tuple[int, int]:
    """(days, months) until the next visit for a classification."""
    if classification == UNSTABLE:
        return getattr(settings, "JKDA_SMI_UNSTABLE_DAYS", 14), 0
    if classification == BASIC:
        return getattr(settings, "JKDA_SMI_BASIC_DAYS", 14), 0
    return 0, getattr(settings, "JKDA_SMI_STABLE_MONTHS", 3)


def next_visit(visit: dt.date, classification: str) -> dt.date:
    """The latest date of the next follow-up the rule allows."""
    days, months = interval(classification)
    return add_months(visit, months) + dt.timedelta(days=days)


def needs_referral(classification: str) -> bool:
    return classification == UNSTABLE


def standard_followups() -> int:
    return getattr(settings, "JKDA_SMI_STANDARD_FOLLOWUPS", 4)


def is_standard(followups_in_year: int) -> bool:
    return followups_in_year >= standard_followups()


# --- set-based ----------------------------------------------------------------------------------------------

def followup_counts(records, start: dt.date, end: dt.date) -> dict[int, int]:
    """record id → follow-ups dated in [start, end], for the enrolled records of the queryset (one query)."""
    from django.db.models import Count

    from .models import SmiFollowup

    rows = (SmiFollowup.objects.filter(record__in=records, service_date__gte=start, service_date__lte=end)
            .order_by().values("record_id").annotate(n=Count("id")).values_list("record_id", "n"))
    return dict(rows)


def registered(records, start: dt.date, end: dt.date) -> set[int]:
    """Records under smi management at some time in [start, end]."""
    from django.db.models import Q

    from jkda.programs.models import Enrollment

    qs = Enrollment.objects.filter(program="smi", record__in=records, enrolled_on__lte=end).filter(
        Q(exited_on__isnull=True) | Q(exited_on__gte=start))
    return set(qs.values_list("record_id", flat=True))


def standard_management(records, start: dt.date, end: dt.date) -> set[int]:
    """Registered patients managed to the standard in the period: ≥ JKDA_SMI_STANDARD_FOLLOWUPS follow-ups."""
    reg = registered(records, start, end)
    counts = followup_counts(records, start, end)
    return {r for r in reg if is_standard(counts.get(r, 0))}


def standard_management_rate(records, start: dt.date, end: dt.date) -> tuple[int, int]:
    """(managed to standard, registered) — the indicator's numerator and denominator."""
    reg = registered(records, start, end)
    counts = followup_counts(records, start, end)
    return sum(1 for r in reg if is_standard(counts.get(r, 0))), len(reg)
