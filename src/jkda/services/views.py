"""Generic pages for every service form: new, read, edit. Everything comes from the form's declaration."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jkda.access import grants
from jkda.access.roles import Perm, requires
from jkda.records.search import base_queryset
from jkda.web.views import _record, add_errors, allow, can_write, login_required

from . import actions
from .base import model_for
from .forms import display_sections, form_class


def _model(kind: str):
    try:
        return model_for(kind)
    except LookupError:
        raise Http404(_("Unknown form.")) from None


def _service(request, kind: str, pk: int):
    """A stored form whose record the user may see, else 404."""
    model = _model(kind)
    obj = get_object_or_404(model.objects.select_related("record__resident", "institution"), pk=pk)
    if not base_queryset(request.user).filter(pk=obj.record_id).exists():
        raise Http404(_("No such form."))
    return model, obj


@requires(Perm.READ)
@login_required
@allow("GET", "POST")
def service_new(request, number, kind):
    record = _record(request, number)
    model = _model(kind)
    if not model.generic_create:
        raise Http404(_("This form is written from its own page."))
    Form = form_class(model)
    instance = model(record=record, institution=actions.acting_institution(record, request.user))
    if request.method == "POST":
        form = Form(request.POST, instance=instance)
        if form.is_valid():
            try:
                obj = actions.record_service(model, record, request.user, form.values())
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("%(form)s saved.") % {"form": model.title()})
                return redirect("service_detail", kind=kind, pk=obj.pk)
    else:
        initial = {}
        if hasattr(model, "initial_for"):
            initial = model.initial_for(record)
        form = Form(instance=instance, initial=initial)
        try:
            actions.check_open_and_enrolled(model, record)
        except ValidationError as exc:
            for e in exc.messages:
                form.add_error(None, e)
    return render(request, "services/form.html", {
        "form": form, "record": record, "model": model, "title": model.title(), "new": True,
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def service_detail(request, kind, pk):
    model, obj = _service(request, kind, pk)
    actions.audit_service("read", obj, **grants.read_detail(request.user, obj.record))
    history = list(obj.history.select_related("history_user").order_by("-history_date")[:50])
    return render(request, "services/detail.html", {
        "obj": obj, "record": obj.record, "model": model, "title": model.title(),
        "sections": display_sections(obj), "history": history,
        "can_write": can_write(request.user, obj.record.institution) and obj.record.is_active,
    })


@requires(Perm.READ)
@login_required
@allow("GET", "POST")
def service_edit(request, kind, pk):
    model, obj = _service(request, kind, pk)
    Form = form_class(model)
    copy = model.objects.get(pk=obj.pk)  # the form writes into a private copy
    if request.method == "POST":
        form = Form(request.POST, instance=copy)
        if form.is_valid():
            try:
                changes = form.changes()
                if changes:
                    actions.update_service(obj, request.user, changes,
                                           expected_version=form.cleaned_data.get("version"))
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Changes saved.") if changes else _("Nothing was changed."))
                return redirect("service_detail", kind=kind, pk=obj.pk)
    else:
        form = Form(instance=copy)
    return render(request, "services/form.html", {
        "form": form, "record": obj.record, "model": model, "obj": obj, "title": model.title(), "new": False,
    })
