"""Every service form is written through these two functions (web, API, import and programs all call them).

They check who may write, that the record is open and (for a program's form) enrolled, run the form's own
validation, save with history (django-simple-history) and keep the record's `last_service_on` in the same
transaction. A stale edit is refused like a stale edit of the record itself.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from jkda.access.scope import require_write
from jkda.records.actions import StaleEdit
from jkda.records.models import Record
from jkda.regions.models import Institution

from .base import BASE_FIELDS, ServiceForm


def _user_name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_username()


def acting_institution(record: Record, actor) -> Institution:
    """Where a service happens: the user's own clinical institution, else the record's institution."""
    inst = getattr(actor, "institution", None)
    if inst is not None and inst.kind in Institution.CLINICAL_KINDS:
        return inst
    return record.institution


def check_may_write(model: type[ServiceForm], record: Record, actor) -> None:
    if actor is None:
        return
    if model.own_institution_only:
        require_write(actor, record.institution)
    else:
        require_write(actor, acting_institution(record, actor))


def check_open_and_enrolled(model: type[ServiceForm], record: Record, on_date=None, *,
                            enrolled: set[str] | None = None) -> None:
    """Refuse a new form of `model` for a closed record, or for a program the record is not enrolled in. `enrolled`:
    the programs the record is actively enrolled in, when the caller has read them already (one query for many)."""
    if not record.is_active:
        raise ValidationError(_("The record is closed (%(reason)s, %(date)s): no new service can be recorded. "
                                "Reopen it first if this is a mistake.") % {
            "reason": record.get_close_reason_display(), "date": record.closed_on})
    if model.program:
        from jkda.programs.models import Enrollment
        from jkda.programs.registry import PROGRAMS, program_label

        spec = PROGRAMS.get(model.program)
        if spec is not None and spec.by_age:
            return  # the form's age limits decide (elderly, children)
        if enrolled is not None:
            ok = model.program in enrolled
        else:
            ok = Enrollment.objects.active().filter(record=record, program=model.program).exists()
        if not ok:
            raise ValidationError(_("The resident is not enrolled in %(program)s: enrol first, then record the "
                                    "%(form)s.") % {"program": program_label(model.program), "form": model.title()})


def audit_service(action: str, obj: ServiceForm, actor=None, **detail) -> None:
    from jkda.access import audit

    audit.log(action, user=actor, object_type=f"service:{obj.kind}", object_id=str(obj.pk),
              detail={"record": obj.record.number, **detail})


def touch_record(record: Record, when) -> None:
    """Keep the record's latest-service date (never moves backwards; an old form filled late does not lower it)."""
    Record.objects.filter(pk=record.pk).exclude(last_service_on__gte=when).update(last_service_on=when)


@transaction.atomic
def record_service(model: type[ServiceForm], record: Record, actor, data: dict, *,
                   institution: Institution | None = None) -> ServiceForm:
    """Create one service form for a record from field values (already parsed: dates, codes, numbers)."""
    record = Record.objects.select_for_update().select_related("resident", "institution").get(pk=record.pk)
    check_may_write(model, record, actor)
    check_open_and_enrolled(model, record)
    unknown = sorted(set(data) - {f.name for f in model._meta.concrete_fields} - {"history"})
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    obj = model(record=record, institution=institution or acting_institution(record, actor),
                doctor=actor if getattr(actor, "pk", None) else None, created_by=actor if actor else None,
                doctor_name=data.pop("doctor_name", "") or _user_name(actor))
    for name, value in data.items():
        if name in BASE_FIELDS:
            raise ValidationError({name: [_("This field is set by the system.")]})
        setattr(obj, name, value)
    from django.conf import settings

    obj.form_version = getattr(settings, "JKDA_FORM_VERSION", obj.form_version)
    obj.full_clean()
    obj.save()
    touch_record(record, obj.date)
    audit_service("create", obj, actor)
    return obj


@transaction.atomic
def update_service(obj: ServiceForm, actor, changes: dict, *, expected_version: int | None = None) -> ServiceForm:
    """Change fields of a stored form; a save based on an older version than the stored one is refused."""
    model = type(obj)
    locked = model.objects.select_for_update().select_related("record__resident").get(pk=obj.pk)
    check_may_write(model, locked.record, actor)
    if actor is not None:
        locked.check_change(actor)
    if not locked.record.is_active:
        raise ValidationError(_("The record is closed: its forms can no longer be changed."))
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit()
    for name, value in changes.items():
        if name in BASE_FIELDS:
            raise PermissionDenied(_("This field is set by the system."))
        setattr(locked, name, value)
    if not changes:
        return locked
    locked.version += 1  # the row is locked (select_for_update; SQLite writes one at a time)
    locked.full_clean()
    locked.save()
    touch_record(locked.record, locked.date)
    audit_service("update", locked, actor, fields=sorted(changes))
    return locked


def recompute_last_service() -> int:
    """Set every record's `last_service_on` from the stored forms (after a bulk load that bypassed the actions).

    One UPDATE per form kind, each raising the date only where the form's latest date is later."""
    from django.db.models import Exists, Max, OuterRef, Q, Subquery

    from .base import service_models

    changed = 0
    for model in service_models():
        latest = (model.objects.filter(record_id=OuterRef("pk")).order_by().values("record_id")
                  .annotate(m=Max(model.date_field)).values("m"))
        has = model.objects.filter(record_id=OuterRef("pk"))
        qs = Record.objects.filter(Exists(has))
        changed += qs.filter(Q(last_service_on__isnull=True) | Q(last_service_on__lt=Subquery(latest))).update(
            last_service_on=Subquery(latest))
    return changed
