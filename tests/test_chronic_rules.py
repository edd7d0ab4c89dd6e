"""Hypertension / diabetes rules: control, classification, next visit, referral prompts (pure functions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs.chronic import rules as R


@pytest.mark.parametrize("sbp,dbp,age,controlled", [
    (139, 89, 50, True),
    (140, 89, 50, False),
    (139, 90, 50, False),
    (140, 90, 50, False),
    (120, 70, 18, True),
    (149, 89, 65, True),     # 65+: below 150/90
    (149, 89, 64, False),    # 64: the ordinary limits
    (150, 89, 65, False),
    (149, 90, 65, False),
    (149, 89, 80, True),
    (181, 100, 70, False),
])
def test_bp_control(sbp, dbp, age, controlled):
    assert R.bp_controlled(sbp, dbp, age) is controlled


def test_bp_limits_are_settings(settings):
    settings.JKDA_HTN_SBP_LIMIT = 130
    settings.JKDA_HTN_DBP_LIMIT = 80
    settings.JKDA_HTN_SBP_LIMIT_65 = 140
    assert not R.bp_controlled(135, 75, 50)
    assert R.bp_controlled(129, 79, 50)
    assert not R.bp_controlled(145, 79, 70) and R.bp_controlled(139, 79, 70)


@pytest.mark.parametrize("glucose,controlled", [
    ("6.9", True), ("7.0", False), ("7.1", False), ("4.0", True), (Decimal("6.99"), True), (6.9, True),
])
def test_glucose_control(glucose, controlled):
    assert R.glucose_controlled(glucose) is controlled


def test_glucose_limit_is_a_setting(settings):
    settings.JKDA_DM_GLUCOSE_LIMIT = "6.1"
    assert not R.glucose_controlled("6.5")


@pytest.mark.parametrize("controlled,adverse,complication,expected", [
    (True, False, False, "1"),
    (False, False, False, "2"),
    (True, True, False, "3"),
    (False, True, False, "3"),
    (True, False, True, "4"),
    (False, True, True, "4"),
])
def test_most_severe_class_wins(controlled, adverse, complication, expected):
    assert R.classify(controlled, adverse, complication) == expected


@pytest.mark.parametrize("visit,classification,expected", [
    (dt.date(2025, 3, 10), "1", dt.date(2025, 6, 10)),
    (dt.date(2025, 11, 30), "1", dt.date(2026, 2, 28)),   # the month's last day
    (dt.date(2025, 3, 10), "2", dt.date(2025, 3, 24)),
    (dt.date(2025, 3, 10), "3", dt.date(2025, 3, 24)),
    (dt.date(2025, 12, 25), "4", dt.date(2026, 1, 8)),
])
def test_suggested_next_visit(visit, classification, expected):
    assert R.suggested_next_visit(visit, classification) == expected


def test_routine_interval_is_a_setting(settings):
    settings.JKDA_CHRONIC_ROUTINE_MONTHS = 2
    assert R.suggested_next_visit(dt.date(2025, 1, 31), "1") == dt.date(2025, 3, 31)
    assert R.first_visit_due(dt.date(2025, 1, 1)) == dt.date(2025, 1, 15)


@pytest.mark.parametrize("controlled,previous,complication,expected", [
    (False, False, False, "1"),   # two uncontrolled visits in a row
    (False, True, False, "0"),
    (False, None, False, "0"),    # the first follow-up
    (True, False, False, "0"),
    (True, True, True, "1"),      # a complication
])
def test_referral_after_two_uncontrolled_visits(controlled, previous, complication, expected):
    assert R.referral_prompt(urgent=False, controlled=controlled, previous_controlled=previous,
                             complication=complication) == expected


def test_urgent_wins_over_everything():
    assert R.referral_prompt(urgent=True, controlled=False, previous_controlled=False) == "2"


@pytest.mark.parametrize("sbp,dbp,urgent", [
    (179, 109, False), (180, 100, True), (150, 110, True), (200, 120, True), (None, None, False),
])
def test_hypertension_urgent(sbp, dbp, urgent):
    assert R.htn_urgent(sbp, dbp) is urgent


@pytest.mark.parametrize("glucose,sbp,dbp,urgent", [
    ("16.6", None, None, False), ("16.7", None, None, True), ("20.1", None, None, True),
    ("4.0", None, None, False), ("3.9", None, None, True), ("2.8", None, None, True),
    ("8.0", 182, 95, True), ("8.0", 150, 95, False),
])
def test_diabetes_urgent(glucose, sbp, dbp, urgent):
    assert R.dm_urgent(glucose, sbp, dbp) is urgent


def test_bp_pair():
    assert R.bp_pair_error(90, 90) and R.bp_pair_error(80, 90)
    assert R.bp_pair_error(120, 80) is None and R.bp_pair_error(None, 80) is None


@given(sbp=st.integers(60, 299), dbp=st.integers(30, 199), age=st.integers(18, 100), rise=st.integers(0, 100))
def test_raising_sbp_never_improves_control(sbp, dbp, age, rise):
    if R.bp_controlled(sbp + rise, dbp, age):
        assert R.bp_controlled(sbp, dbp, age)
    if R.htn_urgent(sbp, dbp):
        assert R.htn_urgent(sbp + rise, dbp)


@given(g=st.decimals("1.0", "40.0", places=1), rise=st.decimals("0", "10", places=1))
def test_raising_glucose_never_improves_control(g, rise):
    if R.glucose_controlled(g + rise):
        assert R.glucose_controlled(g)


@given(controlled=st.booleans(), adverse=st.booleans(), complication=st.booleans())
def test_class_is_the_most_severe(controlled, adverse, complication):
    c = R.classify(controlled, adverse, complication)
    parts = ["1" if controlled else "2"] + (["3"] if adverse else []) + (["4"] if complication else [])
    assert c == R.most_severe(*parts)
