"""Pages of the institution-level services: lists per institution (filters: year, kind), create / edit forms
derived from the models, the yearly health-education summary against the minimums, the infectious-disease
timeliness table and the supervision counts. Reads are limited to the user's institutions (access.scope); writes
go through community.actions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access.roles import Perm, requires
from jkda.access.scope import visible_institution_ids
from jkda.records.rules import today
from jkda.regions.models import Institution
from jkda.services.forms import display_value, editable_fields, field_label
from jkda.web.views import add_errors, allow, login_required

from . import actions, summaries
from . import codes as C
from .forms import form_class
from .models import MODELS, InfectiousReport

PAGE_SIZE = 50


def institutions_for(user):
    """Clinical institutions whose services the user may see."""
    qs = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).order_by("code")
    ids = visible_institution_ids(user)
    return qs.filter(id__in=ids)


def _model(slug):
    try:
        return MODELS[slug]
    except KeyError:
        raise Http404(_("Unknown list.")) from None


def _year(request) -> int:
    try:
        year = int(request.GET.get("year") or today().year)
    except ValueError:
        year = today().year
    return min(max(year, 2000), today().year)


def _chosen_institution(request, insts):
    code = request.GET.get("institution") or request.POST.get("institution") or ""
    if code:
        inst = insts.filter(code=code).first()
        if inst is None:
            raise Http404(_("No such institution in your area."))
        return inst
    own = getattr(request.user, "institution", None)
    if own is not None and insts.filter(pk=own.pk).exists():
        return own
    return None


def show(obj, name: str) -> str:
    value = getattr(obj, name, None)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if name == "patient_record":
        return value.number if value else ""
    if name == "board":
        return str(value) if value else ""
    return display_value(obj, name)


def _object(request, slug, pk):
    model = _model(slug)
    obj = get_object_or_404(model.objects.select_related("institution"), pk=pk)
    if not institutions_for(request.user).filter(pk=obj.institution_id).exists():
        raise Http404(_("No such entry."))
    return model, obj


@requires(Perm.READ, Perm.AGGREGATES)
@login_required
@allow("GET")
def index(request):
    insts = institutions_for(request.user)
    return render(request, "community/index.html", {
        "models": [(slug, m.title(), m._meta.verbose_name_plural) for slug, m in MODELS.items()],
        "institution": _chosen_institution(request, insts), "year": _year(request),
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def object_list(request, slug):
    model = _model(slug)
    insts = institutions_for(request.user)
    inst = _chosen_institution(request, insts)
    year = _year(request)
    kind = request.GET.get("kind") or ""
    qs = model.objects.select_related("institution").filter(institution__in=insts)
    if inst is not None:
        qs = qs.filter(institution=inst)
    qs = qs.filter(**{f"{model.date_field}__year": year}) if slug != "notice_board" else qs
    kind_choices = []
    if model.kind_field:
        kind_choices = model._meta.get_field(model.kind_field).valueset.choices()
        if kind:
            qs = qs.filter(**{model.kind_field: kind})
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    columns = [field_label(model, n) for n in model.list_fields]
    rows = [(o, [show(o, n) for n in model.list_fields]) for o in page]
    if model is InfectiousReport:
        columns.append(_("Timeliness"))
        for o, cells in rows:
            cells.append(o.timeliness_text())
    return render(request, "community/list.html", {
        "model": model, "slug": slug, "title": model._meta.verbose_name_plural, "page": page, "rows": rows,
        "columns": columns, "institutions": insts, "institution": inst, "year": year, "kind": kind,
        "kind_choices": kind_choices, "kind_label": field_label(model, model.kind_field) if model.kind_field else "",
        "can_write": inst is not None and actions.may_write(request.user, inst),
        "years": range(today().year, today().year - 6, -1),
    })


@requires(Perm.READ)
@login_required
@allow("GET", "POST")
def object_new(request, slug):
    model = _model(slug)
    insts = institutions_for(request.user)
    inst = _chosen_institution(request, insts)
    if inst is None:
        raise Http404(_("Choose an institution first."))
    Form = form_class(model)
    instance = model(institution=inst)
    if request.method == "POST":
        form = Form(request.POST, instance=instance, user=request.user, institution=inst)
        if form.is_valid():
            try:
                obj = actions.create(model, request.user, inst, form.values())
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("%(form)s saved.") % {"form": model.title()})
                return redirect("community_detail", slug=slug, pk=obj.pk)
    else:
        form = Form(instance=instance, user=request.user, institution=inst)
    notice = "" if actions.may_write(request.user, inst) else _("You may view these entries but not add to them.")
    return render(request, "community/form.html", {
        "form": form, "model": model, "slug": slug, "title": model.title(), "institution": inst, "new": True,
        "notice": notice,
    })


@requires(Perm.WRITE)
@login_required
@allow("GET", "POST")
def object_edit(request, slug, pk):
    model, obj = _object(request, slug, pk)
    Form = form_class(model)
    copy = model.objects.get(pk=obj.pk)
    revise = slug == "infectious"
    if request.method == "POST":
        form = Form(request.POST, instance=copy, user=request.user, institution=obj.institution)
        if form.is_valid():
            changes = form.changes()
            try:
                if revise and changes:
                    new = actions.revise_report(obj, request.user, changes)
                elif changes:
                    new = actions.update(obj, request.user, changes, expected_version=form.cleaned_data.get("version"))
                else:
                    new = obj
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Changes saved.") if changes else _("Nothing was changed."))
                return redirect("community_detail", slug=slug, pk=new.pk)
    else:
        form = Form(instance=copy, user=request.user, institution=obj.institution)
    return render(request, "community/form.html", {
        "form": form, "model": model, "slug": slug, "title": model.title(), "institution": obj.institution,
        "obj": obj, "new": False, "revise": revise,
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def object_detail(request, slug, pk):
    model, obj = _object(request, slug, pk)
    names = editable_fields(model)
    from jkda.access import masking
    from jkda.records.forms import laid_out_sections

    revealed = masking.may_reveal(request.user, obj.institution)

    def shown(n):
        value = show(obj, n)
        if not revealed and value and n in masking.API_MASKED_KEYS:  # bureau / CDC / assessors read masked
            return masking.mask(n, value)
        return value

    sections = [(section, [[(n, field_label(model, n), shown(n)) for n in line] for line in lines])
                for section, lines in laid_out_sections(names, model.SECTIONS)]
    history = list(obj.history.select_related("history_user").order_by("-history_date")[:50])
    writable = actions.may_write(request.user, obj.institution)
    if isinstance(obj, InfectiousReport):
        writable = writable and obj.status == C.VALID
    return render(request, "community/detail.html", {
        "obj": obj, "model": model, "slug": slug, "title": model.title(), "sections": sections,
        "history": history, "can_write": writable,
    })


@requires(Perm.READ)
@login_required
@allow("POST")
def report_cancel(request, pk):
    _model_, obj = _object(request, "infectious", pk)
    try:
        actions.cancel_report(obj, request.user, request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as exc:
        for m in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
            messages.error(request, m)
    else:
        messages.success(request, _("The card was cancelled; it is kept with the reason."))
    return redirect("community_detail", slug="infectious", pk=obj.pk)


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def education_summary(request):
    year = _year(request)
    rows = summaries.education_summary(institutions_for(request.user), year)
    return render(request, "community/education_summary.html", {
        "rows": rows, "year": year, "labels": list(summaries.ITEM_LABELS.values()),
        "years": range(today().year, today().year - 6, -1),
    })


def _period(request) -> tuple[dt.date, dt.date, int]:
    year = _year(request)
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today())
    try:
        if request.GET.get("start"):
            start = dt.date.fromisoformat(request.GET["start"])
        if request.GET.get("end"):
            end = dt.date.fromisoformat(request.GET["end"])
    except ValueError:
        messages.error(request, _("Dates are written YYYY-MM-DD."))
    return start, end, year


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def timeliness(request):
    start, end, year = _period(request)
    rows = summaries.infectious_timeliness(institutions_for(request.user), start, end)
    late = (InfectiousReport.objects.filter(institution__in=institutions_for(request.user), revises__isnull=True)
            .exclude(status=C.CANCELLED).filter(reported_at__gte=summaries.period_bounds(start, end)[0],
                                                 reported_at__lt=summaries.period_bounds(start, end)[1])
            .exclude(summaries.on_time_q()).select_related("institution").order_by("institution__code",
                                                                                    "reported_at")[:200])
    total = summaries.TimelinessRow(institution=None)
    for r in rows:
        total.cards += r.cards
        total.on_time += r.on_time
        total.urgent += r.urgent
        total.urgent_on_time += r.urgent_on_time
    return render(request, "community/timeliness.html", {
        "rows": rows, "total": total, "late": [(c, show(c, "diagnosed_at"), show(c, "reported_at")) for c in late],
        "start": start, "end": end, "year": year, "years": range(today().year, today().year - 6, -1),
    })


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def supervision(request):
    start, end, year = _period(request)
    rows = summaries.supervision_counts(institutions_for(request.user), start, end)
    return render(request, "community/supervision.html", {
        "rows": rows, "start": start, "end": end, "year": year, "years": range(today().year, today().year - 6, -1),
    })
