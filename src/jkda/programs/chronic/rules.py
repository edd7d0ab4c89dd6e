"""The rules of hypertension and type 2 diabetes management (national standard, 3rd edition), as pure functions.

Control, the visit classification (the most severe wins), the suggested next visit, the referral prompt and the
plausibility limits. Thresholds are settings (read each call, so tests and deployments can change them):

    JKDA_HTN_SBP_LIMIT        140   controlled: SBP below this ...
    JKDA_HTN_DBP_LIMIT         90   ... and DBP below this
    JKDA_HTN_ELDERLY_AGE       65   from this age (on the visit date) the elderly limits apply:
    JKDA_HTN_SBP_LIMIT_65     150
    JKDA_HTN_DBP_LIMIT_65      90
    JKDA_DM_GLUCOSE_LIMIT     7.0   diabetes controlled: fasting glucose (mmol/L) below this
    JKDA_HTN_URGENT_SBP       180   urgent referral: SBP at or above this, or
    JKDA_HTN_URGENT_DBP       110   DBP at or above this
    JKDA_DM_URGENT_HIGH      16.7   urgent referral: glucose at or above this, or
    JKDA_DM_URGENT_LOW        3.9   at or below this
    JKDA_CHRONIC_CLOSE_DAYS    14   next visit after an uncontrolled visit, an adverse reaction or a complication,
                                    and the first visit after enrolment; also the urgent-referral check
    JKDA_CHRONIC_ROUTINE_MONTHS 3   next visit after a satisfactory one
    JKDA_CHRONIC_STANDARD_FOLLOWUPS 4   face-to-face follow-ups in a year for "standard management"
    JKDA_CHRONIC_MIN_AGE       18   youngest age at enrolment (the national standard's population is 35+; set 35)
"""

from __future__ import annotations

import calendar
import datetime as dt
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings

DEFAULTS = {
    "JKDA_HTN_SBP_LIMIT": 140,
    "JKDA_HTN_DBP_LIMIT": 90,
    "JKDA_HTN_ELDERLY_AGE": 65,
    "JKDA_HTN_SBP_LIMIT_65": 150,
    "JKDA_HTN_DBP_LIMIT_65": 90,
    "JKDA_DM_GLUCOSE_LIMIT": Decimal("7.0"),
    "JKDA_HTN_URGENT_SBP": 180,
    "JKDA_HTN_URGENT_DBP": 110,
    "JKDA_DM_URGENT_HIGH": Decimal("16.7"),
    "JKDA_DM_URGENT_LOW": Decimal("3.9"),
    "JKDA_CHRONIC_CLOSE_DAYS": 14,
    "JKDA_CHRONIC_ROUTINE_MONTHS": 3,
    "JKDA_CHRONIC_STANDARD_FOLLOWUPS": 4,
    "JKDA_CHRONIC_MIN_AGE": 18,
}

# Classification codes, from the least to the most severe.
SATISFACTORY, UNSATISFACTORY, ADVERSE, COMPLICATION = "1", "2", "3", "4"
NO_REFERRAL, REFERRAL, URGENT = "0", "1", "2"

# Plausible ranges (anything outside is a typing error and is refused).
SBP_RANGE = (60, 300)
DBP_RANGE = (30, 200)
HEART_RATE_RANGE = (20, 250)
WEIGHT_RANGE = (Decimal("20"), Decimal("300"))
BMI_RANGE = (Decimal("10"), Decimal("70"))
GLUCOSE_RANGE = (Decimal("1.0"), Decimal("40.0"))
HBA1C_RANGE = (Decimal("3.0"), Decimal("20.0"))


_FROZEN: dict | None = None


def setting(name: str):
    if _FROZEN is not None:
        return _FROZEN[name]
    value = getattr(settings, name, DEFAULTS[name])
    return Decimal(str(value)) if isinstance(DEFAULTS[name], Decimal) else value


@contextmanager
def frozen_settings():
    """Read every threshold once for a bulk run (the synthetic data calls the rules a million times)."""
    global _FROZEN
    values = {name: setting(name) for name in DEFAULTS}
    _FROZEN = values
    try:
        yield values
    finally:
        _FROZEN = None


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# --- control --------------------------------------------------------------------------------------------------

