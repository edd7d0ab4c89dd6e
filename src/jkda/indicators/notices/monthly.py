"""The monthly round of notices: one notice per indicator that has a target, for one period, from one pass over the
records.

The target line of each indicator is the milestone due by the period's last month in the target set for the
notice's scope (the city, or the division given as `within`): the cumulative percentage of the annual target (see
targets/lookup.py); for a period that ends in December it is the annual target itself. Indicators without a target
for the scope and year are listed apart, not guessed. The criticism line is a fixed percentage, or, by default, a
share of the target line (JKDA_NOTICE_CRITICIZE_SHARE, percent, default 50: below half of what was due).

All indicators are counted by one `engine.compute_levels` call (one grouped query per family) at the notice's level
and the institution level; each notice is then built from those tables, exactly as `build_notice` would alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from jkda.indicators import engine, periods
from jkda.indicators.targets import lookup
from jkda.regions.models import Division, Institution

from .notice import NoticeError, build_notice, engine_level, parse_percent

TARGET_LEVELS = {"city": "city", "county": "county", "township": "township"}


@dataclass
class MonthlyRound:
    period: periods.Period
    level: str
    scope_level: str
    scope_code: str
    scope_name: str
    notices: list[dict] = field(default_factory=list)
    without_target: list[dict] = field(default_factory=list)  # {"indicator", "name"}

    def summary(self) -> dict:
        """One line per notice (for the cover sheet) and the indicators left out."""
        rows = []
        for n in self.notices:
            c = n["counts"]
            rows.append({"indicator": n["indicator"], "name": n["indicator_name"], "target": n["target"],
                         "criticize_below": n["criticize_below"], "rate": n["total"]["rate"],
                         "numerator": n["total"]["numerator"], "population": n["total"]["population"],
                         "areas": c["areas_with_population"], "areas_met": c["areas_met"],
                         "institutions": c["institutions_with_population"],
                         "institutions_below_target": c["institutions_below_target"],
                         "criticized": c["criticized"]})
        return {"period": self.period.code, "period_label": str(self.period.label), "as_of":
                self.period.as_of.isoformat(), "level": self.level, "scope": {"level": self.scope_level,
                "code": self.scope_code, "name": self.scope_name}, "notices": rows,
                "without_target": self.without_target}


def scope_area(within: Division | Institution | None) -> tuple[str, str, str]:
    """(targets level, area code, name) of the area whose targets a notice applies: the division given, the
    division of an institution given, else the city."""
    division = within.division if isinstance(within, Institution) else within
    if division is None:
        division = Division.objects.filter(level=Division.Level.CITY).order_by("code").first()
        if division is None:
            raise NoticeError(_("There is no city division, so no city targets: give the area (--within)."))
    level = TARGET_LEVELS.get(division.level)
    if level is None:
        raise NoticeError(_("Targets are set for a city, a district or a township, not for %(name)s.")
                          % {"name": division.name})
    return level, division.code, division.name


def default_criticism(line: Decimal) -> Decimal:
    share = Decimal(str(getattr(settings, "JKDA_NOTICE_CRITICIZE_SHARE", 50)))
    return (line * share / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def monthly_notices(period: str | periods.Period, level: str = "county", *, criticize_below=None,
                    within: Division | Institution | None = None, indicators=None, **document) -> MonthlyRound:
    """Every notice of a period (see the module docstring). `document`: number, issuer, addressees, deadline, date
    as for build_notice (the same for every notice of the round)."""
    try:
        per = period if isinstance(period, periods.Period) else periods.parse(str(period))
    except periods.PeriodError as exc:
        raise NoticeError(str(exc)) from None
    level = engine_level(level) if level not in engine.LEVELS else level
    fixed_line = None if criticize_below in (None, "") else parse_percent(criticize_below, _("The criticism line"))
    scope_level, scope_code, scope_name = scope_area(within)
    year, month = per.end.year, per.end.month
    targets = lookup.for_area(year, scope_level, scope_code)
    chosen = [engine.get(c) for c in indicators] if indicators else engine.all_indicators()
    result = MonthlyRound(per, level, scope_level, scope_code, scope_name)
    lines = {}
    for ind in chosen:
        line = targets.milestone_for(ind.code, month)
        if line is None:
            result.without_target.append({"indicator": ind.code, "name": str(ind.name)})
        else:
            lines[ind.code] = line
    if not lines:
        return result
    computed = engine.compute_levels(list(lines), per, sorted({level, "institution"}), within)
    for code, line in lines.items():
        criticism = fixed_line if fixed_line is not None else default_criticism(line)
        criticism = min(criticism, line)  # a fixed line above a low milestone: criticise below the milestone
        result.notices.append(build_notice(code, per, level, line, criticism, within, computed=computed,
                                           **document))
    return result
