"""Schedules and rules of the children's program, as data plus small pure functions.

Two schedules:

* CHECKS: the child health checks of the national standard (newborn home visit, full month, 3, 6, 8, 12, 18, 24,
  30, 36 months, then yearly at 4, 5, 6 years) and the child TCM guidance (6–36 months, every 6 months). Each row
  names the form kind that satisfies it, the month-age code the form records, the target age and the window (days
  after the target date during which the check is on time).
* VACCINE_SCHEDULE: 国家免疫规划疫苗儿童免疫程序（2021年版）: vaccine, dose, the age the dose is due at (which is
  also the minimum age), the minimum interval after the dose it follows, and the national "complete by" age of the
  2021 explanatory notes (used when JKDA_VACCINE_OVERDUE = "deadline").

Nothing here touches the database except through arguments; program.py queries, these functions decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# --- ages --------------------------------------------------------------------------------------------------------

CHILD_MAX_YEARS = 7  # the program covers children up to (not including) the 7th birthday


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day where it is shorter (31 Jan + 1 month = 28/29 Feb).

    (No calendar.monthrange: this runs a few million times when the synthetic city is made.)"""
    if not months:
        return day
    y, m0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    d = day.day
    if d > 28:
        last = 29 if m0 == 1 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else _MONTH_DAYS[m0]
        d = min(d, last)
    return dt.date(y, m0 + 1, d)


def at_age(birth: dt.date, months: int = 0, days: int = 0) -> dt.date:
    return add_months(birth, months) + dt.timedelta(days=days)


def child_age_days_limit() -> int:
    """Largest age in days that is still a child 0–6 (the day before the 7th birthday of someone born 29 Feb)."""
    return 365 * CHILD_MAX_YEARS + 1


def is_child(birth: dt.date, on: dt.date) -> bool:
    return birth <= on < add_months(birth, 12 * CHILD_MAX_YEARS)


