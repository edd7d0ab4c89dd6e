"""The audit trail pages: search and export, for the audit administrator only (三权分立)."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.web.views import allow, login_required

from . import audit
from .models import AuditEntry

AUDIT_ROLES = {"auditor"}


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
    if getattr(request.user, "role", None) not in AUDIT_ROLES:
        audit.log("read", object_type="audit", object_id="trail", outcome="denied")
        raise PermissionDenied(_("Only the audit administrator may read the audit trail."))


@login_required
@allow("GET")
def audit_trail(request):
    _require_auditor(request)
    form = AuditFilter(request.GET or {})
    page = Paginator(form.entries(), 50).get_page(request.GET.get("page"))
    audit.log("read", object_type="audit", object_id="trail", detail=dict(request.GET.items()))
    return render(request, "access/audit.html", {"form": form, "page": page,
                                                 "query": request.GET.urlencode()})


def write_csv(rows, out) -> int:
    w = csv.writer(out)
    w.writerow(["id", "time", "user", "from", "action", "object_type", "object", "outcome", "detail", "prev_hash",
                "hash"])
    n = 0
    for e in rows:
        w.writerow([e.id, timezone.localtime(e.at).isoformat(), e.actor_name, e.ip, e.action, e.object_type,
                    e.object_id, e.outcome, e.detail, e.prev_hash, e.hash])
        n += 1
    return n


@login_required
@allow("GET")
def audit_export(request):
    _require_auditor(request)
    form = AuditFilter(request.GET or {})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM
    n = write_csv(form.entries().iterator(), response)
    audit.log("export", object_type="audit", object_id="trail", detail={**dict(request.GET.items()), "rows": n})
    return response
