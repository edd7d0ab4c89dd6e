"""Rules of maternal health management (孕产妇健康管理服务规范, 3rd edition 2017), as plain functions.

Gestational age is counted from the first day of the last menstrual period (LMP) in completed weeks plus days
("12+6" = 12 weeks 6 days = day 90). The expected date of delivery follows Naegele's rule: LMP + 280 days.

Boundaries (stated once, used everywhere):
- early registration (早孕建册): the first prenatal check before 13 weeks, i.e. at most 12+6 (day < 91); 13+0 is late.
- a window "16–20 weeks" runs from 16+0 to 20+6 inclusive: LMP + 16×7 days … LMP + 21×7 − 1 days.
- the postpartum home visit is on time within 7 days of discharge (discharge day + 7 inclusive); the indicator
  counts visits within 28 days of discharge. Without a discharge date the delivery date is the anchor.
- the 42-day check is due from day 42 to day 56 after delivery inclusive.
Settings: JKDA_MATERNAL_AGE (15, 55), JKDA_MATERNAL_POSTPARTUM_VISIT_DAYS (7),
JKDA_MATERNAL_POSTPARTUM_INDICATOR_DAYS (28), JKDA_MATERNAL_42D_WINDOW (42, 56).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext

PROGRAM = "maternal"
NAEGELE_DAYS = 280
EARLY_WEEKS = 13          # first check before 13+0 weeks counts as early registration
GEST_WEEKS_MIN = 4        # a recorded gestational age outside 4–44 weeks is refused
GEST_WEEKS_MAX = 44


@dataclass(frozen=True)
class Window:
    visit: int   # the visit number on the 2nd–5th follow-up form
    lo: int      # first week (lo+0)
    hi: int      # last week (hi+6)


# The national schedule of prenatal follow-ups after the first check (第2~5次产前随访).
WINDOWS: tuple[Window, ...] = (Window(2, 16, 20), Window(3, 21, 24), Window(4, 28, 36), Window(5, 37, 40))


def setting(name: str, default):
    return getattr(settings, name, default)


def age_limits() -> tuple[int, int]:
    return tuple(setting("JKDA_MATERNAL_AGE", (15, 55)))


def postpartum_visit_days() -> int:
    return int(setting("JKDA_MATERNAL_POSTPARTUM_VISIT_DAYS", 7))


def postpartum_indicator_days() -> int:
    return int(setting("JKDA_MATERNAL_POSTPARTUM_INDICATOR_DAYS", 28))


def check42_window_days() -> tuple[int, int]:
    lo, hi = setting("JKDA_MATERNAL_42D_WINDOW", (42, 56))
    return int(lo), int(hi)


# --- gestational age -----------------------------------------------------------------------------------------

def gestational_age(lmp: dt.date, on: dt.date) -> tuple[int, int]:
    """(completed weeks, days) on a date, counted from the last menstrual period; negative days give (-1, ...)."""
    return divmod((on - lmp).days, 7)


def gestational_days(weeks: int, days: int | None = 0) -> int:
    return weeks * 7 + (days or 0)


def ga_label(weeks: int | None, days: int | None = 0) -> str:
    if weeks is None:
        return ""
    return f"{weeks}+{days or 0}"


def edd(lmp: dt.date) -> dt.date:
    """Expected date of delivery by Naegele's rule (LMP + 280 days)."""
    return lmp + dt.timedelta(days=NAEGELE_DAYS)


def lmp_from_ga(on: dt.date, weeks: int, days: int | None = 0) -> dt.date:
    """The LMP implied by a gestational age measured on a date (ultrasound or clinical estimate)."""
    return on - dt.timedelta(days=gestational_days(weeks, days))


def ga_in_range(weeks: int | None) -> bool:
    return weeks is not None and GEST_WEEKS_MIN <= weeks <= GEST_WEEKS_MAX


def is_early(weeks: int | None, days: int | None = 0) -> bool:
    """Early registration: first check before 13+0 weeks (12+6 is early, 13+0 is not)."""
    return weeks is not None and gestational_days(weeks, days) < EARLY_WEEKS * 7


def window_dates(lmp: dt.date, window: Window) -> tuple[dt.date, dt.date]:
    """First and last day of a schedule window (lo+0 … hi+6)."""
    return lmp + dt.timedelta(days=window.lo * 7), lmp + dt.timedelta(days=(window.hi + 1) * 7 - 1)


def window_for_weeks(weeks: int | None) -> Window | None:
    if weeks is None:
        return None
    for w in WINDOWS:
        if w.lo <= weeks <= w.hi:
            return w
    return None


def suggested_visit_number(weeks: int | None, previous_visits: int = 0) -> int:
    """The follow-up's number: the window its gestational age falls in, else the next after those recorded."""
    w = window_for_weeks(weeks)
    if w is not None:
        return w.visit
    if weeks is not None:
        later = [x.visit for x in WINDOWS if x.lo > weeks]
        if later:
            return later[0]
        return WINDOWS[-1].visit
    return min(max(previous_visits + 2, 2), WINDOWS[-1].visit)


