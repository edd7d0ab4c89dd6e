"""The portal session: separate from staff sign-in. It stores the signed-in resident's id, the record being looked
at (the resident's own, or a child's for a guardian) and the time of the last request; after
JKDA_PORTAL_IDLE_SECONDS (600) without a request the portal forgets the resident. Staff accounts are never used."""

from __future__ import annotations

import functools
import time

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from jkda.access.grants import GUARDIAN_AGE, age_on

RESIDENT, SUBJECT, SEEN, CHALLENGE = "portal_resident", "portal_subject", "portal_seen", "portal_challenge"


def idle_seconds() -> int:
    return int(getattr(settings, "JKDA_PORTAL_IDLE_SECONDS", 600))


def sign_in(request, resident) -> None:
    for key in (RESIDENT, SUBJECT, SEEN, CHALLENGE):
        request.session.pop(key, None)
    request.session.cycle_key()
    request.session[RESIDENT] = resident.pk
    request.session[SUBJECT] = resident.record.pk
    request.session[SEEN] = time.time()


def sign_out(request) -> None:
    for key in (RESIDENT, SUBJECT, SEEN, CHALLENGE):
        request.session.pop(key, None)
    request.session.cycle_key()


def subjects(resident) -> list:
    """The records the resident may look at: their own, and those of children under 14 of the household they
    head (the guardian rule of access.grants)."""
    from jkda.records.models import Record

    own = Record.objects.select_related("resident", "institution").get(resident=resident)
    out = [own]
    if resident.household_id and resident.household.head_id == resident.pk:
        day = timezone.localdate()
        for rec in (Record.objects.select_related("resident", "institution")
                    .filter(resident__household_id=resident.household_id).exclude(resident=resident)
                    .order_by("resident__birth_date")):
            if age_on(rec.resident, day) < GUARDIAN_AGE:
                out.append(rec)
    return out


class Portal:
    """What a portal view knows: who signed in, whose record is shown, and whether as the guardian."""

    def __init__(self, resident, record, choices):
        self.resident, self.record, self.choices = resident, record, choices

    @property
    def as_guardian(self) -> bool:
        return self.record.resident_id != self.resident.pk


def current(request) -> Portal | None:
    from jkda.records.models import Resident

    rid = request.session.get(RESIDENT)
    if not rid:
        return None
    seen = request.session.get(SEEN) or 0
    if time.time() - seen > idle_seconds():
        sign_out(request)
        request.portal_timed_out = True
        return None
    resident = Resident.objects.select_related("household", "record").filter(pk=rid).first()
    if resident is None or not resident.record.is_active:
        sign_out(request)
        return None
    choices = subjects(resident)
    record = next((r for r in choices if r.pk == request.session.get(SUBJECT)), choices[0])
    request.session[SEEN] = time.time()
    return Portal(resident, record, choices)


def portal_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        portal = current(request)
        if portal is None:
            if getattr(request, "portal_timed_out", False):
                return redirect(reverse("portal_login") + "?timeout=1")
            return redirect("portal_login")
        request.portal = portal
        return view(request, *args, **kwargs)

    return wrapper
