"""The only write path of targets and milestone plans: validate, check the actor's reach, save with history and
write the audit entry, in one transaction.

Who may set a target (the task breakdown goes downwards): a superuser anywhere; a health-bureau user
(role "bureau" at a bureau) for the areas strictly below the bureau's own division (a city bureau for its
districts, townships and institutions; a district bureau for its townships) and for the clinical institutions in
the bureau's institution subtree (access.scope). Nobody sets their own area's target.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from jkda.access.audit import log
from jkda.access.scope import visible_institution_ids
from jkda.indicators import engine
from jkda.regions.models import Division, Institution

from . import rules
from .models import LEVEL_CHOICES, MilestonePlan, Target

FIELDS = ("indicator", "level", "area_code", "year", "annual", "half_year_share", "responsible_unit",
          "responsible_person")


def level_label(level: str) -> str:
    return str(dict(LEVEL_CHOICES).get(level, level))


def resolve_area(level: str, area_code: str) -> Institution | Division:
    """The institution (level "institution") or division of that level with the code; ValidationError on
    area_code otherwise."""
    code = (area_code or "").strip()
    if level == "institution":
        inst = Institution.objects.filter(code=code).first()
        if inst is None:
            raise ValidationError({"area_code": _("“%(code)s” is not an institution code.") % {"code": code}})
        if inst.kind not in Institution.CLINICAL_KINDS:
            raise ValidationError({"area_code": _("%(name)s is not a clinical institution: targets are set for "
                                                  "institutions that serve residents.") % {"name": inst.name}})
        return inst
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise ValidationError({"area_code": _("“%(code)s” is not a division code.") % {"code": code}})
    if division.level != level:
        raise ValidationError({"area_code": _("%(name)s is a %(actual)s, not a %(level)s.") % {
            "name": division, "actual": division.get_level_display(), "level": level_label(level)}})
    return division


def _strictly_below(division: Division, top: Division) -> bool:
    by_id = {}
    d = division.parent
    while d is not None:
        if d.pk == top.pk:
            return True
        if d.pk in by_id:
            return False
        by_id[d.pk] = d
        d = d.parent
    return False


def may_set(user, level: str, area: Institution | Division) -> bool:
    if user is None:  # system jobs
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    bureau = user.institution
    if user.role != "bureau" or bureau is None or bureau.kind != Institution.Kind.BUREAU:
        return False
    if level == "institution":
        ids = visible_institution_ids(user)
        return area.pk in ids
    return _strictly_below(area, bureau.division)


def require_set(user, level: str, area) -> None:
    if not may_set(user, level, area):
        name = area.name
        raise PermissionDenied(_("You may not set targets for %(name)s: a bureau sets the targets of the areas "
                                 "and institutions below it.") % {"name": name})


def _percent(value, field: str, errors: dict) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        errors[field] = _("Required.")
        return None
    try:
        d = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        errors[field] = _("“%(v)s” is not a number.") % {"v": value}
        return None
    if not d.is_finite() or d < 0 or d > 100:
        errors[field] = _("A percent must be between 0 and 100 (got %(v)s).") % {"v": value}
        return None
    if d != d.quantize(Decimal("0.01")):
        errors[field] = _("At most two decimals.")
        return None
    return d.quantize(Decimal("0.01"))


def indicator_code(value: str) -> str:
    """An indicator's code from its code or its Chinese name; ValidationError otherwise."""
    text = (value or "").strip()
    if not text:
        raise ValidationError({"indicator": _("Required.")})
    for ind in engine.all_indicators():
        if text == ind.code or text in names_of(ind.name):
            return ind.code
    raise ValidationError({"indicator": _("Unknown indicator “%(v)s”.") % {"v": text}})


def names_of(label) -> set[str]:
    """A lazy label as shown now, in Chinese and in English (a sheet may use any of them)."""
    out = {str(label)}
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            out.add(str(label))
    return out


def level_code(value: str) -> str:
    text = (value or "").strip()
    for code, label in LEVEL_CHOICES:
        if text == code or text in names_of(label):
            return code
    raise ValidationError({"level": _("Unknown level “%(v)s”: use institution, township / street, district / county "
                                      "or city.") % {"v": text}})


@dataclass
class Clean:
    data: dict
    area: Institution | Division


