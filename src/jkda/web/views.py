"""Thin views: read through the scoped querysets (records.search / access.scope), write through records.actions.

Every error path ends in a page that says what went wrong: a form re-rendered with its errors, a 404 that does not
tell an unknown record from one outside the user's jurisdiction, a 405 for a wrong method, a 503 when the PDF
font is missing.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required as django_login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access import audit, exports, grants, masking
from jkda.access.roles import Perm, requires
from jkda.access.scope import may_write, restrict
from jkda.records import actions, card
from jkda.records.forms import EditForm, EstablishForm, display_sections, field_label, format_value
from jkda.records.models import Household, Record, Resident
from jkda.records.search import base_queryset, search_records

from .forms import AddMemberForm, CloseForm, FilterForm, HouseholdCreateForm, ReopenForm, TransferForm

# --- helpers ------------------------------------------------------------------------------------------------


def login_required(view):
    """Django's login_required; an htmx request of an expired session reloads the whole page at the login."""
    guarded = django_login_required(view)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = f"{reverse(settings.LOGIN_URL)}?next={request.path}"
            return response
        return guarded(request, *args, **kwargs)

    return wrapper


def allow(*methods: str):
    """Like require_http_methods, but the 405 page says which method is allowed, in words."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in allowed:
                body = render_to_string("web/405.html", {"allowed": ", ".join(methods)}, request=request)
                return HttpResponseNotAllowed(sorted(allowed), content=body)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def add_errors(form, exc: Exception) -> None:
    """Put an action's ValidationError / PermissionDenied on the form, each message next to its field."""
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc) or _("You may not do this."))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target, error)
    else:
        form.add_error(None, exc)


def can_write(user, institution) -> bool:
    return may_write(user, institution)


def _record(request, number: str) -> Record:
    """A record the user may see, else 404 (the same 404 whether it does not exist or is out of scope)."""
    # the page shows the doctor's name from the record's own copy (responsible_doctor_name): no join on the staff
    qs = base_queryset(request.user).select_related("resident__household")
    return get_object_or_404(qs, number=number)


def _visible_record(user, record: Record | None) -> Record | None:
    if record is None:
        return None
    return base_queryset(user).filter(pk=record.pk).first()


# --- pages --------------------------------------------------------------------------------------------------


class Login(LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return home_url(self.request.user)


def home_url(user) -> str:
    """Where a role starts: the residents list, or the administrator's own page (they read no records)."""
    from jkda.access.roles import Perm, has

    if has(user, Perm.READ):
        return reverse("residents")
    if has(user, Perm.READ_AUDIT):
        return reverse("audit_trail")
    if has(user, Perm.ADMIN_USERS) or has(user, Perm.ADMIN_SECURITY):
        return reverse("admin:index")
    return reverse("password_change")


@requires(Perm.READ)
@login_required
@allow("GET")
def residents(request):
    form = FilterForm(request.GET or None, user=request.user)
    q = (request.GET.get("q") or "").strip()[:50]
    records = search_records(request.user, q, **form.search_kwargs())
    page = Paginator(records, settings.JKDA_PAGE_SIZE).get_page(request.GET.get("page"))
    audit.log("search", object_type="records.record", detail={"q": q, **{k: v for k, v in request.GET.items()
                                                                        if k not in ("q", "page")},
                                                               "hits": page.paginator.count, "page": page.number})
    context = {"form": form, "page": page, "q": q}
    if request.htmx and request.htmx.target == "results":
        return render(request, "web/_results.html", context)
    return render(request, "web/residents.html", context)


@requires(Perm.READ)
@login_required
@allow("GET")
def residents_options(request):
    """The search filters' village list for the institution just chosen (htmx swaps it in by id)."""
    form = FilterForm(request.GET, user=request.user)
    return _oob(request, [form["village"]])


def _oob(request, fields):
    """Replace these selects in the page (htmx out-of-band swap by id)."""
    for bound in fields:
        bound.field.widget.attrs["hx-swap-oob"] = "true"
    return render(request, "web/_oob_selects.html", {"fields": fields})


def _cover_form_htmx(request, form):
    """Institution changes reload the village and doctor choices (htmx; without JS the server re-checks)."""
    form.fields["institution"].widget.attrs.update({
        "hx-get": reverse("record_new_options"), "hx-trigger": "change", "hx-swap": "none",
    })
    return form


@requires(Perm.READ)
@login_required
@allow("GET", "POST")
def record_new(request):
    duplicate = None
    if request.method == "POST":
        form = EstablishForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = actions.establish_record(
                    request.user, form.instance, institution=data["institution"], village=data["village"],
                    responsible_doctor=data.get("responsible_doctor"), established_on=data["established_on"],
                )
            except actions.DuplicateIdNumber as exc:
                add_errors(form, exc)
                duplicate = _visible_record(request.user, exc.record)
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Record %(number)s established for %(name)s.") % {
                    "number": record.number, "name": record.resident.name})
                return redirect("record", number=record.number)
    else:
        form = EstablishForm(user=request.user)
    _cover_form_htmx(request, form)
    return render(request, "web/record_form.html", {
        "form": form, "duplicate": duplicate, "establish": True,
        "title": _("Establish a record"), "submit": _("Establish record"),
    })


