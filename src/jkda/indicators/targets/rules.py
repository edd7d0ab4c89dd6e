"""The arithmetic of targets and milestones, in plain functions (no database).

Percent values are exact Decimals (never floats). The rules:

* half-year target % = annual % × half-year share;
* months 1–6: the percent due by the end of month m = half-year % × the plan's cumulative share at m (the latest
  milestone at or before m; 0 before the first one); the end of June is always 100 % of the half-year target;
* months 7–12: the percent due = half-year % + (annual % − half-year %) × the plan's cumulative second-half share
  at m (0 before the first second-half milestone, i.e. the half-year target stays due); the end of December is
  always the annual target;
* people (人份) = population × percent, rounded **up** to the next whole person (`PEOPLE_ROUNDING`): a target
  of 7,715.625 people is 7,716, so meeting the count always means meeting the percent.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.utils.translation import gettext as _

HUNDRED = Decimal(100)
PEOPLE_ROUNDING = ROUND_CEILING  # people = population × percent / 100, rounded up to the next whole person
PEOPLE_ROUNDING_TEXT = "round up to the next whole person"

# The plan used for a year without a stored plan: by the end of April 40 % of the half-year target, May 70 %,
# June 100 %; the second half the same (October, November, December). Override with JKDA_TARGET_MILESTONES.
DEFAULT_MILESTONES = {4: Decimal(40), 5: Decimal(70), 6: Decimal(100), 10: Decimal(40), 11: Decimal(70),
                      12: Decimal(100)}


def default_milestones() -> dict[int, Decimal]:
    raw = getattr(settings, "JKDA_TARGET_MILESTONES", None)
    if not raw:
        return dict(DEFAULT_MILESTONES)
    return {int(k): Decimal(str(v)) for k, v in raw.items()}


def tidy(value: Decimal) -> Decimal:
    """Two decimals when that is exact (16.00, 17.10), else the exact value."""
    two = value.quantize(Decimal("0.01"))
    return two if two == value else value.normalize()


def half_year_percent(annual: Decimal, share: Decimal) -> Decimal:
    return tidy(Decimal(annual) * Decimal(share) / HUNDRED)


def share_at(milestones: dict[int, Decimal], month: int) -> Decimal:
    """The plan's cumulative share (of the month's half) due by the end of `month`."""
    if month in (6, 12):
        return HUNDRED
    first = 1 if month <= 6 else 7
    due = [milestones[m] for m in sorted(milestones) if first <= m <= month]
    return due[-1] if due else Decimal(0)


def due_percent(annual: Decimal, share: Decimal, milestones: dict[int, Decimal], month: int) -> Decimal:
    """The cumulative target percent due by the end of `month` (see the module's rules)."""
    if not 1 <= month <= 12:
        raise ValueError(_("The month must be between 1 and 12."))
    annual, half = Decimal(annual), Decimal(annual) * Decimal(share) / HUNDRED
    s = share_at(milestones, month)
    if month <= 6:
        return tidy(half * s / HUNDRED)
    return tidy(half + (annual - half) * s / HUNDRED)


def people(population: int | None, percent: Decimal | None) -> int | None:
    """Number of people (人份) for a percent of a population, rounded up to the next whole person."""
    if population is None or percent is None:
        return None
    exact = Decimal(population) * Decimal(percent) / HUNDRED
    return int(exact.to_integral_value(rounding=PEOPLE_ROUNDING))


def milestone_errors(milestones: dict[int, Decimal]) -> list[str]:
    """Problems with a plan: months 1–12, shares above 0 and at most 100 %, strictly increasing within each half,
    and June / December (when given) at 100 %."""
    errors = []
    for month, share in milestones.items():
        if not 1 <= month <= 12:
            errors.append(_("Month %(m)s is not between 1 and 12.") % {"m": month})
        elif share <= 0 or share > HUNDRED:
            errors.append(_("The milestone of month %(m)d must be above 0 and at most 100%%.") % {"m": month})
        elif month in (6, 12) and share != HUNDRED:
            errors.append(_("The end of the half-year (month %(m)d) is always 100%% of its target.") % {"m": month})
    for first, last in ((1, 6), (7, 12)):
        months = sorted(m for m in milestones if first <= m <= last)
        for a, b in zip(months, months[1:], strict=False):
            if milestones[b] <= milestones[a]:
                errors.append(_("Milestones must increase: month %(b)d (%(sb)s%%) is not above month %(a)d "
                                "(%(sa)s%%).") % {"a": a, "b": b, "sa": milestones[a], "sb": milestones[b]})
    return errors
