"""Outside access: a written application, the managing institution's decision, the resident's consent, and the
time-boxed, read-only grant that follows (DOMAIN.md §1 item 11, §6: PIPL separate consent, guardian for under-14s).

States of an `AccessRequest`::

    submitted ──approve──▶ approved ──(every resident consents)──▶ consented ──▶ active ──▶ expired
        │                     │                                                    └──revoke──▶ revoked
        └──refuse──▶ refused  └──(a resident declines)──▶ declined

Every step is one function below that validates, writes, keeps the request's event history and writes the audit
entry in one transaction. The grant is the request's active phase (its id is the request's id): it opens exactly
the records asked for, read-only, to the applicant only, from `starts_at` until `ends_at`. Whether it is open is
decided at access time against the clock (no cron): a grant found past its end is marked expired then.

Who decides:
- the applicant: any active staff account except the three administrators, for records outside their own scope;
  all records of one application must be managed by one institution;
- approval, refusal (reasons required) and revocation (reasons required): the record manager or the head of the
  managing institution (or of an institution above it);
- consent: the resident; for a child under 14, the guardian, who is the head of the child's household (家庭档案
  户主) — the household head is the person the record system knows and can authenticate in the portal; a contact
  name on the cover is free text and cannot sign in. A child under 14 without a household head on record cannot
  be consented for until the managing institution records one.

What a grant opens (access.scope.restrict calls `granted_record_ids`): the record page and the pages of its
service forms, for GET requests in the browser only. Anything else — edits, the info card PDF, the JSON API,
exports, work lists — does not see the record, so a grantee can only read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import AccessRequest, AccessRequestEvent, AccessRequestItem
from .roles import ADMIN_ROLES  # the three administrators (they read no health records)

S = AccessRequest.Status
DECIDER_ROLES = {"record_manager", "head"}
GUARDIAN_AGE = 14            # PIPL: personal information of children under 14 needs the guardian's consent
MAX_RECORDS = 20             # records in one application
MAX_DAYS = 90                # longest period of access one application may ask for
GRANT_PAGES = {"record", "service_detail"}  # the pages (URL names) a grant opens, GET only
REASON_MIN = 4               # characters of a refusal / revocation reason


@dataclass(frozen=True)
class ResidentActor:
    """A resident (or guardian) acting in the portal, in the shape audit.log expects of a user. Residents have no
    staff account; the audit entry names them by their record number."""

    record_number: str
    resident_id: int
    pk = None
    is_authenticated = True

    def get_username(self) -> str:
        return f"resident:{self.record_number}"


def resident_actor(resident) -> ResidentActor:
    return ResidentActor(record_number=resident.record.number, resident_id=resident.pk)


def _now(now):
    return now or timezone.now()


def _name(user) -> str:
    return (getattr(user, "full_name", "") or user.get_username())[:150]


def _event(req: AccessRequest, now, actor_name: str = "", note: str = "") -> None:
    AccessRequestEvent.objects.create(request=req, at=now, status=req.status, actor_name=actor_name[:150],
                                      note=note[:500])


def _log(action: str, req: AccessRequest, user, detail: dict) -> None:
    audit.log(action, user=user, object_type="access.request", object_id=str(req.pk), detail=detail, ip=None)


def _locked(req: AccessRequest) -> AccessRequest:
    return AccessRequest.objects.select_for_update().select_related("institution").get(pk=req.pk)


def _wrong_state(req: AccessRequest, doing: str) -> ValidationError:
    return ValidationError(_("This application is “%(status)s”: it cannot be %(doing)s now.") % {
        "status": req.get_status_display(), "doing": doing})


def parse_numbers(text: str) -> list[str]:
    """Record numbers from free text: separated by spaces, commas, semicolons or new lines; order kept, once each."""
    out: list[str] = []
    for n in re.split(r"[\s,，;；、]+", text or ""):
        if n and n not in out:
            out.append(n)
    return out


# --- the applicant --------------------------------------------------------------------------------------------


@transaction.atomic
def submit_request(applicant, *, record_numbers: list[str], organisation: str, purpose: str,
                   period_start: dt.date, period_end: dt.date, now=None) -> AccessRequest:
    """File a written application for named records; it goes to the institution that manages them."""
    from jkda.records.models import Record

    from .scope import visible_institution_ids

    now = _now(now)
    if applicant is None or not applicant.is_authenticated or not applicant.is_active:
        raise PermissionDenied(_("Sign in to file an application."))
    if getattr(applicant, "role", None) in ADMIN_ROLES:
        raise PermissionDenied(_("Administrators do not read health records and cannot apply for access."))
    errors: dict[str, list[str]] = {}
    organisation = (organisation or "").strip()
    purpose = (purpose or "").strip()
    if not organisation:
        errors["organisation"] = [_("Give the organisation you apply for.")]
    if len(purpose) < 10:
        errors["purpose"] = [_("Describe the purpose of the access (at least 10 characters).")]
    numbers = [n.strip() for n in record_numbers if n and n.strip()]
    records: list[Record] = []
    if not numbers:
        errors["records"] = [_("Name at least one record number.")]
    elif len(numbers) > MAX_RECORDS:
        errors["records"] = [_("One application may ask for at most %(n)d records.") % {"n": MAX_RECORDS}]
    else:
        found = {r.number: r for r in Record.objects.select_related("institution").filter(number__in=numbers)}
        missing = [n for n in numbers if n not in found]
        if missing:
            errors["records"] = [_("No record has the number(s): %(list)s.") % {"list": "、".join(missing)}]
        else:
            records = [found[n] for n in numbers]
            ids = visible_institution_ids(applicant)
            inside = [r.number for r in records if r.institution_id in ids]
            institutions = {r.institution_id for r in records}
            if inside:
                errors["records"] = [_("You may already see these records in your own work, no application is "
                                       "needed: %(list)s.") % {"list": "、".join(inside)}]
            elif len(institutions) > 1:
                errors["records"] = [_("These records are managed by different institutions: file one "
                                       "application per managing institution.")]
    today = timezone.localdate(now)
    if period_start is None:
        errors["period_start"] = [_("Give the first day of access.")]
    elif period_start < today:
        errors["period_start"] = [_("The period of access cannot start in the past.")]
    if period_end is None:
        errors["period_end"] = [_("Give the last day of access.")]
    elif period_start is not None and period_end < period_start:
        errors["period_end"] = [_("The last day of access is before the first.")]
    elif period_start is not None and (period_end - period_start).days + 1 > MAX_DAYS:
        errors["period_end"] = [_("Access may be asked for at most %(n)d days.") % {"n": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)
    req = AccessRequest.objects.create(
        applicant=applicant, applicant_name=_name(applicant), organisation=organisation[:100], purpose=purpose,
        institution=records[0].institution, period_start=period_start, period_end=period_end, submitted_at=now)
    AccessRequestItem.objects.bulk_create([AccessRequestItem(request=req, record=r) for r in records])
    _event(req, now, req.applicant_name)
    _log("create", req, applicant, {"status": [None, S.SUBMITTED], "records": numbers, "purpose": purpose,
                                    "organisation": organisation, "institution": req.institution.code,
                                    "period": [period_start.isoformat(), period_end.isoformat()]})
    return req


# --- the managing institution -----------------------------------------------------------------------------------


def may_decide(user, req: AccessRequest) -> bool:
    from .scope import may_manage

    return (user is not None and user.is_authenticated and getattr(user, "role", None) in DECIDER_ROLES
            and may_manage(user, req.institution))


def _require_decider(user, req: AccessRequest) -> None:
    if not may_decide(user, req):
        raise PermissionDenied(_("Only the record manager or the head of %(inst)s may decide on this "
                                 "application.") % {"inst": req.institution.name})


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN:
        raise ValidationError({"reason": [_("Give the reasons for the %(what)s (at least %(n)d characters).") % {
            "what": what, "n": REASON_MIN}]})
    return reason[:500]


@transaction.atomic
def approve(actor, req: AccessRequest, *, reason: str = "", now=None) -> AccessRequest:
    """The managing institution agrees; the residents (or guardians) are asked for consent in the portal."""
    now = _now(now)
    req = _locked(req)
    _require_decider(actor, req)
    if req.status != S.SUBMITTED:
        raise _wrong_state(req, _("approved"))
    req.status, req.decided_at, req.decided_by_name = S.APPROVED, now, _name(actor)
    req.decision_reason = (reason or "").strip()[:500]
    req.save()
    _event(req, now, req.decided_by_name, req.decision_reason)
    _log("update", req, actor, {"status": [S.SUBMITTED, S.APPROVED], "reason": req.decision_reason})
    return req


@transaction.atomic
def refuse(actor, req: AccessRequest, *, reason: str, now=None) -> AccessRequest:
    """The managing institution refuses, with reasons (required)."""
    now = _now(now)
    req = _locked(req)
    _require_decider(actor, req)
    if req.status != S.SUBMITTED:
        raise _wrong_state(req, _("refused"))
    reason = _reason(reason, _("refusal"))
    req.status, req.decided_at, req.decided_by_name, req.decision_reason = S.REFUSED, now, _name(actor), reason
    req.save()
    _event(req, now, req.decided_by_name, reason)
    _log("update", req, actor, {"status": [S.SUBMITTED, S.REFUSED], "reason": reason})
    return req


@transaction.atomic
def revoke(actor, req: AccessRequest, *, reason: str, now=None) -> AccessRequest:
    """The managing institution ends an active grant before its time, with reasons."""
    now = _now(now)
    req = _locked(req)
    _require_decider(actor, req)
    if req.status == S.ACTIVE and req.ends_at <= now:
        _expire(req, now)
    if req.status != S.ACTIVE:
        raise _wrong_state(req, _("revoked"))
    reason = _reason(reason, _("revocation"))
    req.status, req.closed_at, req.closed_reason = S.REVOKED, now, reason
    req.save()
    _event(req, now, _name(actor), reason)
    _log("permission", req, actor, {"status": [S.ACTIVE, S.REVOKED], "reason": reason})
    return req


# --- the resident or guardian ---------------------------------------------------------------------------------


def age_on(resident, day: dt.date) -> int:
    b = resident.birth_date
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def guardian_of(resident):
    """The guardian who consents for a child under 14: the head of the child's household (None if not recorded)."""
    household = resident.household if resident.household_id else None
    if household is None or not household.head_id or household.head_id == resident.pk:
        return None
    return household.head


