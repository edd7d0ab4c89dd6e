"""The receiving side of a two-way referral: one function per state change (sent → received | refused, received →
returned with a referral-back).

Each runs in one transaction, locks the referral row, checks that the actor belongs to the RECEIVING institution
and has a write role, and writes through `services.actions` (history, version, record's latest-service date). The
sending side writes the referral itself through the generic form pages and API (`record_service`).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jkda.access.scope import require_write
from jkda.records.models import Record
from jkda.services import actions as service_actions

from . import rules
from .models import Referral, ReferralBack


def check_receiver(actor, referral: Referral) -> None:
    """Only staff of the institution the resident was referred to, with a write role, act on a referral."""
    target = referral.to_institution
    if actor is None or target is None or getattr(actor, "institution_id", None) != target.pk:
        raise PermissionDenied(_("Only %(inst)s, where the resident was referred to, can act on this referral.")
                               % {"inst": target.name if target else "—"})
    require_write(actor, target)


def visible_referrals(user):
    """Referrals a user may read: those sent to the user's institution (the inbox, whatever the record's
    jurisdiction) and those of records the user may see (the sender's side)."""
    from django.db.models import Q

    from jkda.access.roles import Perm, has
    from jkda.records.search import base_queryset

    qs = Referral.objects.select_related("record__resident", "institution", "to_institution")
    if not has(user, Perm.READ):
        return qs.none()
    cond = Q(record__in=base_queryset(user).values("pk"))
    if has(user, Perm.WRITE) and getattr(user, "institution_id", None):
        cond |= Q(to_institution_id=user.institution_id)
    return qs.filter(cond)


def inbox(user):
    """Referrals sent to the user's institution (clinical staff only: they are the ones who receive them)."""
    from jkda.access.roles import Perm, has

    if not has(user, Perm.WRITE) or not getattr(user, "institution_id", None):
        return Referral.objects.none()
    return Referral.objects.filter(to_institution_id=user.institution_id)


def _day(value, field: str) -> dt.date:
    from jkda.records.rules import today

    day = value or today()
    if day > today():
        raise ValidationError({field: [_("The date cannot be in the future.")]})
    return day


def _lock(referral: Referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("record__resident", "to_institution").get(
        pk=referral.pk)


def _move(locked: Referral, new: str) -> None:
    if not rules.may_move(locked.status, new):
        raise ValidationError(_("The referral is %(status)s: it cannot be marked %(new)s.") % {
            "status": locked.status_label(), "new": Referral(status=new).status_label()})


def _name(actor) -> str:
    return getattr(actor, "full_name", "") or actor.get_username()


@transaction.atomic
def receive_referral(actor, referral: Referral, *, on: dt.date | None = None) -> Referral:
    """The receiving institution accepts the resident (接收)."""
    locked = _lock(referral)
    check_receiver(actor, locked)
    _move(locked, rules.RECEIVED)
    day = _day(on, "received_on")
    return service_actions.update_service(locked, actor, {
        "status": rules.RECEIVED, "received_on": day, "received_by_name": _name(actor)})


@transaction.atomic
def refuse_referral(actor, referral: Referral, reason: str, *, on: dt.date | None = None) -> Referral:
    """The receiving institution refuses the referral and says why (the sender sees the reason)."""
    locked = _lock(referral)
    check_receiver(actor, locked)
    _move(locked, rules.REFUSED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"refusal_reason": [_("Give the reason for refusing the referral.")]})
    day = _day(on, "received_on")
    return service_actions.update_service(locked, actor, {
        "status": rules.REFUSED, "received_on": day, "received_by_name": _name(actor),
        "refusal_reason": reason[:200]})


@transaction.atomic
def answer_referral(actor, referral: Referral, data: dict) -> ReferralBack:
    """The receiving institution answers with a referral-back (回转单); the referral becomes "returned".

    `data` holds the referral-back's field values (already parsed). The referral-back is a service of the resident's
    record, filed under the receiving institution: it appears in the record's timeline."""
    locked = _lock(referral)
    check_receiver(actor, locked)
    if locked.status == rules.SENT:
        raise ValidationError(_("Mark the referral received before answering it."))
    _move(locked, rules.RETURNED)
    record = Record.objects.select_related("resident").get(pk=locked.record_id)
    data = {k: v for k, v in data.items() if k != "referral"}
    back = service_actions.record_service(ReferralBack, record, actor, {**data, "referral": locked},
                                          institution=locked.to_institution)
    service_actions.update_service(locked, actor, {"status": rules.RETURNED})
    return back
