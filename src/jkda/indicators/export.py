"""Plain-data shapes of the engine's results (for JSON, the API and the notice)."""

from __future__ import annotations

from .engine import Figure, Table


def rate_value(fig: Figure) -> float | None:
    """The percentage rounded to two decimals, as a JSON number."""
    return None if fig.percent is None else float(fig.percent)


def figure_json(fig: Figure) -> dict:
    return {"code": fig.code, "name": fig.name, "area_code": fig.area_code, "area_name": fig.area_name,
            "numerator": fig.numerator, "denominator": fig.denominator, "rate": rate_value(fig), "rank": fig.rank}


def table_json(table: Table) -> dict:
    ind = table.indicator
    return {
        "indicator": ind.code, "name": str(ind.name), "unit": ind.unit,
        "numerator": str(ind.numerator_text), "denominator": str(ind.denominator_text),
        "period": table.period.code, "period_label": str(table.period.label), "as_of": table.period.as_of.isoformat(),
        "level": table.level,
        "total": {"numerator": table.total.numerator, "denominator": table.total.denominator,
                  "rate": rate_value(table.total)},
        "rows": [figure_json(r) for r in table.rows],
    }
