"""Elderly rules: self-care scores and bands, TCM constitution raw sums and results (table-driven + properties)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs.elderly import rules as R

ITEMS = list(R.SELFCARE_SCORES)


@pytest.mark.parametrize("item,scores", [
    ("eating", (0, 0, 3, 5)), ("grooming", (0, 1, 3, 7)), ("dressing", (0, 0, 3, 5)),
    ("toileting", (0, 1, 5, 10)), ("moving", (0, 1, 5, 10)),
])
def test_item_scores_are_the_forms(item, scores):
    assert tuple(R.selfcare_item_score(item, level) for level in ("1", "2", "3", "4")) == scores


@pytest.mark.parametrize("total,band", [
    (0, "1"), (3, "1"), (4, "2"), (8, "2"), (9, "3"), (18, "3"), (19, "4"), (37, "4"),
])
def test_selfcare_bands_at_their_edges(total, band):
    assert R.selfcare_band(total) == band


@pytest.mark.parametrize("levels,total,band", [
    ({"eating": "1", "grooming": "1", "dressing": "1", "toileting": "1", "moving": "1"}, 0, "1"),
    ({"eating": "2", "grooming": "2", "dressing": "2", "toileting": "2", "moving": "2"}, 3, "1"),
    ({"eating": "1", "grooming": "2", "dressing": "3", "toileting": "1", "moving": "1"}, 4, "2"),
    ({"eating": "3", "grooming": "2", "dressing": "1", "toileting": "1", "moving": "3"}, 9, "3"),
    ({"eating": "4", "grooming": "3", "dressing": "4", "toileting": "2", "moving": "3"}, 19, "4"),
    ({"eating": "3", "grooming": "3", "dressing": "3", "toileting": "3", "moving": "2"}, 15, "3"),
    ({"eating": "4", "grooming": "4", "dressing": "4", "toileting": "4", "moving": "4"}, 37, "4"),
])
def test_selfcare_total_and_band(levels, total, band):
    assert R.selfcare_total(levels) == total
    assert R.selfcare_band(total) == band


LEVELS = st.fixed_dictionaries({i: st.sampled_from(["1", "2", "3", "4"]) for i in ITEMS})


@given(LEVELS, st.sampled_from(ITEMS))
def test_selfcare_total_is_monotone_in_each_item(levels, item):
    if levels[item] == "4":
        return
    higher = dict(levels, **{item: str(int(levels[item]) + 1)})
    assert R.selfcare_total(higher) >= R.selfcare_total(levels)
    assert int(R.selfcare_band(R.selfcare_total(higher))) >= int(R.selfcare_band(R.selfcare_total(levels)))


# --- TCM constitution ---------------------------------------------------------------------------------------

def answers(**set_):
    """All questions answered 1 (never), then q<n>=score overrides."""
    a = {n: 1 for n in range(1, 34)}
    for k, v in set_.items():
        a[int(k[1:])] = v
    return a


def test_all_never_is_balanced():
    sums, results = R.tcm_results(answers())
    assert sums["balanced"] == 21 and all(sums[t] == 4 for t in R.IMBALANCED)
    assert results == {**{t: R.NO for t in R.IMBALANCED}, "balanced": R.YES}


@pytest.mark.parametrize("type_", R.IMBALANCED)
def test_each_type_yes_at_11(type_):
    qs = R.TCM_TYPES[type_]
    a = answers(**{f"q{q}": 3 for q in qs[:3]}, **{f"q{qs[3]}": 2})  # 3+3+3+2 = 11
    sums, results = R.tcm_results(a)
    assert sums[type_] == 11 and results[type_] == R.YES
    assert results["balanced"] == R.NO  # another type is "yes"
    assert [t for t in R.IMBALANCED if results[t] != R.NO] == [type_]


@pytest.mark.parametrize("type_", R.IMBALANCED)
@pytest.mark.parametrize("total,result", [(8, R.NO), (9, R.TENDING), (10, R.TENDING), (11, R.YES)])
def test_imbalanced_thresholds(type_, total, result):
    qs = R.TCM_TYPES[type_]
    scores = [1, 1, 1, 1]
    extra = total - 4
    for i in range(4):
        step = min(4, extra)
        scores[i] += step
        extra -= step
    a = answers(**{f"q{q}": s for q, s in zip(qs, scores, strict=True)})
    assert R.tcm_results(a)[1][type_] == result


@pytest.mark.parametrize("name,a,expected", [
    # yang deficiency 3+2+2+2 = 9 tending; balanced 1+5+5+5+4 = 20 ≥ 17, others ≤ 10 → basically balanced
    ("tending, basically balanced", answers(q11=3, q12=2, q13=2, q29=2),
     {"yang_deficiency": R.TENDING, "balanced": R.TENDING}),
    # qi deficiency 3+2+2+2 = 9 tending through Q2 and Q4, which balanced reverse-scores: balanced 1+3+4+3+5 = 16
    # with Q5 = 3 → not even "basically": the tending type pulls balanced below 17
    ("balanced no beside a tending type", answers(q2=3, q3=2, q4=2, q14=2, q5=3),
     {"qi_deficiency": R.TENDING, "balanced": R.NO, "qi_stagnation": R.NO}),
    # balanced sum 21 ≥ 17 but special (allergic) is yes (12 > 10) → balanced no
    ("balanced no because another type is yes", answers(q15=3, q17=3, q18=3, q20=3),
     {"special": R.YES, "balanced": R.NO}),
    # balanced 17 exactly with every other ≤ 8 → yes
    ("balanced yes at 17", answers(q1=1, q2=1, q4=1, q5=3, q13=3),
     {"balanced": R.YES, "qi_deficiency": R.NO}),
    # balanced 16 → no even though every other type is no
    ("balanced no at 16", answers(q1=1, q2=2, q4=1, q5=3, q13=3), {"balanced": R.NO}),
    # mixed: qi deficiency yes, damp-heat tending, blood stasis yes
    ("mixed types", answers(q3=4, q14=4, q2=2, q4=2, q23=3, q25=2, q27=3, q30=1, q19=5, q22=5),
     {"qi_deficiency": R.YES, "damp_heat": R.TENDING, "blood_stasis": R.YES, "balanced": R.NO,
      "yang_deficiency": R.NO}),
])
def test_tcm_cases(name, a, expected):
    _sums, results = R.tcm_results(a)
    for t, r in expected.items():
        assert results[t] == r, (name, t)


def test_positive_types_lists_yes_and_tending():
    results = R.tcm_results(answers(q3=4, q14=4, q2=2, q4=2, q23=3, q25=2, q27=3, q19=5, q22=5))[1]
    assert R.positive_types(results) == ["qi_deficiency", "damp_heat", "blood_stasis"]


def test_unanswered_question_is_an_error():
    a = answers()
    del a[17]
    with pytest.raises(ValueError):
        R.tcm_sums(a)


@pytest.mark.parametrize("bmi,score", [
    (None, None), (18.5, 1), ("23.9", 1), (24, 2), ("24.9", 2), (25, 3), ("25.9", 3), (26, 4), ("27.9", 4),
    (28, 5), (35, 5),
])
def test_q9_is_anchored_by_bmi(bmi, score):
    assert R.q9_from_bmi(bmi) == score


@pytest.mark.parametrize("waist,score", [
    (79.9, 1), (80, 2), (85, 2), (86, 3), (90, 3), (91, 4), (105, 4), (106, 5), (Decimal("120.0"), 5),
])
def test_q28_is_anchored_by_waist(waist, score):
    assert R.q28_from_waist(waist) == score


ANSWERS = st.fixed_dictionaries({n: st.integers(1, 5) for n in range(1, 34)})


@given(ANSWERS, st.integers(1, 33))
def test_a_type_never_gets_weaker_when_its_score_rises(a, q):
    before = R.tcm_results(a)[1]
    if q == 1 or q not in R.TCM_REVERSED:
        if a[q] == 5:
            return
        after_a = {**a, q: a[q] + 1}
    else:
        if a[q] == 1:  # a reverse-scored item: its balanced score (6 − answer) rises when the answer falls
            return
        after_a = {**a, q: a[q] - 1}
    after = R.tcm_results(after_a)[1]
    for t in R.IMBALANCED:
        if q in R.TCM_TYPES[t] and after_a[q] > a[q]:
            assert R.STRENGTH[after[t]] >= R.STRENGTH[before[t]], t
    if q == 1 or q in R.TCM_REVERSED:
        assert R.STRENGTH[after["balanced"]] >= R.STRENGTH[before["balanced"]]


@given(ANSWERS, st.integers(2, 33))
def test_balanced_never_gets_stronger_when_another_answer_rises(a, q):
    if a[q] == 5:
        return
    before = R.tcm_results(a)[1]["balanced"]
    after = R.tcm_results({**a, q: a[q] + 1})[1]["balanced"]
    assert R.STRENGTH[after] <= R.STRENGTH[before]
