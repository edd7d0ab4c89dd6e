"""What a dashboard shows, as plain data: an area (the city, a district, a township or an institution with its
stations), every indicator's figure for a month (summed from the facts table: numerators and denominators over
the institutions, never an average of rates), its target and milestone, the trend over the months of the year,
and the units below it ranked. Views only render this; charts are drawn from the geometry computed here."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access.scope import visible_institution_ids
from jkda.indicators import engine, facts, periods
from jkda.indicators.engine import Figure
from jkda.indicators.targets import lookup
from jkda.regions.models import Division, Institution

LEVELS = ("city", "county", "township", "institution")
CHILD_LEVEL = {"city": "county", "county": "institution", "township": "institution", "institution": "institution"}
LIVE_MAX_INSTITUTIONS = 30  # "live" figures (computed directly) only for areas this small
GROUP_LABELS = {
    "records": gettext_lazy("Health records"), "elderly": gettext_lazy("Elderly people (65+)"),
    "hypertension": gettext_lazy("Hypertension"), "diabetes": gettext_lazy("Type 2 diabetes"),
    "smi": gettext_lazy("Severe mental disorders"), "child": gettext_lazy("Children 0–6"),
    "vaccination": gettext_lazy("Immunisation"), "maternal": gettext_lazy("Maternal health"),
    "tb": gettext_lazy("Tuberculosis"),
}


@dataclass
class Crumb:
    level: str
    code: str
    name: str


@dataclass
class Area:
    level: str
    code: str
    name: str
    obj: Division | Institution
    institutions: set[int]
    crumbs: list[Crumb] = field(default_factory=list)

    @property
    def child_level(self) -> str:
        return CHILD_LEVEL[self.level]

    @property
    def level_label(self) -> str:
        return str(engine.LEVEL_LABELS[self.level])


def _division_crumbs(division: Division | None) -> list[Crumb]:
    chain = []
    d = division
    while d is not None:
        if d.level in ("city", "county", "township"):
            chain.append(Crumb(d.level, d.code, d.name))
        d = d.parent
    return list(reversed(chain))


def institutions_in(division: Division) -> set[int]:
    """Clinical institutions serving the division or any division below it (by the parent links: a city's
    districts do not share its code as a prefix)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Division.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    inside, todo = set(), [division.pk]
    while todo:
        d = todo.pop()
        inside.add(d)
        todo.extend(children.get(d, ()))
    return set(Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS, division_id__in=inside)
               .values_list("pk", flat=True))


def resolve(level: str, code: str) -> Area:
    """The area a dashboard URL names; 404 for anything else."""
    if level not in LEVELS:
        raise Http404(_("No such level."))
    if level == "institution":
        inst = Institution.objects.select_related("division", "parent").filter(
            code=code, kind__in=Institution.CLINICAL_KINDS).first()
        if inst is None:
            raise Http404(_("No clinical institution with code %(code)s.") % {"code": code})
        crumbs = [c for c in _division_crumbs(inst.division) if c.level != "township"]
        if inst.parent_id and inst.parent.kind in Institution.CLINICAL_KINDS:
            crumbs.append(Crumb("institution", inst.parent.code, inst.parent.name))
        crumbs.append(Crumb("institution", inst.code, inst.name))
        return Area(level, inst.code, inst.name, inst, engine.institutions_within(inst) or set(), crumbs)
    division = Division.objects.filter(code=code, level=level).select_related("parent").first()
    if division is None:
        raise Http404(_("No %(level)s with code %(code)s.") % {"level": engine.LEVEL_LABELS[level], "code": code})
    return Area(level, division.code, division.name, division, institutions_in(division),
                _division_crumbs(division))


def landing(user) -> tuple[str, str] | None:
    """The dashboard a user starts on: a city bureau the city, a district bureau its district, clinical staff
    their own institution; a user without an institution none (administrators read no figures)."""
    inst = getattr(user, "institution", None)
    if inst is None:
        return None
    if inst.kind in Institution.CLINICAL_KINDS:
        return "institution", inst.code
    division = inst.division
    if division.level in ("city", "county", "township"):
        return division.level, division.code
    if division.level == "province":
        city = Division.objects.filter(parent=division, level="city").order_by("code").first()
        return ("city", city.code) if city else None
    return None