# --- postpartum ------------------------------------------------------------------------------------------------

def postpartum_anchor(delivery: dt.date, discharge: dt.date | None) -> dt.date:
    return discharge or delivery


def postpartum_visit_window(delivery: dt.date, discharge: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The home visit is on time from discharge to discharge + 7 days (a setting)."""
    start = postpartum_anchor(delivery, discharge)
    return start, start + dt.timedelta(days=postpartum_visit_days())


def postpartum_visit_on_time(visit: dt.date, delivery: dt.date, discharge: dt.date | None = None) -> bool:
    start, end = postpartum_visit_window(delivery, discharge)
    return start <= visit <= end


def postpartum_visit_counts(visit: dt.date, delivery: dt.date, discharge: dt.date | None = None) -> bool:
    """The indicator's rule: visited within 28 days (a setting) of discharge."""
    start = postpartum_anchor(delivery, discharge)
    return start <= visit <= start + dt.timedelta(days=postpartum_indicator_days())


def check42_window(delivery: dt.date) -> tuple[dt.date, dt.date]:
    lo, hi = check42_window_days()
    return delivery + dt.timedelta(days=lo), delivery + dt.timedelta(days=hi)


# --- eligibility -----------------------------------------------------------------------------------------------

def eligibility_problem(sex: str, age: int) -> str | None:
    """Why a resident cannot be registered for maternal health management, or None."""
    if sex != "2":
        return gettext("Maternal health management is for women only: this resident is not recorded as female.")
    lo, hi = age_limits()
    if not lo <= age <= hi:
        return gettext("Maternal health management is for women aged %(lo)d–%(hi)d at registration; this resident "
                       "is %(age)d.") % {"lo": lo, "hi": hi, "age": age}
    return None


# --- what an active pregnancy is due for -----------------------------------------------------------------------

@dataclass(frozen=True)
class Due:
    item: str
    due_on: dt.date
    window_end: dt.date | None
    kind: str
    category: str


@dataclass
class Pregnancy:
    """What is stored for one enrolment (one pregnancy), gathered by the program's due() in a few queries."""

    enrolled_on: dt.date
    first_on: dt.date | None = None      # date of the first prenatal check
    lmp: dt.date | None = None           # recorded, or implied by the gestational age at the first check
    edd: dt.date | None = None
    followups: list[tuple[int | None, int | None]] = None  # (visit number, gestational weeks)
    delivery: dt.date | None = None      # from the postpartum visit or the 42-day check
    discharge: dt.date | None = None
    postpartum_visited: bool = False
    checked_42d: bool = False


def first_check_item() -> str:
    return gettext("First prenatal check")


def followup_item(w: Window) -> str:
    return gettext("Prenatal follow-up %(n)d (%(lo)d–%(hi)d weeks)") % {"n": w.visit, "lo": w.lo, "hi": w.hi}


def postpartum_item() -> str:
    return gettext("Postpartum home visit")


def check42_item() -> str:
    return gettext("42-day postpartum check")


def pregnancy_due(p: Pregnancy, as_of: dt.date) -> list[Due]:
    """The items an active pregnancy is due for on `as_of`.

    - no first check yet: the first check, due on the enrolment date (on time until 12+6 when the LMP is known);
    - before delivery: each schedule window not yet served (a follow-up with that visit number or with a
      gestational age inside the window), due from its first day to its last; a window whose end has passed
      once the next window has begun is missed and no longer listed (the last window stays until delivery);
    - the postpartum visit (due from the delivery, or the EDD before a delivery is recorded, to 7 days after
      discharge) and the 42-day check (days 42–56 after delivery or EDD) until they are recorded.
    """
    out: list[Due] = []
    if p.first_on is None:
        out.append(Due(first_check_item(), p.enrolled_on, None, "prenatal_first", "prenatal"))
        return out
    delivered = p.delivery is not None
    if not delivered and p.lmp is not None:
        served = set()
        for visit, weeks in p.followups or []:
            if visit is not None:
                served.add(visit)
            w = window_for_weeks(weeks)
            if w is not None:
                served.add(w.visit)
        for i, w in enumerate(WINDOWS):
            if w.visit in served:
                continue
            start, end = window_dates(p.lmp, w)
            if end < p.first_on:
                continue  # the window was over before the first check
            nxt = WINDOWS[i + 1] if i + 1 < len(WINDOWS) else None
            if end < as_of and nxt is not None and window_dates(p.lmp, nxt)[0] <= as_of:
                continue  # missed: the next window has begun
            out.append(Due(followup_item(w), start, end, "prenatal_followup", "prenatal"))
    anchor = p.delivery or p.edd
    if anchor is None:
        return out
    if not p.postpartum_visited and not p.checked_42d:
        start, end = postpartum_visit_window(anchor, p.discharge if delivered else None)
        out.append(Due(postpartum_item(), start, end, "postpartum_visit", "postpartum"))
    if not p.checked_42d:
        start, end = check42_window(anchor)
        out.append(Due(check42_item(), start, end, "postpartum_42d", "postpartum"))
    return out