@requires(Perm.READ)
@login_required
@allow("GET")
def record_new_options(request):
    form = EstablishForm(user=request.user, initial={"institution": request.GET.get("institution") or None})
    return _oob(request, [form["village"], form["responsible_doctor"]])


def _event_rows(record: Record, reveal: bool = False) -> list[dict]:
    rows = []
    for event in record.events.select_related("actor", "from_institution", "to_institution"):
        changes = []
        for name, pair in (event.changes or {}).items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                old, new = format_value(name, pair[0]), format_value(name, pair[1])
                if name in masking.MASKED_FIELDS and not reveal:
                    old, new = masking.mask(name, old), masking.mask(name, new)
                changes.append((field_label(name), old, new))
        rows.append({"event": event, "changes": changes})
    return rows


def _masked_sections(record: Record, reveal: bool):
    """The record's form with ID number, phones and addresses masked unless revealed (access.masking)."""
    sections = display_sections(record)
    if reveal:
        return sections
    return [(section, [[(n, label, masking.mask(n, text) if n in masking.MASKED_FIELDS else text)
                        for n, label, text in line] for line in lines]) for section, lines in sections]


# The forms of the record page's actions sit in closed <details> and most views never open them, so the page renders
# a form only when it must show it (re-rendered with its errors, or `?open=<key>`, the link inside the <details> for
# a browser without scripts); otherwise htmx fetches it when its <details> first opens (`action_fragment`). The
# transfer form alone lists every clinical institution of the city.
LIFECYCLE_FORMS = {"transfer": TransferForm, "close": CloseForm, "reopen": ReopenForm}
LIFECYCLE_SUMMARIES = {"transfer": gettext_lazy("Transfer to another institution"),
                       "close": gettext_lazy("Close the record"), "reopen": gettext_lazy("Reopen the record")}


def lazy_action(key: str, url: str, summary, template: str, form=None) -> dict:
    """One action's <details> on the record page (web/_lazy_action.html); `form` set: rendered open with it."""
    return {"key": key, "url": url, "summary": summary, "template": template, "form": form}


def action_fragment(request, record: Record, applicable: bool, template: str, context: dict) -> HttpResponse:
    """An action's form for its <details>, or, when the record has changed since the page was opened so that the
    action no longer applies, a message saying so."""
    if not can_write(request.user, record.institution):
        raise PermissionDenied(_("Your role may view records but not change them."))
    if not applicable:
        return render(request, "web/_stale_action.html", {"record": record})
    return render(request, template, {"record": record, **context})


def _lifecycle_actions(record: Record) -> tuple[str, ...]:
    return ("transfer", "close") if record.is_active else ("reopen",)


def _action_form(record: Record, name: str, form=None):
    form = form or (TransferForm(record=record) if name == "transfer" else LIFECYCLE_FORMS[name]())
    if name == "transfer":
        form.fields["to_institution"].widget.attrs.update({
            "hx-get": reverse("record_transfer_options", args=[record.number]), "hx-trigger": "change",
            "hx-swap": "none",
        })
    return form


def _record_page(request, record: Record, status: int = 200, reveal: bool = False, **forms):
    resident = record.resident
    writable = can_write(request.user, record.institution)
    open_action = forms.get("open_action", "")
    lifecycle = [lazy_action(name, reverse("record_action_form", args=[record.number, name]),
                             LIFECYCLE_SUMMARIES[name], "web/_lifecycle_form.html",
                             _action_form(record, name, forms.get(f"{name}_form")) if name == open_action else None)
                 for name in _lifecycle_actions(record)] if writable else []
    context = {
        "record": record,
        "resident": resident,
        "sections": _masked_sections(record, reveal),
        "revealed": reveal,
        "card_purpose": _("Given to the resident"),
        "can_reveal": masking.may_reveal(request.user, record.institution),
        "events": _event_rows(record, reveal),
        "household": resident.household if resident.household_id else None,
        "can_write": writable,
        "lifecycle": lifecycle,
        **{f"{a['key']}_form": a["form"] for a in lifecycle if a["form"] is not None},
        "household_form": forms.get("household_form") or HouseholdCreateForm(
            initial={"address": resident.current_address if reveal else ""}),
        "open_action": open_action,
        **_service_context(record, writable, open_action),
        # a refused action of a user who does not see the action forms (read-only role): say why here
        "action_errors": [] if writable else [
            e for f in forms.values() if hasattr(f, "non_field_errors") for e in f.non_field_errors()],
    }
    return render(request, "web/record.html", context, status=status)


