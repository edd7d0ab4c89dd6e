"""JSON API of the institution-level services (generated from the model declarations, one set per kind).

    GET   /api/public-health/{kind}?institution=&year=&kind=     list (newest first, at most 500)
    POST  /api/public-health/{kind}                            create; "institution" = institution code (201)
    GET   /api/public-health/{kind}/{id}                       read one
    PATCH /api/public-health/{kind}/{id}                       change fields (send "version": stale is 409)
    POST  /api/public-health/infectious/{id}/revise            revised card (the original is kept)
    POST  /api/public-health/infectious/{id}/cancel            cancel with a reason (the card is kept)
    GET   /api/public-health/summary/education?year=
    GET   /api/public-health/summary/infectious?start=&end=
    GET   /api/public-health/summary/supervision?start=&end=

{kind}: education, notice_board, printed_material, infectious, supervision_report, supervision_visit.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Schema, Status
from ninja.orm import create_schema

from jkda.access import audit
from jkda.access.masking import reveal_api
from jkda.access.policy import api_auth
from jkda.access.roles import Perm
from jkda.records.rules import today
from jkda.records.search import base_queryset
from jkda.regions.models import Institution
from jkda.services.forms import editable_fields

from . import actions, summaries
from .models import MODELS, InfectiousReport, NoticeBoard
from .views import institutions_for

router = Router(tags=["public health"])
LIST_LIMIT = 500


def _institution(request, code: str) -> Institution:
    inst = institutions_for(request.user).filter(code=code).first()
    if inst is None:
        raise ValidationError({"institution": [f"unknown institution code {code} in your area"]})
    return inst


def parse_values(request, model, data: dict, institution_id: int | None) -> dict:
    """JSON values to Python values through each model field; relations by record number / board id."""
    out, errors = {}, {}
    for name, value in data.items():
        if name in ("institution", "version"):
            continue
        try:
            field = model._meta.get_field(name)
        except Exception:  # noqa: BLE001
            errors[name] = ["Unknown field."]
            continue
        try:
            if name == "patient_record":
                out[name] = None
                if value:
                    record = base_queryset(request.user).select_related("resident").filter(number=value).first()
                    if record is None:
                        raise ValidationError(f"no health record {value} in your area")
                    out[name] = record
            elif name == "board":
                out[name] = None
                if value is not None:
                    board = NoticeBoard.objects.filter(pk=value, institution_id=institution_id).first()
                    if board is None:
                        raise ValidationError(f"no notice board {value} at this institution")
                    out[name] = board
            elif value is None:
                out[name] = None if field.null else field.get_default()
            else:
                out[name] = field.to_python(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return out


def _serialize(obj) -> dict:
    data = {"id": obj.pk, "institution": obj.institution.code, "form_version": obj.form_version,
            "version": obj.version}
    for name in editable_fields(type(obj)):
        value = getattr(obj, name)
        if isinstance(value, models.Model):
            value = value.number if name == "patient_record" else value.pk
        data[name] = value
    if isinstance(obj, InfectiousReport):
        on_time, late = obj.timeliness
        data.update(status=obj.status, disease_class=obj.disease_class, urgent=obj.urgent,
                    revises=obj.revises_id, cancel_reason=obj.cancel_reason, on_time=on_time,
                    late_minutes=int(late.total_seconds() // 60))
    return data


def _relation_fields(model) -> dict:
    return {f.name: f for f in model._meta.concrete_fields if f.is_relation and f.name in editable_fields(model)}


def _add_endpoints(slug: str, model) -> None:
    names = editable_fields(model)
    plain = [n for n in names if n not in _relation_fields(model)]
    rel_in = [(n, (str | None) if n == "patient_record" else (int | None), None) for n in _relation_fields(model)]
    extra_out = []
    if model is InfectiousReport:
        extra_out = [("status", str, ""), ("disease_class", str, ""), ("urgent", bool, False),
                     ("revises", int | None, None), ("cancel_reason", str, ""), ("on_time", bool, True),
                     ("late_minutes", int, 0)]
    In = create_schema(model, name=f"{model.__name__}In", fields=plain, optional_fields=plain,
                       custom_fields=[("institution", str, ...), *rel_in])
    Out = create_schema(model, name=f"{model.__name__}Out", fields=plain,
                        custom_fields=[("id", int, ...), ("institution", str, ...), ("form_version", str, ""),
                                       ("version", int, ...), *rel_in, *extra_out])
    Patch = create_schema(model, name=f"{model.__name__}Patch", fields=plain, optional_fields=plain,
                          custom_fields=[("version", int | None, None), *rel_in])
    title = str(model._meta.verbose_name)

    def create(request, payload: In):  # type: ignore[valid-type]  # noqa: F821
        data = payload.dict(exclude_unset=True)
        inst = _institution(request, data.pop("institution"))
        obj = actions.create(model, request.user, inst, parse_values(request, model, data, inst.pk))
        return Status(201, _serialize(obj))

    def list_(request, institution: str = "", year: int | None = Query(None, ge=1900, le=9999), kind: str = "",
              reveal: bool = False):
        qs = model.objects.select_related("institution", *_relation_fields(model)).filter(
            institution__in=institutions_for(request.user))
        if institution:
            qs = qs.filter(institution__code=institution)
        if year:
            qs = qs.filter(**{f"{model.date_field}__year": year})
        if kind and model.kind_field:
            qs = qs.filter(**{model.kind_field: kind})
        rows = list(qs[:LIST_LIMIT])
        audit.log("search", object_type=model._meta.label_lower, detail={
            "institution": institution, "year": year, "kind": kind, "hits": len(rows)})
        if reveal and rows:
            reveal_api(request, model._meta.label_lower, {o.institution for o in rows})
        return [_serialize(o) for o in rows]

    def _get(request, id: int):
        obj = get_object_or_404(model.objects.select_related("institution"), pk=id)
        if not institutions_for(request.user).filter(pk=obj.institution_id).exists():
            raise Http404
        return obj

    def read(request, id: int, reveal: bool = False):
        obj = _get(request, id)
        audit.log("read", obj=obj)
        if reveal:
            reveal_api(request, obj, [obj.institution])
        return _serialize(obj)

    def patch(request, id: int, payload: Patch):  # type: ignore[valid-type]
        obj = _get(request, id)
        data = payload.dict(exclude_unset=True)
        version = data.pop("version", None)
        obj = actions.update(obj, request.user, parse_values(request, model, data, obj.institution_id),
                             expected_version=version)
        return _serialize(obj)

    router.get(f"/public-health/{slug}", response=list[Out], summary=f"List: {title}",
               operation_id=f"list_{slug}")(list_)
    router.post(f"/public-health/{slug}", response={201: Out}, summary=f"Record: {title}",
                operation_id=f"create_{slug}")(create)
    router.get(f"/public-health/{slug}/{{id}}", response=Out, summary=f"Read: {title}",
               operation_id=f"read_{slug}")(read)
    router.patch(f"/public-health/{slug}/{{id}}", response=Out, summary=f"Change: {title}",
                 operation_id=f"patch_{slug}")(patch)
    if model is InfectiousReport:
        def revise(request, id: int, payload: Patch):  # type: ignore[valid-type]
            obj = _get(request, id)
            data = payload.dict(exclude_unset=True)
            data.pop("version", None)
            new = actions.revise_report(obj, request.user, parse_values(request, model, data, obj.institution_id))
            return Status(201, _serialize(new))

        def cancel(request, id: int, payload: CancelIn):
            return _serialize(actions.cancel_report(_get(request, id), request.user, payload.reason))

        router.post("/public-health/infectious/{id}/revise", response={201: Out},
                    summary="Revise a card (the original is kept)")(revise)
        router.post("/public-health/infectious/{id}/cancel", response=Out,
                    summary="Cancel a card (kept, with the reason)")(cancel)


class CancelIn(Schema):
    reason: str


class ItemOut(Schema):
    key: str
    label: str
    done: int
    minimum: int | None
    met: bool | None


class EducationSummaryOut(Schema):
    institution: str
    institution_name: str
    year: int
    activities: int
    participants: int
    met: bool
    items: list[ItemOut]


class TimelinessOut(Schema):
    institution: str
    institution_name: str
    cards: int
    on_time: int
    late: int
    rate: float | None
    urgent: int
    urgent_on_time: int
    revised: int
    cancelled: int


class SupervisionOut(Schema):
    institution: str
    institution_name: str
    reports: int
    visits: int
    by_kind: dict[str, list[int]]


@router.get("/public-health/summary/education", response=list[EducationSummaryOut], auth=api_auth(Perm.AGGREGATES),
            summary="Health education: done vs yearly minimum per institution")
def education_summary(request, year: int | None = Query(None, ge=1900, le=9999)):
    rows = summaries.education_summary(institutions_for(request.user), year or today().year)
    return [{"institution": r.institution.code, "institution_name": r.institution.name, "year": r.year,
             "activities": r.activities, "participants": r.participants, "met": r.met,
             "items": [{"key": i.key, "label": str(i.label), "done": i.done, "minimum": i.minimum, "met": i.met}
                       for i in r.items]} for r in rows]


def _period(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    t = today()
    return start or dt.date(t.year, 1, 1), end or t


@router.get("/public-health/summary/infectious", response=list[TimelinessOut], auth=api_auth(Perm.AGGREGATES),
            summary="Infectious disease reports: timeliness per institution")
def timeliness_summary(request, start: dt.date | None = None, end: dt.date | None = None):
    s, e = _period(start, end)
    return [{"institution": r.institution.code, "institution_name": r.institution.name, "cards": r.cards,
             "on_time": r.on_time, "late": r.late, "rate": r.rate, "urgent": r.urgent,
             "urgent_on_time": r.urgent_on_time, "revised": r.revised, "cancelled": r.cancelled}
            for r in summaries.infectious_timeliness(institutions_for(request.user), s, e)]


@router.get("/public-health/summary/supervision", response=list[SupervisionOut], auth=api_auth(Perm.AGGREGATES),
            summary="Health supervision assistance: reports and inspections per institution")
def supervision_summary(request, start: dt.date | None = None, end: dt.date | None = None):
    s, e = _period(start, end)
    return [{"institution": r.institution.code, "institution_name": r.institution.name, "reports": r.reports,
             "visits": r.visits, "by_kind": {k: list(v) for k, v in r.by_kind.items()}}
            for r in summaries.supervision_counts(institutions_for(request.user), s, e)]


for _slug, _model in MODELS.items():
    _add_endpoints(_slug, _model)
