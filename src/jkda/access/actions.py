"""State changes of access control: assessment assignments (each validates, writes and audits in one transaction)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit
from .models import AssessmentAssignment
from .roles import ASSESSOR, Perm, has
from .scope import visible_institution_ids

MAX_ASSIGNMENT_DAYS = 366


@transaction.atomic
def assign_assessor(actor, assessor, institutions, *, starts_on: dt.date, ends_on: dt.date,
                    purpose: str) -> AssessmentAssignment:
    """Give an assessor read access to institutions of the actor's district for a period, for a stated purpose."""
    if not has(actor, Perm.ASSIGN_ASSESSORS):
        raise PermissionDenied(_("Only health bureau staff may assign assessors."))
    errors: dict[str, list[str]] = {}
    if assessor is None or getattr(assessor, "role", None) != ASSESSOR or not assessor.is_active:
        errors["assessor"] = [_("Choose an active account in the assessor role.")]
    institutions = list(institutions or [])
    if not institutions:
        errors["institutions"] = [_("Choose at least one institution.")]
    reach = set(visible_institution_ids(actor))
    outside = [i.name for i in institutions if i.pk not in reach]
    if outside:
        errors["institutions"] = [_("Outside your district: %(names)s.") % {"names": "、".join(outside)}]
    purpose = (purpose or "").strip()
    if not purpose:
        errors["purpose"] = [_("State the purpose of the assessment.")]
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors["ends_on"] = [_("The end date is before the start date.")]
        elif (ends_on - starts_on).days > MAX_ASSIGNMENT_DAYS:
            errors["ends_on"] = [_("An assignment runs at most %(n)d days.") % {"n": MAX_ASSIGNMENT_DAYS}]
        if ends_on < timezone.localdate():
            errors.setdefault("ends_on", []).append(_("The end date has already passed."))
    if errors:
        raise ValidationError(errors)
    a = AssessmentAssignment.objects.create(assessor=assessor, starts_on=starts_on, ends_on=ends_on,
                                            purpose=purpose[:200], created_by=actor)
    a.institutions.set(institutions)
    audit.log("permission", user=actor, obj=a, detail={
        "assessment_assignment": "created", "assessor": assessor.get_username(),
        "institutions": sorted(i.code for i in institutions), "starts_on": starts_on, "ends_on": ends_on,
        "purpose": purpose})
    return a


@transaction.atomic
def revoke_assignment(actor, assignment: AssessmentAssignment) -> AssessmentAssignment:
    if not has(actor, Perm.ASSIGN_ASSESSORS) or assignment.created_by_id != actor.pk and not (
            set(assignment.institutions.values_list("id", flat=True)) <= set(visible_institution_ids(actor))):
        raise PermissionDenied(_("You may not revoke this assignment."))
    if assignment.revoked_at is not None:
        raise ValidationError(_("The assignment is already revoked."))
    AssessmentAssignment.objects.filter(pk=assignment.pk).update(revoked_at=timezone.now(), revoked_by=actor)
    assignment.refresh_from_db()
    audit.log("permission", user=actor, obj=assignment, detail={
        "assessment_assignment": "revoked", "assessor": assignment.assessor.get_username()})
    return assignment
