"""Pages: the targets of a year, one area's milestone table, entry and milestone-plan forms, XLSX import and its
template, and the list of who is behind. Reads show the areas that contain an institution the user sees
(access.scope); writes go through actions (a bureau for the areas below it)."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jkda.access.audit import log
from jkda.access.roles import Perm, requires
from jkda.access.scope import visible_institution_ids
from jkda.indicators import engine
from jkda.indicators.periods import today
from jkda.regions.models import Division, Institution
from jkda.web.views import add_errors, allow, login_required

from . import actions, importer, lookup, progress, rules
from .forms import MONTH_LABELS, ImportForm, PlanForm, TargetForm
from .models import LEVEL_CHOICES, MilestonePlan, Target

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def may_enter(user) -> bool:
    return getattr(user, "role", None) == "bureau"


def visible_areas(user) -> dict[str, set[str]]:
    """level → area codes that contain an institution the user sees."""
    ids = set(visible_institution_ids(user))
    out: dict[str, set[str]] = defaultdict(set)
    for level in engine.LEVELS:
        for inst, unit in engine.unit_map(level).items():
            if inst in ids:
                out[level].add(unit.code)
    return out


def _visible(user, level: str, code: str) -> bool:
    areas = visible_areas(user)
    return code in areas.get(level, set())


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or today().year)
    except ValueError:
        year = today().year
    return min(max(year, 2000), 2100)


def _area_names(targets) -> dict[tuple[str, str], str]:
    inst_codes = {t.area_code for t in targets if t.level == "institution"}
    div_codes = {t.area_code for t in targets if t.level != "institution"}
    names = {("institution", i.code): i.name for i in Institution.objects.filter(code__in=inst_codes)}
    names.update({(d.level, d.code): d.name for d in Division.objects.filter(code__in=div_codes)})
    return names


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def index(request):
    year = _year(request)
    level = request.GET.get("level") or ""
    targets = Target.objects.filter(year=year)
    if level in engine.LEVELS:
        targets = targets.filter(level=level)
    areas = visible_areas(request.user)
    targets = [t for t in targets if areas is None or t.area_code in areas.get(t.level, set())]
    names = _area_names(targets)
    groups: dict[tuple[str, str], list[Target]] = defaultdict(list)
    for t in targets:
        groups[(t.level, t.area_code)].append(t)
    order = {lvl: i for i, lvl in enumerate(reversed(engine.LEVELS))}
    ordered = sorted(groups.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    rows = [{"level": lvl, "level_label": actions.level_label(lvl), "code": code, "name": names.get((lvl, code), ""),
             "count": len(ts)} for (lvl, code), ts in ordered]
    plan = lookup.year_plan(year)
    stored_plan = MilestonePlan.objects.filter(year=year, target__isnull=True).exists()
    return render(request, "targets/index.html", {
        "year": year, "years": range(today().year - 3, today().year + 2), "level": level, "levels": LEVEL_CHOICES,
        "rows": rows, "may_enter": may_enter(request.user),
        "plan": [(MONTH_LABELS[m - 1], s) for m, s in sorted(plan.items())], "stored_plan": stored_plan,
        "rounding": rules.PEOPLE_ROUNDING_TEXT,
    })


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def area(request, level, code):
    year = _year(request)
    if level not in engine.LEVELS:
        raise Http404(_("Unknown level."))
    try:
        actions.resolve_area(level, code)
    except ValidationError:
        raise Http404(_("No such area.")) from None
    if not _visible(request.user, level, code):
        raise PermissionDenied(_("This area is outside your jurisdiction."))
    table = progress.area_table(year, level, code)
    return render(request, "targets/area.html", {
        "table": table, "year": year, "level_label": actions.level_label(level),
        "month_heads": [(m, MONTH_LABELS[m - 1]) for m in table.months],
        "may_enter": may_enter(request.user) and actions.may_set(request.user, level, table.area),
        "rows": [(r, r.cell_list(table.months)) for r in table.rows],
    })


def _require_enter(request):
    if not may_enter(request.user):
        raise PermissionDenied(_("Only a health bureau sets targets."))


@requires(Perm.AGGREGATES, roles={"bureau"})
@login_required
@allow("GET", "POST")
def edit(request, pk=None):
    _require_enter(request)
    target = get_object_or_404(Target, pk=pk) if pk else None
    if target is not None:
        area_obj = actions.resolve_area(target.level, target.area_code)
        if not actions.may_set(request.user, target.level, area_obj):
            raise PermissionDenied(_("You may not change this target."))
    if request.method == "POST":
        form = TargetForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            if target is not None:  # the key of a stored target stays
                data.update(indicator=target.indicator, level=target.level, area_code=target.area_code,
                            year=target.year)
            try:
                saved, status = actions.save_target(request.user, data)
            except (ValidationError, PermissionDenied) as e:
                add_errors(form, e)
            else:
                messages.success(request, {"created": _("Target saved."), "updated": _("Target changed."),
                                           "unchanged": _("Nothing changed.")}[status])
                return redirect(f"{reverse('targets_area', args=[saved.level, saved.area_code])}?year={saved.year}")
    else:
        initial = {"year": _year(request), "half_year_share": "50", "level": request.GET.get("level", ""),
                   "area_code": request.GET.get("area", "")}
        if target is not None:
            initial = {f: getattr(target, f) for f in actions.FIELDS}
        form = TargetForm(initial=initial)
    if target is not None:
        for name in ("indicator", "level", "area_code", "year"):
            form.fields[name].disabled = True
    return render(request, "targets/edit.html", {"form": form, "target": target,
                                                 "history": target.history.all()[:20] if target else []})


@requires(Perm.AGGREGATES, roles={"bureau"})
@login_required
@allow("GET", "POST")
def plan(request, year=None, pk=None):
    _require_enter(request)
    target = get_object_or_404(Target, pk=pk) if pk else None
    year = target.year if target else year
    current = lookup.plan_for(target) if target else lookup.year_plan(year)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                if target is not None and "use_year_plan" in request.POST:
                    actions.drop_own_plan(request.user, target)
                else:
                    actions.save_plan(request.user, year, form.shares(), target)
            except ValidationError as e:
                if hasattr(e, "error_dict"):
                    for name, errors in e.error_dict.items():
                        for err in errors:
                            form.add_error(name if name in form.fields else None, err)
                else:
                    for err in e.messages:
                        form.add_error(None, err)
            except PermissionDenied as e:
                form.add_error(None, str(e))
            else:
                messages.success(request, _("Milestones saved."))
                if target is not None:
                    return redirect(f"{reverse('targets_area', args=[target.level, target.area_code])}?year={year}")
                return redirect(f"{reverse('targets_index')}?year={year}")
    else:
        form = PlanForm(initial={f"m{m}": s for m, s in current.items()})
    has_own = target is not None and MilestonePlan.objects.filter(target=target).exclude(shares={}).exists()
    return render(request, "targets/plan.html", {"form": form, "year": year, "target": target, "has_own": has_own,
                                                 "first": [form[f"m{m}"] for m in range(1, 7)],
                                                 "second": [form[f"m{m}"] for m in range(7, 13)]})


@requires(Perm.AGGREGATES, roles={"bureau"})
@login_required
@allow("GET", "POST")
def import_view(request):
    _require_enter(request)
    result = None
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > 10 * 1024 * 1024:
                form.add_error("file", _("The file is larger than 10 MB."))
            else:
                result = importer.import_xlsx(request.user, upload.read())
                if result.ok:
                    messages.success(request, _("Imported: %(c)d new, %(u)d changed, %(n)d unchanged.") % {
                        "c": result.created, "u": result.updated, "n": result.unchanged})
    else:
        form = ImportForm()
    return render(request, "targets/import.html", {"form": form, "result": result,
                                                   "headers": list(importer.HEADERS)})


@requires(Perm.AGGREGATES, roles={"bureau"})
@login_required
@allow("GET")
def template(request):
    log("export", user=request.user, object_type="targets.template", detail={"file": "targets template"})
    response = HttpResponse(importer.template_bytes(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="targets-template.xlsx"'
    return response


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def behind(request):
    year = _year(request)
    try:
        month = int(request.GET.get("month") or progress.default_month(year))
    except ValueError:
        month = progress.default_month(year)
    month = min(max(month, 1), 12)
    level = request.GET.get("level") or ""
    rows = progress.behind(year, month, request.user, level if level in engine.LEVELS else None)
    return render(request, "targets/behind.html", {
        "rows": rows, "year": year, "month": month, "level": level, "levels": LEVEL_CHOICES,
        "years": range(today().year - 3, today().year + 2), "months": list(enumerate(MONTH_LABELS, 1)),
        "month_label": MONTH_LABELS[month - 1],
    })
