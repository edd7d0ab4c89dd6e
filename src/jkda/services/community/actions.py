"""The only write path of the institution-level services: create, change, revise and cancel.

Each function checks that the actor may write for the institution (access.scope.require_write: a read-only role
or another institution's staff is refused), that the institution is a clinical one, validates the whole object
and saves it with its history in one transaction. A stale edit is refused like a stale edit of a record.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jkda.access.scope import require_write
from jkda.records.actions import StaleEdit
from jkda.regions.models import Institution

from . import codes as C
from .models import InfectiousReport, InstitutionService

SYSTEM_FIELDS = {"id", "institution", "form_version", "version", "created_at", "updated_at", "created_by",
                 "status", "revises", "cancel_reason", "disease_class", "urgent"}


def check_institution(actor, institution: Institution) -> None:
    require_write(actor, institution)
    if institution.kind not in Institution.CLINICAL_KINDS:
        raise ValidationError({"institution": [_("Only a clinical institution records these services.")]})


def _assign(obj, data: dict) -> None:
    names = {f.name for f in type(obj)._meta.concrete_fields}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    for name, value in data.items():
        if name in SYSTEM_FIELDS:
            raise ValidationError({name: [_("This field is set by the system.")]})
        setattr(obj, name, value)


@transaction.atomic
def create(model: type[InstitutionService], actor, institution: Institution, data: dict) -> InstitutionService:
    """Record one institution-level service from parsed values (dates, codes, numbers, model instances)."""
    check_institution(actor, institution)
    obj = model(institution=institution, created_by=actor if getattr(actor, "pk", None) else None)
    _assign(obj, dict(data))
    obj.form_version = getattr(settings, "JKDA_FORM_VERSION", obj.form_version)
    obj.full_clean()
    obj.save()
    return obj


@transaction.atomic
def update(obj: InstitutionService, actor, changes: dict, *, expected_version: int | None = None):
    """Change fields of a stored entry; a save based on an older version than the stored one is refused."""
    model = type(obj)
    locked = model.objects.select_for_update().select_related("institution").get(pk=obj.pk)
    check_institution(actor, locked.institution)
    if isinstance(locked, InfectiousReport) and locked.status != C.VALID:
        raise ValidationError(_("This card was revised or cancelled: it is kept as it was."))
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit()
    if not changes:
        return locked
    _assign(locked, changes)
    locked.version += 1
    locked.full_clean()
    locked.save()
    return locked


@transaction.atomic
def revise_report(card: InfectiousReport, actor, changes: dict) -> InfectiousReport:
    """订正: a new card with the corrections; the original stays unchanged but marked revised."""
    original = InfectiousReport.objects.select_for_update().select_related("institution").get(pk=card.pk)
    check_institution(actor, original.institution)
    if original.status != C.VALID:
        raise ValidationError(_("Only a valid card can be revised."))
    names = [f.name for f in InfectiousReport._meta.concrete_fields if f.editable and f.name not in SYSTEM_FIELDS]
    data = {n: getattr(original, n) for n in names}
    data.update(changes)
    new = InfectiousReport(institution=original.institution, revises=original,
                           created_by=actor if getattr(actor, "pk", None) else None)
    _assign(new, data)
    new.form_version = original.form_version
    new.full_clean()
    new.save()
    original.status = C.REVISED
    original.version += 1
    original.save(update_fields=["status", "version", "updated_at"])
    return new


@transaction.atomic
def cancel_report(card: InfectiousReport, actor, reason: str) -> InfectiousReport:
    """删除: the card stays, marked cancelled with the reason; it no longer counts."""
    locked = InfectiousReport.objects.select_for_update().select_related("institution").get(pk=card.pk)
    check_institution(actor, locked.institution)
    if locked.status != C.VALID:
        raise ValidationError(_("Only a valid card can be cancelled."))
    if not (reason or "").strip():
        raise ValidationError({"cancel_reason": [_("Give the reason for cancelling the card.")]})
    locked.status = C.CANCELLED
    locked.cancel_reason = reason.strip()[:200]
    locked.version += 1
    locked.save(update_fields=["status", "cancel_reason", "version", "updated_at"])
    return locked


def may_write(actor, institution: Institution) -> bool:
    try:
        check_institution(actor, institution)
    except (PermissionDenied, ValidationError):
        return False
    return True