def clean(data: dict) -> Clean:
    """Validate a target's fields (strings or values); ValidationError with one message per field."""
    errors: dict[str, str] = {}
    out: dict = {}
    try:
        out["indicator"] = indicator_code(data.get("indicator"))
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
    try:
        out["level"] = level_code(data.get("level"))
    except ValidationError as e:
        errors.update({k: v[0] for k, v in e.message_dict.items()})
    try:
        year = int(str(data.get("year") or "").strip().removesuffix(".0"))
        if not 2000 <= year <= 2100:
            raise ValueError
        out["year"] = year
    except ValueError:
        errors["year"] = _("The year must be between 2000 and 2100.")
    out["annual"] = _percent(data.get("annual"), "annual", errors)
    share = data.get("half_year_share")
    out["half_year_share"] = Decimal("50.00") if share in (None, "") else _percent(share, "half_year_share", errors)
    for name, size in (("responsible_unit", 100), ("responsible_person", 50)):
        text = str(data.get(name) or "").strip()
        if len(text) > size:
            errors[name] = _("At most %(n)d characters.") % {"n": size}
        out[name] = text
    area = None
    code = str(data.get("area_code") or "").strip().removesuffix(".0")
    out["area_code"] = code
    if not code:
        errors["area_code"] = _("Required.")
    elif "level" in out:
        try:
            area = resolve_area(out["level"], code)
        except ValidationError as e:
            errors.update({k: v[0] for k, v in e.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return Clean(out, area)


def _snapshot(t: Target) -> dict:
    return {f: str(getattr(t, f)) for f in FIELDS}


@transaction.atomic
def save_target(actor, data: dict) -> tuple[Target, str]:
    """Create or update the target of (indicator, level, area, year); returns (target, "created" | "updated" |
    "unchanged")."""
    c = clean(data)
    require_set(actor, c.data["level"], c.area)
    key = {k: c.data[k] for k in ("indicator", "level", "area_code", "year")}
    target = Target.objects.select_for_update().filter(**key).first()
    created = target is None
    before = None if created else _snapshot(target)
    if created:
        target = Target(**key)
    for name in ("annual", "half_year_share", "responsible_unit", "responsible_person"):
        setattr(target, name, c.data[name])
    if not created and _snapshot(target) == before:
        return target, "unchanged"
    target.full_clean()
    target.save()
    log("create" if created else "update", user=actor, obj=target,
        detail={"target": _snapshot(target), "before": before})
    return target, "created" if created else "updated"


def parse_shares(raw: dict) -> dict[int, Decimal]:
    """{month: share} from form / import values (blank = no milestone); ValidationError per month."""
    out: dict[int, Decimal] = {}
    errors: dict[str, str] = {}
    for month, value in raw.items():
        if value is None or str(value).strip() == "":
            continue
        d = _percent(value, f"m{month}", errors)
        if d is not None:
            out[int(month)] = d
    if errors:
        raise ValidationError(errors)
    problems = rules.milestone_errors(out)
    if problems:
        raise ValidationError(problems)
    return out


@transaction.atomic
def save_plan(actor, year: int, shares: dict, target: Target | None = None) -> MilestonePlan:
    """Set the year's milestone plan (target None) or one target's own plan. Only a superuser or a bureau user
    sets a year's plan; a target's plan follows the target's rule."""
    months = parse_shares(shares)
    if target is not None:
        require_set(actor, target.level, resolve_area(target.level, target.area_code))
        year = target.year
    elif actor is not None and getattr(actor, "role", None) != "bureau":
        raise PermissionDenied(_("Only a health bureau sets the year's milestones."))
    plan = MilestonePlan.objects.select_for_update().filter(year=year, target=target).first()
    before = None if plan is None else dict(plan.shares)
    if plan is None:
        plan = MilestonePlan(year=year, target=target)
    plan.shares = {str(m): str(s) for m, s in sorted(months.items())}
    if before == plan.shares:
        return plan
    plan.full_clean()
    plan.save()
    log("create" if before is None else "update", user=actor, obj=plan,
        detail={"year": year, "target": target.pk if target else None, "shares": plan.shares, "before": before})
    return plan


@transaction.atomic
def drop_own_plan(actor, target: Target) -> None:
    """A target goes back to its year's plan (its own plan is emptied, kept with its history)."""
    plan = MilestonePlan.objects.select_for_update().filter(target=target).first()
    if plan is None or not plan.shares:
        return
    require_set(actor, target.level, resolve_area(target.level, target.area_code))
    before = dict(plan.shares)
    plan.shares = {}
    plan.save()
    log("update", user=actor, obj=plan, detail={"target": target.pk, "shares": {}, "before": before})
