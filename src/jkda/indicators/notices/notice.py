"""The official notice (通报) on an indicator: rankings of the areas, the institutions below the target (worst
last), those below the criticism line, and the text of the notice, as plain data (the JSON export; the Word and
Excel renderers read only this dict).

Figures come from the indicator engine: the areas are the rows of `engine.compute(code, period, level, within)`,
the institutions those of the same computation at the institution level. Rates are printed as percentages rounded
to two decimals; ranks, "met" and "below" are decided on the exact rates, so a rate printed as 60.00% that is
really 59.996% is below a 60% target (and the text says so by printing it as it is).
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.indicators import engine, periods
from jkda.indicators.engine import Figure
from jkda.indicators.export import rate_value
from jkda.regions.models import Division, Institution


class NoticeError(ValueError):
    """A bad input for a notice; the message is for the user (Chinese)."""


# The words a user may give for a level, and the engine's level they mean.
LEVEL_WORDS = {
    "district": "county", "county": "county", "区": "county", "县": "county", "区县": "county",
    "township": "township", "street": "township", "town": "township", "乡镇": "township", "街道": "township",
    "institution": "institution", "机构": "institution",
    "city": "city", "市": "city",
}
# Short column headings for the numerators whose catalogue text is a sentence.
NUMERATOR_HEADINGS = {
    "electronic_record_rate": gettext_lazy("electronic health records"),
    "record_establishment_rate": gettext_lazy("complete records"),
    "qualified_record_rate": gettext_lazy("qualified records"),
    "record_usage_rate": gettext_lazy("records in use"),
}
LEVEL_NAMES = {
    "county": gettext_lazy("district (county)"), "township": gettext_lazy("township (street)"),
    "institution": gettext_lazy("institution"), "city": gettext_lazy("city"),
}


def engine_level(word: str) -> str:
    level = LEVEL_WORDS.get((word or "").strip().lower())
    if level is None:
        raise NoticeError(_("Unknown level “%(level)s”: use district (county), township (street), institution or "
                            "city.") % {"level": word})
    return level


def parse_percent(value, what: str) -> Decimal:
    """A percentage between 0 and 100 from user input."""
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise NoticeError(_("%(what)s must be a number (a percentage), not “%(value)s”.")
                          % {"what": what, "value": value}) from None
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        raise NoticeError(_("%(what)s must be between 0 and 100 (a percentage), not %(value)s.")
                          % {"what": what, "value": value})
    return number


def parse_date(value, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise NoticeError(_("%(what)s must be a date such as 2026-06-30, not “%(value)s”.")
                          % {"what": what, "value": value}) from None


def scoped_within(user, division_code: str | None = None) -> Division | Institution | None:
    """The `within` of the engine for a user: a superuser gets the division asked for (or everything); a staff
    member their institution's subtree, or the division asked for when it lies inside that subtree (or the subtree
    when the division contains it). A division that only partly overlaps is refused."""
    division = None
    if division_code:
        division = Division.objects.filter(code=division_code.strip()).first()
        if division is None:
            raise NoticeError(_("No division with code %(code)s.") % {"code": division_code})
    if not getattr(user, "institution_id", None):
        raise PermissionDenied(_("Your account belongs to no institution, so there are no figures to show."))
    own = user.institution
    if division is None:
        return own
    inside_division = engine.institutions_within(division)
    inside_own = engine.institutions_within(own)
    if inside_division <= inside_own:
        return division
    if inside_own <= inside_division:
        return own
    raise PermissionDenied(_("%(inst)s is outside your jurisdiction.") % {"inst": division.name})


def default_deadline(issued: dt.date) -> dt.date:
    """The last day of the month after next."""
    month = issued.month + 2
    year = issued.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def default_issuer(within: Division | Institution | None = None) -> str:
    """The bureau the scope belongs to (a bureau given as `within`), else the city-level health bureau, else the
    top-level bureau, else a generic name."""
    if isinstance(within, Institution) and within.kind == Institution.Kind.BUREAU:
        return within.name
    bureaus = Institution.objects.filter(kind=Institution.Kind.BUREAU).select_related("division")
    if isinstance(within, Division):
        own = bureaus.filter(division=within).order_by("code").first()
        if own is not None:
            return own.name
    city = bureaus.filter(division__level=Division.Level.CITY).order_by("code").first()
    if city is not None:
        return city.name
    top = bureaus.filter(parent__isnull=True).order_by("code").first()
    return top.name if top is not None else _("Health Commission")


def chinese_date(day: dt.date) -> str:
    return _("%(year)d-%(month)d-%(day)d (date)") % {"year": day.year, "month": day.month, "day": day.day}


def _number(value: int) -> str:
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}%"


def _percent_text(value: Decimal) -> str:
    """A target as written in the text: 60 rather than 60.00, 62.5 as it is."""
    text = format(value.normalize(), "f")
    return text


def _below(fig: Figure, line: Decimal) -> bool:
    return fig.rate is not None and fig.rate * 100 < Fraction(line)


def build_notice(indicator_code: str, period: str | periods.Period, level: str, target, criticize_below,
                 within: Division | Institution | None = None, *, number: str = "", issuer: str = "",
                 addressees: str = "", deadline=None, date=None, scope_name: str = "",
                 computed: dict | None = None) -> dict:
    """The notice as plain data (see the module docstring). `level` may be a user word (district, township ...);
    `within` limits the areas and institutions (a division, or an institution's subtree). `computed`: the result of
    `engine.compute_levels` for this period and `within` holding this indicator at `level` and "institution"
    (several notices of one month share one pass over the records: monthly.py)."""
    try:
        indicator = engine.get(indicator_code)
        per = period if isinstance(period, periods.Period) else periods.parse(str(period))
    except (engine.IndicatorError, periods.PeriodError) as exc:
        raise NoticeError(str(exc)) from None
    level = engine_level(level) if level not in engine.LEVELS else level
    target = parse_percent(target, _("The target"))
    line = parse_percent(criticize_below, _("The criticism line"))
    if line > target:
        raise NoticeError(_("The criticism line (%(line)s%%) cannot be above the target (%(target)s%%).")
                          % {"line": _percent_text(line), "target": _percent_text(target)})
    issued = parse_date(date, _("The date of the notice")) or timezone.localdate()
    deadline = parse_date(deadline, _("The deadline")) or default_deadline(issued)
    if deadline < issued:
        raise NoticeError(_("The deadline (%(deadline)s) is before the date of the notice (%(date)s).")
                          % {"deadline": deadline.isoformat(), "date": issued.isoformat()})

    levels = computed
    if levels is None or any(indicator.code not in levels.get(lv, {}) for lv in (level, "institution")):
        levels = engine.compute_levels([indicator.code], per, sorted({level, "institution"}), within)
    table, inst_table = levels[level][indicator.code], levels["institution"][indicator.code]
    # The area (at the chosen level) of each institution; at the institution level, its township.
    units = engine.unit_map(level) if level != "institution" else {}

    areas = [{
        "code": f.code, "name": f.name, "population": f.denominator, "numerator": f.numerator,
        "rate": rate_value(f), "rank": f.rank, "met": f.met(target),
    } for f in table.rows]

    def inst_row(f: Figure) -> dict:
        unit = units.get(f.institution_ids[0]) if units and f.institution_ids else None
        area_code, area_name = (unit.code, unit.name) if unit else (f.area_code, f.area_name)
        return {"code": f.code, "name": f.name, "area_code": area_code, "area": area_name,
                "population": f.denominator, "numerator": f.numerator, "rate": rate_value(f)}

    with_rate = [f for f in inst_table.rows if f.rate is not None]
    below = sorted((f for f in with_rate if _below(f, target)), key=lambda f: (-f.rate, f.code))
    criticized = [f for f in below if _below(f, line)]
    areas_with_rate = [f for f in table.rows if f.rate is not None]
    counts = {
        "areas": len(table.rows),
        "areas_with_population": len(areas_with_rate),
        "areas_met": sum(1 for f in areas_with_rate if f.met(target)),
        "institutions": len(inst_table.rows),
        "institutions_with_population": len(with_rate),
        "institutions_met": len(with_rate) - len(below),
        "institutions_below_target": len(below),
        "criticized": len(criticized),
    }
    notice = {
        "indicator": indicator.code,
        "indicator_name": str(indicator.name),
        "unit": indicator.unit,
        "period": per.code,
        "period_label": str(per.label),
        "as_of": per.as_of.isoformat(),
        "level": level,
        "level_label": str(LEVEL_NAMES[level]),
        "within": None if within is None else {"code": within.code, "name": within.name},
        "target": float(target),
        "criticize_below": float(line),
        "total": {"population": table.total.denominator, "numerator": table.total.numerator,
                  "rate": rate_value(table.total)},
        "areas": areas,
        "institutions_below_target": [inst_row(f) for f in below],
        "criticized": [inst_row(f) for f in criticized],
        "institutions_without_population": [inst_row(f) for f in inst_table.rows if f.rate is None],
        "counts": counts,
        "labels": {
            "area": str(LEVEL_NAMES[level]) if level != "institution" else _("institution"),
            "institution": _("institution"),
            "institution_area": str(LEVEL_NAMES[level]) if level != "institution" else _("township (street)"),
            "population": str(indicator.population_text),
            "numerator": str(NUMERATOR_HEADINGS.get(indicator.code, indicator.numerator_text)),
            "numerator_text": str(indicator.numerator_text),
            "rate": _("%(name)s (%%)") % {"name": indicator.name},
            "rank": _("rank"),
            "total": _("total"),
            "number": _("No."),
        },
    }
    notice["document"] = _document(notice, target, line, issued, deadline, number=number,
                                   issuer=issuer or default_issuer(within), addressees=addressees,
                                   scope_name=scope_name or area_name(within))
    return notice


def area_name(within: Division | Institution | None) -> str:
    """How the text names the area a notice covers: the division (an institution's: the one it serves)."""
    if within is None:
        return _("the city")
    if isinstance(within, Institution):
        return within.division.name
    return within.name


def _names(rows: list[dict], with_area: bool = False) -> str:
    sep = _("、")
    if with_area:
        return sep.join(_("%(name)s (%(area)s, %(rate)s)") % {"name": r["name"], "area": r["area"] or "—",
                                                              "rate": _pct(r["rate"])} for r in rows)
    return sep.join(_("%(name)s (%(rate)s)") % {"name": r["name"], "rate": _pct(r["rate"])} for r in rows)


def _document(n: dict, target: Decimal, line: Decimal, issued: dt.date, deadline: dt.date, *, number: str,
              issuer: str, addressees: str, scope_name: str) -> dict:
    c = n["counts"]
    level = n["level_label"]
    t, cl = _percent_text(target), _percent_text(line)
    title = _("Notice on the %(indicator)s of %(period)s") % {"indicator": n["indicator_name"],
                                                               "period": n["period_label"]}
    paras = []

    def heading(text):
        paras.append({"style": "heading", "text": text})

    def body(text):
        paras.append({"style": "body", "text": text})

    body(_("To carry out the national basic public health service programme, we have compiled the %(indicator)s of "
           "each %(level)s for %(period)s (figures as of %(as_of)s). The situation is notified as follows.")
         % {"indicator": n["indicator_name"], "level": level, "period": n["period_label"],
            "as_of": chinese_date(dt.date.fromisoformat(n["as_of"]))})
    heading(_("1. Overall situation"))
    total = n["total"]
    body(_("In %(scope)s, %(population_label)s: %(population)s; %(numerator_label)s: %(numerator)s; the %(indicator)s "
           "is %(rate)s against a target of %(target)s%%. %(areas_met)d of %(areas)d %(level)s units and "
           "%(inst_met)d of %(insts)d institutions reached the target.")
         % {"scope": scope_name, "population_label": n["labels"]["population"],
            "population": _number(total["population"]),
            "numerator_label": n["labels"]["numerator_text"], "numerator": _number(total["numerator"]),
            "indicator": n["indicator_name"], "rate": _pct(total["rate"]), "target": t,
            "areas_met": c["areas_met"], "areas": c["areas"], "level": level,
            "inst_met": c["institutions_met"], "insts": c["institutions_with_population"]})
    heading(_("2. Ranking"))
    ranked = [a for a in n["areas"] if a["rank"] is not None]
    if ranked:
        first = [a for a in ranked if a["rank"] == 1]
        body(_("The %(indicator)s of each %(level)s and its rank are in annex 1. First: %(first)s.")
             % {"indicator": n["indicator_name"], "level": level, "first": _names(first)})
        missed = [a for a in ranked if not a["met"]]
        if missed:
            body(_("Below the target of %(target)s%%: %(names)s.") % {"target": t, "names": _names(missed)})
        else:
            body(_("Every %(level)s reached the target of %(target)s%%.") % {"level": level, "target": t})
    else:
        body(_("No %(level)s has population base data for the period; nothing can be ranked.") % {"level": level})
    heading(_("3. Institutions below the target"))
    if n["institutions_below_target"]:
        body(_("%(count)d institutions are below the target of %(target)s%%; they are listed in annex 2, the lowest "
               "last.") % {"count": c["institutions_below_target"], "target": t})
    else:
        body(_("Every institution reached the target of %(target)s%%.") % {"target": t})
    if n["criticized"]:
        body(_("The following institutions are below %(line)s%% and are hereby criticised: %(names)s.")
             % {"line": cl, "names": _names(n["criticized"], with_area=True)})
    else:
        body(_("No institution is below %(line)s%%.") % {"line": cl})
    heading(_("4. Requirements"))
    body(_("Every unit below the target shall find the causes, take measures and complete the rectification by "
           "%(deadline)s, and report the rectification in writing to %(issuer)s by then. The criticised "
           "institutions shall submit a written rectification report.")
         % {"deadline": chinese_date(deadline), "issuer": issuer})
    annexes = [
        _("The %(indicator)s and rank of each %(level)s, %(period)s")
        % {"indicator": n["indicator_name"], "level": level, "period": n["period_label"]},
        _("Institutions below the target of %(target)s%%, %(period)s") % {"target": t, "period": n["period_label"]},
    ]
    return {
        "issuer": issuer, "number": number, "title": title,
        "addressees": addressees or _("the health commissions of every district (county)"),
        "date": issued.isoformat(), "date_text": chinese_date(issued),
        "deadline": deadline.isoformat(), "deadline_text": chinese_date(deadline),
        "paragraphs": paras, "annexes": annexes, "criticized_title": _("Institutions criticised (below %(line)s%%)")
        % {"line": cl},
    }