def age_words(months: int, days: int = 0) -> str:
    if months == 0 and days == 0:
        return gettext("at birth")
    if months == 0:
        return gettext("%(n)d days") % {"n": days}
    if months % 12 == 0 and months >= 24:
        return gettext("%(n)d years") % {"n": months // 12}
    return gettext("%(n)d months") % {"n": months}


# --- child checks and TCM guidance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    code: str          # the month-age code the form records ("" for the newborn visit)
    label: str         # what the work list shows
    kind: str          # the form kind that satisfies it
    category: str      # DueItem category
    months: int        # target age
    days: int          # ... plus days
    window_days: int   # on time until target + window_days

    def due(self, birth: dt.date) -> dt.date:
        return at_age(birth, self.months, self.days)

    def window_end(self, birth: dt.date) -> dt.date:
        return self.due(birth) + dt.timedelta(days=self.window_days)


def _check(code, label, kind, months, days=0, window=30, category="child_check"):
    return Check(code, label, kind, category, months, days, window)


INFANT, TODDLER, PRESCHOOL, NEWBORN, TCM = ("child_check_infant", "child_check_toddler", "child_check_preschool",
                                             "newborn_visit", "tcm_child")

# Newborn visit: within a week of discharge (discharge ≈ 3 days after birth), on time to the end of the newborn
# period (28 days). Full month at 28–30 days. Checks in the first year on time within a month, 12–36 months
# within two, yearly checks within six months.
CHECKS: tuple[Check, ...] = (
    _check("", _("Newborn home visit"), NEWBORN, 0, 7, window=21),
    _check("1", _("Full-month check"), INFANT, 0, 28, window=2),
    _check("3", _("3-month check"), INFANT, 3),
    _check("6", _("6-month check"), INFANT, 6),
    _check("8", _("8-month check"), INFANT, 8),
    _check("12", _("12-month check"), TODDLER, 12, window=60),
    _check("18", _("18-month check"), TODDLER, 18, window=60),
    _check("24", _("24-month check"), TODDLER, 24, window=60),
    _check("30", _("30-month check"), TODDLER, 30, window=60),
    _check("36", _("3-year check"), PRESCHOOL, 36, window=60),
    _check("48", _("4-year check"), PRESCHOOL, 48, window=180),
    _check("60", _("5-year check"), PRESCHOOL, 60, window=180),
    _check("72", _("6-year check"), PRESCHOOL, 72, window=180),
)
TCM_CHECKS: tuple[Check, ...] = tuple(
    _check(str(m), label, TCM, m, window=60, category="tcm_child") for m, label in (
        (6, _("TCM guidance at 6 months")), (12, _("TCM guidance at 12 months")),
        (18, _("TCM guidance at 18 months")), (24, _("TCM guidance at 24 months")),
        (30, _("TCM guidance at 30 months")), (36, _("TCM guidance at 36 months")))
)
CHECK_BY_CODE = {c.code: c for c in CHECKS if c.code}

# Blood routine (haemoglobin) and hearing screening of the checks.
HB_AGES = {"6", "8", "18", "30"}      # once at 6–8 months, then 18 and 30 months
HEARING_AGES = {"6", "12", "24", "36"}
CHECK_TOLERANCE_DAYS = 14  # a scheduled check may be done this many days before its target age


def hb_required(month_age: str, hb_at_6_months: bool = False) -> bool:
    """Haemoglobin is required at 18 and 30 months, and at 8 months unless it was measured at the 6-month check."""
    if month_age in ("18", "30"):
        return True
    return month_age == "8" and not hb_at_6_months


def hearing_required(month_age: str) -> bool:
    return month_age in HEARING_AGES


def check_too_early(check: Check, birth: dt.date, on: dt.date) -> dt.date | None:
    """The earliest date the check may be recorded, when `on` is before it (else None)."""
    earliest = check.due(birth) - dt.timedelta(days=0 if check.code == "1" else CHECK_TOLERANCE_DAYS)
    return earliest if on < earliest else None


def current_checks(schedule: tuple[Check, ...], birth: dt.date, as_of: dt.date, horizon_days: int = 30):
    """The checks of one schedule that matter on `as_of`: due by as_of + horizon and not yet superseded by the
    next check's target date (a check missed long ago is no longer asked for once the next one is due)."""
    horizon = as_of + dt.timedelta(days=horizon_days)
    out = []
    for i, check in enumerate(schedule):
        due = check.due(birth)
        if due > horizon:
            break
        nxt = schedule[i + 1].due(birth) if i + 1 < len(schedule) else add_months(birth, 12 * CHILD_MAX_YEARS)
        if nxt > as_of:
            out.append(check)
    return out


def due_checks(schedule, birth: dt.date, done: set[str], as_of: dt.date, horizon_days: int = 30):
    """(check, due, window_end) the child still needs; `done` holds the codes done ("" = newborn visit done)."""
    return [(c, c.due(birth), c.window_end(birth)) for c in current_checks(schedule, birth, as_of, horizon_days)
            if c.code not in done]


# --- immunisation -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dose:
    vaccine: str
    dose: int
    months: int                 # due (and minimum) age in months ...
    days: int = 0               # ... plus days
    after: tuple[str, int] | None = None  # the dose this one follows (default: the previous dose of the vaccine)
    interval_days: int = 0      # minimum days after `after`
    complete_by_months: int = 84  # national "complete before" age (2021 notes)
    complete_by_days: int = 0
    timely_days: int = 0        # on-time window in days (0: one calendar month after the due date)

    @property
    def key(self) -> tuple[str, int]:
        return (self.vaccine, self.dose)

    @property
    def previous(self) -> tuple[str, int] | None:
        if self.after is not None:
            return self.after
        return (self.vaccine, self.dose - 1) if self.dose > 1 else None

    def min_date(self, birth: dt.date) -> dt.date:
        return at_age(birth, self.months, self.days)


# 国家免疫规划疫苗儿童免疫程序（2021年版）. Minimum intervals from the 2021 explanatory notes: HepB 2 ≥ 28 days
# after dose 1, dose 3 ≥ 60 days after dose 2; polio and DTaP primary doses ≥ 28 days apart; DTaP 4 ≥ 6 months
# after dose 3; MMR 2 ≥ 28 days after dose 1; JE-L 2 ≥ 12 months after dose 1; MPSV-A 2 ≥ 3 months after dose 1;
# MPSV-AC 1 ≥ 12 months after MPSV-A 2; MPSV-AC 2 ≥ 3 years after MPSV-AC 1.
VACCINE_SCHEDULE: tuple[Dose, ...] = (
    Dose("HepB", 1, 0, complete_by_months=0, complete_by_days=1, timely_days=1),
    Dose("BCG", 1, 0, complete_by_months=3, timely_days=0),
    Dose("HepB", 2, 1, interval_days=28, complete_by_months=12),
    Dose("IPV", 1, 2, complete_by_months=12),
    Dose("IPV", 2, 3, interval_days=28, complete_by_months=12),
    Dose("DTaP", 1, 3, complete_by_months=12),
    Dose("bOPV", 1, 4, after=("IPV", 2), interval_days=28, complete_by_months=12),
    Dose("DTaP", 2, 4, interval_days=28, complete_by_months=12),
    Dose("DTaP", 3, 5, interval_days=28, complete_by_months=12),
    Dose("HepB", 3, 6, interval_days=60, complete_by_months=12),
    Dose("MPSV-A", 1, 6, complete_by_months=18),
    Dose("MMR", 1, 8, complete_by_months=12),
    Dose("JE-L", 1, 8, complete_by_months=12),
    Dose("MPSV-A", 2, 9, interval_days=90, complete_by_months=18),
    Dose("DTaP", 4, 18, interval_days=183, complete_by_months=24),
    Dose("MMR", 2, 18, interval_days=28, complete_by_months=24),
    Dose("HepA-L", 1, 18, complete_by_months=24),
    Dose("JE-L", 2, 24, interval_days=365, complete_by_months=36),
    Dose("MPSV-AC", 1, 36, after=("MPSV-A", 2), interval_days=365, complete_by_months=48),
    Dose("bOPV", 2, 48, interval_days=28, complete_by_months=60),
    Dose("DT", 1, 72, complete_by_months=84),
    Dose("MPSV-AC", 2, 72, interval_days=365 * 3, complete_by_months=84),
)
DOSES = {d.key: d for d in VACCINE_SCHEDULE}


def doses_of(vaccine: str) -> int:
    return sum(1 for d in VACCINE_SCHEDULE if d.vaccine == vaccine)


def overdue_rule() -> str:
    """JKDA_VACCINE_OVERDUE: "timely" (default: overdue one month after the due date, HepB 1 after 24 hours) or
    "deadline" (overdue after the national "complete by" age of the 2021 notes)."""
    return getattr(settings, "JKDA_VACCINE_OVERDUE", "timely")


def dose_due(spec: Dose, birth: dt.date, given: dict[tuple[str, int], dt.date]) -> dt.date:
    """Birth + the schedule age, or the dose it follows + the minimum interval, whichever is later."""
    due = spec.min_date(birth)
    prev = spec.previous
    if prev is not None and prev in given and spec.interval_days:
        due = max(due, given[prev] + dt.timedelta(days=spec.interval_days))
    return due


def dose_window_end(spec: Dose, birth: dt.date, due: dt.date, rule: str | None = None) -> dt.date:
    """The last day the dose is still on time (after it, an ungiven dose is overdue)."""
    rule = rule or overdue_rule()
    if rule == "deadline":
        deadline = at_age(birth, spec.complete_by_months, spec.complete_by_days) - dt.timedelta(days=1)
        return max(deadline, due)
    if spec.timely_days:
        return due + dt.timedelta(days=spec.timely_days)
    return add_months(due, 1) - dt.timedelta(days=1)


@dataclass(frozen=True)
class PlannedDose:
    spec: Dose
    due: dt.date
    window_end: dt.date
    given_on: dt.date | None
    status: str     # "given", "late" (given after the window), "overdue", "due", "upcoming", "waiting"
    waiting_for: tuple[str, int] | None = None  # the previous dose not yet given

    @property
    def vaccine(self) -> str:
        return self.spec.vaccine

    @property
    def dose(self) -> int:
        return self.spec.dose


def vaccine_plan(birth: dt.date, given: dict[tuple[str, int], dt.date], as_of: dt.date,
                 rule: str | None = None) -> list[PlannedDose]:
    """Every dose of the schedule with its due date, window and status for one child."""
    rule = rule or overdue_rule()
    out = []
    for spec in VACCINE_SCHEDULE:
        due = dose_due(spec, birth, given)
        end = dose_window_end(spec, birth, due, rule)
        got = given.get(spec.key)
        same_prev = (spec.vaccine, spec.dose - 1) if spec.dose > 1 else None
        waiting = same_prev if same_prev is not None and same_prev not in given and got is None else None
        if got is not None:
            status = "late" if got > end else "given"
        elif waiting is not None:
            status = "waiting"
        elif end < as_of:
            status = "overdue"
        elif due <= as_of:
            status = "due"
        else:
            status = "upcoming"
        out.append(PlannedDose(spec, due, end, got, status, waiting))
    return out


def next_doses(birth: dt.date, given: dict[tuple[str, int], dt.date], as_of: dt.date, horizon_days: int = 30,
               rule: str | None = None) -> list[PlannedDose]:
    """The next ungiven dose of each vaccine that is due by as_of + horizon (the work list's items).

    The same statuses as vaccine_plan, computed only for the first missing dose of each vaccine (this runs for
    every child of a work list)."""
    rule = rule or overdue_rule()
    horizon = as_of + dt.timedelta(days=horizon_days)
    limit = add_months(birth, 12 * CHILD_MAX_YEARS)
    seen: set[str] = set()
    out = []
    for spec in VACCINE_SCHEDULE:
        if spec.vaccine in seen or spec.key in given:
            continue
        seen.add(spec.vaccine)
        due = dose_due(spec, birth, given)
        if due > horizon or due >= limit:
            continue
        end = dose_window_end(spec, birth, due, rule)
        status = "overdue" if end < as_of else "due" if due <= as_of else "upcoming"
        out.append(PlannedDose(spec, due, end, None, status))
    return out


def dose_errors(vaccine: str, dose: int, on: dt.date, birth: dt.date,
                given: dict[tuple[str, int], dt.date]) -> dict[str, list[str]]:
    """Why a dose cannot be recorded: not in the schedule, before the minimum age, a duplicate, the previous dose
    missing, or too soon after the previous dose (`given` holds the child's other doses)."""
    from .codes import VACCINE

    name = VACCINE.label(vaccine)
    spec = DOSES.get((vaccine, dose))
    if spec is None:
        return {"dose_number": [gettext("%(vaccine)s has %(n)d dose(s) in the national schedule.")
                                % {"vaccine": name, "n": doses_of(vaccine)}]}
    errors: dict[str, list[str]] = {}
    if (vaccine, dose) in given:
        errors.setdefault("dose_number", []).append(
            gettext("Dose %(dose)d of %(vaccine)s was already given on %(date)s.")
            % {"dose": dose, "vaccine": name, "date": given[(vaccine, dose)].isoformat()})
    earliest = spec.min_date(birth)
    if on < earliest:
        errors.setdefault("service_date", []).append(
            gettext("Dose %(dose)d of %(vaccine)s cannot be given before the age of %(age)s (not before %(date)s).")
            % {"dose": dose, "vaccine": name, "age": age_words(spec.months, spec.days), "date": earliest.isoformat()})
    if dose > 1 and (vaccine, dose - 1) not in given:
        errors.setdefault("dose_number", []).append(
            gettext("Dose %(prev)d of %(vaccine)s is not recorded: record it first.")
            % {"prev": dose - 1, "vaccine": name})
    prev = spec.previous
    if prev is not None and prev in given and spec.interval_days:
        first = given[prev] + dt.timedelta(days=spec.interval_days)
        if on < first:
            errors.setdefault("service_date", []).append(
                gettext("Dose %(dose)d of %(vaccine)s must be at least %(days)d days after %(prev)s dose %(pdose)d "
                        "(%(pdate)s): not before %(date)s.")
                % {"dose": dose, "vaccine": name, "days": spec.interval_days, "prev": VACCINE.label(prev[0]),
                   "pdose": prev[1], "pdate": given[prev].isoformat(), "date": first.isoformat()})
    for nxt in VACCINE_SCHEDULE:
        if nxt.previous == (vaccine, dose) and nxt.key in given and nxt.interval_days:
            if given[nxt.key] < on + dt.timedelta(days=nxt.interval_days):
                errors.setdefault("service_date", []).append(
                    gettext("%(vaccine)s dose %(dose)d was given on %(date)s, too soon after this date.")
                    % {"vaccine": VACCINE.label(nxt.vaccine), "dose": nxt.dose, "date": given[nxt.key].isoformat()})
    return errors


def dose_label(vaccine: str, dose: int) -> str:
    from .codes import VACCINE

    return gettext("%(vaccine)s dose %(dose)d") % {"vaccine": VACCINE.label(vaccine), "dose": dose}
