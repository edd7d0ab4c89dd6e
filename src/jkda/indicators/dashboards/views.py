"""Thin views of the dashboards: the landing redirect, an area's board, and the residents behind a figure."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from jkda.access import audit, masking
from jkda.access.roles import Perm, requires
from jkda.access.scope import restrict
from jkda.indicators import engine
from jkda.web.views import allow, login_required

from . import board as B
from . import svg

PAGE_SIZE = 200


def _url(level: str, code: str) -> str:
    return reverse("dashboard", args=[level, code])


def _area(request, level: str, code: str) -> B.Area:
    area = B.resolve(level, code)
    if not B.may_view(request.user, area):
        raise PermissionDenied(_("%(area)s is outside your jurisdiction.") % {"area": area.name})
    return area


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def home(request):
    where = B.landing(request.user)
    if where is None:
        raise PermissionDenied(_("Your account has no institution, so there is no dashboard to show."))
    url = _url(*where)
    if request.GET:
        url += "?" + request.GET.urlencode()
    return redirect(url)


@requires(Perm.AGGREGATES)
@login_required
@allow("GET")
def area_board(request, level, code):
    area = _area(request, level, code)
    month, problem = B.choose_month(request.GET.get("year"), request.GET.get("month"))
    if problem:
        messages.error(request, problem)
    live = request.GET.get("live") == "1"
    pattern = _url("LEVEL", "CODE")
    data = B.build(area, month, live=live,
                   url_for=lambda lv, c: pattern.replace("LEVEL", lv).replace("CODE", c))
    query = f"?year={month.year}&month={month.month}"
    for group in data.groups:
        for row in group.rows:
            row.trend_svg, row.bars_svg = svg.trend(row), svg.bars(row, query)
    if live and not data.live:
        messages.info(request, _("Live figures are computed only for areas of at most %(n)d institutions.")
                      % {"n": B.LIVE_MAX_INSTITUTIONS})
    clinical_here = level == "institution"
    return render(request, "dashboards/board.html", {
        "board": data, "area": area, "month": month, "months": range(1, 13), "clinical_here": clinical_here,
        "level_label": engine.LEVEL_LABELS[area.level], "child_label": engine.LEVEL_LABELS[data.child_level],
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def residents(request, code, indicator):
    """The records behind an institution's figure (its numerator, or with part=base its family's base), through
    the user's scope; names only for the institution's clinical staff, masked for everyone else; audited."""
    area = _area(request, "institution", code)
    try:
        ind = engine.get(indicator)
    except engine.IndicatorError as exc:
        raise Http404(str(exc)) from None
    month, problem = B.choose_month(request.GET.get("year"), request.GET.get("month"))
    if problem:
        messages.error(request, problem)
    part = "base" if request.GET.get("part") == "base" else "numerator"
    identities = masking.may_reveal(request.user, area.obj)
    qs = engine.records_behind(ind.code, month.period, area.institutions, numerator=(part == "numerator"))
    qs = restrict(qs, request.user).select_related("resident", "institution", "village").order_by("number")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for rec in page:
        r = rec.resident
        rows.append({
            "record": rec, "number": rec.number if identities else masking.mask_id(rec.number),
            "name": r.name if identities else mask_name(r.name), "sex": r.get_sex_display(),
            "age": rec.resident_age(month.period.as_of), "id_number": masking.mask_id(r.id_number),
            "institution": rec.institution.name, "village": rec.village.name, "closed": not rec.is_active,
        })
    audit.log("read", object_type="indicator", object_id=ind.code, detail={
        "institution": area.code, "period": month.period.code, "part": part, "records": page.paginator.count,
        "page": page.number, "identities": identities})
    return render(request, "dashboards/residents.html", {
        "area": area, "indicator": ind, "month": month, "part": part, "page": page, "rows": rows,
        "identities": identities, "back": _url("institution", area.code),
    })


def mask_name(name: str) -> str:
    """A masked name for readers who may not see identities: the surname and stars (王**)."""
    name = name or ""
    return name[:1] + masking.STAR * max(1, len(name) - 1) if name else ""
