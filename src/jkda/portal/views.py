"""The resident portal (掌上查询): mobile pages where a resident (or a guardian) sees their record, services, what is
due, who read the record, answers outside-access requests and asks for corrections. Thin: reads through the
functions below, writes through access.grants and portal.actions."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access import audit, grants, masking
from jkda.access.models import AccessRequest, AccessRequestItem, AuditEntry
from jkda.access.roles import Perm, requires
from jkda.records.models import Record
from jkda.web.views import add_errors, allow, login_required

from . import actions, otp
from . import session as ps
from .forms import CodeForm, ConsentForm, CorrectionForm, SignInForm
from .models import CorrectionRequest

DUE_HORIZON_DAYS = 90


def _log_read(request, page: str) -> None:
    p = request.portal
    audit.log("read", user=grants.resident_actor(p.resident), obj=p.record, ip=audit.client_ip(request),
              detail={"portal": page, "by_guardian": p.as_guardian})


def _render(request, template: str, context: dict, status: int = 200):
    p = getattr(request, "portal", None)
    return render(request, template, {"portal": p, "pending": _pending(p) if p else [], **context}, status=status)


# --- sign in ---------------------------------------------------------------------------------------------------


@allow("GET", "POST")
def sign_in(request):
    if ps.current(request) is not None:
        return redirect("portal_home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = otp.request_code(form.cleaned_data["id_number"], form.cleaned_data["phone"],
                                         ip=audit.client_ip(request))
        except otp.SignInError as exc:
            form.add_error(None, str(exc))
        else:
            request.session[ps.CHALLENGE] = challenge.pk
            return redirect("portal_code")
    return render(request, "portal/login.html", {"form": form, "timeout": request.GET.get("timeout")})


@allow("GET", "POST")
def code(request):
    challenge = request.session.get(ps.CHALLENGE)
    if not challenge:
        return redirect("portal_login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = otp.verify_code(challenge, form.cleaned_data["code"], ip=audit.client_ip(request))
        except otp.SignInError as exc:
            form.add_error("code", str(exc))
        else:
            ps.sign_in(request, resident)
            audit.log("login", user=grants.resident_actor(resident), obj=resident.record,
                      ip=audit.client_ip(request), detail={"portal": "signed in"})
            return redirect("portal_home")
    return render(request, "portal/code.html", {"form": form, "minutes": max(1, otp.valid_seconds() // 60)})


@allow("POST")
def sign_out(request):
    p = ps.current(request)
    if p is not None:
        audit.log("logout", user=grants.resident_actor(p.resident), obj=p.resident.record,
                  ip=audit.client_ip(request), detail={"portal": "signed out"})
    ps.sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal_login")


@ps.portal_required
@allow("POST")
def switch(request):
    target = request.POST.get("record")
    for r in request.portal.choices:
        if str(r.pk) == target:
            request.session[ps.SUBJECT] = r.pk
            break
    return redirect("portal_home")


# --- pages ------------------------------------------------------------------------------------------------------


def _due(record: Record, on: dt.date) -> list:
    from jkda.programs.registry import program_label
    from jkda.programs.worklist import due_items

    horizon = on + dt.timedelta(days=DUE_HORIZON_DAYS)
    items = sorted((i for i in due_items(Record.objects.filter(pk=record.pk), on) if i.due_on <= horizon),
                   key=lambda i: i.due_on)
    return [{"item": i, "program": program_label(i.program), "overdue": i.overdue(on)} for i in items]


def _pending(p) -> list[AccessRequestItem]:
    return list(AccessRequestItem.objects.filter(
        record=p.record, consent=AccessRequestItem.Consent.PENDING, request__status=AccessRequest.Status.APPROVED)
        .select_related("request__institution").order_by("request_id"))


@ps.portal_required
@allow("GET")
def home(request):
    p = request.portal
    _log_read(request, "home")
    return _render(request, "portal/home.html", {"due": _due(p.record, timezone.localdate())})


@ps.portal_required
@allow("GET")
def record(request):
    from jkda.records.forms import display_sections

    p = request.portal
    _log_read(request, "record")
    sections = [(section, [[(n, label, masking.mask(n, text) if n in masking.MASKED_FIELDS else text)
                            for n, label, text in line] for line in lines])
                for section, lines in display_sections(p.record)]
    return _render(request, "portal/record.html", {"sections": sections})


EXAM_KINDS = {"exam", "prenatal_first", "postpartum_42d"}
VACCINE_KINDS = {"vaccination"}


def _service_groups(record: Record) -> list[tuple[str, str, list]]:
    from jkda.services.timeline import timeline

    exams, vaccines, visits = [], [], []
    for e in timeline(record):
        if e.kind in EXAM_KINDS or e.kind.startswith("child_check"):
            exams.append(e)
        elif e.kind in VACCINE_KINDS:
            vaccines.append(e)
        else:
            visits.append(e)
    return [("followups", _("Follow-ups and visits"), visits), ("exams", _("Examinations"), exams),
            ("vaccines", _("Vaccinations"), vaccines)]


@ps.portal_required
@allow("GET")
def services(request):
    p = request.portal
    _log_read(request, "services")
    return _render(request, "portal/services.html", {"groups": _service_groups(p.record),
                                                      "due": _due(p.record, timezone.localdate())})


def access_entries(record: Record, limit: int = 100) -> list[dict]:
    """Who read or changed the record, from the audit trail: time, institution, role, what — no names, no
    internal details. The resident's own portal visits are left out."""
    from jkda.regions.models import Staff

    entries = list(AuditEntry.objects.filter(object_type="records.record", object_id=record.number, outcome="ok")
                   .exclude(actor_name__startswith="resident:").order_by("-id")[:limit])
    staff = {s.pk: s for s in Staff.objects.filter(pk__in={e.actor_id for e in entries if e.actor_id})
             .select_related("institution")}
    out = []
    for e in entries:
        s = staff.get(e.actor_id)
        try:
            detail = json.loads(e.detail) if e.detail.startswith("{") else {}
        except ValueError:
            detail = {}
        out.append({
            "at": e.at, "what": e.get_action_display(),
            "institution": (s.institution.name if s and s.institution_id else _("System") if s is None else "—"),
            "role": s.get_role_display() if s else "",
            "grant": detail.get("grant"),
        })
    return out


