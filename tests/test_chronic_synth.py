"""Synthetic hypertension and diabetes patients: deterministic, plausible, and stored values that agree with the
rules the forms apply."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict

import pytest
from django.db import transaction

from jkda.programs.chronic import monitoring as M
from jkda.programs.chronic import rules as R
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.models import Enrollment
from jkda.programs.worklist import due_items
from jkda.records.models import Record
from jkda.synth.generator import generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 2000


class _Rollback(Exception):
    pass


def _snapshot():
    return (list(Enrollment.objects.order_by("record__number", "program").values_list(
                "record__number", "program", "enrolled_on", "source")),
            list(HypertensionFollowup.objects.order_by("record__number", "service_date", "id").values_list(
                "record__number", "service_date", "sbp", "dbp", "classification", "next_visit_date", "drugs")),
            list(DiabetesFollowup.objects.order_by("record__number", "service_date", "id").values_list(
                "record__number", "service_date", "fasting_glucose", "classification", "insulin_kind")))


def _generate_and_roll_back(seed):
    snap = None
    try:
        with transaction.atomic():
            summary = generate("S", seed, residents=600, as_of=AS_OF)
            snap = _snapshot()
            assert summary.services["hypertension_followups"] == len(snap[1])
            raise _Rollback
    except _Rollback:
        pass
    assert not Enrollment.objects.exists()
    return snap


def test_same_seed_same_patients(db):
    a = _generate_and_roll_back(5)
    b = _generate_and_roll_back(5)
    c = _generate_and_roll_back(6)
    assert a == b and a[1] and a[2]
    assert a != c


@pytest.fixture(scope="module")
def synth(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            summary = generate("S", 3, residents=SIZE, as_of=AS_OF)
            yield summary
            transaction.set_rollback(True)


def _adults():
    cutoff = AS_OF.replace(year=AS_OF.year - 18)
    return Record.objects.filter(status="active", resident__birth_date__lte=cutoff).count()


def test_prevalence_and_counts(synth):
    adults = _adults()
    htn = Enrollment.objects.filter(program="hypertension").count()
    dm = Enrollment.objects.filter(program="diabetes").count()
    assert 0.17 < htn / adults < 0.33, htn / adults
    assert 0.05 < dm / adults < 0.14, dm / adults
    assert synth.services["hypertension"] == htn and synth.services["diabetes"] == dm
    fu = HypertensionFollowup.objects.count() + DiabetesFollowup.objects.count()
    assert synth.services["hypertension_followups"] + synth.services["diabetes_followups"] == fu
    # about half a follow-up per resident: L (2M residents) makes roughly a million
    assert 0.3 < fu / SIZE < 0.75, fu / SIZE
    # most patients listed on the personal form are enrolled, and every enrollee is an adult with an open record
    for e in Enrollment.objects.filter(program__in=("hypertension", "diabetes")).select_related("record__resident"):
        assert e.record.is_active
        birth = e.record.resident.birth_date
        assert R.add_months(birth, 12 * 18) <= e.enrolled_on <= AS_OF
        assert e.enrolled_on >= e.record.established_on


def test_followups_dated_in_the_year_after_enrolment(synth):
    start = AS_OF - dt.timedelta(days=364)
    enrolled = {(e.record_id, e.program): e.enrolled_on for e in Enrollment.objects.all()}
    for model, program in ((HypertensionFollowup, "hypertension"), (DiabetesFollowup, "diabetes")):
        for record_id, day, inst, rec_inst in model.objects.values_list("record_id", "service_date",
                                                                        "institution_id", "record__institution_id"):
            assert start <= day <= AS_OF
            assert day >= enrolled[(record_id, program)]
            assert inst == rec_inst


def _check_rules(model, program):
    rows = defaultdict(list)
    for obj in model.objects.select_related("record__resident").order_by("record_id", "service_date", "id"):
        rows[obj.record_id].append(obj)
    n = 0
    for objs in rows.values():
        previous = None
        for obj in objs:
            age = R.add_months(obj.record.resident.birth_date, 0)
            age = obj.service_date.year - age.year - ((obj.service_date.month, obj.service_date.day)
                                                      < (age.month, age.day))
            if program == "hypertension":
                controlled = R.bp_controlled(obj.sbp, obj.dbp, age)
                urgent = R.htn_urgent(obj.sbp, obj.dbp)
            else:
                controlled = R.glucose_controlled(obj.fasting_glucose)
                urgent = R.dm_urgent(obj.fasting_glucose, obj.sbp, obj.dbp)
            assert obj.controlled == controlled
            assert obj.classification == R.classify(controlled, obj.adverse_reaction == "2", bool(obj.complication))
            assert obj.referral_prompt == R.referral_prompt(urgent=urgent, controlled=controlled,
                                                            previous_controlled=previous,
                                                            complication=bool(obj.complication))
            assert obj.next_visit_suggested == R.suggested_next_visit(obj.service_date, obj.classification)
            previous = controlled
            n += 1
    return n


def test_stored_classification_agrees_with_the_rules(synth):
    assert _check_rules(HypertensionFollowup, "hypertension") > 100
    assert _check_rules(DiabetesFollowup, "diabetes") > 30
    classes = Counter(HypertensionFollowup.objects.values_list("classification", flat=True))
    assert set(classes) >= {"1", "2", "3"}
    assert 0.45 < classes["1"] / sum(classes.values()) < 0.85


def test_stored_rows_pass_the_form_validation(synth):
    for model in (HypertensionFollowup, DiabetesFollowup):
        for obj in model.objects.select_related("record__resident").order_by("id")[:150]:
            before = (obj.classification, obj.controlled, obj.referral_prompt, obj.next_visit_date)
            obj.full_clean()
            assert (obj.classification, obj.controlled, obj.referral_prompt, obj.next_visit_date) == before


def test_adherence_differs_by_institution(synth):
    per_inst = defaultdict(list)
    counts = Counter(HypertensionFollowup.objects.values_list("record_id", flat=True))
    for record_id, inst in Enrollment.objects.filter(program="hypertension", enrolled_on__lt=AS_OF.replace(
            year=AS_OF.year - 1)).values_list("record_id", "institution_id"):
        per_inst[inst].append(counts.get(record_id, 0))
    means = [statistics.mean(v) for v in per_inst.values() if len(v) >= 10]
    assert max(means) >= 3.5 and min(means) <= 2.2, means
    start, end = AS_OF - dt.timedelta(days=364), AS_OF
    standard = M.standard_management("hypertension", start, end)
    assert 0 < len(standard) < len(counts)
    controlled = M.latest_controlled("hypertension", start, end)
    assert 0.4 < len(controlled) / len(counts) < 0.9


def test_due_list_over_the_synthetic_city(synth):
    records = Record.objects.filter(status="active")
    items = due_items(records, AS_OF, program="hypertension")
    firsts = [i for i in items if i.item in ("首次随访", "First follow-up")]
    regular = [i for i in items if i.item in ("随访", "Follow-up")]
    assert len(firsts) + len(regular) == Enrollment.objects.active().filter(program="hypertension").count()
    assert all(i.kind == "hypertension_followup" and i.category == "followup" for i in items)
