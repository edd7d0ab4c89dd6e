"""Rules of the health examination: BMI, blood-pressure pairs, the 65+ section. Pure functions (tests call them
directly; the model calls them in clean())."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

ELDERLY_AGE = 65
# BMI outside this range cannot come from a real adult: the height or the weight was mistyped.
BMI_PLAUSIBLE = (Decimal("10"), Decimal("80"))


def elderly_age() -> int:
    return getattr(settings, "JKDA_ELDERLY_AGE", ELDERLY_AGE)


def bmi(height_cm, weight_kg) -> Decimal | None:
    """体质指数 = weight (kg) / height (m)², one decimal; None when either is missing or the height is 0."""
    if height_cm in (None, "") or weight_kg in (None, ""):
        return None
    h = Decimal(str(height_cm)) / 100
    if h <= 0:
        return None
    return (Decimal(str(weight_kg)) / (h * h)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def bmi_plausible(value: Decimal | None) -> bool:
    return value is None or BMI_PLAUSIBLE[0] <= value <= BMI_PLAUSIBLE[1]


def bp_problem(sbp, dbp) -> str | None:
    """'pair' when only one of the two is given, 'order' when the systolic does not exceed the diastolic."""
    if sbp is None and dbp is None:
        return None
    if sbp is None or dbp is None:
        return "pair"
    if sbp <= dbp:
        return "order"
    return None


def age_years(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def is_elderly(birth: dt.date | None, on: dt.date | None) -> bool:
    """Aged 65 or more on the day (the 65+ items of the form apply)."""
    if birth is None or on is None:
        return False
    return age_years(birth, on) >= elderly_age()
