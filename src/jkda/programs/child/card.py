"""The child's immunisation card: the certificate and every dose of the schedule with its state (given on time,
given late, due, overdue, upcoming, waiting for the previous dose), as the web page and the API show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jkda.records.models import Record

from . import rules
from .codes import VACCINE
from .models import VaccinationCertificate, VaccineDose

STATUS_LABELS = {
    "given": _("given"), "late": _("given late"), "overdue": _("overdue"), "due": _("due"),
    "upcoming": _("not yet due"), "waiting": _("after the previous dose"),
}


@dataclass
class CardRow:
    plan: rules.PlannedDose
    dose: VaccineDose | None

    @property
    def vaccine_label(self) -> str:
        return VACCINE.label(self.plan.vaccine)

    @property
    def age(self) -> str:
        return rules.age_words(self.plan.spec.months, self.plan.spec.days)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.plan.status])


@dataclass
class Card:
    record: Record
    as_of: dt.date
    certificate: VaccinationCertificate | None
    rows: list[CardRow]

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.plan.status == "overdue")

    @property
    def given(self) -> int:
        return sum(1 for r in self.rows if r.plan.given_on is not None)


def immunisation_card(record: Record, as_of: dt.date) -> Card:
    doses = {(d.vaccine, d.dose_number): d for d in
             VaccineDose.objects.filter(record=record).select_related("institution").order_by("service_date")}
    given = {k: d.service_date for k, d in doses.items()}
    plan = rules.vaccine_plan(record.resident.birth_date, given, as_of)
    cert = VaccinationCertificate.objects.filter(record=record).order_by("service_date").first()
    return Card(record, as_of, cert, [CardRow(p, doses.get(p.spec.key)) for p in plan])
