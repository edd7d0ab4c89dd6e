"""Thin views: the notice page (form, preview, downloads) for bureau staff and the plain ranking page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jkda.access.roles import Perm, requires
from jkda.indicators import engine
from jkda.indicators.export import table_json
from jkda.regions.models import Institution
from jkda.web.views import allow, login_required

from .actions import FORMATS, export_notice
from .forms import NoticeForm, RankingForm
from .notice import NoticeError, build_notice, scoped_within
from .render import annexes

NOTICE_ROLES = {"bureau"}


def may_issue(user) -> bool:
    return getattr(user, "role", None) in NOTICE_ROLES


def _notice(request) -> tuple[NoticeForm, dict | None]:
    if not may_issue(request.user):
        raise PermissionDenied(_("Only health bureau staff issue notices."))
    if not request.GET:
        return NoticeForm(user=request.user), None
    form = NoticeForm(request.GET, user=request.user)
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    within = scoped_within(request.user, d["within"])
    issuer = d["issuer"]
    own = request.user.institution
    if not issuer and own is not None and own.kind == Institution.Kind.BUREAU:
        issuer = own.name
    try:
        notice = build_notice(d["indicator"], d["period"], d["level"], d["target"], d["criticize_below"], within,
                              number=d["number"], issuer=issuer, addressees=d["addressees"], deadline=d["deadline"])
    except NoticeError as exc:
        form.add_error(None, str(exc))
        return form, None
    return form, notice


@requires(Perm.AGGREGATES, roles=NOTICE_ROLES)
@login_required
@allow("GET")
def notice_page(request):
    form, notice = _notice(request)
    context = {"form": form, "notice": notice, "query": request.GET.urlencode(),
               "annexes": annexes(notice) if notice else [], "formats": list(FORMATS)}
    return render(request, "notices/notice.html", context, status=400 if form.is_bound and not notice else 200)


@requires(Perm.AGGREGATES, roles=NOTICE_ROLES)
@login_required
@allow("GET")
def notice_download(request, fmt: str):
    form, notice = _notice(request)
    if notice is None or fmt not in FORMATS:
        if notice is not None:
            form.add_error(None, _("Unknown format “%(fmt)s”.") % {"fmt": fmt})
        context = {"form": form, "notice": None, "query": "", "annexes": [], "formats": list(FORMATS)}
        return render(request, "notices/notice.html", context, status=400)
    data, content_type, filename = export_notice(request.user, notice, fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def ranking_page(request):
    form = RankingForm(request.GET or None, user=request.user)
    table = None
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        try:
            within = scoped_within(request.user, d["within"])
        except NoticeError as exc:
            form.add_error("within", str(exc))
        else:
            table = table_json(engine.compute_one(d["indicator"], d["period"], d["level"], within))
    return render(request, "notices/ranking.html", {"form": form, "table": table},
                  status=400 if form.is_bound and table is None else 200)
