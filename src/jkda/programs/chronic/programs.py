"""The two programs (高血压 / 2型糖尿病患者健康管理): who may be enrolled and what each patient is due for."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jkda.programs.registry import DueItem, Program
from jkda.services.base import age_in_years

from . import rules as R

HYPERTENSION, DIABETES = "hypertension", "diabetes"


def model_for(program: str):
    from .models import DiabetesFollowup, HypertensionFollowup

    return {HYPERTENSION: HypertensionFollowup, DIABETES: DiabetesFollowup}[program]


def eligible(record, on: dt.date) -> str | None:
    minimum = R.setting("JKDA_CHRONIC_MIN_AGE")
    birth = record.resident.birth_date
    if birth and age_in_years(birth, on) < minimum:
        return gettext("Only adults aged %(n)s or over on the enrolment date can be enrolled.") % {"n": minimum}
    return None


def latest_followups(model, records: QuerySet):
    """The latest follow-up of each record (by date, then entry order) as one query: no later one exists."""
    later = model.objects.filter(record_id=OuterRef("record_id")).filter(
        Q(service_date__gt=OuterRef("service_date")) | Q(service_date=OuterRef("service_date"), pk__gt=OuterRef("pk")))
    return model.objects.filter(record_id__in=records).filter(~Exists(later))


def due_for(program: str, records: QuerySet, as_of: dt.date) -> list[DueItem]:
    """Per active enrollee: the next follow-up (the latest one's next visit date, or enrolment + 2 weeks for the
    first), and the 2-week check after an urgent (or suggested) referral. Three queries whatever the size."""
    from jkda.programs.models import Enrollment

    model = model_for(program)
    enrolled = dict(Enrollment.objects.active().filter(program=program, record_id__in=records.values("pk"))
                    .values_list("record_id", "enrolled_on"))
    if not enrolled:
        return []
    enrolled_ids = Enrollment.objects.active().filter(program=program, record_id__in=records.values("pk")) \
        .values("record_id")
    latest = {r[0]: r[1:] for r in latest_followups(model, enrolled_ids).values_list(
        "record_id", "service_date", "next_visit_date", "referral_prompt")}
    kind = model.kind
    out = []
    for record_id, enrolled_on in enrolled.items():
        last = latest.get(record_id)
        if last is None:
            out.append(DueItem(record_id, program, gettext("First follow-up"), R.first_visit_due(enrolled_on),
                               kind=kind, category="followup"))
            continue
        service_date, next_visit, prompt = last
        due = next_visit or R.add_months(service_date, R.setting("JKDA_CHRONIC_ROUTINE_MONTHS"))
        out.append(DueItem(record_id, program, gettext("Follow-up"), due, kind=kind, category="followup"))
        if prompt == R.URGENT:
            out.append(DueItem(record_id, program, gettext("Urgent referral check"),
                               R.referral_check_due(service_date), kind=kind, category="followup"))
        elif prompt == R.REFERRAL:
            out.append(DueItem(record_id, program, gettext("Referral check"),
                               R.referral_check_due(service_date), kind=kind, category="followup"))
    return out


def hypertension_due(records: QuerySet, as_of: dt.date) -> list[DueItem]:
    return due_for(HYPERTENSION, records, as_of)


def diabetes_due(records: QuerySet, as_of: dt.date) -> list[DueItem]:
    return due_for(DIABETES, records, as_of)


PROGRAM_LIST = (
    Program(code=HYPERTENSION, label=_("Hypertension patient health management"), diagnosis_codes=("2",),
            eligible=eligible, due=hypertension_due, order=20),
    Program(code=DIABETES, label=_("Type 2 diabetes patient health management"), diagnosis_codes=("3",),
            eligible=eligible, due=diabetes_due, order=21),
)