def consenter(record, day: dt.date):
    """(resident who decides, by_guardian) for the record on that day; (None, True) when a child has no guardian
    on record."""
    resident = record.resident
    if age_on(resident, day) < GUARDIAN_AGE:
        return guardian_of(resident), True
    return resident, False


def may_consent(resident, record, day: dt.date) -> bool:
    who, _guardian = consenter(record, day)
    return who is not None and who.pk == resident.pk


@transaction.atomic
def decide_consent(item: AccessRequestItem, *, by, agree: bool, reason: str = "", now=None) -> AccessRequest:
    """The resident (or the guardian of a child under 14) consents or refuses for one record. When every record's
    resident has consented the request is consented and the grant opens at once; one refusal ends it."""
    from jkda.records.models import Record

    now = _now(now)
    req = _locked(item.request)
    item = AccessRequestItem.objects.select_for_update().get(pk=item.pk)
    record = Record.objects.select_related("resident__household__head").get(pk=item.record_id)
    if req.status != S.APPROVED:
        raise _wrong_state(req, _("consented to or refused"))
    if item.consent != AccessRequestItem.Consent.PENDING:
        raise ValidationError(_("This record's consent was already given or refused."))
    who, guardian = consenter(record, timezone.localdate(now))
    if who is None:
        raise PermissionDenied(_("The resident is under 14: the guardian (the head of the household) decides, and "
                                 "no household head is on record. Ask the managing institution to record one."))
    if by is None or who.pk != by.pk:
        if guardian:
            raise PermissionDenied(_("The resident is under 14: only the guardian (the head of the household) may "
                                     "decide."))
        raise PermissionDenied(_("Only the resident may decide on access to this record."))
    reason = (reason or "").strip()[:500]
    item.consent = AccessRequestItem.Consent.CONSENTED if agree else AccessRequestItem.Consent.DECLINED
    item.consent_at, item.consent_by, item.by_guardian, item.consent_reason = now, by, guardian, reason
    item.save()
    actor = resident_actor(by)
    audit.log("update", user=actor, object_type="access.request", object_id=str(req.pk), ip=None,
              detail={"record": record.number, "consent": item.consent, "by_guardian": guardian, "reason": reason})
    if not agree:
        req.status, req.closed_at, req.closed_reason = S.DECLINED, now, reason
        req.save()
        _event(req, now, actor.get_username(), reason)
        _log("update", req, actor, {"status": [S.APPROVED, S.DECLINED], "record": record.number})
        return req
    if req.items.exclude(consent=AccessRequestItem.Consent.CONSENTED).exists():
        return req
    req.status = S.CONSENTED
    req.save()
    _event(req, now, actor.get_username())
    _log("update", req, actor, {"status": [S.APPROVED, S.CONSENTED]})
    return open_grant(req, now=now)


