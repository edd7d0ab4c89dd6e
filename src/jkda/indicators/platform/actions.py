"""The only write path of the platform statistics: uses of a business function, uploads to the regional platform,
registrations of institutions and doctors.

`record_usage` is a counter the system calls where a business function is used (see docs/platform.md for where
to hook it); it checks and writes one event and, being a statistic and not a change of personal data, writes no
audit entry of its own (an import writes one entry for the whole file). `record_upload` and the registrations
change what the bureau's report says about an institution, so each writes its audit entry in its transaction.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access import audit
from jkda.access.roles import Perm, has
from jkda.access.scope import may_manage
from jkda.regions.models import Institution, Staff

from .models import (
    BusinessFunction,
    DocumentSubset,
    PlatformDoctor,
    PlatformInstitution,
    Source,
    UploadBatch,
    UploadBatchSubset,
    UploadKind,
    UsageEvent,
)

REGISTRAR_ROLES = {"bureau", "head", "sysadmin"}
CREATED, UPDATED, PRESENT = "created", "updated", "present"


def _check_reach(user, institution: Institution) -> None:
    if user is None:  # system jobs (import without --actor, synth) act without a user
        return
    if has(user, Perm.ADMIN_USERS):  # the platform registry is configuration, the system administrator's job
        return
    if not may_manage(user, institution):
        raise PermissionDenied(_("%(inst)s is outside your jurisdiction.") % {"inst": institution.name})


def resolve_function(value) -> BusinessFunction:
    """A business function from itself, its code or its name."""
    if isinstance(value, BusinessFunction):
        function = value
    else:
        text = str(value or "").strip()
        function = BusinessFunction.objects.filter(code=text).first() or \
            BusinessFunction.objects.filter(name=text).first()
        if function is None:
            names = "、".join(BusinessFunction.objects.filter(active=True).values_list("name", flat=True))
            raise ValidationError({"function": [_("There is no business function %(value)s. Allowed: %(names)s.") % {
                "value": text, "names": names}]})
    if not function.active:
        raise ValidationError({"function": [_("The business function %(name)s is no longer counted.") % {
            "name": function.name}]})
    return function


def record_usage(user, function, *, institution: Institution | None = None, doctor: Staff | None = None,
                 doctor_name: str = "", at: dt.datetime | None = None, count: int = 1,
                 source: str = Source.SYSTEM) -> tuple[UsageEvent, str]:
    """Count `count` uses of a business function by a doctor of an institution at a time.

    Called by the system (source "system") with the user who used the function: institution, doctor and time
    default to that user's institution, the user and now. Called by the import (source "import") with the values
    of a log line: the same line imported again is found and left alone (or its count corrected).
    Returns (event, "created" | "updated" | "present").
    """
    function = resolve_function(function)
    if source not in Source.values:
        raise ValidationError({"source": [_("Unknown source.")]})
    if doctor is None and source == Source.SYSTEM and getattr(user, "pk", None) and not doctor_name:
        doctor = user
    if institution is None:
        institution = getattr(doctor, "institution", None) or getattr(user, "institution", None)
    if institution is None:
        raise ValidationError({"institution": [_("Which institution used the function?")]})
    _check_reach(user, institution)
    if doctor is not None and not doctor_name:
        doctor_name = doctor.full_name or doctor.get_username()
    at = at or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"at": [_("The time of use lies in the future.")]})
    if not isinstance(count, int) or count < 1:
        raise ValidationError({"count": [_("The number of uses is at least 1.")]})
    event = UsageEvent(function=function, institution=institution, doctor=doctor, doctor_name=doctor_name[:50],
                       at=at, count=count, source=source)
    with transaction.atomic():
        if source == Source.IMPORT:
            old = UsageEvent.objects.select_for_update().filter(
                function=function, institution=institution, doctor_name=event.doctor_name, at=at,
                source=Source.IMPORT).first()
            if old is not None:
                if old.count == count and old.doctor_id == (doctor.pk if doctor else None):
                    return old, PRESENT
                old.count, old.doctor = count, doctor
                old.full_clean()
                old.save(update_fields=["count", "doctor"])
                return old, UPDATED
        event.save()  # every field was checked above; full_clean would cost three queries a row in an import
    return event, CREATED


def resolve_subsets(kind: str, values) -> list[DocumentSubset]:
    """Document subsets of an upload kind from objects, codes or names; "全部"/"all" means every required one."""
    found: list[DocumentSubset] = []
    unknown: list[str] = []
    catalogue = None
    for value in values or ():
        if isinstance(value, DocumentSubset):
            subset = value
        else:
            text = str(value).strip()
            if not text:
                continue
            if catalogue is None:
                catalogue = list(DocumentSubset.objects.filter(kind=kind))
            if text.casefold() in ("全部", "all"):
                found.extend(s for s in catalogue if s.required and s not in found)
                continue
            subset = next((s for s in catalogue if s.code.casefold() == text.casefold() or s.name == text), None)
            if subset is None:
                unknown.append(text)
                continue
        if subset.kind != kind:
            unknown.append(subset.code)
        elif subset not in found:
            found.append(subset)
    if unknown:
        raise ValidationError({"subsets": [_("Not a document subset of %(kind)s: %(values)s.") % {
            "kind": UploadKind(kind).label, "values": "、".join(unknown)}]})
    return found


def record_upload(user, kind: str, *, institution: Institution, day: dt.date, records: int, subsets=(),
                  source: str = Source.SYSTEM, replace: bool = False, write_audit: bool = True
                  ) -> tuple[UploadBatch, str]:
    """Count an upload of `records` records of a kind by an institution on a day, with the document subsets it
    covered. There is one batch per institution, kind and day: the system adds each upload of the day to it
    (records summed, subsets joined); the import (replace=True) states the day's totals, so importing the same
    file again changes nothing. Returns (batch, "created" | "updated" | "present")."""
    if kind not in UploadKind.values:
        raise ValidationError({"kind": [_("Unknown upload kind %(value)s.") % {"value": kind}]})
    if source not in Source.values:
        raise ValidationError({"source": [_("Unknown source.")]})
    _check_reach(user, institution)
    if day is None:
        raise ValidationError({"day": [_("Which day was uploaded?")]})
    if day > timezone.localdate():
        raise ValidationError({"day": [_("The upload date lies in the future.")]})
    if not isinstance(records, int) or records < 0:
        raise ValidationError({"records": [_("The number of records is a whole number, 0 or more.")]})
    chosen = resolve_subsets(kind, subsets)
    if chosen and kind not in _kinds_with_subsets():
        raise ValidationError({"subsets": [_("%(kind)s are uploaded without document subsets.") % {
            "kind": UploadKind(kind).label}]})
    with transaction.atomic():
        batch = UploadBatch.objects.select_for_update().filter(institution=institution, kind=kind, day=day).first()
        created = batch is None
        if created:
            batch = UploadBatch(institution=institution, kind=kind, day=day, records=0, source=source)
            old_ids: set[int] = set()
        else:
            old_ids = set(batch.subset_links.values_list("subset_id", flat=True))
        new_ids = {s.pk for s in chosen}
        if replace:
            total, wanted = records, new_ids
        else:
            total, wanted = batch.records + records, old_ids | new_ids
        if not created and total == batch.records and wanted == old_ids and batch.source == source:
            return batch, PRESENT
        batch.records, batch.source = total, source
        batch.full_clean(validate_constraints=False)
        batch.save()
        if wanted != old_ids:
            UploadBatchSubset.objects.filter(batch=batch, subset_id__in=old_ids - wanted).delete()
            UploadBatchSubset.objects.bulk_create(
                [UploadBatchSubset(batch=batch, subset_id=i) for i in sorted(wanted - old_ids)])
        if write_audit:
            audit.log("create" if created else "update", user=user, obj=batch, detail={
                "kind": kind, "institution": institution.code, "day": day.isoformat(), "records": total,
                "subsets": sorted(DocumentSubset.objects.filter(pk__in=wanted).values_list("code", flat=True)),
                "source": source, "created": created})
    return batch, CREATED if created else UPDATED


def _kinds_with_subsets() -> set[str]:
    from .stats import required_subsets

    return set(required_subsets())


def _check_registrar(user, institution: Institution) -> None:
    if user is not None and getattr(user, "role", None) not in REGISTRAR_ROLES:
        raise PermissionDenied(_("Your role may not register institutions or doctors on the platform."))
    _check_reach(user, institution)


@transaction.atomic
def register_institution(user, institution: Institution, registered_on: dt.date,
                         left_on: dt.date | None = None) -> tuple[PlatformInstitution, str]:
    """Register an institution on the platform (or change its dates)."""
    _check_registrar(user, institution)
    reg = PlatformInstitution.objects.select_for_update().filter(institution=institution).first()
    created = reg is None
    if created:
        reg = PlatformInstitution(institution=institution)
    elif reg.registered_on == registered_on and reg.left_on == left_on:
        return reg, PRESENT
    reg.registered_on, reg.left_on = registered_on, left_on
    reg.full_clean(validate_unique=created)
    reg.save()
    audit.log("create" if created else "update", user=user, obj=reg, detail={
        "institution": institution.code, "registered_on": registered_on, "left_on": left_on})
    return reg, CREATED if created else UPDATED


@transaction.atomic
def register_doctor(user, institution: Institution, name: str, registered_on: dt.date, *, staff: Staff | None = None,
                    left_on: dt.date | None = None) -> tuple[PlatformDoctor, str]:
    """Register a doctor of an institution on the platform (or change the dates), by name and staff account."""
    _check_registrar(user, institution)
    name = (name or (staff.full_name or staff.get_username() if staff else "")).strip()
    if not name:
        raise ValidationError({"name": [_("Give the doctor's name.")]})
    doc = PlatformDoctor.objects.select_for_update().filter(institution=institution, name=name).first()
    created = doc is None
    if created:
        doc = PlatformDoctor(institution=institution, name=name)
    elif (doc.registered_on, doc.left_on, doc.staff_id) == (registered_on, left_on, staff.pk if staff else None):
        return doc, PRESENT
    doc.registered_on, doc.left_on, doc.staff = registered_on, left_on, staff
    doc.full_clean(validate_unique=created, validate_constraints=created)
    doc.save()
    audit.log("create" if created else "update", user=user, obj=doc, detail={
        "institution": institution.code, "name": name, "registered_on": registered_on, "left_on": left_on})
    return doc, CREATED if created else UPDATED
