"""Synthetic examinations, self-care assessments and TCM records: shares, plausibility, rule consistency,
determinism."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.db import transaction

from jkda.programs.elderly import rules as ER
from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution
from jkda.records.models import Record
from jkda.services.exam import rules as R
from jkda.services.exam.models import ELDERLY_FIELDS, Exam
from jkda.synth.generator import generate

AS_OF = dt.date(2025, 6, 30)
SIZE = 2000


@pytest.fixture
def synth(db):
    return generate("S", 5, residents=SIZE, as_of=AS_OF)


def _ages():
    return {pk: (birth, est, inst) for pk, birth, est, inst in Record.objects.filter(status="active").values_list(
        "pk", "resident__birth_date", "established_on", "institution_id")}


def test_counts_and_shares(synth):
    counts = synth.services
    assert counts["health examinations"] == Exam.objects.count() > 0
    assert counts["elderly self-care assessments"] == SelfCareAssessment.objects.count() > 0
    assert counts["elderly TCM records"] == TcmConstitution.objects.count() > 0
    ages = _ages()
    examined = set(Exam.objects.values_list("record_id", flat=True))
    old = {pk for pk, (b, _e, _i) in ages.items() if R.age_years(b, AS_OF) >= 65}
    adults = {pk for pk, (b, _e, _i) in ages.items() if 18 <= R.age_years(b, AS_OF) < 65}
    share_old = len(examined & old) / len(old)
    share_adults = len(examined & adults) / len(adults)
    assert 0.35 <= share_old <= 0.92, share_old
    assert 0.06 <= share_adults <= 0.24, share_adults
    assert not examined - old - adults  # no children
    cared = set(SelfCareAssessment.objects.values_list("record_id", flat=True))
    tcm = set(TcmConstitution.objects.values_list("record_id", flat=True))
    assert cared <= examined & old and tcm <= examined & old
    assert len(cared) >= 0.7 * len(examined & old) and len(tcm) >= 0.5 * len(examined & old)


def test_shares_differ_by_institution(synth):
    ages = _ages()
    examined = set(Exam.objects.values_list("record_id", flat=True))
    by_inst = defaultdict(lambda: [0, 0])
    for pk, (b, _e, inst) in ages.items():
        if R.age_years(b, AS_OF) >= 65:
            by_inst[inst][0] += 1
            by_inst[inst][1] += pk in examined
    rates = [n / d for d, n in by_inst.values() if d >= 20]
    assert len(rates) >= 2 and max(rates) - min(rates) > 0.1


def test_values_are_plausible_and_follow_the_rules(synth):
    ages = _ages()
    sbps, bmis, glucoses = [], [], []
    for e in Exam.objects.all():
        birth, est, _inst = ages[e.record_id]
        assert AS_OF - dt.timedelta(days=364) <= e.service_date <= AS_OF and e.service_date >= est
        assert e.bp_left_sbp > e.bp_left_dbp and e.bp_right_sbp > e.bp_right_dbp
        assert e.bmi == R.bmi(e.height, e.weight) and R.bmi_plausible(e.bmi)
        elderly = R.is_elderly(birth, e.service_date)
        assert all(getattr(e, f) not in (None, "") for f in ("health_status", "selfcare_level")) == elderly
        if not elderly:
            assert all(getattr(e, f) in (None, "") for f in ELDERLY_FIELDS)
        sbps.append(e.bp_left_sbp)
        bmis.append(float(e.bmi))
        glucoses.append(float(e.fasting_glucose))
    n = len(sbps)
    assert 118 <= sum(sbps) / n <= 145 and 21 <= sum(bmis) / n <= 26.5 and 4.8 <= sum(glucoses) / n <= 6.5
    assert 0.01 <= sum(g >= 7.0 for g in glucoses) / n <= 0.3
    levels = {e.record_id: e.selfcare_level for e in Exam.objects.exclude(selfcare_level="")}
    for c in SelfCareAssessment.objects.all():
        assert c.total == ER.selfcare_total({i: getattr(c, i) for i in ER.SELFCARE_SCORES})
        assert c.level == ER.selfcare_band(c.total) == levels[c.record_id]
    for t in TcmConstitution.objects.all():
        sums, results = ER.tcm_results(t.answers())
        assert t.q9 == ER.q9_from_bmi(t.bmi) and t.q28 == ER.q28_from_waist(t.waist)
        for k in ER.TCM_TYPES:
            assert getattr(t, f"sum_{k}") == sums[k] and getattr(t, f"result_{k}") == results[k]
            assert bool(getattr(t, f"guidance_{k}")) == (results[k] != ER.NO)


def test_generated_forms_pass_the_form_validation(synth):
    for model in (Exam, SelfCareAssessment, TcmConstitution):
        for obj in model.objects.select_related("record__resident").order_by("id")[:60]:
            obj.full_clean()


def _snapshot():
    return sorted(Exam.objects.values_list("record__number", "service_date", "bp_left_sbp", "bp_left_dbp", "bmi",
                                           "fasting_glucose", "selfcare_level"))


class _Rollback(Exception):
    pass


def _run(seed):
    snap = []
    try:
        with transaction.atomic():
            generate("S", seed, residents=600, as_of=AS_OF)
            snap = _snapshot()
            raise _Rollback
    except _Rollback:
        pass
    return snap


def test_deterministic_by_seed(db):
    first, second, other = _run(3), _run(3), _run(4)
    assert first and first == second and first != other