def bp_limits(age: int) -> tuple[int, int]:
    """(SBP, DBP) limits below which blood pressure counts as controlled at this age."""
    if age >= setting("JKDA_HTN_ELDERLY_AGE"):
        return setting("JKDA_HTN_SBP_LIMIT_65"), setting("JKDA_HTN_DBP_LIMIT_65")
    return setting("JKDA_HTN_SBP_LIMIT"), setting("JKDA_HTN_DBP_LIMIT")


def bp_controlled(sbp: int, dbp: int, age: int) -> bool:
    s, d = bp_limits(age)
    return sbp < s and dbp < d


def glucose_controlled(glucose) -> bool:
    return _dec(glucose) < setting("JKDA_DM_GLUCOSE_LIMIT")


# --- classification -------------------------------------------------------------------------------------------

def classify(controlled: bool, adverse_reaction: bool = False, complication: bool = False) -> str:
    """此次随访分类: the most severe of complication (4) > adverse reaction (3) > unsatisfactory (2) > satisfactory."""
    if complication:
        return COMPLICATION
    if adverse_reaction:
        return ADVERSE
    return SATISFACTORY if controlled else UNSATISFACTORY


def most_severe(*codes: str) -> str:
    return max((c for c in codes if c), default=SATISFACTORY)


# --- next visit -----------------------------------------------------------------------------------------------

def add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    m += 1
    return dt.date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def suggested_next_visit(visit_date: dt.date, classification: str) -> dt.date:
    """Within 2 weeks after anything but a satisfactory visit, else the routine interval (3 months)."""
    if classification == SATISFACTORY:
        return add_months(visit_date, setting("JKDA_CHRONIC_ROUTINE_MONTHS"))
    return visit_date + dt.timedelta(days=setting("JKDA_CHRONIC_CLOSE_DAYS"))


def first_visit_due(enrolled_on: dt.date) -> dt.date:
    return enrolled_on + dt.timedelta(days=setting("JKDA_CHRONIC_CLOSE_DAYS"))


def referral_check_due(visit_date: dt.date) -> dt.date:
    """An urgent referral is followed up (did the patient arrive? how is he?) within 2 weeks."""
    return visit_date + dt.timedelta(days=setting("JKDA_CHRONIC_CLOSE_DAYS"))


# --- referral -------------------------------------------------------------------------------------------------

def htn_urgent(sbp: int | None, dbp: int | None) -> bool:
    return ((sbp is not None and sbp >= setting("JKDA_HTN_URGENT_SBP"))
            or (dbp is not None and dbp >= setting("JKDA_HTN_URGENT_DBP")))


def dm_urgent(glucose, sbp: int | None = None, dbp: int | None = None) -> bool:
    """Glucose ≥ 16.7 or ≤ 3.9 mmol/L; the standard also sends a diabetic with SBP ≥ 180 or DBP ≥ 110."""
    if glucose is not None:
        g = _dec(glucose)
        if g >= setting("JKDA_DM_URGENT_HIGH") or g <= setting("JKDA_DM_URGENT_LOW"):
            return True
    return htn_urgent(sbp, dbp)


def referral_prompt(*, urgent: bool, controlled: bool, previous_controlled: bool | None,
                    complication: bool = False) -> str:
    """Urgent referral (2) for the danger values; referral suggested (1) after two uncontrolled visits in a row
    (previous_controlled is None when there is no earlier follow-up) or a new or worse complication; else 0."""
    if urgent:
        return URGENT
    if complication or (not controlled and previous_controlled is False):
        return REFERRAL
    return NO_REFERRAL


# --- plausibility ---------------------------------------------------------------------------------------------

def bp_pair_error(sbp: int | None, dbp: int | None) -> str | None:
    """The one rule between the two readings: the systolic is above the diastolic (else the two were swapped)."""
    if sbp is not None and dbp is not None and sbp <= dbp:
        return "sbp_le_dbp"
    return None
