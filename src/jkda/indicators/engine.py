"""The indicator engine: turns the catalogue's declarations into set-based queries.

An indicator belongs to a *family*: a set of records (the family's base, e.g. "records open at the period's end",
"patients under hypertension management") over which every indicator of the family counts its numerator with a
filter. One grouped query per family gives, per managing institution, the size of the base and every numerator
(conditional counts). Denominators are either that base ("records") or a column of the population base data of the
period's year, never a count of records where the standard says "population".

Attribution: a record counts for the institution that managed it on the period's `as_of` day: its institution now,
unless it was transferred (or handed over) after that day, when the first such move says where it was. Closed
records count only while they were open: every family's base asks for "established by, and not closed by,
`as_of`".

Higher levels (township, district, city) sum the institutions' numerators and denominators and divide; a rate is
never averaged from rates. Ranks come from the unrounded rates (exact fractions); ties share a rank.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from jkda.records.models import Record, RecordEvent
from jkda.regions.models import Division, Institution, PopulationBase

from .periods import Period

LEVELS = ("institution", "township", "county", "city")
LEVEL_LABELS = {"institution": _("institution"), "township": _("township / street"),
                "county": _("district / county"), "city": _("city")}
MOVES = (RecordEvent.Kind.TRANSFERRED, RecordEvent.Kind.HANDED_OVER)
Runner = Callable[[QuerySet], Iterable[dict]]  # evaluates a values() queryset into its rows


def database_rows(qs: QuerySet) -> list[dict]:
    """The default Runner: the database evaluates the grouped query. On PostgreSQL, for the query's own
    transaction:
    - a larger work_mem (JKDA_INDICATOR_WORK_MEM, default 256MB): a numerator `id IN (SELECT record_id FROM a
      form ...)` is only hashed once when its rows fit in work_mem; with the default 4MB a city's forms do not,
      and PostgreSQL re-reads the subquery for every record (minutes instead of seconds);
    - no JIT: compiling a family's few dozen conditional counts costs PostgreSQL more than running them (16 s of
      LLVM optimisation for a 15 s query on L)."""
    from django.db import connections, transaction

    conn = connections[qs.db]
    if conn.vendor != "postgresql":
        return list(qs)
    with transaction.atomic(using=qs.db):
        with conn.cursor() as c:
            c.execute("SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true)",
                      [getattr(settings, "JKDA_INDICATOR_WORK_MEM", "256MB")])
        return list(qs)


class IndicatorError(ValueError):
    pass


# --- declarations ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ctx:
    """What a declaration may use: the period and its as-of day, and the year of the base data."""

    period: Period

    @property
    def start(self) -> dt.date:
        return self.period.start

    @property
    def end(self) -> dt.date:
        return self.period.end

    @property
    def as_of(self) -> dt.date:
        return self.period.as_of

    @property
    def year(self) -> int:
        return self.period.year


@dataclass(frozen=True)
class Family:
    code: str
    base: Callable[[Ctx], QuerySet]  # Record queryset (already limited to records open on as_of)


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    family: Family
    numerator_text: str
    denominator_text: str
    population_text: str
    numerator: Callable[[Ctx], Q] | None = None  # a filter on the family's base; None: the whole base counts
    # A narrower population inside the family's base (both numerator and a "base" denominator count only there):
    # lets indicators with different populations share one grouped query (e.g. each vaccine's due children).
    within: Callable[[Ctx], Q] | None = None
    denominator: str | Callable[[], str] = "base"  # "base" or a PopulationBase field (or a setting's choice)
    settings: tuple[str, ...] = ()
    unit: str = "%"
    group: str = ""

    def denominator_source(self) -> str:
        return self.denominator() if callable(self.denominator) else self.denominator


CATALOGUE: dict[str, Indicator] = {}


def declare(*indicators: Indicator) -> None:
    for ind in indicators:
        if ind.code in CATALOGUE:
            raise ValueError(f"indicator {ind.code} declared twice")
        den = ind.denominator_source()
        if den != "base" and den not in {f.name for f in PopulationBase._meta.fields}:
            raise ValueError(f"indicator {ind.code}: unknown denominator {den}")
        CATALOGUE[ind.code] = ind


def get(code: str) -> Indicator:
    from . import catalogue  # noqa: F401 - fills CATALOGUE

    try:
        return CATALOGUE[code]
    except KeyError:
        raise IndicatorError(_("Unknown indicator “%(code)s”: `jkda indicators --list` prints the codes.")
                             % {"code": code}) from None


def all_indicators() -> list[Indicator]:
    from . import catalogue  # noqa: F401

    return list(CATALOGUE.values())


def open_records(ctx: Ctx) -> QuerySet:
    """Records established by `as_of` and not closed by then (a closed record counts only while it was open)."""
    return Record.objects.filter(established_on__lte=ctx.as_of).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=ctx.as_of))


# --- results ------------------------------------------------------------------------------------------------------

TWO = Decimal("0.01")


def percent(rate: Fraction | None) -> Decimal | None:
    """A rate as a percentage rounded half-up to two decimals (the figure printed)."""
    if rate is None:
        return None
    exact = Decimal(rate.numerator * 100) / Decimal(rate.denominator)
    return exact.quantize(TWO, rounding=ROUND_HALF_UP)


@dataclass
class Figure:
    code: str
    name: str
    level: str
    numerator: int = 0
    denominator: int = 0
    area_code: str = ""  # the enclosing area (for an institution: its township's code)
    area_name: str = ""
    rank: int | None = None
    institution_ids: list[int] = field(default_factory=list)

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def percent(self) -> Decimal | None:
        return percent(self.rate)

    def met(self, target: Decimal | float | None) -> bool | None:
        if target is None or self.rate is None:
            return None
        return self.rate * 100 >= Fraction(Decimal(str(target)))


@dataclass
class Table:
    indicator: Indicator
    period: Period
    level: str
    rows: list[Figure]
    total: Figure

    def by_code(self) -> dict[str, Figure]:
        return {r.code: r for r in self.rows}


def rank(rows: list[Figure]) -> list[Figure]:
    """Sort best first and give competition ranks (1, 2, 2, 4) from the exact rates; rows without a denominator
    come last, unranked."""
    ranked = sorted((r for r in rows if r.rate is not None), key=lambda r: (-r.rate, r.code))
    previous, position = None, 0
    for i, r in enumerate(ranked, 1):
        if r.rate != previous:
            position, previous = i, r.rate
        r.rank = position
    rest = sorted((r for r in rows if r.rate is None), key=lambda r: r.code)
    for r in rest:
        r.rank = None
    return ranked + rest


# --- counting -----------------------------------------------------------------------------------------------------

def _end_of_day(day: dt.date) -> dt.datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)


def moved_after(day: dt.date) -> QuerySet:
    return RecordEvent.objects.filter(kind__in=MOVES, at__gte=_end_of_day(day)).values("record_id")


def _institution_then(day: dt.date) -> Subquery:
    first_move = (RecordEvent.objects.filter(record_id=OuterRef("pk"), kind__in=MOVES, at__gte=_end_of_day(day))
                  .order_by("at", "pk").values("from_institution_id")[:1])
    return Subquery(first_move)


def family_querysets(family: Family, indicators: Iterable[Indicator], ctx: Ctx,
                     institutions: Iterable[int] | None = None) -> tuple[QuerySet, QuerySet]:
    """The two grouped querysets of a family (records not moved since `as_of`, grouped by `institution_id`; the
    few moved since, grouped by `inst_then`), each row holding "_base" and every indicator's counts. Spark runs
    these very querysets compiled to SQL (spark.py)."""
    aggs = {"_base": Count("pk")}
    for ind in indicators:
        if ind.family is not family:
            raise ValueError(f"{ind.code} is not in family {family.code}")
        within = ind.within(ctx) if ind.within else None
        numerator = ind.numerator(ctx) if ind.numerator else None
        if within is not None:
            aggs[f"{ind.code}__base"] = Count("pk", filter=within)
            numerator = within if numerator is None else within & numerator
        aggs[ind.code] = Count("pk", filter=numerator) if numerator is not None else Count("pk")
    base = family.base(ctx)
    moved = moved_after(ctx.as_of)
    stayed = base.exclude(pk__in=moved)
    went = base.filter(pk__in=moved).annotate(inst_then=_institution_then(ctx.as_of))
    inst_filter = None if institutions is None else sorted(set(institutions))
    if inst_filter is not None:
        stayed = stayed.filter(institution_id__in=inst_filter)
        went = went.filter(inst_then__in=inst_filter)
    return (stayed.order_by().values("institution_id").annotate(**aggs),
            went.order_by().values("inst_then").annotate(**aggs))


def add_rows(rows: Iterable[dict], key: str, out: dict[int, dict[str, int]] | None = None) -> dict[int, dict[str, int]]:
    """Sum grouped rows ({key: institution id, count name: n}) into institution id → {count name: n}."""
    out = defaultdict(lambda: defaultdict(int)) if out is None else out
    for row in rows:
        row = dict(row)
        inst = row.pop(key)
        for k, v in row.items():
            out[inst][k] += v
    return out


def count_family(family: Family, indicators: Iterable[Indicator], ctx: Ctx,
                 institutions: Iterable[int] | None = None, run: Runner = database_rows) -> dict[int, dict[str, int]]:
    """institution id → {"_base": size of the family's base, indicator code: numerator} for one family, by the
    institution that managed each record on `as_of` (two grouped queries: records not moved since, and the few
    moved since, placed by their first later move). `run` evaluates a values() queryset into its rows (Spark
    passes its own)."""
    stayed, went = family_querysets(family, indicators, ctx, institutions)
    out = add_rows(run(went), "inst_then", add_rows(run(stayed), "institution_id"))
    return {k: dict(v) for k, v in out.items()}


def base_data(year: int, fields: Iterable[str], institutions: Iterable[int] | None = None,
              run: Runner = database_rows) -> dict[int, dict]:
    """institution id → {field: value} from the population base data of `year` (one query)."""
    fields = sorted(set(fields))
    if not fields:
        return {}
    qs = PopulationBase.objects.filter(year=year)
    if institutions is not None:
        qs = qs.filter(institution_id__in=sorted(set(institutions)))
    return {row.pop("institution_id"): row for row in map(dict, run(qs.values("institution_id", *fields)))}


def institution_figures(indicators: Iterable[Indicator], period: Period, institutions: Iterable[int] | None = None,
                        run: Runner = database_rows) -> dict[str, dict[int, tuple[int, int]]]:
    """indicator code → institution id → (numerator, denominator): one grouped query per family plus one for the
    base data. Institutions with base data but no records appear with a zero numerator. `run` evaluates each
    values() queryset into its rows: the database by default, Spark SQL in spark.py."""
    ctx = Ctx(period)
    indicators = list(indicators)
    families: dict[str, list[Indicator]] = defaultdict(list)
    for ind in indicators:
        families[ind.family.code].append(ind)
    counts: dict[str, dict[int, dict[str, int]]] = {}
    for inds in families.values():
        counts[inds[0].family.code] = count_family(inds[0].family, inds, ctx, institutions, run)
    base_fields = {ind.denominator_source() for ind in indicators} - {"base"}
    base = base_data(period.year, base_fields, institutions, run)
    out: dict[str, dict[int, tuple[int, int]]] = {}
    for ind in indicators:
        fam = counts[ind.family.code]
        den = ind.denominator_source()
        insts = set(fam) | (set(base) if den != "base" else set())
        per: dict[int, tuple[int, int]] = {}
        for inst in insts:
            cell = fam.get(inst, {})
            numerator = cell.get(ind.code, 0)
            base_key = f"{ind.code}__base" if ind.within else "_base"
            denominator = cell.get(base_key, 0) if den == "base" else (base.get(inst, {}).get(den) or 0)
            per[inst] = (numerator, denominator)
        out[ind.code] = per
    return out


# --- levels -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    area_code: str = ""
    area_name: str = ""


def _township_of(division: Division, by_id: dict[int, Division]) -> Division | None:
    d = division
    while d is not None and d.level not in ("township", "county", "city", "province"):
        d = by_id.get(d.parent_id)
    return d if d is not None and d.level == "township" else None


def _up(division: Division | None, level: str, by_id: dict[int, Division]) -> Division | None:
    d = division
    while d is not None and d.level != level:
        d = by_id.get(d.parent_id)
    return d


def unit_map(level: str) -> dict[int, Unit]:
    """Clinical institution id → the unit it belongs to at `level` (the institution itself, its township, its
    district / county, or the city)."""
    if level not in LEVELS:
        raise IndicatorError(_("Unknown level “%(level)s”: use institution, township, county or city.")
                             % {"level": level})
    by_id = {d.pk: d for d in Division.objects.all()}
    out = {}
    for inst in Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).only(
            "pk", "code", "name", "division_id"):
        division = by_id.get(inst.division_id)
        township = _township_of(division, by_id) if division else None
        if level == "institution":
            area = township or division
            out[inst.pk] = Unit(inst.code, inst.name, area.code if area else "", area.name if area else "")
            continue
        start = township or division
        target = start if level == "township" else _up(start, level, by_id)
        if level == "city" and target is None:
            county = _up(start, "county", by_id)
            target = by_id.get(county.parent_id) if county else None
        if target is None:
            continue
        parent = by_id.get(target.parent_id)
        out[inst.pk] = Unit(target.code, target.name, parent.code if parent else "", parent.name if parent else "")
    return out


def institutions_within(area: Division | Institution | None) -> set[int] | None:
    """Clinical institutions inside an area (a division and everything under it) or an institution's subtree;
    None: everywhere."""
    if area is None:
        return None
    if isinstance(area, Institution):
        return set(Institution.objects.filter(path__startswith=area.path, kind__in=Institution.CLINICAL_KINDS)
                   .values_list("pk", flat=True))
    # Walk the hierarchy rather than match code prefixes: a city's code (320500) is no prefix of its districts'.
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in Division.objects.values_list("pk", "parent_id"):
        children[parent].append(pk)
    inside, todo = set(), [area.pk]
    while todo:
        pk = todo.pop()
        inside.add(pk)
        todo.extend(children.get(pk, ()))
    return set(Institution.objects.filter(division_id__in=sorted(inside), kind__in=Institution.CLINICAL_KINDS)
               .values_list("pk", flat=True))


def _units(level: str, inside: set[int] | None) -> dict[int, Unit]:
    units = unit_map(level)
    return units if inside is None else {k: v for k, v in units.items() if k in inside}


def roll_up(indicator: Indicator, per_inst: dict[int, tuple[int, int]], period: Period, level: str,
            units: dict[int, Unit]) -> Table:
    """One indicator's institution figures summed into the units of a level, ranked, with their total."""
    rows: dict[str, Figure] = {}
    total = Figure(code="", name=str(_("total")), level=level)
    for inst, unit in units.items():
        num, den = per_inst.get(inst, (0, 0))
        fig = rows.get(unit.code)
        if fig is None:
            fig = rows[unit.code] = Figure(unit.code, unit.name, level, area_code=unit.area_code,
                                           area_name=unit.area_name)
        fig.numerator += num
        fig.denominator += den
        fig.institution_ids.append(inst)
        total.numerator += num
        total.denominator += den
        total.institution_ids.append(inst)
    return Table(indicator, period, level, rank(list(rows.values())), total)


def compute(indicator_codes: Iterable[str], period: Period, level: str,
            within: Division | Institution | None = None) -> dict[str, Table]:
    """Each indicator's figures at `level` (one row per unit, ranked) and the total over all units shown."""
    return compute_levels(indicator_codes, period, (level,), within)[level]


def compute_levels(indicator_codes: Iterable[str], period: Period, levels: Iterable[str] = LEVELS,
                   within: Division | Institution | None = None) -> dict[str, dict[str, Table]]:
    """level → indicator code → Table, for several levels from one pass over the records (the institutions'
    figures are counted once and summed into each level)."""
    indicators = [get(c) for c in indicator_codes]
    inside = institutions_within(within)
    units = {level: _units(level, inside) for level in levels}
    every = set().union(*(set(u) for u in units.values())) if units else set()
    per_inst = institution_figures(indicators, period, every)
    return {level: {ind.code: roll_up(ind, per_inst[ind.code], period, level, units[level]) for ind in indicators}
            for level in levels}


def compute_one(code: str, period: Period, level: str, within=None) -> Table:
    return compute([code], period, level, within)[code]


def records_behind(code: str, period: Period, institutions: Iterable[int], numerator: bool = True) -> QuerySet:
    """The records counted in an indicator's numerator (or, with numerator=False, its family's base) for the
    given institutions: the list of residents behind a figure. Callers must apply the access scope."""
    ind = get(code)
    ctx = Ctx(period)
    base = ind.family.base(ctx)
    if ind.within is not None:
        base = base.filter(ind.within(ctx))
    if numerator and ind.numerator is not None:
        base = base.filter(ind.numerator(ctx))
    insts = sorted(set(institutions))
    moved = moved_after(ctx.as_of)
    went = (Record.objects.filter(pk__in=moved).annotate(inst_then=_institution_then(ctx.as_of))
            .filter(inst_then__in=insts).values("pk"))
    return base.filter((Q(institution_id__in=insts) & ~Q(pk__in=moved)) | Q(pk__in=went))
