"""JSON API of enrolment and work lists."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status

from jkda.access import audit
from jkda.access.masking import reveal_api
from jkda.records.rules import today
from jkda.records.search import base_queryset

from . import actions
from .models import Enrollment
from .worklist import due_list, rows_for

router = Router(tags=["programs"])


class EnrollmentOut(Schema):
    id: int
    program: str
    program_label: str
    enrolled_on: dt.date
    source: str
    exited_on: dt.date | None = None
    exit_reason: str = ""
    exit_note: str = ""


class EnrolIn(Schema):
    program: str
    enrolled_on: dt.date | None = None
    source: str = "2"
    note: str = ""


class ExitIn(Schema):
    exited_on: dt.date
    exit_reason: str
    exit_note: str = ""


class DueOut(Schema):
    record: str
    name: str
    phone: str
    village: str
    program: str
    item: str
    kind: str
    category: str
    due_on: dt.date
    overdue: bool


def _record(request, number: str):
    return get_object_or_404(base_queryset(request.user), number=number)


@router.get("/records/{number}/enrollments", response=list[EnrollmentOut], summary="Program enrolments of a record")
def list_enrollments(request, number: str):
    record = _record(request, number)
    audit.log("read", obj=record, detail={"what": "enrollments"})
    return list(Enrollment.objects.filter(record=record).order_by("program", "enrolled_on"))


@router.post("/records/{number}/enrollments", response={201: EnrollmentOut}, summary="Enrol in a program")
def create_enrollment(request, number: str, payload: EnrolIn):
    e = actions.enrol(request.user, _record(request, number), payload.program, on=payload.enrolled_on,
                      source=payload.source, note=payload.note)
    return Status(201, e)


@router.post("/records/{number}/enrollments/{id}/exit", response=EnrollmentOut, summary="End management")
def exit_enrollment(request, number: str, id: int, payload: ExitIn):
    e = get_object_or_404(Enrollment, pk=id, record=_record(request, number))
    return actions.exit_program(request.user, e, on=payload.exited_on, reason=payload.exit_reason,
                                note=payload.exit_note)


@router.get("/worklist", response=list[DueOut], summary="Due and overdue items in the user's scope")
def get_worklist(request, mine: bool = False, program: str = "", status: str = "", village: str = "",
                 page: int = Query(1, ge=1, le=100_000), size: int = Query(200, ge=1, le=1000),
                 reveal: bool = False):
    as_of = today()
    items = due_list(request.user, as_of, mine=mine, program=program, status=status, village_code=village)
    rows = rows_for(items[(page - 1) * size: page * size], as_of)
    audit.log("search", object_type="programs.worklist", detail={
        "mine": mine, "program": program, "status": status, "village": village, "hits": len(items), "page": page})
    if reveal and rows:
        reveal_api(request, "worklist", {r.record.institution for r in rows})
    return [{"record": r.record.number, "name": r.record.resident.name, "phone": r.record.resident.phone,
             "village": r.record.village.name, "program": r.item.program, "item": r.item.item, "kind": r.item.kind,
             "category": r.item.category, "due_on": r.item.due_on, "overdue": r.overdue} for r in rows]
