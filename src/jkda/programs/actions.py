"""Enrolment, exit and reminder calls: every change goes through these functions (web, API, synth call them)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jkda.access import audit
from jkda.access.scope import require_write
from jkda.records.models import Record
from jkda.records.rules import today

from . import codes as C
from .models import CallLog, Enrollment
from .registry import PROGRAMS, program_label


def _program(code: str):
    if code not in PROGRAMS:
        raise ValidationError({"program": [_("Unknown program “%(code)s”.") % {"code": code}]})
    return PROGRAMS[code]


@transaction.atomic
def enrol(actor, record: Record, program: str, *, on: dt.date | None = None, source: str = "2",
          note: str = "") -> Enrollment:
    """Put a record under management in a program (纳入管理)."""
    spec = _program(program)
    record = Record.objects.select_for_update().select_related("resident", "institution").get(pk=record.pk)
    require_write(actor, record.institution)
    on = on or today()
    if not record.is_active:
        raise ValidationError(_("The record is closed: it cannot be enrolled in a program."))
    if spec.by_age:
        raise ValidationError(_("%(program)s covers every resident of its age: no enrolment is needed.")
                              % {"program": spec.label})
    if on > today():
        raise ValidationError({"enrolled_on": [_("The enrolment date cannot be in the future.")]})
    if on < record.resident.birth_date:
        raise ValidationError({"enrolled_on": [_("The enrolment date is before the resident's birth date.")]})
    if source not in C.ENROL_SOURCE:
        raise ValidationError({"source": [_("Choose how the patient was found.")]})
    if spec.eligible is not None:
        reason = spec.eligible(record, on)
        if reason:
            raise ValidationError(reason)
    if Enrollment.objects.active().filter(record=record, program=program).exists():
        raise ValidationError(_("Already under management in %(program)s.") % {"program": spec.label})
    try:
        with transaction.atomic():
            e = Enrollment.objects.create(record=record, program=program, enrolled_on=on, source=source,
                                          note=note.strip(), institution=record.institution,
                                          enrolled_by=actor if getattr(actor, "pk", None) else None)
    except IntegrityError:  # a concurrent enrolment won the race
        raise ValidationError(_("Already under management in %(program)s.") % {"program": spec.label}) from None
    audit.log("create", user=actor, obj=e, detail={"record": record.number, "program": program})
    return e


@transaction.atomic
def exit_program(actor, enrollment: Enrollment, *, on: dt.date, reason: str, note: str = "") -> Enrollment:
    """End management in a program (退出管理); the enrolment and its forms stay."""
    enrollment = Enrollment.objects.select_for_update().select_related("record").get(pk=enrollment.pk)
    require_write(actor, enrollment.record.institution)
    if not enrollment.is_active:
        raise ValidationError(_("This enrolment has already ended."))
    if reason not in C.EXIT_REASON:
        raise ValidationError({"exit_reason": [_("Choose why the patient leaves the program.")]})
    if on is None or on > today():
        raise ValidationError({"exited_on": [_("Give the date of leaving; it cannot be in the future.")]})
    if on < enrollment.enrolled_on:
        raise ValidationError({"exited_on": [_("The date of leaving is before the enrolment date (%(d)s).")
                                             % {"d": enrollment.enrolled_on.isoformat()}]})
    if reason == "9" and not note.strip():
        raise ValidationError({"exit_note": [_("Describe the reason for leaving.")]})
    enrollment.exited_on = on
    enrollment.exit_reason = reason
    enrollment.exit_note = note.strip()
    enrollment.version += 1
    enrollment.save()
    audit.log("update", user=actor, obj=enrollment, detail={"record": enrollment.record.number, "exit": reason})
    return enrollment


def suggested_programs(record: Record, active: set[str] | None = None) -> list[str]:
    """Programs the diagnoses on the personal basic information form point to, not yet enrolled (`active`: the
    programs the record is enrolled in, when the caller has read them)."""
    codes = {str(d.get("code")) for d in (record.resident.past_diseases or []) if isinstance(d, dict)}
    if active is None:
        active = set(Enrollment.objects.active().filter(record=record).values_list("program", flat=True))
    return [p.code for p in PROGRAMS.values()
            if not p.by_age and p.code not in active and codes & set(p.diagnosis_codes)]


@transaction.atomic
def enrol_from_diagnoses(actor, record: Record, *, on: dt.date | None = None) -> list[Enrollment]:
    """Enrol a record in every program its recorded diagnoses point to (source: diagnosis on the record)."""
    out = []
    for code in suggested_programs(record):
        spec = PROGRAMS[code]
        if spec.eligible is not None and spec.eligible(record, on or today()):
            continue
        out.append(enrol(actor, record, code, on=on, source="1"))
    return out


@transaction.atomic
def log_call(actor, record: Record, *, program: str, item: str, due_on: dt.date, outcome: str,
             appointment_on: dt.date | None = None, note: str = "") -> CallLog:
    require_write(actor, record.institution)
    if outcome not in C.CALL_OUTCOME:
        raise ValidationError({"outcome": [_("Choose the outcome of the call.")]})
    if outcome == "2" and appointment_on is None:
        raise ValidationError({"appointment_on": [_("Give the new appointment date.")]})
    if appointment_on is not None and appointment_on < today():
        raise ValidationError({"appointment_on": [_("The appointment cannot be in the past.")]})
    call = CallLog.objects.create(record=record, program=program, item=item[:100], due_on=due_on, outcome=outcome,
                                  appointment_on=appointment_on, note=note.strip()[:200],
                                  called_by=actor if getattr(actor, "pk", None) else None)
    audit.log("create", user=actor, obj=call, detail={"record": record.number, "program": program})
    return call


# A closed record leaves every program it was in, on the closing day, for the same reason.
_CLOSE_TO_EXIT = {"1": "1", "2": "2", "9": "9"}


def on_record_closed(sender, record, actor, reason, closed_on, **kwargs):
    for e in Enrollment.objects.active().filter(record=record):
        e.exited_on = max(closed_on, e.enrolled_on)
        e.exit_reason = _CLOSE_TO_EXIT.get(reason, "9")
        e.exit_note = _("Record closed")
        e.version += 1
        e.save()


__all__ = ["enrol", "exit_program", "enrol_from_diagnoses", "suggested_programs", "log_call", "program_label"]
