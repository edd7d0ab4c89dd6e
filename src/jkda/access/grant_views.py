"""Staff pages of outside access: file an application, decide on it, revoke a grant. Thin: access.grants acts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access.roles import Perm, requires
from jkda.web.views import add_errors, allow, login_required

from . import grants
from .models import AccessRequest
from .scope import visible_institution_ids


class RequestForm(forms.Form):
    organisation = forms.CharField(label=gettext_lazy("applicant's organisation"), max_length=100)
    purpose = forms.CharField(label=gettext_lazy("purpose"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4}))
    records = forms.CharField(label=gettext_lazy("record numbers"), max_length=2000,
                              help_text=gettext_lazy("one per line, or separated by commas"),
                              widget=forms.Textarea(attrs={"rows": 3}))
    period_start = forms.DateField(label=gettext_lazy("access from"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=gettext_lazy("access until"), widget=forms.DateInput(attrs={"type": "date"}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("reasons"), max_length=500, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


def _visible(user):
    """Applications the user may open: their own, and those to an institution they decide for."""
    qs = AccessRequest.objects.select_related("institution")
    mine = Q(applicant=user)
    if getattr(user, "role", None) not in grants.DECIDER_ROLES:
        return qs.filter(mine)
    ids = visible_institution_ids(user)
    return qs.filter(mine | Q(institution_id__in=ids))


def _get(request, pk: int) -> AccessRequest:
    req = _visible(request.user).filter(pk=pk).first()
    if req is None:
        raise Http404(_("No such application."))
    return req


@requires(Perm.READ)
@login_required
@allow("GET")
def request_list(request):
    grants.expire_due()
    qs = _visible(request.user)
    status = request.GET.get("status") or ""
    if status in AccessRequest.Status.values:
        qs = qs.filter(status=status)
    rows = list(qs[:200])
    return render(request, "access/requests.html", {
        "mine": [r for r in rows if r.applicant_id == request.user.pk],
        "to_decide": [r for r in rows if r.applicant_id != request.user.pk],
        "decider": request.user.role in grants.DECIDER_ROLES, "statuses": AccessRequest.Status.choices,
        "status": status})


@requires(Perm.READ)
@login_required
@allow("GET", "POST")
def request_new(request):
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            req = grants.submit_request(request.user, record_numbers=grants.parse_numbers(d["records"]),
                                        organisation=d["organisation"], purpose=d["purpose"],
                                        period_start=d["period_start"], period_end=d["period_end"])
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Application #%(id)s filed; it goes to %(inst)s for a decision.") % {
                "id": req.pk, "inst": req.institution.name})
            return redirect("access_request", pk=req.pk)
    return render(request, "access/request_form.html", {"form": form})


def _detail(request, req: AccessRequest, status: int = 200, **forms_):
    grants.expire_due(applicant=req.applicant)
    req.refresh_from_db()
    decider = grants.may_decide(request.user, req)
    items = list(req.items.select_related("record__resident", "consent_by"))
    smi = grants.mental_consents([i.record_id for i in items]) if decider else {}
    return render(request, "access/request_detail.html", {
        "req": req, "items": [(i, smi.get(i.record_id)) for i in items], "decider": decider,
        "applicant": req.applicant_id == request.user.pk, "events": list(req.events.all()),
        "decide_form": forms_.get("decide_form") or ReasonForm(),
        "revoke_form": forms_.get("revoke_form") or ReasonForm(),
    }, status=status)


@requires(Perm.READ)
@login_required
@allow("GET")
def request_detail(request, pk):
    req = _get(request, pk)
    return _detail(request, req)


@requires(Perm.READ)
@login_required
@allow("POST")
def request_decide(request, pk):
    req = _get(request, pk)
    form = ReasonForm(request.POST)
    verdict = request.POST.get("verdict")
    if form.is_valid() and verdict in ("approve", "refuse"):
        try:
            if verdict == "approve":
                grants.approve(request.user, req, reason=form.cleaned_data["reason"])
                messages.success(request, _("Approved: the residents are asked for their consent in the portal."))
            else:
                grants.refuse(request.user, req, reason=form.cleaned_data["reason"])
                messages.success(request, _("Refused; the applicant sees the reasons."))
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            return redirect("access_request", pk=req.pk)
    elif form.is_valid():
        form.add_error(None, _("Choose to approve or to refuse."))
    return _detail(request, req, status=400, decide_form=form)


@requires(Perm.READ)
@login_required
@allow("POST")
def request_revoke(request, pk):
    req = _get(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            grants.revoke(request.user, req, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The grant was revoked."))
            return redirect("access_request", pk=req.pk)
    return _detail(request, req, status=400, revoke_form=form)
