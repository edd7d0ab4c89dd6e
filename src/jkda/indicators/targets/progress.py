"""Populations, the milestone table of an area, and who is behind their current milestone.

Population of a target = the indicator's denominator for the area and year: for base-data denominators (a
PopulationBase field) the sum of that field over the area's institutions (the institutions the engine counts for
that unit at that level: engine.unit_map); for "base" denominators (records etc.) the engine's denominator for the
period `YYYY-ytd` (as of today, or the year's end once it is over).

Progress at a milestone month m: the engine's cumulative figures for `YYYY-MM-ytd`; the people due are that
figure's denominator × the percent due by the end of m (rules.people, rounded up), so a "base" indicator is
measured against its denominator of that day. An area is behind when its numerator is below the people due.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from jkda.access.scope import visible_institution_ids
from jkda.indicators import engine
from jkda.indicators.periods import month_end, parse, today

from . import lookup, rules
from .actions import resolve_area
from .models import Target


def _within(level: str, area):
    # The engine finds a division's institutions by code prefix; a city's code (3205 00) is not a prefix of its
    # districts' codes, so the city level is computed whole and the city's row picked.
    return None if level == "city" else area


def populations(targets: list[Target], year: int) -> dict[int, int | None]:
    """target id → population (the indicator's denominator for the target's area and year)."""
    out: dict[int, int | None] = {}
    by_level: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_level[t.level].append(t)
    period = parse(f"{year}-ytd")
    for level, group in by_level.items():
        units = engine.unit_map(level)
        members: dict[str, list[int]] = defaultdict(list)
        for inst, unit in units.items():
            members[unit.code].append(inst)
        fields = {engine.get(t.indicator).denominator_source() for t in group} - {"base"}
        wanted = {i for t in group for i in members.get(t.area_code, [])}
        base = engine.base_data(year, fields, wanted)
        base_codes = sorted({t.indicator for t in group if engine.get(t.indicator).denominator_source() == "base"})
        tables = engine.compute(base_codes, period, level) if base_codes else {}
        for t in group:
            den = engine.get(t.indicator).denominator_source()
            if den == "base":
                fig = tables[t.indicator].by_code().get(t.area_code)
                out[t.pk] = fig.denominator if fig else None
            else:
                insts = members.get(t.area_code, [])
                out[t.pk] = sum((base.get(i, {}).get(den) or 0) for i in insts) if insts else None
    return out


@dataclass
class Cell:
    month: int
    percent: Decimal
    people: int | None
    actual: int | None = None  # the numerator by the end of the month (elapsed months only)
    due_people: int | None = None  # people due by that month's denominator
    met: bool | None = None


@dataclass
class Row:
    target: Target
    name: str
    unit: str
    population: int | None
    annual: Decimal
    annual_people: int | None
    half_year: Decimal
    half_year_people: int | None
    cells: dict[int, Cell] = field(default_factory=dict)

    def cell_list(self, months: list[int]) -> list[Cell | None]:
        return [self.cells.get(m) for m in months]


@dataclass
class AreaTable:
    level: str
    area: object
    area_code: str
    year: int
    months: list[int]
    rows: list[Row]
    elapsed: list[int]


def elapsed_months(year: int, on: dt.date | None = None) -> list[int]:
    on = on or today()
    return [m for m in range(1, 13) if month_end(year, m) <= on]


def area_table(year: int, level: str, area_code: str) -> AreaTable:
    """The task-breakdown table of one area: every indicator with a target, its population, annual and
    half-year targets and each milestone in percent and people, and progress at each elapsed milestone."""
    area = resolve_area(level, area_code)
    targets = list(Target.objects.filter(year=year, level=level, area_code=area_code))
    catalogue_order = {ind.code: i for i, ind in enumerate(engine.all_indicators())}
    targets.sort(key=lambda t: catalogue_order.get(t.indicator, 999))
    pops = populations(targets, year)
    plans = lookup.plans_for(targets, year)
    months = sorted({m for p in plans.values() for m in p})
    done = elapsed_months(year)
    progress_months = [m for m in months if m in done]
    figures: dict[int, dict[str, engine.Figure]] = {}
    codes = sorted({t.indicator for t in targets})
    for m in progress_months:
        tables = engine.compute(codes, parse(f"{year}-{m:02d}-ytd"), level, _within(level, area))
        figures[m] = {c: tables[c].by_code().get(area_code) for c in codes}
    rows = []
    for t in targets:
        ind = engine.get(t.indicator)
        pop = pops.get(t.pk)
        half = rules.half_year_percent(t.annual, t.half_year_share)
        row = Row(t, str(ind.name), ind.unit, pop, t.annual, rules.people(pop, t.annual), half,
                  rules.people(pop, half))
        for m in plans[t.pk]:
            pct = rules.due_percent(t.annual, t.half_year_share, plans[t.pk], m)
            cell = Cell(m, pct, rules.people(pop, pct))
            fig = figures.get(m, {}).get(t.indicator)
            if m in figures:
                cell.actual = fig.numerator if fig else 0
                cell.due_people = rules.people(fig.denominator if fig else 0, pct)
                cell.met = cell.actual >= cell.due_people
            row.cells[m] = cell
        rows.append(row)
    return AreaTable(level, area, area_code, year, months, rows, progress_months)


@dataclass
class Behind:
    target: Target
    name: str
    area_name: str
    month: int
    due_percent: Decimal
    due_people: int
    actual: int
    denominator: int
    percent: Decimal | None

    @property
    def shortfall(self) -> int:
        return self.due_people - self.actual

    @property
    def achieved(self) -> Fraction:
        """Share of the milestone's people reached (0–1)."""
        return Fraction(self.actual, self.due_people) if self.due_people else Fraction(1)


def default_month(year: int, on: dt.date | None = None) -> int:
    """The month whose milestone is current: the last month that has ended (December for a past year)."""
    done = elapsed_months(year, on)
    return done[-1] if done else 1


def behind(year: int, month: int, user=None, level: str | None = None) -> list[Behind]:
    """Areas and institutions behind the milestone due by the end of `month`, worst first: the smallest share
    of the milestone's people reached, then the largest shortfall in people. Only areas with an institution the
    user sees (access.scope) when a user is given."""
    targets = list(Target.objects.filter(year=year, level=level) if level else Target.objects.filter(year=year))
    plans = lookup.plans_for(targets, year)
    by_level: dict[str, list[Target]] = defaultdict(list)
    for t in targets:
        by_level[t.level].append(t)
    visible = visible_institution_ids(user) if user is not None else None
    visible = None if visible is None else set(visible)  # None: a system job (no user) sees every area
    period = parse(f"{year}-{month:02d}-ytd")
    out = []
    for lvl, group in by_level.items():
        codes = sorted({t.indicator for t in group})
        tables = engine.compute(codes, period, lvl)
        for t in group:
            fig = tables[t.indicator].by_code().get(t.area_code)
            if fig is None or (visible is not None and not visible & set(fig.institution_ids)):
                continue
            pct = rules.due_percent(t.annual, t.half_year_share, plans[t.pk], month)
            due = rules.people(fig.denominator, pct)
            if fig.numerator < due:
                out.append(Behind(t, str(tables[t.indicator].indicator.name), fig.name, month, pct, due,
                                  fig.numerator, fig.denominator, fig.percent))
    out.sort(key=lambda b: (b.achieved, -b.shortfall, b.target.level, b.target.area_code, b.target.indicator))
    return out