def _service_context(record: Record, writable: bool, open_action: str = "") -> dict:
    """The record page's services timeline and program panel (services and programs apps)."""
    from jkda.programs.actions import suggested_programs
    from jkda.programs.models import Enrollment
    from jkda.programs.registry import program_label, programs
    from jkda.programs.views import enrol_action, exit_action
    from jkda.records.rules import today
    from jkda.services.base import age_in_days
    from jkda.services.timeline import addable, in_use, timeline

    on = today()
    days = age_in_days(record.resident.birth_date, on)
    age_programs = [str(p.label) for p in programs() if p.by_age and p.extra.get("age_days")
                    and p.extra["age_days"][0] <= days <= p.extra["age_days"][1]]
    enrollments = list(Enrollment.objects.filter(record=record).order_by("-exited_on", "program"))
    active = {e.program for e in enrollments if e.is_active}
    return {
        "timeline": timeline(record),
        "in_use": in_use(record, on),
        "service_links": addable(record, on, enrolled=active) if writable else [],
        "enrollments": [exit_action(record, e, open_action) for e in enrollments],
        "suggested": [program_label(c) for c in suggested_programs(record, active)] if writable else [],
        "age_programs": age_programs,
        "enrol_action": enrol_action(record, open_action),
    }


@requires(Perm.READ)
@login_required
@allow("GET")
def record_detail(request, number):
    record = _record(request, number)
    reveal = request.GET.get("reveal") == "1"
    if reveal and not masking.may_reveal(request.user, record.institution):
        audit.log("reveal", obj=record, outcome="denied")
        messages.error(request, _("Your role may not see the full ID number, phone and address."))
        reveal = False
    elif reveal:
        audit.log("reveal", obj=record, detail={"fields": list(masking.MASKED_FIELDS)})
    else:
        granted = grants.read_detail(request.user, record)  # {"grant": id} when read through an outside grant
        audit.log("read", obj=record, detail=granted or None)
        if granted:
            messages.info(request, grants.reading_notice(granted["grant"]))
    # `?open=<key>`: that action's form already open (the link inside its <details> when scripts are off)
    return _record_page(request, record, reveal=reveal, open_action=request.GET.get("open", "")[:30])


@requires(Perm.WRITE)
@login_required
@allow("GET")
def record_action_form(request, number, name):
    """One lifecycle action's form, fetched by htmx when its <details> on the record page opens."""
    record = _record(request, number)
    if name not in LIFECYCLE_FORMS:
        raise Http404
    applicable = name in _lifecycle_actions(record)  # else closed or reopened since the page was loaded
    return action_fragment(request, record, applicable, "web/_lifecycle_form.html",
                           {"name": name, "form": _action_form(record, name) if applicable else None})


@requires(Perm.WRITE)
@login_required
@allow("GET", "POST")
def record_edit(request, number):
    record = _record(request, number)
    duplicate = None
    resident = Resident.objects.get(pk=record.resident_id)  # a private copy: the form writes into it
    if request.method == "POST":
        form = EditForm(request.POST, instance=resident)
        if form.is_valid():
            changes = form.changes()
            try:
                if changes:
                    actions.update_resident(request.user, record, changes,
                                            expected_version=form.cleaned_data["version"])
            except actions.DuplicateIdNumber as exc:
                add_errors(form, exc)
                duplicate = _visible_record(request.user, exc.record)
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                if changes:
                    messages.success(request, _("Changes saved."))
                else:
                    messages.info(request, _("Nothing was changed."))
                return redirect("record", number=record.number)
    else:
        form = EditForm(instance=resident)
    return render(request, "web/record_form.html", {
        "form": form, "record": record, "duplicate": duplicate, "establish": False,
        "title": _("Edit personal basic information"), "submit": _("Save changes"),
    })


