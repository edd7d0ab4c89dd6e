"""GET /api/indicators/{code}: one indicator's figures at a level, ranked, within the caller's jurisdiction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from ninja import Router

from jkda.access.policy import api_auth
from jkda.access.roles import Perm
from jkda.indicators import engine, periods
from jkda.indicators.export import table_json

from .notice import NoticeError, engine_level, scoped_within

router = Router(tags=["indicators"])


@router.get("/indicators/{code}", summary="An indicator's figures and ranks at a level (scoped)",
            auth=api_auth(Perm.AGGREGATES))
def indicator_table(request, code: str, period: str, level: str = "county", within: str = ""):
    try:
        indicator = engine.get(code)
        per = periods.parse(period)
        lvl = level if level in engine.LEVELS else engine_level(level)
        area = scoped_within(request.user, within or None)
    except (engine.IndicatorError, periods.PeriodError, NoticeError) as exc:
        raise ValidationError(str(exc)) from None
    return table_json(engine.compute_one(indicator.code, per, lvl, area))
