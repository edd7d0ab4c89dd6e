"""What the `jkda indicators` and `jkda spark_indicators` commands share: reading the request (period, indicator
codes, area) from their options, and printing the resulting tables."""

from __future__ import annotations

import json

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from jkda.regions.models import Division

from . import engine, periods
from .export import table_json


def request_from(opts: dict) -> tuple[periods.Period, list[str], Division | None]:
    """The period, the indicator codes (default: the whole catalogue) and the area of `--within`; CommandError
    with a Chinese message for anything unknown."""
    try:
        period = periods.parse(opts["period"])
        codes = opts["indicator"] or [i.code for i in engine.all_indicators()]
        for c in codes:
            engine.get(c)
    except (periods.PeriodError, engine.IndicatorError) as exc:
        raise CommandError(str(exc)) from None
    within = None
    if opts["within"]:
        within = Division.objects.filter(code=opts["within"]).first()
        if within is None:
            raise CommandError(_("No division with code %(code)s.") % {"code": opts["within"]})
    return period, codes, within


def write_tables(out, tables: dict[str, engine.Table], period: periods.Period, as_json: bool) -> None:
    """The tables as JSON, or as text: rank, code, name, numerator, denominator, rate, then the total."""
    if as_json:
        out.write(json.dumps([table_json(t) for t in tables.values()], ensure_ascii=False, indent=1))
        return
    for table in tables.values():
        out.write(f"\n{table.indicator.name} ({table.indicator.code}) — {period.label}")
        for r in table.rows:
            pct = "—" if r.percent is None else f"{r.percent}%"
            out.write(f"{r.rank or '-':>4} {r.code:<14} {r.name:<24} {r.numerator:>9} {r.denominator:>9} {pct:>8}")
        t = table.total
        pct = "—" if t.percent is None else f"{t.percent}%"
        out.write(f"{'':>4} {'':<14} {_('total'):<24} {t.numerator:>9} {t.denominator:>9} {pct:>8}")
