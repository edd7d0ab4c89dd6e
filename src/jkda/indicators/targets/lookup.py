"""Targets and milestones for the other parts of the indicators app (dashboards, notices): read-only lookups.

    target_for("electronic_record_rate", 2026, "county", "320506")
        → TargetInfo(annual=Decimal("80.00"), half_year=Decimal("40.00"), responsible_unit=..., ...) or None
    milestone_for("electronic_record_rate", 2026, 4, "county", "320506")
        → Decimal("16.00")  (the cumulative percent due by the end of April) or None (no target)

`area_code` is an institution code for level "institution", else the code of a Division of that level (the same
codes the engine's Figure.area_code / Unit.code carry at that level).

The milestone rule (rules.due_percent):
  months 1–6:  annual × half-year share × the plan's cumulative share at that month (the latest milestone at or
               before it; 0 before the first milestone; the end of June is always the whole half-year target);
  months 7–12: half-year target + (annual − half-year target) × the plan's cumulative second-half share at that
               month (the half-year target before the first second-half milestone; December = the annual target).
The plan is the target's own plan if it has one, else the year's plan, else rules.DEFAULT_MILESTONES (April 40 %,
May 70 %, June 100 %, October 40 %, November 70 %, December 100 %).

Percentages are exact Decimals (two decimals when exact). People: rules.people(population, percent) rounds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from . import rules


@dataclass(frozen=True)
class TargetInfo:
    annual: Decimal  # percent
    half_year: Decimal  # percent: annual × half-year share
    responsible_unit: str
    responsible_person: str
    half_year_share: Decimal = Decimal(50)  # percent of the annual target due by the end of June


def _target(code: str, year: int, level: str, area_code: str):
    from .models import Target

    return Target.objects.filter(indicator=code, year=year, level=level, area_code=area_code).first()


def target_for(code: str, year: int, level: str, area_code: str) -> TargetInfo | None:
    """The target of one indicator for one area and year, or None when none was set."""
    t = _target(code, year, level, area_code)
    if t is None:
        return None
    return info(t)


def info(t) -> TargetInfo:
    return TargetInfo(annual=t.annual, half_year=rules.half_year_percent(t.annual, t.half_year_share),
                      responsible_unit=t.responsible_unit, responsible_person=t.responsible_person,
                      half_year_share=t.half_year_share)


def plan_for(t) -> dict[int, Decimal]:
    """The milestones that apply to a target: its own plan, else its year's plan, else the default plan."""
    from .models import MilestonePlan

    own = MilestonePlan.objects.filter(target=t).first()
    if own is not None and own.shares:  # an emptied own plan means "back to the year's plan"
        return own.months()
    return year_plan(t.year)


def plans_for(targets, year: int) -> dict[int, dict[int, Decimal]]:
    """target id → its milestones, for many targets of one year in two queries."""
    from .models import MilestonePlan

    targets = list(targets)
    own = {p.target_id: p.months() for p in MilestonePlan.objects.filter(target__in=[t.pk for t in targets])
           if p.shares}
    default = year_plan(year)
    return {t.pk: own.get(t.pk, default) for t in targets}


def year_plan(year: int) -> dict[int, Decimal]:
    from .models import MilestonePlan

    plan = MilestonePlan.objects.filter(year=year, target__isnull=True).first()
    return plan.months() if plan is not None else rules.default_milestones()


def milestone_for(code: str, year: int, month: int, level: str, area_code: str) -> Decimal | None:
    """The cumulative target percent due by the end of `month` of `year` (see the module's rule), or None when
    the area has no target for the indicator that year."""
    t = _target(code, year, level, area_code)
    if t is None:
        return None
    return rules.due_percent(t.annual, t.half_year_share, plan_for(t), month)


@dataclass(frozen=True)
class AreaTargets:
    """Every target of one area and year with its milestones, loaded at once (a dashboard asks for each indicator
    and month: answering from memory keeps a page to three queries)."""

    targets: dict  # indicator code → Target
    plans: dict  # target id → milestones

    def target_for(self, code: str) -> TargetInfo | None:
        t = self.targets.get(code)
        return None if t is None else info(t)

    def milestone_for(self, code: str, month: int) -> Decimal | None:
        t = self.targets.get(code)
        if t is None:
            return None
        return rules.due_percent(t.annual, t.half_year_share, self.plans[t.pk], month)


def for_area(year: int, level: str, area_code: str) -> AreaTargets:
    """The targets of an area and year, as target_for / milestone_for would give them one by one."""
    from .models import Target

    targets = {t.indicator: t for t in Target.objects.filter(year=year, level=level, area_code=area_code)}
    return AreaTargets(targets, plans_for(targets.values(), year) if targets else {})