def _lifecycle(request, record: Record, form, name: str, run, success) -> HttpResponse:
    """Run one lifecycle action from its small form: errors go back onto the record page beside the form."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, success(form.cleaned_data))
            # after a transfer out of the user's jurisdiction the record page would be a 404
            if base_queryset(request.user).filter(pk=record.pk).exists():
                return redirect("record", number=record.number)
            return redirect("residents")
    return _record_page(request, record, open_action=name, **{f"{name}_form": form})


@requires(Perm.READ)
@login_required
@allow("POST")
def record_transfer(request, number):
    record = _record(request, number)
    return _lifecycle(
        request, record, TransferForm(request.POST, record=record), "transfer",
        lambda d: actions.transfer_record(request.user, record, to_institution=d["to_institution"],
                                          village=d.get("village"), reason=d["reason"]),
        lambda d: _("The record was transferred to %(inst)s.") % {"inst": d["to_institution"].name},
    )


@requires(Perm.READ)
@login_required
@allow("GET")
def record_transfer_options(request, number):
    record = _record(request, number)
    form = TransferForm(request.GET, record=record)
    return _oob(request, [form["village"]])


@requires(Perm.READ)
@login_required
@allow("POST")
def record_close(request, number):
    record = _record(request, number)
    return _lifecycle(
        request, record, CloseForm(request.POST), "close",
        lambda d: actions.close_record(request.user, record, reason=d["reason"], closed_on=d["closed_on"],
                                       note=d["note"]),
        lambda d: _("The record was closed."),
    )


@requires(Perm.READ)
@login_required
@allow("POST")
def record_reopen(request, number):
    record = _record(request, number)
    return _lifecycle(
        request, record, ReopenForm(request.POST), "reopen",
        lambda d: actions.reopen_record(request.user, record, reason=d["reason"]),
        lambda d: _("The record was reopened."),
    )


@requires(Perm.EXPORT)
@login_required
@allow("GET")
def record_card(request, number):
    record = _record(request, number)
    purpose, form = exports.export_purpose(request)
    if purpose is None:
        return exports.purpose_page(request, form, _("Print info card (PDF)"))
    try:
        pdf = card.render_card(record, watermark=exports.watermark(request.user, purpose))
    except card.FontUnavailable as exc:
        return render(request, "web/card_unavailable.html", {"record": record, "detail": str(exc)}, status=503)
    exports.log_export("info card PDF", purpose, obj=record)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="card-{record.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --- households ---------------------------------------------------------------------------------------------


def _household(request, number: str) -> Household:
    qs = restrict(Household.objects.select_related("institution", "village", "head"), request.user)
    return get_object_or_404(qs, number=number)


def _household_page(request, household: Household, add_form=None, remove_error: str = ""):
    members = list(base_queryset(request.user).filter(resident__household=household)
                   .order_by("resident__relation_to_head", "id"))
    hidden = household.members.count() - len(members)
    return render(request, "web/household.html", {
        "household": household,
        "members": members,
        "hidden": hidden,
        "can_write": can_write(request.user, household.institution),
        "add_form": add_form or AddMemberForm(),
        "remove_error": remove_error,
    })


@requires(Perm.READ)
@login_required
@allow("POST")
def household_create(request, number):
    record = _record(request, number)
    form = HouseholdCreateForm(request.POST)
    if form.is_valid():
        try:
            household = actions.create_household(request.user, institution=record.institution,
                                                  village=record.village, address=form.cleaned_data["address"],
                                                  head=record)
        except (ValidationError, PermissionDenied) as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Household %(number)s created.") % {"number": household.number})
            return redirect("household", number=household.number)
    return _record_page(request, record, household_form=form, open_action="household")


@requires(Perm.READ)
@login_required
@allow("GET")
def household_detail(request, number):
    household = _household(request, number)
    audit.log("read", obj=household)
    return _household_page(request, household)


@requires(Perm.READ)
@login_required
@allow("POST")
def household_add_member(request, number):
    household = _household(request, number)
    form = AddMemberForm(request.POST)
    if form.is_valid():
        member = base_queryset(request.user).filter(number=form.cleaned_data["record"].strip()).first()
        if member is None:
            form.add_error("record", _("No record with this number in your jurisdiction."))
        else:
            try:
                actions.add_member(request.user, household, member, relation=form.cleaned_data["relation"])
            except (ValidationError, PermissionDenied) as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("%(name)s was added to the household.") % {"name": member.resident.name})
                return redirect("household", number=household.number)
    return _household_page(request, household, add_form=form)


@requires(Perm.READ)
@login_required
@allow("POST")
def household_remove_member(request, number):
    household = _household(request, number)
    member = base_queryset(request.user).filter(number=(request.POST.get("record") or "").strip()).first()
    if member is None:
        raise Http404
    try:
        actions.remove_member(request.user, household, member)
    except (ValidationError, PermissionDenied) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return _household_page(request, household, remove_error=text)
    messages.success(request, _("%(name)s was removed from the household.") % {"name": member.resident.name})
    return redirect("household", number=household.number)


def csrf_failure(request, reason=""):
    """CSRF refusal in the user's language: usually a form left open past the session or a stale tab."""
    from django.shortcuts import render as _render

    return _render(request, "403.html", {
        "exception": _("The form has expired or was sent from another page. Reload the page and try again."),
    }, status=403)
