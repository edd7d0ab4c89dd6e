"""Every change of a record goes through one of these functions.

Each validates, writes, keeps history (django-simple-history snapshots plus a RecordEvent with the before and
after of every changed field) in one transaction. Views, the API, the CLI and the importer all call them.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jkda.access.scope import require_write
from jkda.regions.models import Division, Institution

from . import numbering
from .models import Household, Record, RecordEvent, Resident
from .rules import today

# Fields a user may change through update_resident (everything on the form, nothing derived).
EDITABLE_FIELDS = [
    f.name for f in Resident._meta.get_fields()
    if getattr(f, "editable", False) and f.concrete and not f.primary_key
    and f.name not in {"household", "relation_to_head", "form_version", "version", "updated_at"}
]


class DuplicateIdNumber(ValidationError):
    """The ID number already has a record. Who holds it is named only to a user who may see that record."""

    def __init__(self, existing: Resident, actor=None):
        from jkda.access.scope import may_manage

        rec = getattr(existing, "record", None)
        self.existing = existing
        self.visible = rec is not None and (actor is None or may_manage(actor, rec.institution))
        self.record = rec if self.visible else None
        if self.visible:
            msg = _("A record with this ID number already exists: %(number)s (%(name)s, %(inst)s).") % {
                "number": rec.number, "name": existing.name, "inst": rec.institution.name}
        elif rec is not None:
            msg = _("A record with this ID number already exists at another institution (%(inst)s): ask it to "
                    "transfer the record to you instead of establishing a new one.") % {"inst": rec.institution.name}
        else:
            msg = _("A resident with this ID number already exists.")
        super().__init__({"id_number": [msg]}, code="duplicate")


class StaleEdit(ValidationError):
    def __init__(self):
        super().__init__(
            _("Someone else saved this record after you opened it. Your changes were not saved: "
              "reload the record to see the current version, then make your changes again."),
            code="stale",
        )


def _user_name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_username()


def _check_duplicate(resident: Resident, actor=None) -> None:
    if not resident.id_number:
        return
    existing = (
        Resident.objects.select_related("record__institution")
        .filter(id_number=resident.id_number).exclude(pk=resident.pk).first()
    )
    if existing is not None:
        raise DuplicateIdNumber(existing, actor)


def _validate_village(institution: Institution, village: Division) -> None:
    if village.level != Division.Level.VILLAGE:
        raise ValidationError({"village": _("Choose a village or residents' committee.")})
    if not institution.is_clinical:
        raise ValidationError({"institution": _("Records are managed by clinical institutions only.")})
    if not institution.active:
        raise ValidationError({"institution": _("%(inst)s is closed.") % {"inst": institution.name}})


@transaction.atomic
def establish_record(
    actor,
    resident: Resident,
    *,
    institution: Institution,
    village: Division,
    responsible_doctor=None,
    established_on: dt.date | None = None,
    number: str | None = None,
    event_kind: str = RecordEvent.Kind.ESTABLISHED,
) -> Record:
    """Create a resident's record: validate the form, refuse duplicates, allocate the number, log the event."""
    require_write(actor, institution)
    _validate_village(institution, village)
    established_on = established_on or today()
    if established_on > today():
        raise ValidationError({"established_on": _("The date established cannot be in the future.")})
    resident.form_version = settings.JKDA_FORM_VERSION
    resident.full_clean(validate_unique=False)
    _check_duplicate(resident, actor)
    if number:
        number = numbering.check_legacy_number(number)
        if Record.objects.filter(number=number).exists():
            raise ValidationError({"number": _("Record number %(n)s is already in use.") % {"n": number}})
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:  # a concurrent establishment with the same ID number won the race
        _check_duplicate(resident, actor)
        raise
    if number:
        numbering.note_used_number(number)
    else:
        number = numbering.allocate_number(village.code)
    record = Record(
        number=number,
        resident=resident,
        institution=institution,
        village=village,
        established_by_institution=institution,
        established_by=actor,
        established_by_name=_user_name(actor),
        responsible_doctor=responsible_doctor,
        responsible_doctor_name=_user_name(responsible_doctor),
        established_on=established_on,
        form_version=settings.JKDA_FORM_VERSION,
    )
    record.save()
    _event(record=record, kind=event_kind, actor=actor, to_institution=institution)
    return record


