"""JSON API of the children's program: the immunisation card and the child's due items.

Doses, certificates and checks themselves use the generic service endpoints
(POST /api/records/{number}/services/vaccination, GET/PATCH /api/services/vaccination/{id} ...)."""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from jkda.access import audit
from jkda.records.models import Record
from jkda.records.rules import today
from jkda.records.search import base_queryset

from .card import immunisation_card
from .program import due

router = Router(tags=["children"])


class CertificateOut(Schema):
    id: int
    issued_on: dt.date
    certificate_number: str
    card_number: str


class DoseOut(Schema):
    vaccine: str
    vaccine_label: str
    dose: int
    age: str
    due_on: dt.date
    window_end: dt.date
    status: str
    status_label: str
    given_on: dt.date | None = None
    dose_id: int | None = None
    batch: str = ""
    manufacturer: str = ""
    site: str = ""
    institution: str = ""
    doctor: str = ""


class DueOut(Schema):
    item: str
    kind: str
    category: str
    due_on: dt.date
    window_end: dt.date | None
    overdue: bool


class CardOut(Schema):
    record: str
    name: str
    birth_date: dt.date
    as_of: dt.date
    certificate: CertificateOut | None
    doses: list[DoseOut]
    due: list[DueOut]


@router.get("/records/{number}/immunisation", response=CardOut, summary="A child's immunisation card")
def card(request, number: str):
    record = get_object_or_404(base_queryset(request.user).select_related("resident"), number=number)
    audit.log("read", obj=record, detail={"what": "immunisation card"})
    as_of = today()
    c = immunisation_card(record, as_of)
    cert = c.certificate
    doses = []
    for r in c.rows:
        d = r.dose
        doses.append({
            "vaccine": r.plan.vaccine, "vaccine_label": r.vaccine_label, "dose": r.plan.dose, "age": r.age,
            "due_on": r.plan.due, "window_end": r.plan.window_end, "status": r.plan.status,
            "status_label": r.status_label, "given_on": r.plan.given_on, "dose_id": d.pk if d else None,
            "batch": d.batch if d else "", "manufacturer": d.manufacturer if d else "",
            "site": d.get_site_display() if d else "", "doctor": d.doctor_name if d else "",
            "institution": (d.vaccination_unit or d.institution.name) if d else "",
        })
    items = due(Record.objects.filter(pk=record.pk), as_of)
    return {
        "record": record.number, "name": record.resident.name, "birth_date": record.resident.birth_date,
        "as_of": as_of, "doses": doses,
        "certificate": None if cert is None else {"id": cert.pk, "issued_on": cert.service_date,
                                                  "certificate_number": cert.certificate_number,
                                                  "card_number": cert.card_number},
        "due": [{"item": i.item, "kind": i.kind, "category": i.category, "due_on": i.due_on,
                 "window_end": i.window_end, "overdue": i.overdue(as_of)} for i in items],
    }
