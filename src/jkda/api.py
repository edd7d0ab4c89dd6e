"""The JSON API (django-ninja). OpenAPI schema: /api/openapi.json, interactive docs: /api/docs.

Authentication: `Authorization: Bearer <token>` with a token from `jkda token USERNAME`, or a logged-in session.
Only roles that read personal data may use it (access.roles); every endpoint reads through the scope rule and
writes through the actions. ID numbers, phones and addresses come masked unless `?reveal=1` is asked by a role
that may reveal them (audited, access.masking).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, ModelSchema, NinjaAPI, Query, Router, Schema, Status

from jkda.access import audit
from jkda.access.masking import reveal_api
from jkda.access.policy import MaskingRenderer, api_auth
from jkda.access.roles import Perm
from jkda.records import actions
from jkda.records.models import Household, Record, Resident
from jkda.records.search import base_queryset, search_records
from jkda.regions.models import Division, Institution, Staff

api = NinjaAPI(
    title="jkda API",
    version="1",
    description="居民健康档案 JSON API. Authenticate with `Authorization: Bearer <token>` (`jkda token USERNAME`). "
                "ID numbers, phones and addresses are masked unless `reveal=1` is asked (audited).",
    auth=api_auth(Perm.READ),
    renderer=MaskingRenderer(),
    urls_namespace="api",
)


def error_payload(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {"detail": "validation", "errors": {k: [str(m) for e in v for m in e.messages]
                                                   for k, v in exc.error_dict.items()}}
    return {"detail": "validation", "errors": {"__all__": [str(m) for m in exc.messages]}}


@api.exception_handler(ValidationError)
def on_validation_error(request, exc):
    payload = error_payload(exc)
    status = 409 if getattr(exc, "code", None) in ("stale", "duplicate") or isinstance(
        exc, actions.StaleEdit | actions.DuplicateIdNumber) else 422
    if isinstance(exc, actions.DuplicateIdNumber) and exc.record is not None:
        payload["existing_record"] = exc.record.number
    return api.create_response(request, payload, status=status)


@api.exception_handler(PermissionDenied)
def on_denied(request, exc):
    return api.create_response(request, {"detail": str(exc) or "permission denied"}, status=403)


@api.exception_handler(Http404)
def on_404(request, exc):
    return api.create_response(request, {"detail": "not found"}, status=404)


# ---- schemas, derived from the model declarations ----

FORM_FIELDS = actions.EDITABLE_FIELDS


class ResidentOut(ModelSchema):
    class Meta:
        model = Resident
        fields = ["id", *FORM_FIELDS, "name_pinyin", "name_initials", "relation_to_head", "version", "form_version"]


class ResidentIn(ModelSchema):
    class Meta:
        model = Resident
        fields = FORM_FIELDS
        fields_optional = [f for f in FORM_FIELDS if f not in ("name", "current_address", "residence_type")]


class ResidentPatch(ModelSchema):
    class Meta:
        model = Resident
        fields = FORM_FIELDS
        fields_optional = "__all__"


class RecordOut(Schema):
    number: str
    short_number: str
    status: str
    institution_code: str = Field(..., alias="institution.code")
    institution_name: str = Field(..., alias="institution.name")
    village_code: str = Field(..., alias="village.code")
    village_name: str = Field(..., alias="village.name")
    established_on: dt.date
    established_by_name: str
    responsible_doctor_name: str
    closed_on: dt.date | None
    close_reason: str
    close_note: str
    household_number: str | None = None
    version: int
    resident: ResidentOut

    @staticmethod
    def resolve_household_number(obj):
        return obj.resident.household.number if obj.resident.household_id else None


class RecordSummary(Schema):
    number: str
    name: str = Field(..., alias="resident.name")
    sex: str = Field(..., alias="resident.sex")
    birth_date: dt.date = Field(..., alias="resident.birth_date")
    id_number: str | None = Field(None, alias="resident.id_number")
    phone: str = Field(..., alias="resident.phone")
    status: str
    institution_name: str = Field(..., alias="institution.name")


class RecordPage(Schema):
    count: int
    page: int
    results: list[RecordSummary]


class EstablishIn(Schema):
    resident: ResidentIn
    institution_code: str
    village_code: str
    responsible_doctor: str | None = Field(None, description="username of the responsible doctor")
    established_on: dt.date | None = None
    number: str | None = Field(None, description="a legacy record number to keep (16 or 17 digits)")


class UpdateIn(Schema):
    version: int = Field(..., description="the resident version you read; a stale version is refused (409)")
    changes: ResidentPatch


class TransferIn(Schema):
    to_institution_code: str
    village_code: str | None = None
    reason: str


class CloseIn(Schema):
    reason: str = Field(..., description="1 death, 2 moved away, 9 other")
    closed_on: dt.date
    note: str = ""


class ReopenIn(Schema):
    reason: str


class EventOut(Schema):
    kind: str
    at: dt.datetime
    actor: str | None
    from_institution: str | None
    to_institution: str | None
    reason: str
    changes: dict[str, Any]

    @staticmethod
    def resolve_actor(obj):
        return str(obj.actor) if obj.actor_id else None

    @staticmethod
    def resolve_from_institution(obj):
        return obj.from_institution.name if obj.from_institution_id else None

    @staticmethod
    def resolve_to_institution(obj):
        return obj.to_institution.name if obj.to_institution_id else None


class MemberOut(Schema):
    number: str
    name: str
    relation_to_head: str


class HouseholdOut(Schema):
    number: str
    address: str
    institution_name: str = Field(..., alias="institution.name")
    village_code: str = Field(..., alias="village.code")
    head_record: str | None = None
    members: list[MemberOut]

    @staticmethod
    def resolve_head_record(obj):
        return obj.head.record.number if obj.head_id else None

    @staticmethod
    def resolve_members(obj):
        return [
            {"number": r.record.number, "name": r.name, "relation_to_head": r.relation_to_head}
            for r in obj.members.select_related("record").order_by("relation_to_head", "id")
        ]


class HouseholdIn(Schema):
    institution_code: str
    village_code: str
    address: str
    head_record: str | None = None


class MemberIn(Schema):
    record: str
    relation: str = Field(..., description="GB/T 4761 relation to head: 02 head, 10 spouse, 20 son ...")


class MemberRemoveIn(Schema):
    record: str


# ---- helpers ----

def _record(request, number: str) -> Record:
    return get_object_or_404(base_queryset(request.user).select_related("resident__household"), number=number)


def _institution(code: str) -> Institution:
    inst = Institution.objects.filter(code=code).first()
    if inst is None:
        raise ValidationError({"institution_code": [f"unknown institution code {code}"]})
    return inst


def _village(code: str) -> Division:
    village = Division.objects.filter(code=code, level=Division.Level.VILLAGE).first()
    if village is None:
        raise ValidationError({"village_code": [f"unknown village code {code}"]})
    return village


records_router = Router(tags=["records"])


@records_router.get("/records", response=RecordPage, summary="Search records")
def list_records(request, q: str = "", status: str = "", institution_code: str = "",
                 page: int = Query(1, ge=1, le=100_000), reveal: bool = False):
    inst_id = _institution(institution_code).pk if institution_code else None
    qs = search_records(request.user, q, status=status, institution_id=inst_id)
    size = 50
    count = qs.count()
    results = list(qs[(page - 1) * size: page * size])
    audit.log("search", object_type="records.record", detail={"q": q, "status": status, "hits": count,
                                                               "page": page})
    if reveal and results:
        reveal_api(request, "records", {r.institution for r in results})
    return {"count": count, "page": page, "results": results}


@records_router.get("/records/{number}", response=RecordOut, summary="Read a whole record")
def read_record(request, number: str, reveal: bool = False):
    record = _record(request, number)
    audit.log("read", obj=record)
    if reveal:
        reveal_api(request, record, [record.institution])
    return record


@records_router.post("/records", response={201: RecordOut}, summary="Establish a record")
def create_record(request, payload: EstablishIn):
    data = payload.resident.dict(exclude_unset=True)
    resident = Resident(**data)
    doctor = None
    if payload.responsible_doctor:
        doctor = Staff.objects.filter(username=payload.responsible_doctor).first()
        if doctor is None:
            raise ValidationError({"responsible_doctor": [f"unknown user {payload.responsible_doctor}"]})
    record = actions.establish_record(
        request.user, resident, institution=_institution(payload.institution_code),
        village=_village(payload.village_code), responsible_doctor=doctor,
        established_on=payload.established_on, number=payload.number,
    )
    return Status(201, record)


@records_router.patch("/records/{number}", response=RecordOut, summary="Update personal basic information")
def update_record(request, number: str, payload: UpdateIn):
    record = _record(request, number)
    changes = payload.changes.dict(exclude_unset=True)
    return actions.update_resident(request.user, record, changes, expected_version=payload.version)


@records_router.post("/records/{number}/transfer", response=RecordOut, summary="Transfer to another institution")
def transfer(request, number: str, payload: TransferIn):
    record = _record(request, number)
    village = _village(payload.village_code) if payload.village_code else None
    return actions.transfer_record(request.user, record, to_institution=_institution(payload.to_institution_code),
                                   village=village, reason=payload.reason)


@records_router.post("/records/{number}/close", response=RecordOut, summary="Close (death, moved away)")
def close(request, number: str, payload: CloseIn):
    return actions.close_record(request.user, _record(request, number), reason=payload.reason,
                                closed_on=payload.closed_on, note=payload.note)


@records_router.post("/records/{number}/reopen", response=RecordOut, summary="Reopen a closed record")
def reopen(request, number: str, payload: ReopenIn):
    return actions.reopen_record(request.user, _record(request, number), reason=payload.reason)


@records_router.get("/records/{number}/history", response=list[EventOut], summary="The record's life")
def history(request, number: str, reveal: bool = False):
    record = _record(request, number)
    audit.log("read", obj=record, detail={"what": "history"})
    if reveal:
        reveal_api(request, record, [record.institution])
    return list(record.events.select_related("actor", "from_institution", "to_institution"))


households_router = Router(tags=["households"])


def _household(request, number: str) -> Household:
    from jkda.access.scope import restrict

    qs = restrict(Household.objects.select_related("institution", "village", "head__record"), request.user)
    return get_object_or_404(qs.prefetch_related(Prefetch("members")), number=number)


@households_router.get("/households/{number}", response=HouseholdOut)
def read_household(request, number: str, reveal: bool = False):
    household = _household(request, number)
    audit.log("read", obj=household)
    if reveal:
        reveal_api(request, household, [household.institution])
    return household


@households_router.post("/households", response={201: HouseholdOut})
def create_household(request, payload: HouseholdIn):
    head = _record(request, payload.head_record) if payload.head_record else None
    household = actions.create_household(
        request.user, institution=_institution(payload.institution_code), village=_village(payload.village_code),
        address=payload.address, head=head,
    )
    return Status(201, household)


@households_router.post("/households/{number}/members", response=HouseholdOut)
def add_member(request, number: str, payload: MemberIn):
    household = _household(request, number)
    return actions.add_member(request.user, household, _record(request, payload.record), relation=payload.relation)


@households_router.post("/households/{number}/members/remove", response=HouseholdOut)
def remove_member(request, number: str, payload: MemberRemoveIn):
    household = _household(request, number)
    return actions.remove_member(request.user, household, _record(request, payload.record))


api.add_router("/", records_router)
api.add_router("/", households_router)


def _add_app_routers() -> None:
    """The `router` of every jkda app's `api` module (services, programs and their sub-apps add endpoints)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    for config in apps.get_app_configs():
        if config.name.startswith("jkda.") and find_spec(f"{config.name}.api"):
            api.add_router("/", import_module(f"{config.name}.api").router)


_add_app_routers()
