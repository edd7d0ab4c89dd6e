"""The referral inbox (转诊): incoming referrals of the user's institution, whatever the record's jurisdiction, and
the referrals the user's institution sent, with their status and answer. The receiving institution marks a referral
received or refused and answers it with a referral-back (clinical.actions)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access.roles import Perm, requires
from jkda.access.scope import restrict
from jkda.codes.valuesets import SEX
from jkda.records.forms import DateInput
from jkda.records.search import base_queryset
from jkda.services.forms import display_sections, form_class
from jkda.web.views import add_errors, allow, can_write, login_required

from . import actions, rules
from . import codes as C
from .models import Referral, ReferralBack


class ReceiveForm(forms.Form):
    received_on = forms.DateField(label=gettext_lazy("date received"), required=False, widget=DateInput())


class RefuseForm(forms.Form):
    refusal_reason = forms.CharField(label=gettext_lazy("reason for refusal"), max_length=200,
                                     widget=forms.TextInput(attrs={"size": 40}))
    received_on = forms.DateField(label=gettext_lazy("date"), required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_refuse_%s")
        super().__init__(*args, **kwargs)


STATUS_FILTERS = (("open", gettext_lazy("To do")), ("all", gettext_lazy("All")), *C.REFERRAL_STATUS.choices())


def _filtered(qs, status: str):
    if status == "open":
        return qs.filter(status__in=rules.OPEN_STATUSES)
    if status in C.REFERRAL_STATUS:
        return qs.filter(status=status)
    return qs


def _ordered(qs):
    first = Case(When(status=rules.SENT, then=Value(0)), When(status=rules.RECEIVED, then=Value(1)), default=Value(2),
                 output_field=IntegerField())
    return qs.select_related("record__resident", "institution", "to_institution").order_by(
        first, "-service_date", "-id")


def referral_row(ref: Referral) -> dict:
    """What the receiving side may see of the resident: name, sex, age, the record's short number."""
    resident = ref.record.resident
    return {
        "ref": ref, "name": resident.name, "sex": SEX.label(resident.sex),
        "age": ref.record.resident_age(ref.service_date), "short_number": ref.record.short_number,
    }


@requires(Perm.READ)
@login_required
@allow("GET")
def inbox(request):
    box = "out" if request.GET.get("box") == "out" else "in"
    status = request.GET.get("status") or ("open" if box == "in" else "all")
    if box == "in":
        qs = actions.inbox(request.user)
    else:
        qs = restrict(Referral.objects.all(), request.user)
    page = Paginator(_ordered(_filtered(qs, status)), 50).get_page(request.GET.get("page"))
    return render(request, "clinical/inbox.html", {
        "box": box, "status": status, "filters": STATUS_FILTERS, "page": page,
        "rows": [referral_row(r) for r in page.object_list],
    })


def _referral(request, pk: int) -> Referral:
    ref = actions.visible_referrals(request.user).filter(pk=pk).first()
    if ref is None:
        raise Http404(_("No such referral."))
    return ref


def _is_receiver(user, ref: Referral) -> bool:
    return bool(getattr(user, "institution_id", None)) and user.institution_id == ref.to_institution_id \
        and can_write(user, ref.to_institution)


def _blank_back(ref: Referral) -> ReferralBack:
    return ReferralBack(record=ref.record, institution=ref.to_institution, referral=ref)


def _page(request, ref: Referral, status=200, **forms_):
    back = ReferralBack.objects.filter(referral=ref).select_related("institution").first()
    receiver = _is_receiver(request.user, ref)
    answer_form = forms_.get("answer_form")
    if receiver and ref.status == rules.RECEIVED and ref.record.is_active and answer_form is None:
        answer_form = form_class(ReferralBack)(instance=_blank_back(ref))
    # a refused action whose form the page does not show (not the receiver, or the status moved on): say why here
    pending = receiver and ref.status == rules.SENT
    shown = {"receive_form": pending, "refuse_form": pending, "answer_form": answer_form is not None and receiver}
    action_errors = [e for k, f in forms_.items() if not shown.get(k) for e in f.non_field_errors()]
    return render(request, "clinical/referral.html", {
        "action_errors": action_errors,
        **referral_row(ref), "sections": display_sections(ref), "back": back,
        "back_sections": display_sections(back) if back else [],
        "record_visible": base_queryset(request.user).filter(pk=ref.record_id).exists(),
        "receiver": receiver, "receive_form": forms_.get("receive_form") or ReceiveForm(),
        "refuse_form": forms_.get("refuse_form") or RefuseForm(), "answer_form": answer_form,
    }, status=status)


@requires(Perm.READ)
@login_required
@allow("GET")
def referral_detail(request, pk):
    return _page(request, _referral(request, pk))


@requires(Perm.READ)
@login_required
@allow("POST")
def referral_receive(request, pk):
    ref = _referral(request, pk)
    form = ReceiveForm(request.POST)
    if form.is_valid():
        try:
            actions.receive_referral(request.user, ref, on=form.cleaned_data.get("received_on"))
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral received."))
            return redirect("clinical_referral", pk=ref.pk)
    return _page(request, ref, status=400, receive_form=form)


@requires(Perm.READ)
@login_required
@allow("POST")
def referral_refuse(request, pk):
    ref = _referral(request, pk)
    form = RefuseForm(request.POST)
    if form.is_valid():
        try:
            actions.refuse_referral(request.user, ref, form.cleaned_data["refusal_reason"],
                                    on=form.cleaned_data.get("received_on"))
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral refused."))
            return redirect("clinical_referral", pk=ref.pk)
    return _page(request, ref, status=400, refuse_form=form)


@requires(Perm.READ)
@login_required
@allow("POST")
def referral_answer(request, pk):
    ref = _referral(request, pk)
    form = form_class(ReferralBack)(request.POST, instance=_blank_back(ref))
    if form.is_valid():
        try:
            actions.answer_referral(request.user, ref, form.values())
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Referral back sent."))
            return redirect("clinical_referral", pk=ref.pk)
    return _page(request, ref, status=400, answer_form=form)