def may_view(user, area: Area) -> bool:
    """Every institution of the area lies within the user's jurisdiction (jkda.access.scope)."""
    ids = visible_institution_ids(user)
    return bool(area.institutions) and area.institutions <= set(ids)


# --- the month chosen ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def period(self) -> periods.Period:
        return facts.period_of(self.year, self.month)

    @property
    def code(self) -> str:
        return f"{self.year}-{self.month:02d}"


def choose_month(year: str | None, month: str | None, today: dt.date | None = None) -> tuple[Month, str | None]:
    """The month asked for, or the latest started one; with a Chinese message when the request was refused."""
    today = today or periods.today()
    default = Month(today.year, today.month)
    if not year and not month:
        return default, None
    try:
        y = int(year) if year else today.year
        m = int(month) if month else (12 if y < today.year else today.month)
    except ValueError:
        return default, _("The year and month must be numbers.")
    if not 2000 <= y <= 2100:
        return default, _("The year must be between 2000 and 2100.")
    if not 1 <= m <= 12:
        return default, _("The month must be between 1 and 12.")
    if not facts.month_started(y, m, today):
        return default, _("%(y)d-%(m)02d has not started yet: showing the current month.") % {"y": y, "m": m}
    return Month(y, m), None


# --- figures ------------------------------------------------------------------------------------------------------

def _sum(per_inst: dict[int, tuple[int, int]], institutions) -> tuple[int, int]:
    num = den = 0
    for inst in institutions:
        n, d = per_inst.get(inst, (0, 0))
        num += n
        den += d
    return num, den


@dataclass
class Bar:
    figure: Figure
    url: str
    y: int
    width: float
    label_x: float
    met: bool | None = None
    percent: Decimal | None = None


@dataclass
class Point:
    month: int
    percent: Decimal | None
    milestone: Decimal | None
    x: float
    y: float | None
    milestone_y: float | None
    numerator: int
    denominator: int


@dataclass
class Row:
    indicator: engine.Indicator
    figure: Figure
    target: lookup.TargetInfo | None
    milestone: Decimal | None
    trend: list[Point]
    bars: list[Bar]
    met_milestone: bool | None
    met_target: bool | None
    trend_path: str = ""
    milestone_path: str = ""
    scale: int = 100
    target_x: float | None = None
    trend_svg: str = ""
    bars_svg: str = ""

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def bars_height(self) -> int:
        return len(self.bars) * BAR_ROW + 4


@dataclass
class Group:
    code: str
    label: str
    rows: list[Row]


@dataclass
class Board:
    area: Area
    month: Month
    groups: list[Group]
    refreshed: facts.FactMonth | None
    pending: int
    live: bool
    live_allowed: bool
    child_level: str
    bar_height: int = 0


# chart geometry (SVG user units)
TREND_W, TREND_H, TREND_PAD = 300, 90, 18
BAR_W, BAR_ROW, BAR_LABEL = 470, 18, 150
BAR_SPAN = BAR_W - BAR_LABEL - 115  # the longest bar leaves room for its value


def _scale(values: list[Decimal | None]) -> int:
    top = max((v for v in values if v is not None), default=Decimal(0))
    return 100 if top <= 100 else int((top / 50).to_integral_value(rounding="ROUND_CEILING") * 50)


def _trend(points: list[tuple[int, int, int, Decimal | None]], scale: int) -> list[Point]:
    out = []
    step = (TREND_W - 2 * TREND_PAD) / 11
    inner = TREND_H - 2 * TREND_PAD
    for month, num, den, milestone in points:
        pct = engine.percent(Figure("", "", "", num, den).rate)
        x = TREND_PAD + (month - 1) * step
        y = None if pct is None else TREND_PAD + inner - float(pct) / scale * inner
        my = None if milestone is None else TREND_PAD + inner - float(milestone) / scale * inner
        out.append(Point(month, pct, milestone, round(x, 1), None if y is None else round(y, 1),
                         None if my is None else round(my, 1), num, den))
    return out


