"""Thin views for enrolment, exit, the work lists, reminder calls and the screening list."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access import audit, exports
from jkda.access.roles import Perm, has, requires
from jkda.records.rules import today
from jkda.web.views import _record, action_fragment, allow, lazy_action, login_required

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


# The record page's enrol and exit forms load when their <details> opens (see jkda.web.views.lazy_action).


def enrol_action(record, open_action: str) -> dict:
    return lazy_action("enrol", reverse("program_enrol_form", args=[record.number]),
                       gettext_lazy("Enrol in a program"), "programs/_enrol_form.html",
                       EnrolForm() if open_action == "enrol" else None)


def exit_action(record, enrollment: Enrollment, open_action: str) -> Enrollment:
    """The enrolment, carrying its "end management" <details> as `exit_action`."""
    key = f"exit-{enrollment.pk}"
    enrollment.exit_action = lazy_action(
        key, reverse("program_exit_form", args=[record.number, enrollment.pk]), gettext_lazy("End management"),
        "programs/_exit_form.html", ExitForm() if open_action == key else None)
    return enrollment


@requires(Perm.WRITE)
@login_required
@allow("GET")
def enrol_form(request, number):
    record = _record(request, number)
    return action_fragment(request, record, record.is_active, "programs/_enrol_form.html", {"form": EnrolForm()})


@requires(Perm.WRITE)
@login_required
@allow("GET")
def exit_form(request, number, pk):
    record = _record(request, number)
    enrollment = get_object_or_404(Enrollment, pk=pk, record=record)
    return action_fragment(request, record, record.is_active and enrollment.is_active, "programs/_exit_form.html",
                           {"form": ExitForm(), "enrollment": enrollment})


@requires(Perm.READ)
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


@requires(Perm.READ)
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


@requires(Perm.READ)
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


def _worklist_items(request):
    """The filtered work list of the request (the page and its exports share it)."""
    form = WorklistFilter(request.GET or None)
    form.is_valid()
    d = getattr(form, "cleaned_data", {}) or {}
    as_of = today()
    mine = d.get("scope", "") != "institution" and getattr(request.user, "role", "") == "doctor"
    filters = {"mine": mine, "program": d.get("program") or "", "status": d.get("status") or "",
               "village_code": d.get("village") or ""}
    items = due_list(request.user, as_of, sort=d.get("sort") or "due", **filters)
    return form, as_of, mine, filters, items


def _export_query(request) -> str:
    query = request.GET.copy()
    for k in ("page", "purpose", "format"):
        query.pop(k, None)
    return query.urlencode()


@requires(Perm.READ)
@login_required
@allow("GET")
def worklist_page(request):
    form, as_of, mine, filters, items = _worklist_items(request)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log("search", object_type="programs.worklist", detail={**filters, "hits": len(items),
                                                                  "page": page.number})
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "programs/worklist.html", {
        "form": form, "rows": rows_for(list(page.object_list), as_of), "page": page, "total": len(items),
        "query": query.urlencode(), "as_of": as_of, "mine": mine,
        "overdue": sum(1 for i in items if i.overdue(as_of)), "call_form": CallForm(),
        "panels": panels(request.user, as_of),
        "show_phones": has(request.user, Perm.REVEAL), "export_query": _export_query(request),
        "may_export": has(request.user, Perm.EXPORT),
    })


EXPORT_LIMIT = 5000  # rows in one export (a village's or an institution's list)


@requires(Perm.EXPORT)
@login_required
@allow("GET")
def worklist_export(request):
    """The work list as CSV (format=csv) or as a page to print (format=print), with the purpose, watermarked."""
    fmt = "print" if request.GET.get("format") == "print" else "csv"
    purpose, purpose_form = exports.export_purpose(request)
    if purpose is None:
        return exports.purpose_page(request, purpose_form, _("Export the work list"))
    form, as_of, mine, filters, items = _worklist_items(request)
    rows = rows_for(items[:EXPORT_LIMIT], as_of)
    mark = exports.watermark(request.user, purpose)
    exports.log_export(f"work list {fmt}", purpose, object_type="programs.worklist", object_id=as_of.isoformat(),
                       filters=filters, rows=len(rows), records=sorted({r.record.number for r in rows})[:200])
    if fmt == "print":
        return render(request, "programs/worklist_print.html", {
            "rows": rows, "as_of": as_of, "watermark": mark, "total": len(items), "limit": EXPORT_LIMIT})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="worklist-{as_of.isoformat()}.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    w = csv.writer(response)
    w.writerow([mark])
    w.writerow([_("Due"), _("Overdue"), _("Record number"), _("Name"), _("Sex"), _("Age"), _("Phone"), _("Village"),
                _("Program"), _("Due item")])
    for r in rows:
        res = r.record.resident
        w.writerow([r.item.due_on.isoformat(), r.days if r.overdue else "", r.record.number, res.name,
                    res.get_sex_display(), res.age, res.phone or res.contact_phone, r.record.village.name,
                    r.program_label, r.item.item])
    return response


@requires(Perm.READ)
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


@requires(Perm.READ)
@login_required
@allow("GET")
def screening_page(request):
    village = (request.GET.get("village") or "").strip()[:12]
    rows, groups = screening(request.user, today(), village_code=village)
    audit.log("search", object_type="programs.screening", detail={"village": village, "hits": len(rows)})
    return render(request, "programs/screening.html", {"rows": rows, "groups": groups, "village": village,
                                                        "as_of": today(),
                                                        "show_phones": has(request.user, Perm.REVEAL)})
