"""Thin views for enrolment, exit, the work lists, reminder calls and the screening list."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from jkda.records.rules import today
from jkda.web.views import _record, allow, login_required

from . import actions
from .forms import CallForm, EnrolForm, ExitForm, WorklistFilter
from .models import Enrollment
from .registry import program_label
from .worklist import due_list, panels, rows_for, screening

PAGE_SIZE = 200  # rows of the work list per page (the print-out of one page)


def _errors(request, exc):
    msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for m in msgs:
        messages.error(request, m)


def _form_errors(request, form):
    for errs in form.errors.values():
        for e in errs:
            messages.error(request, e)


@login_required
@allow("POST")
def enrol(request, number):
    record = _record(request, number)
    form = EnrolForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.enrol(request.user, record, d["program"], on=d["enrolled_on"], source=d["source"],
                          note=d["note"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Enrolled in %(program)s.") % {"program": program_label(d["program"])})
    else:
        _form_errors(request, form)
    return redirect(f"/records/{record.number}/#section-programs")


@login_required
@allow("POST")
def enrol_suggested(request, number):
    record = _record(request, number)
    try:
        done = actions.enrol_from_diagnoses(request.user, record)
    except (ValidationError, PermissionDenied) as exc:
        _errors(request, exc)
    else:
        if done:
            messages.success(request, _("Enrolled in: %(list)s.") % {"list": "、".join(e.program_label for e in done)})
        else:
            messages.info(request, _("No program to enrol in."))
    return redirect(f"/records/{record.number}/#section-programs")


@login_required
@allow("POST")
def exit_enrollment(request, number, pk):
    record = _record(request, number)
    enrollment = get_object_or_404(Enrollment, pk=pk, record=record)
    form = ExitForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.exit_program(request.user, enrollment, on=d["exited_on"], reason=d["exit_reason"],
                                 note=d["exit_note"])
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("%(program)s: management ended.") % {"program": enrollment.program_label})
    else:
        _form_errors(request, form)
    return redirect(f"/records/{record.number}/#section-programs")


@login_required
@allow("GET")
def worklist_page(request):
    form = WorklistFilter(request.GET or None)
    form.is_valid()
    d = getattr(form, "cleaned_data", {}) or {}
    as_of = today()
    mine = d.get("scope", "") != "institution" and getattr(request.user, "role", "") == "doctor"
    items = due_list(request.user, as_of, mine=mine, program=d.get("program") or "",
                     status=d.get("status") or "", village_code=d.get("village") or "", sort=d.get("sort") or "due")
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "programs/worklist.html", {
        "form": form, "rows": rows_for(list(page.object_list), as_of), "page": page, "total": len(items),
        "query": query.urlencode(), "as_of": as_of, "mine": mine,
        "overdue": sum(1 for i in items if i.overdue(as_of)), "call_form": CallForm(),
        "panels": panels(request.user, as_of),
    })


@login_required
@allow("POST")
def call(request, number):
    record = _record(request, number)
    form = CallForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.log_call(request.user, record, program=d["program"], item=d["item"], due_on=d["due_on"],
                             outcome=d["outcome"], appointment_on=d.get("appointment_on"), note=d.get("note", ""))
        except (ValidationError, PermissionDenied) as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("Call outcome saved for %(name)s.") % {"name": record.resident.name})
    else:
        _form_errors(request, form)
    back = request.POST.get("next") or "/worklist/"
    return redirect(back if back.startswith("/") else "/worklist/")


@login_required
@allow("GET")
def screening_page(request):
    village = (request.GET.get("village") or "").strip()[:12]
    rows, groups = screening(request.user, today(), village_code=village)
    return render(request, "programs/screening.html", {"rows": rows, "groups": groups, "village": village,
                                                        "as_of": today()})
