"""Synthetic severe mental disorder and TB patients: share of residents, consent, visits by the rules, determinism."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from jkda.programs.mental import rules as smi_rules
from jkda.programs.mental.models import SmiFollowup, SmiProfile
from jkda.programs.models import Enrollment
from jkda.programs.tb import rules as tb_rules
from jkda.programs.tb.models import TbFirstVisit, TbFollowup, TbOutcome
from jkda.records.models import Record, Resident
from jkda.synth.generator import generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 4000


class _Rollback(Exception):
    pass


def _snapshot():
    return (
        list(Enrollment.objects.order_by("record__number", "program").values_list(
            "record__number", "program", "enrolled_on", "exited_on")),
        list(SmiFollowup.objects.order_by("record__number", "service_date").values_list(
            "record__number", "service_date", "risk", "classification", "next_visit")),
        list(TbFirstVisit.objects.order_by("record__number").values_list("record__number", "service_date", "late")),
        list(TbOutcome.objects.order_by("record__number").values_list("record__number", "doses_due", "doses_taken")),
    )


def _run(seed):
    try:
        with transaction.atomic():
            generate("S", seed, residents=1500, as_of=AS_OF)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    return snap


@pytest.fixture
def synth(db):
    return generate("S", 5, residents=SIZE, as_of=AS_OF)


def test_smi_share_consent_and_followups(synth):
    residents = Resident.objects.count()
    enrolled = Enrollment.objects.filter(program="smi")
    assert 0.0035 * residents <= enrolled.count() <= 0.0055 * residents
    assert synth.services["smi_enrolments"] == enrolled.count()
    profiles = SmiProfile.objects.all()
    assert profiles.count() >= 0.85 * enrolled.count()
    agreed = set(profiles.filter(consent="1").values_list("record_id", flat=True))
    assert len(agreed) >= 0.8 * profiles.count()
    followed = set(SmiFollowup.objects.values_list("record_id", flat=True))
    assert followed <= agreed  # no follow-up without consent
    counts = smi_rules.followup_counts(Record.objects.all(), AS_OF - dt.timedelta(days=364), AS_OF)
    assert sum(1 for n in counts.values() if n >= 4) >= 0.5 * len(counts)
    risks = list(SmiFollowup.objects.values_list("risk", flat=True))
    assert sum(1 for r in risks if r in ("0", "1")) >= 0.75 * len(risks)
    assert any(r in ("3", "4", "5") for r in risks)
    for fu in SmiFollowup.objects.all():
        assert fu.classification == fu.computed_classification()
        assert fu.next_visit == smi_rules.next_visit(fu.service_date, fu.classification)
        assert fu.service_date <= AS_OF
        assert not (fu.classification == "1" and fu.referral != "2")
    num, den = smi_rules.standard_management_rate(Record.objects.all(), AS_OF - dt.timedelta(days=364), AS_OF)
    assert 0 < num < den


def test_tb_patients_visits_and_outcomes(synth):
    tb = Enrollment.objects.filter(program="tb")
    institutions = tb.values("institution_id").distinct().count()
    assert 2 * institutions <= tb.count() <= 6 * institutions
    firsts = list(TbFirstVisit.objects.all())
    assert firsts and any(f.late for f in firsts) and sum(f.late for f in firsts) < len(firsts) / 2
    for f in firsts:
        assert f.late == tb_rules.first_visit_late(f.notified_on, f.service_date, f.notified_time, f.visit_time)
    assert TbFollowup.objects.exists()
    for o in TbOutcome.objects.all():
        assert o.doses_taken <= o.doses_due
        assert o.regular == tb_rules.is_regular(o.doses_taken, o.doses_due)
    regular, completed = tb_rules.regular_medication_rate(Record.objects.all(), AS_OF - dt.timedelta(days=400),
                                                          AS_OF)
    assert completed >= regular


def test_same_seed_same_patients(db):
    first, second, other = _run(3), _run(3), _run(4)
    assert first == second
    assert first[0] and first != other