@transaction.atomic
def open_grant(req: AccessRequest, *, now=None) -> AccessRequest:
    """Consent complete: open the read-only grant for the period asked for (from now if it already started)."""
    now = _now(now)
    req = _locked(req)
    if req.status != S.CONSENTED:
        raise _wrong_state(req, _("opened"))
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(req.period_start, dt.time.min, tz)
    end = dt.datetime.combine(req.period_end + dt.timedelta(days=1), dt.time.min, tz)
    req.status, req.starts_at, req.ends_at = S.ACTIVE, max(start, now), end
    req.save()
    _event(req, now)
    _log("permission", req, None, {"status": [S.CONSENTED, S.ACTIVE], "grantee": req.applicant.get_username(),
                                   "records": list(req.items.values_list("record__number", flat=True)),
                                   "from": req.starts_at.isoformat(), "until": req.ends_at.isoformat()})
    return req


def _expire(req: AccessRequest, now) -> None:
    req.status, req.closed_at = S.EXPIRED, req.ends_at
    req.save()
    _event(req, now, note=_("The period of access ended."))
    _log("permission", req, None, {"status": [S.ACTIVE, S.EXPIRED], "ended": req.ends_at.isoformat()})


@transaction.atomic
def expire_due(*, applicant=None, now=None) -> int:
    """Mark active grants whose period has ended as expired (run lazily when grants are looked at)."""
    now = _now(now)
    qs = AccessRequest.objects.filter(status=S.ACTIVE, ends_at__lte=now)
    if applicant is not None:
        qs = qs.filter(applicant=applicant)
    n = 0
    for req in qs.select_for_update():
        _expire(req, now)
        n += 1
    return n


