"""Examination rules: BMI, blood-pressure pairs, the 65+ age test, impossible values."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from jkda.services.exam import rules as R
from jkda.services.exam.fields import Between


@pytest.mark.parametrize("height,weight,bmi", [
    (170, 65, Decimal("22.5")), ("160.0", "76.8", Decimal("30.0")), (155, 48, Decimal("20.0")),
    (180, 100, Decimal("30.9")), (165.5, 70.2, Decimal("25.6")), (None, 60, None), (170, None, None),
    (0, 60, None),
])
def test_bmi(height, weight, bmi):
    assert R.bmi(height, weight) == bmi


@pytest.mark.parametrize("value,ok", [
    (None, True), (Decimal("9.9"), False), (Decimal("10"), True), (Decimal("80"), True), (Decimal("80.1"), False),
])
def test_bmi_plausible(value, ok):
    assert R.bmi_plausible(value) is ok


@pytest.mark.parametrize("sbp,dbp,problem", [
    (None, None, None), (120, 80, None), (81, 80, None), (80, 80, "order"), (70, 90, "order"), (120, None, "pair"),
    (None, 80, "pair"),
])
def test_bp_problem(sbp, dbp, problem):
    assert R.bp_problem(sbp, dbp) == problem


@pytest.mark.parametrize("birth,on,elderly", [
    (dt.date(1960, 5, 17), dt.date(2025, 5, 16), False), (dt.date(1960, 5, 17), dt.date(2025, 5, 17), True),
    (dt.date(1960, 2, 29), dt.date(2025, 2, 28), False), (dt.date(1960, 2, 29), dt.date(2025, 3, 1), True),
    (None, dt.date(2025, 1, 1), False),
])
def test_is_elderly(birth, on, elderly):
    assert R.is_elderly(birth, on) is elderly


def test_elderly_age_is_a_setting(settings):
    settings.JKDA_ELDERLY_AGE = 60
    assert R.is_elderly(dt.date(1960, 1, 1), dt.date(2021, 1, 1))


@pytest.mark.parametrize("value,ok", [(34, True), (43, True), (Decimal("33.9"), False), (44, False), (None, True)])
def test_between_refuses_impossible_values(value, ok):
    check = Between(Decimal("34"), Decimal("43"))
    if ok:
        check(value)
    else:
        with pytest.raises(ValidationError):
            check(value)


@given(st.integers(1000, 2300), st.integers(300, 2000), st.integers(1, 50))
def test_bmi_rises_with_weight_and_falls_with_height(h10, w10, step):
    h, w = Decimal(h10) / 10, Decimal(w10) / 10
    assert R.bmi(h, w + step) >= R.bmi(h, w)
    assert R.bmi(h + step, w) <= R.bmi(h, w)
