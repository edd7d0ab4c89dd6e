"""The audit trail pages: search and export, for the audit administrator only (三权分立)."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access.roles import Perm, has, requires, roles_with
from jkda.web.views import allow, login_required

from . import audit, exports
from .models import AuditEntry

AUDIT_ROLES = frozenset(roles_with(Perm.READ_AUDIT))


class AuditFilter(forms.Form):
    user = forms.CharField(label=gettext_lazy("user name"), max_length=150, required=False)
    action = forms.ChoiceField(label=gettext_lazy("action"), required=False,
                               choices=[("", "—"), *AuditEntry.Action.choices])
    object_id = forms.CharField(label=gettext_lazy("object"), max_length=64, required=False)
    date_from = forms.DateField(label=gettext_lazy("from date"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("to date"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def entries(self):
        qs = AuditEntry.objects.order_by("-id")
        if not self.is_valid():
            return qs.none()
        d = self.cleaned_data
        if d["user"]:
            qs = qs.filter(actor_name=d["user"].strip())
        if d["action"]:
            qs = qs.filter(action=d["action"])
        if d["object_id"]:
            qs = qs.filter(object_id=d["object_id"].strip())
        tz = timezone.get_current_timezone()
        if d["date_from"]:
            qs = qs.filter(at__gte=dt.datetime.combine(d["date_from"], dt.time.min, tz))
        if d["date_to"]:
            qs = qs.filter(at__lt=dt.datetime.combine(d["date_to"] + dt.timedelta(days=1), dt.time.min, tz))
        return qs


def _require_auditor(request) -> None:
    if not has(request.user, Perm.READ_AUDIT):
        audit.log("read", object_type="audit", object_id="trail", outcome="denied")
        raise PermissionDenied(_("Only the audit administrator may read the audit trail."))


@requires(Perm.READ_AUDIT)
@login_required
@allow("GET")
def audit_trail(request):
    _require_auditor(request)
    form = AuditFilter(request.GET or {})
    page = Paginator(form.entries(), 50).get_page(request.GET.get("page"))
    audit.log("read", object_type="audit", object_id="trail", detail=dict(request.GET.items()))
    return render(request, "access/audit.html", {"form": form, "page": page,
                                                 "query": request.GET.urlencode()})


def write_csv(rows, out, watermark: str = "") -> int:
    w = csv.writer(out)
    if watermark:
        w.writerow([watermark])
    w.writerow(["id", "time", "user", "from", "action", "object_type", "object", "outcome", "detail", "prev_hash",
                "hash"])
    n = 0
    for e in rows:
        w.writerow([e.id, timezone.localtime(e.at).isoformat(), e.actor_name, e.ip, e.action, e.object_type,
                    e.object_id, e.outcome, e.detail, e.prev_hash, e.hash])
        n += 1
    return n


@requires(Perm.READ_AUDIT)
@login_required
@allow("GET")
def audit_export(request):
    _require_auditor(request)
    purpose, purpose_form = exports.export_purpose(request)
    if purpose is None:
        return exports.purpose_page(request, purpose_form, _("Export the audit trail"))
    form = AuditFilter(request.GET or {})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM
    n = write_csv(form.entries().iterator(), response, watermark=exports.watermark(request.user, purpose))
    exports.log_export("audit trail CSV", purpose, object_type="audit", object_id="trail",
                       filters={k: v for k, v in request.GET.items() if k != "purpose"}, rows=n)
    return response


# --- assessment assignments (bureau staff) ---------------------------------------------------------------------


class AssignmentForm(forms.Form):
    assessor = forms.ModelChoiceField(label=gettext_lazy("assessor"), queryset=None)
    institutions = forms.ModelMultipleChoiceField(label=gettext_lazy("institutions"), queryset=None,
                                                  widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=gettext_lazy("starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=gettext_lazy("ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.CharField(label=gettext_lazy("purpose"), max_length=200,
                              widget=forms.TextInput(attrs={"size": 50}))

    def __init__(self, *args, user, **kwargs):
        from jkda.regions.models import Institution, Staff

        from .scope import visible_institution_ids

        super().__init__(*args, **kwargs)
        self.fields["assessor"].queryset = Staff.objects.filter(role="assessor", is_active=True).order_by("username")
        self.fields["institutions"].queryset = Institution.objects.filter(
            id__in=visible_institution_ids(user), kind__in=Institution.CLINICAL_KINDS).order_by("code")


@requires(Perm.ASSIGN_ASSESSORS)
@login_required
@allow("GET", "POST")
def assignments(request):
    from django.contrib import messages
    from django.shortcuts import redirect

    from jkda.web.views import add_errors

    from . import actions
    from .models import AssessmentAssignment
    from .scope import visible_institution_ids

    form = AssignmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.assign_assessor(request.user, d["assessor"], d["institutions"], starts_on=d["starts_on"],
                                    ends_on=d["ends_on"], purpose=d["purpose"])
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The assessor may read the chosen institutions' records from %(start)s to "
                                        "%(end)s.") % {"start": d["starts_on"], "end": d["ends_on"]})
            return redirect("assessment_assignments")
    reach = visible_institution_ids(request.user)
    rows = (AssessmentAssignment.objects.filter(institutions__in=reach).distinct()
            .select_related("assessor", "created_by").prefetch_related("institutions"))
    return render(request, "access/assignments.html", {
        "form": form, "rows": rows, "today": timezone.localdate()})


@requires(Perm.ASSIGN_ASSESSORS)
@login_required
@allow("POST")
def assignment_revoke(request, pk):
    from django.contrib import messages
    from django.shortcuts import get_object_or_404, redirect

    from . import actions
    from .models import AssessmentAssignment
    from .scope import visible_institution_ids

    a = get_object_or_404(AssessmentAssignment.objects.filter(
        institutions__in=visible_institution_ids(request.user)).distinct(), pk=pk)
    try:
        actions.revoke_assignment(request.user, a)
    except (ValidationError, PermissionDenied) as exc:
        for m in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
            messages.error(request, m)
    else:
        messages.success(request, _("The assignment was revoked."))
    return redirect("assessment_assignments")