def _path(coords: list[tuple[float, float | None]]) -> str:
    parts, pen_up = [], True
    for x, y in coords:
        if y is None:
            pen_up = True
            continue
        parts.append(f"{'M' if pen_up else 'L'}{x} {y}")
        pen_up = False
    return " ".join(parts)


def build(area: Area, month: Month, *, live: bool = False, url_for=None) -> Board:
    """Every indicator of the catalogue for the area and month, grouped, with trend and ranked units below."""
    indicators = engine.all_indicators()
    codes = [i.code for i in indicators]
    insts = area.institutions
    live_allowed = 0 < len(insts) <= LIVE_MAX_INSTITUTIONS
    live = live and live_allowed
    if live:
        month_figs = engine.institution_figures(indicators, month.period, insts)
    else:
        month_figs = facts.figures(month.year, month.month, insts, codes)
    trend = facts.sums_by_month(month.year, insts, codes)
    last_month = month.month if month.year < periods.today().year else periods.today().month
    last_month = max(last_month, month.month)
    child_level = area.child_level
    units = {i: u for i, u in engine.unit_map("institution" if child_level == "institution" else child_level)
             .items() if i in insts}
    url_for = url_for or (lambda level, code: "")
    groups: dict[str, list[Row]] = defaultdict(list)
    goals = lookup.for_area(month.year, area.level, area.code)
    for ind in indicators:
        per_inst = month_figs.get(ind.code, {})
        num, den = _sum(per_inst, insts)
        total = Figure(area.code, area.name, area.level, num, den, institution_ids=sorted(insts))
        target = goals.target_for(ind.code)
        milestone = goals.milestone_for(ind.code, month.month)
        # the units below, ranked
        ranked = engine.roll_up(ind, per_inst, month.period, child_level, units).rows
        child_pct = [f.percent for f in ranked]
        months = trend.get(ind.code, {})
        points = [(m, *months.get(m, (0, 0)),
                   goals.milestone_for(ind.code, m) if m != month.month
                   else milestone) for m in range(1, last_month + 1)]
        pts = _trend(points, 100)
        values = child_pct + [total.percent, milestone] + [p.milestone for p in pts] + [p.percent for p in pts]
        if target is not None:
            values += [target.annual, target.half_year]
        scale = _scale(values)
        if scale != 100:
            pts = _trend(points, scale)
        line = milestone if milestone is not None else (target.annual if target is not None else None)
        line_rate = None if line is None else Fraction(Decimal(str(line))) / 100
        bars = []
        for i, (fig, pct) in enumerate(zip(ranked, child_pct, strict=True)):
            width = 0.0 if pct is None else round(float(pct) / scale * BAR_SPAN, 1)
            met = None if line_rate is None or not fig.denominator else fig.rate >= line_rate
            bars.append(Bar(fig, url_for(child_level, fig.code), i * BAR_ROW, width, BAR_LABEL + width + 4,
                            met, pct))
        target_x = None if line is None else round(BAR_LABEL + float(line) / scale * BAR_SPAN, 1)
        row = Row(ind, total, target, milestone, pts, bars, total.met(milestone),
                  total.met(target.annual) if target is not None else None,
                  trend_path=_path([(p.x, p.y) for p in pts]),
                  milestone_path=_path([(p.x, p.milestone_y) for p in pts]), scale=scale, target_x=target_x)
        groups[ind.group or "other"].append(row)
    out = [Group(code, str(GROUP_LABELS.get(code, code)), rows) for code, rows in groups.items()]
    refreshed = facts.last_refreshed(month.year, month.month)
    return Board(area, month, out, refreshed, facts.pending_marks(), live, live_allowed, child_level,
                 bar_height=max((len(r.bars) for g in out for r in g.rows), default=0) * BAR_ROW)