@ps.portal_required
@allow("GET")
def access_log(request):
    p = request.portal
    _log_read(request, "access log")
    return _render(request, "portal/access_log.html", {"entries": access_entries(p.record)})


@ps.portal_required
@allow("GET")
def consents(request):
    p = request.portal
    done = list(AccessRequestItem.objects.filter(record=p.record).exclude(consent=AccessRequestItem.Consent.PENDING)
                .select_related("request__institution").order_by("-consent_at"))
    who, guardian = grants.consenter(p.record, timezone.localdate())
    smi = grants.mental_consents([p.record.pk]).get(p.record.pk)
    return _render(request, "portal/consents.html", {
        "done": done, "may_decide": who is not None and who.pk == p.resident.pk, "guardian_needed": guardian,
        "form": ConsentForm(), "smi": smi})


@ps.portal_required
@allow("POST")
def consent_decide(request, pk):
    p = request.portal
    item = get_object_or_404(AccessRequestItem.objects.select_related("request"), pk=pk, record=p.record)
    form = ConsentForm(request.POST)
    agree = request.POST.get("verdict") == "agree"
    if form.is_valid():
        try:
            grants.decide_consent(item, by=p.resident, agree=agree, reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            for m in msgs:
                messages.error(request, m)
        else:
            messages.success(request, _("You agreed: the applicant may read the record for the period asked.")
                             if agree else _("You refused: the applicant may not read the record."))
    else:
        for errs in form.errors.values():
            for e in errs:
                messages.error(request, e)
    return redirect("portal_consents")


@ps.portal_required
@allow("GET", "POST")
def corrections(request):
    p = request.portal
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.ask_correction(p.resident, p.record, field=form.cleaned_data["field"],
                                   text=form.cleaned_data["text"])
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Your request was sent to the doctor who manages the record."))
            return redirect("portal_corrections")
    mine = list(CorrectionRequest.objects.filter(record=p.record))
    return _render(request, "portal/corrections.html", {"form": form, "mine": mine},
                   status=400 if form.errors else 200)


# --- staff: answer a correction request ---------------------------------------------------------------------------


@requires(Perm.WRITE)
@login_required
@allow("POST")
def correction_answer(request, pk):
    from jkda.access.scope import restrict

    visible = restrict(Record.objects.all(), request.user).values("pk")
    c = get_object_or_404(CorrectionRequest, pk=pk, record__in=visible)
    try:
        actions.answer_correction(request.user, c, corrected=request.POST.get("corrected") == "1",
                                  answer=request.POST.get("answer", ""))
    except (ValidationError, PermissionDenied) as exc:
        msgs = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        for m in msgs:
            messages.error(request, m)
    else:
        messages.success(request, _("The answer was saved; the resident sees it in the portal."))
    return redirect("worklist")