# --- reading through a grant ------------------------------------------------------------------------------------


def open_grants(user, now=None) -> dict[int, int]:
    """{record id: grant id} of the records that active grants open to the user now."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return {}
    now = _now(now)
    # one query in the usual case (no active grant at all): the user's active grants' periods
    periods = list(AccessRequest.objects.filter(applicant=user, status=S.ACTIVE).values_list("starts_at", "ends_at"))
    if any(ends <= now for _starts, ends in periods):
        expire_due(applicant=user, now=now)
    if not any(starts <= now < ends for starts, ends in periods):
        return {}
    rows = AccessRequestItem.objects.filter(
        request__applicant=user, request__status=S.ACTIVE, request__starts_at__lte=now, request__ends_at__gt=now,
    ).values_list("record_id", "request_id")
    return dict(rows)


def granted_record_ids(queryset, user) -> list[int]:
    """The hook of access.scope.restrict: ids of records a grant opens to the user for the current request — only
    health records, only the record page and its service forms, only GET, only in the browser. Cached per request.
    """
    from jkda.records.models import Record

    if queryset.model is not Record or user is None or not getattr(user, "is_authenticated", False):
        return []
    request = audit._request_ctx.get()
    if request is None or request.method not in ("GET", "HEAD"):
        return []
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name not in GRANT_PAGES:
        return []
    cache = getattr(request, "_jkda_open_grants", None)
    if cache is None or cache[0] != user.pk:
        cache = (user.pk, open_grants(user))
        request._jkda_open_grants = cache
    return list(cache[1])


def read_detail(user, record) -> dict:
    """Audit detail for a read: {"grant": id} when the user sees the record only through a grant, else {}."""
    from .scope import visible_institution_ids

    ids = visible_institution_ids(user)
    if record.institution_id in ids:
        return {}
    grant = open_grants(user).get(record.pk)
    return {"grant": grant} if grant else {}


def effective_status(req: AccessRequest, now=None) -> str:
    """The status as of now: an active grant past its end reads as expired even before it is marked so."""
    if req.status == S.ACTIVE and req.ends_at and req.ends_at <= _now(now):
        return S.EXPIRED
    return req.status


def mental_consents(records) -> dict[int, object]:
    """{record id: latest SmiProfile} for records whose resident is under severe-mental-disorder management: the
    management consent recorded on the supplementary form (shown beside the outside-access consent)."""
    from jkda.programs.mental.models import SmiProfile

    out = {}
    for p in SmiProfile.objects.filter(record__in=records).order_by("record_id", "consent_date", "id"):
        out[p.record_id] = p
    return out


def reading_notice(grant_id: int) -> str:
    """The line a grantee sees above a record opened by a grant."""
    req = AccessRequest.objects.filter(pk=grant_id).only("ends_at").first()
    until = timezone.localtime(req.ends_at).strftime("%Y-%m-%d %H:%M") if req and req.ends_at else ""
    return _("You are reading this record through outside-access grant #%(id)s, read-only, until %(until)s.") % {
        "id": grant_id, "until": until}