def _event(*, record: Record, kind: str, actor=None, **fields) -> RecordEvent:
    """Write the record's event and the matching audit entry, in the caller's transaction."""
    from jkda.access import audit

    event = RecordEvent.objects.create(record=record, kind=kind, actor=actor, **fields)
    detail = {"event": kind, **{k: (v.code if hasattr(v, "code") else v) for k, v in fields.items()
                                if k != "changes"}}
    if fields.get("changes"):
        detail["fields"] = sorted(fields["changes"])  # names only: the values stay in the record's history
    audit.log("create" if kind == RecordEvent.Kind.ESTABLISHED else "update", user=actor, obj=record,
              detail=detail)
    return event


def _locked(record: Record) -> Record:
    return Record.objects.select_for_update().select_related("resident", "institution").get(pk=record.pk)


def _jsonable(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


@transaction.atomic
def update_resident(actor, record: Record, changes: dict, *, expected_version: int) -> Record:
    """Change fields of the personal basic information; refused if someone saved in between."""
    record = _locked(record)
    require_write(actor, record.institution)
    resident = Resident.objects.select_for_update().get(pk=record.resident_id)
    if resident.version != expected_version:
        raise StaleEdit()
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    diff = {}
    for field, value in changes.items():
        before = getattr(resident, field)
        if before != value:
            diff[field] = [_jsonable(before), _jsonable(value)]
            setattr(resident, field, value)
    if not diff:
        return record
    resident.full_clean(validate_unique=False)
    # the ID number may have filled birth date or sex: keep those in the diff too
    _check_duplicate(resident, actor)
    resident.version += 1
    resident.save()
    _event(record=record, kind=RecordEvent.Kind.UPDATED, actor=actor, changes=diff)
    record.resident = resident
    return record


@transaction.atomic
def transfer_record(actor, record: Record, *, to_institution: Institution, village: Division | None = None,
                    reason: str = "") -> Record:
    """Move a record to another institution's management; its number and history stay."""
    record = _locked(record)
    require_write(actor, record.institution)
    if not record.is_active:
        raise ValidationError(_("A closed record cannot be transferred; reopen it first."))
    if to_institution.pk == record.institution_id:
        raise ValidationError({"to_institution": _("The record is already managed by %(inst)s.") % {
            "inst": to_institution.name}})
    _validate_village(to_institution, village or record.village)
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the transfer.")})
    source = record.institution
    record.institution = to_institution
    if village is not None:
        record.village = village
    record.version += 1
    record.save()
    _event(record=record, kind=RecordEvent.Kind.TRANSFERRED, actor=actor,
                               from_institution=source, to_institution=to_institution, reason=reason.strip())
    return record


@transaction.atomic
def close_record(actor, record: Record, *, reason: str, closed_on: dt.date, note: str = "") -> Record:
    """Close (结案) the record of a resident who died or moved away. It stays, marked closed."""
    record = _locked(record)
    require_write(actor, record.institution)
    if not record.is_active:
        raise ValidationError(_("This record is already closed."))
    from jkda.codes.valuesets import CLOSE_REASON

    if reason not in CLOSE_REASON:
        raise ValidationError({"reason": _("Choose why the record is closed.")})
    if closed_on is None:
        raise ValidationError({"closed_on": _("Give the date of death or of moving away.")})
    if closed_on > today():
        raise ValidationError({"closed_on": _("The closing date cannot be in the future.")})
    if closed_on < record.resident.birth_date:
        raise ValidationError({"closed_on": _("The closing date cannot be before the birth date.")})
    if reason == "9" and not note.strip():
        raise ValidationError({"note": _("Describe the reason for closing.")})
    record.status = Record.Status.CLOSED
    record.closed_on = closed_on
    record.close_reason = reason
    record.close_note = note.strip()
    record.version += 1
    record.save()
    _event(record=record, kind=RecordEvent.Kind.CLOSED, actor=actor,
                               reason=f"{CLOSE_REASON.label(reason)} {closed_on.isoformat()} {note}".strip())
    from .signals import record_closed

    record_closed.send(sender=Record, record=record, actor=actor, reason=reason, closed_on=closed_on)
    return record


@transaction.atomic
def reopen_record(actor, record: Record, *, reason: str) -> Record:
    record = _locked(record)
    require_write(actor, record.institution)
    if record.is_active:
        raise ValidationError(_("This record is not closed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for reopening.")})
    if not record.institution.active:
        raise ValidationError(_("The managing institution is closed; transfer the record after reopening "
                                "is not possible: hand it over to the successor first."))
    record.status = Record.Status.ACTIVE
    record.closed_on = None
    record.close_reason = ""
    record.close_note = ""
    record.version += 1
    record.save()
    _event(record=record, kind=RecordEvent.Kind.REOPENED, actor=actor, reason=reason.strip())
    return record


