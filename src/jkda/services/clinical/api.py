"""JSON API of the two-way referral's receiving side (the sending side uses the generic service endpoints).

    GET  /api/referrals?box=in|out&status=open|all|sent|received|refused|returned
    GET  /api/referrals/{id}
    POST /api/referrals/{id}/receive   {"received_on": "YYYY-MM-DD"?}
    POST /api/referrals/{id}/refuse    {"reason": "...", "refused_on": "YYYY-MM-DD"?}
    POST /api/referrals/{id}/answer    the referral-back's fields (201)

The inbox shows the receiving institution only the referral and the resident's name, sex, age and the record's
short number; the record's full number is given to those who may open the record.
"""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status
from ninja.orm import create_schema

from jkda.access import audit
from jkda.access.scope import restrict
from jkda.codes.valuesets import SEX
from jkda.records.search import base_queryset
from jkda.services.api import parse_values
from jkda.services.forms import editable_fields

from . import actions, rules
from . import codes as C
from .models import Referral, ReferralBack

router = Router(tags=["referrals"])

BACK_FIELDS = editable_fields(ReferralBack)
BackIn = create_schema(ReferralBack, name="ReferralBackIn", fields=BACK_FIELDS, optional_fields=BACK_FIELDS)


class BackOut(Schema):
    id: int
    service_date: dt.date
    institution: str
    doctor_name: str
    diagnosis: str
    inpatient_number: str
    test_results: str
    treatment: str
    outcome: str
    recommendations: str
    contact_phone: str


class ReferralOut(Schema):
    id: int
    record: str | None  # the full number, only for those who may open the record
    record_short_number: str
    name: str
    sex: str
    age: int
    from_institution: str
    from_institution_code: str
    doctor_name: str
    to_institution: str
    to_institution_code: str
    to_department: str
    receiving_doctor: str
    service_date: dt.date
    urgency: str
    urgency_label: str
    initial_impression: str
    reason: str
    main_history: str
    test_results: str
    treatment: str
    contact_phone: str
    status: str
    status_label: str
    received_on: dt.date | None
    received_by_name: str
    refusal_reason: str
    version: int
    back: BackOut | None


class ReceiveIn(Schema):
    received_on: dt.date | None = None


class RefuseIn(Schema):
    reason: str
    refused_on: dt.date | None = None


def _out(request, ref: Referral) -> dict:
    record = ref.record
    back = ReferralBack.objects.filter(referral=ref).select_related("institution").first()
    visible = base_queryset(request.user).filter(pk=record.pk).exists()
    return {
        "id": ref.pk, "record": record.number if visible else None, "record_short_number": record.short_number,
        "name": record.resident.name, "sex": SEX.label(record.resident.sex),
        "age": record.resident_age(ref.service_date),
        "from_institution": ref.institution.name, "from_institution_code": ref.institution.code,
        "doctor_name": ref.doctor_name,
        "to_institution": ref.to_institution.name if ref.to_institution_id else "",
        "to_institution_code": ref.to_institution_code, "to_department": ref.to_department,
        "receiving_doctor": ref.receiving_doctor, "service_date": ref.service_date, "urgency": ref.urgency,
        "urgency_label": C.URGENCY.label(ref.urgency), "initial_impression": ref.initial_impression,
        "reason": ref.reason, "main_history": ref.main_history, "test_results": ref.test_results,
        "treatment": ref.treatment, "contact_phone": ref.contact_phone, "status": ref.status,
        "status_label": ref.status_label(), "received_on": ref.received_on, "received_by_name": ref.received_by_name,
        "refusal_reason": ref.refusal_reason, "version": ref.version,
        "back": None if back is None else {
            "id": back.pk, "institution": back.institution.name, "doctor_name": back.doctor_name,
            **{n: getattr(back, n) for n in ("service_date", *BACK_FIELDS) if n in BackOut.model_fields}},
    }


def _referral(request, id: int) -> Referral:
    ref = actions.visible_referrals(request.user).filter(pk=id).first()
    if ref is None:
        raise Http404
    return ref


@router.get("/referrals", response=list[ReferralOut], summary="Referral inbox (box=in) or sent referrals (box=out)")
def list_referrals(request, box: str = "in", status: str = "open"):
    if box == "out":
        qs = restrict(Referral.objects.all(), request.user)
    else:
        qs = actions.inbox(request.user)
    if status == "open":
        qs = qs.filter(status__in=rules.OPEN_STATUSES)
    elif status in C.REFERRAL_STATUS:
        qs = qs.filter(status=status)
    qs = qs.select_related("record__resident", "institution", "to_institution").order_by("-service_date", "-id")
    rows = list(qs[:500])
    audit.log("search", object_type="clinical.referral", detail={"box": box, "status": status, "hits": len(rows)})
    return [_out(request, r) for r in rows]


@router.get("/referrals/{id}", response=ReferralOut, summary="Read a referral, its status and its answer")
def read_referral(request, id: int):
    ref = _referral(request, id)
    audit.log("read", obj=ref)
    return _out(request, ref)


@router.post("/referrals/{id}/receive", response=ReferralOut, summary="Receive (accept) a referral")
def receive(request, id: int, payload: ReceiveIn):
    ref = actions.receive_referral(request.user, _referral(request, id), on=payload.received_on)
    return _out(request, ref)


@router.post("/referrals/{id}/refuse", response=ReferralOut, summary="Refuse a referral, with the reason")
def refuse(request, id: int, payload: RefuseIn):
    ref = actions.refuse_referral(request.user, _referral(request, id), payload.reason, on=payload.refused_on)
    return _out(request, ref)


@router.post("/referrals/{id}/answer", response={201: ReferralOut}, summary="Answer a referral with a referral back")
def answer(request, id: int, payload: BackIn):  # type: ignore[valid-type]
    ref = _referral(request, id)
    values = parse_values(ReferralBack, payload.dict(exclude_unset=True))
    actions.answer_referral(request.user, ref, values)
    return Status(201, _out(request, Referral.objects.select_related(
        "record__resident", "institution", "to_institution").get(pk=ref.pk)))
