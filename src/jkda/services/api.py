"""JSON API of every service form, generated from the form declarations (one set of endpoints per kind).

    GET   /api/records/{number}/services            the record's timeline
    POST  /api/records/{number}/services/{kind}     record a new form (201)
    GET   /api/services/{kind}/{id}                 read one form
    PATCH /api/services/{kind}/{id}                 change fields (send "version": a stale save is a 409)

Input values are checked by the model fields (dates as YYYY-MM-DD, codes of the field's value set ...) and by the
form's rules; every error comes back as 422 with the field's message.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.orm import create_schema

from jkda.access import audit
from jkda.access.masking import reveal_api
from jkda.records.search import base_queryset

from . import actions
from .base import BASE_FIELDS, service_models
from .forms import editable_fields
from .timeline import timeline

router = Router(tags=["services"])


class TimelineOut(Schema):
    kind: str
    id: int
    date: dt.date
    title: str
    summary: str
    institution: str
    doctor: str


def _record(request, number: str):
    return get_object_or_404(base_queryset(request.user).select_related("resident"), number=number)


def parse_values(model, data: dict) -> dict:
    """JSON values to Python values through each model field's to_python; all errors at once."""
    out, errors = {}, {}
    for name, value in data.items():
        if name in BASE_FIELDS or name == "version":
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001
            errors[name] = ["Unknown field."]
            continue
        try:
            out[name] = field.to_python(value) if value is not None else (None if field.null else field.get_default())
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return out


@router.get("/records/{number}/services", response=list[TimelineOut], summary="A record's services, newest first")
def record_timeline(request, number: str):
    record = _record(request, number)
    audit.log("read", obj=record, detail={"what": "services"})
    return [{"kind": e.kind, "id": e.obj.pk, "date": e.date, "title": e.title, "summary": e.summary,
             "institution": e.institution, "doctor": e.doctor} for e in timeline(record)]


def _serialize(obj) -> dict:
    data = {"id": obj.pk, "record": obj.record.number, "institution": obj.institution.code,
            "doctor_name": obj.doctor_name, "form_version": obj.form_version, "version": obj.version}
    for name in editable_fields(type(obj)):
        data[name] = getattr(obj, name)
    return data


def _add_endpoints(model) -> None:
    kind = model.kind
    names = editable_fields(model)
    In = create_schema(model, name=f"{model.__name__}In", fields=names, optional_fields=names)
    Out = create_schema(model, name=f"{model.__name__}Out", fields=names,
                        custom_fields=[("id", int, ...), ("record", str, ...), ("institution", str, ...),
                                       ("doctor_name", str, ""), ("form_version", str, ""), ("version", int, ...)])
    Patch = create_schema(model, name=f"{model.__name__}Patch", fields=names, optional_fields=names,
                          custom_fields=[("version", int | None, None)])
    title = str(model._meta.verbose_name)

    def create(request, number: str, payload: In):  # type: ignore[valid-type]
        record = _record(request, number)
        values = parse_values(model, payload.dict(exclude_unset=True))
        obj = actions.record_service(model, record, request.user, values)
        return Status(201, _serialize(obj))

    def read(request, id: int, reveal: bool = False):
        obj = get_object_or_404(model.objects.select_related("record", "institution"), pk=id)
        if not base_queryset(request.user).filter(pk=obj.record_id).exists():
            raise Http404
        actions.audit_service("read", obj)
        if reveal:
            reveal_api(request, obj, [obj.record.institution])
        return _serialize(obj)

    def patch(request, id: int, payload: Patch):  # type: ignore[valid-type]
        obj = get_object_or_404(model.objects.select_related("record", "institution"), pk=id)
        if not base_queryset(request.user).filter(pk=obj.record_id).exists():
            raise Http404
        data = payload.dict(exclude_unset=True)
        version = data.pop("version", None)
        obj = actions.update_service(obj, request.user, parse_values(model, data), expected_version=version)
        return _serialize(obj)

    # the module uses postponed annotations: give ninja the schema classes themselves
    create.__annotations__["payload"] = In
    patch.__annotations__["payload"] = Patch
    router.post(f"/records/{{number}}/services/{kind}", response={201: Out}, summary=f"Record: {title}",
                operation_id=f"create_{kind}")(create)
    router.get(f"/services/{kind}/{{id}}", response=Out, summary=f"Read: {title}", operation_id=f"read_{kind}")(read)
    router.patch(f"/services/{kind}/{{id}}", response=Out, summary=f"Change: {title}",
                 operation_id=f"patch_{kind}")(patch)


for _model in service_models():
    if _model.generic_create:
        _add_endpoints(_model)