@transaction.atomic
def hand_over_institution(actor, source: Institution, successor: Institution, *, reason: str = "") -> int:
    """Pass every record and household of an institution, and its sub-units, to a successor in one transaction.

    Returns the number of records handed over. The source is marked inactive with its successor.
    """
    if actor is not None and actor.role not in {"head", "record_manager"}:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Only an institution head or record manager may hand over records."))
    require_write(actor, source)
    if source.pk == successor.pk:
        raise ValidationError(_("The successor must be another institution."))
    if not successor.is_clinical or not successor.active:
        raise ValidationError(_("The successor must be an active clinical institution."))
    if successor.path.startswith(source.path):
        raise ValidationError(_("The successor cannot be one of the source's own sub-units."))
    source = Institution.objects.select_for_update().get(pk=source.pk)
    ids = list(Record.objects.select_for_update().filter(institution=source).values_list("id", flat=True))
    Record.objects.filter(id__in=ids).update(institution=successor)
    Household.objects.filter(institution=source).update(institution=successor)
    RecordEvent.objects.bulk_create(
        [RecordEvent(record_id=i, kind=RecordEvent.Kind.HANDED_OVER, actor=actor, from_institution=source,
                     to_institution=successor, reason=reason) for i in ids],
        batch_size=2000,
    )
    for child in Institution.objects.filter(parent=source):
        if child.kind in Institution.ALLOWED_PARENTS and successor.kind in Institution.ALLOWED_PARENTS[child.kind]:
            child.parent = successor
            child.save()
    source.active = False
    source.successor = successor
    source.save()
    from jkda.access import audit

    audit.log("update", user=actor, obj=source, object_id=source.code,
              detail={"event": "handed_over", "to": successor.code, "records": len(ids), "reason": reason})
    from .signals import records_handed_over

    records_handed_over.send(sender=Institution, source=source, successor=successor, actor=actor, records=ids)
    return len(ids)


# --- households ---

@transaction.atomic
def create_household(actor, *, institution: Institution, village: Division, address: str,
                     head: Record | None = None) -> Household:
    require_write(actor, institution)
    _validate_village(institution, village)
    if not (address or "").strip():
        raise ValidationError({"address": _("The household address is required.")})
    household = Household.objects.create(
        number=numbering.allocate_household_number(village.code), institution=institution, village=village,
        address=address.strip(),
    )
    if head is not None:
        add_member(actor, household, head, relation="02")
    return household


@transaction.atomic
def add_member(actor, household: Household, record: Record, *, relation: str) -> Household:
    from jkda.codes.valuesets import RELATION_TO_HEAD

    require_write(actor, household.institution)
    household = Household.objects.select_for_update().get(pk=household.pk)
    resident = Resident.objects.select_for_update().get(pk=record.resident_id)
    if relation not in RELATION_TO_HEAD:
        raise ValidationError({"relation": _("Choose the relation to the head of household.")})
    if resident.household_id and resident.household_id != household.pk:
        raise ValidationError(_("%(name)s already belongs to household %(number)s; remove them there first.") % {
            "name": resident.name, "number": resident.household.number})
    if relation == "02":
        if household.head_id and household.head_id != resident.pk:
            raise ValidationError({"relation": _("This household already has a head: %(name)s.") % {
                "name": household.head.name}})
        household.head = resident
        household.save()
    elif household.head_id == resident.pk:
        household.head = None
        household.save()
    resident.household = household
    resident.relation_to_head = relation
    resident.version += 1
    resident.save()
    _event(record=record, kind=RecordEvent.Kind.UPDATED, actor=actor,
                               changes={"household": [None, household.number], "relation_to_head": [None, relation]})
    return household


@transaction.atomic
def remove_member(actor, household: Household, record: Record) -> Household:
    require_write(actor, household.institution)
    household = Household.objects.select_for_update().get(pk=household.pk)
    resident = Resident.objects.select_for_update().get(pk=record.resident_id)
    if resident.household_id != household.pk:
        raise ValidationError(_("%(name)s is not a member of this household.") % {"name": resident.name})
    if household.head_id == resident.pk:
        household.head = None
        household.save()
    resident.household = None
    resident.relation_to_head = ""
    resident.version += 1
    resident.save()
    _event(record=record, kind=RecordEvent.Kind.UPDATED, actor=actor,
                               changes={"household": [household.number, None]})
    return household
