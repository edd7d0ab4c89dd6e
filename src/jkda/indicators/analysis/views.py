"""The half-year analysis report page: a form (area, half-year) that downloads the Word document."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access.roles import Perm, requires
from jkda.access.scope import visible_institution_ids
from jkda.regions.models import Division, Institution
from jkda.web.views import allow, login_required

from .actions import export_report, filename
from .forms import ReportForm
from .report import REPORT_ROLES, HalfYear

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CHOICES_LIMIT = 300


def _require_role(user) -> None:
    if getattr(user, "role", None) not in REPORT_ROLES:
        raise PermissionDenied(_("The analysis report is for health bureau staff, institution heads and record "
                                 "managers."))


def area_choices(user) -> list[tuple[str, str]]:
    """Areas offered in the form: the user's own division and those inside it (down to townships), and the
    institutions the user may see."""
    ids = visible_institution_ids(user)
    institutions = Institution.objects.filter(id__in=ids)
    divisions = Division.objects.exclude(level=Division.Level.VILLAGE)
    if True:  # every user reads within a jurisdiction (access.scope), administrators within none
        own = user.institution.division if user.institution_id else None
        if own is None:
            divisions = divisions.none()
        elif own.level in (Division.Level.COUNTY, Division.Level.TOWNSHIP, Division.Level.VILLAGE):
            divisions = Division.objects.filter(Q(pk=own.pk) | Q(code__startswith=own.code, level__in=(
                Division.Level.COUNTY, Division.Level.TOWNSHIP)))
        else:
            divisions = divisions.filter(Q(pk=own.pk) | Q(parent=own) | Q(parent__parent=own))
    out = [(d.code, d.name) for d in divisions.order_by("code")[:CHOICES_LIMIT]]
    out += [(i.code, i.name) for i in institutions.order_by("code")[:CHOICES_LIMIT]]
    return out


def half_choices(count: int = 4) -> list[str]:
    """The current half-year and the ones before it."""
    today = timezone.localdate()
    year, half = today.year, 1 if today.month <= 6 else 2
    out = []
    for _i in range(count):
        out.append(HalfYear(year, half).code)
        year, half = (year - 1, 2) if half == 1 else (year, 1)
    return out


@requires(Perm.AGGREGATES, roles=REPORT_ROLES)
@login_required
@allow("GET", "POST")
def report(request):
    _require_role(request.user)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result, content = export_report(form.cleaned_data["area"], form.cleaned_data["half_year"], request.user)
        except PermissionDenied as exc:
            form.add_error("area", str(exc))
        else:
            response = HttpResponse(content, content_type=DOCX)
            response["Content-Disposition"] = f'attachment; filename="{filename(result)}"'
            return response
    return render(request, "analysis/report.html", {
        "form": form, "areas": area_choices(request.user), "halves": half_choices()})
