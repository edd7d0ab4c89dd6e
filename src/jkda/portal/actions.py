"""Changes made from the portal (correction requests) and their answer by the managing doctor. Consent to outside
access is access.grants.decide_consent."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jkda.access import audit
from jkda.access.grants import resident_actor
from jkda.access.scope import require_write

from .models import CorrectionRequest

# The items a resident may ask to correct: fields of the personal basic information form, a service form, other.
CORRECTION_FIELDS = ("name", "sex", "birth_date", "id_number", "phone", "contact_name", "contact_phone",
                     "current_address", "registered_address", "ethnicity", "abo", "drug_allergy", "past_diseases",
                     "family_history", "disability")
EXTRA_ITEMS = {"service": gettext_lazy("a service record (examination, follow-up, vaccination ...)"),
               "other": gettext_lazy("something else")}


def correction_field_label(name: str) -> str:
    if name in EXTRA_ITEMS:
        return str(EXTRA_ITEMS[name])
    from jkda.records.forms import field_label

    return str(field_label(name))


def correction_choices() -> list[tuple[str, str]]:
    return [(n, correction_field_label(n)) for n in (*CORRECTION_FIELDS, *EXTRA_ITEMS)]


def may_act_for(resident, record) -> bool:
    """The resident's own record, or a child's under 14 whose household the resident heads."""
    from .session import subjects

    return any(r.pk == record.pk for r in subjects(resident))


@transaction.atomic
def ask_correction(by, record, *, field: str, text: str, now=None) -> CorrectionRequest:
    now = now or timezone.now()
    if by is None or not may_act_for(by, record):
        raise PermissionDenied(_("You may ask for corrections only to your own record or your child's."))
    errors = {}
    if field not in CORRECTION_FIELDS and field not in EXTRA_ITEMS:
        errors["field"] = [_("Choose the item to correct.")]
    text = (text or "").strip()
    if len(text) < 2:
        errors["text"] = [_("Say what is wrong and what is right.")]
    elif len(text) > 1000:
        errors["text"] = [_("Keep it under 1000 characters.")]
    if errors:
        raise ValidationError(errors)
    c = CorrectionRequest.objects.create(record=record, field=field, text=text, submitted_by=by,
                                         by_guardian=record.resident_id != by.pk, submitted_at=now)
    audit.log("create", user=resident_actor(by), object_type="portal.correction", object_id=str(c.pk), ip=None,
              detail={"record": record.number, "field": field, "by_guardian": c.by_guardian})
    return c


@transaction.atomic
def answer_correction(actor, correction: CorrectionRequest, *, corrected: bool, answer: str = "",
                      now=None) -> CorrectionRequest:
    """The managing doctor answers: corrected (after changing the record), or not, with reasons."""
    now = now or timezone.now()
    c = CorrectionRequest.objects.select_for_update().select_related("record__institution").get(pk=correction.pk)
    require_write(actor, c.record.institution)
    if c.status != CorrectionRequest.Status.OPEN:
        raise ValidationError(_("This correction request was already answered."))
    answer = (answer or "").strip()
    if not corrected and len(answer) < 4:
        raise ValidationError({"answer": [_("Give the reasons why the record is not corrected.")]})
    c.status = CorrectionRequest.Status.DONE if corrected else CorrectionRequest.Status.REFUSED
    c.resolved_at, c.resolved_by = now, actor
    c.resolved_by_name = (getattr(actor, "full_name", "") or actor.get_username())[:150]
    c.answer = answer[:500]
    c.save()
    audit.log("update", user=actor, object_type="portal.correction", object_id=str(c.pk),
              detail={"record": c.record.number, "status": ["open", c.status], "answer": c.answer})
    return c
