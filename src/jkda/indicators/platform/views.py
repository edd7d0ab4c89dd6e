"""The monthly platform usage and upload tables for bureau staff and institution heads, and their XLSX export.
Figures cover the institutions the user may see (access.scope): a district bureau its district, the city bureau
every district."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jkda.access import audit
from jkda.access.roles import Perm, requires
from jkda.web.views import allow, login_required

from . import export, stats


def _report(request):
    if not stats.may_view(request.user):
        raise PermissionDenied(_("Platform statistics are for health bureau staff and institution heads."))
    error = ""
    text = request.GET.get("month") or ""
    try:
        month = stats.Month.parse(text) if text else stats.Month.previous()
    except ValueError as exc:
        error, month = str(exc), stats.Month.previous()
    figures, tables = stats.report(request.user, month)
    return month, figures, tables, error


@requires(Perm.AGGREGATES, roles=stats.VIEWER_ROLES)
@login_required
@allow("GET")
def report(request):
    month, figures, tables, error = _report(request)
    return render(request, "platform_usage/report.html", {
        "month": month, "tables": tables, "area": figures.area, "error": error,
        "share": stats._threshold(stats.active_share()),
    })


@requires(Perm.AGGREGATES, roles=stats.VIEWER_ROLES)
@login_required
@allow("GET")
def report_xlsx(request):
    month, _figures, tables, error = _report(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    audit.log("export", user=request.user, object_type="platform_usage.report", object_id=str(month))
    response = HttpResponse(export.workbook(month, tables),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="platform-usage-{month}.xlsx"'
    return response
