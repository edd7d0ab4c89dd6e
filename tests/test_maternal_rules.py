"""Maternal rules as pure functions: gestational age, EDD, the early-registration boundary, schedule windows,
postpartum windows and what a pregnancy is due for."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs.maternal import rules as R

D = dt.date


@pytest.mark.parametrize(("lmp", "on", "weeks", "days"), [
    (D(2026, 1, 1), D(2026, 1, 1), 0, 0),
    (D(2026, 1, 1), D(2026, 1, 7), 0, 6),
    (D(2026, 1, 1), D(2026, 1, 8), 1, 0),
    (D(2026, 1, 1), D(2026, 4, 1), 12, 6),   # day 90
    (D(2026, 1, 1), D(2026, 4, 2), 13, 0),   # day 91
    (D(2025, 12, 20), D(2026, 3, 1), 10, 1),  # across the year end
    (D(2024, 1, 15), D(2024, 3, 1), 6, 4),   # leap February
    (D(2026, 1, 1), D(2026, 10, 8), 40, 0),
])
def test_gestational_age(lmp, on, weeks, days):
    assert R.gestational_age(lmp, on) == (weeks, days)
    assert R.lmp_from_ga(on, weeks, days) == lmp


@pytest.mark.parametrize(("lmp", "edd"), [
    (D(2026, 1, 1), D(2026, 10, 8)),
    (D(2025, 5, 20), D(2026, 2, 24)),
    (D(2024, 2, 29), D(2024, 12, 5)),   # leap day LMP
    (D(2023, 6, 1), D(2024, 3, 7)),     # pregnancy spanning a leap February
    (D(2026, 3, 31), D(2027, 1, 5)),
])
def test_edd_by_naegele(lmp, edd):
    assert R.edd(lmp) == edd


@pytest.mark.parametrize(("weeks", "days", "early"), [
    (6, 0, True), (12, 0, True), (12, 6, True), (13, 0, False), (13, 1, False), (20, 0, False), (None, 0, False),
])
def test_early_registration_boundary(weeks, days, early):
    assert R.is_early(weeks, days) is early


@pytest.mark.parametrize(("weeks", "ok"), [(3, False), (4, True), (20, True), (44, True), (45, False),
                                          (None, False)])
def test_gestational_age_range(weeks, ok):
    assert R.ga_in_range(weeks) is ok


@pytest.mark.parametrize(("visit", "start", "end"), [
    (2, D(2026, 4, 23), D(2026, 5, 27)),   # 16+0 … 20+6
    (3, D(2026, 5, 28), D(2026, 6, 24)),   # 21+0 … 24+6
    (4, D(2026, 7, 16), D(2026, 9, 16)),   # 28+0 … 36+6
    (5, D(2026, 9, 17), D(2026, 10, 14)),  # 37+0 … 40+6
])
def test_window_dates(visit, start, end):
    lmp = D(2026, 1, 1)
    w = next(w for w in R.WINDOWS if w.visit == visit)
    assert R.window_dates(lmp, w) == (start, end)
    assert R.gestational_age(lmp, start) == (w.lo, 0)
    assert R.gestational_age(lmp, end) == (w.hi, 6)


def test_windows_are_the_national_schedule():
    assert [(w.visit, w.lo, w.hi) for w in R.WINDOWS] == [(2, 16, 20), (3, 21, 24), (4, 28, 36), (5, 37, 40)]


@pytest.mark.parametrize(("weeks", "done", "visit"), [
    (16, 0, 2), (20, 0, 2), (21, 0, 3), (26, 0, 4), (30, 1, 4), (38, 3, 5), (42, 3, 5), (14, 0, 2), (None, 1, 3),
])
def test_suggested_visit_number(weeks, done, visit):
    assert R.suggested_visit_number(weeks, done) == visit


@pytest.mark.parametrize(("delivery", "discharge", "visit", "on_time", "counts"), [
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 3, 4), True, True),
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 3, 11), True, True),    # discharge + 7
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 3, 12), False, True),   # discharge + 8
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 4, 1), False, True),    # discharge + 28
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 4, 2), False, False),   # discharge + 29
    (D(2026, 3, 1), None, D(2026, 3, 8), True, True),              # no discharge date: the delivery anchors
    (D(2026, 3, 1), D(2026, 3, 4), D(2026, 3, 3), False, False),   # before discharge
])
def test_postpartum_visit_windows(delivery, discharge, visit, on_time, counts):
    assert R.postpartum_visit_on_time(visit, delivery, discharge) is on_time
    assert R.postpartum_visit_counts(visit, delivery, discharge) is counts


def test_postpartum_windows_are_settings(settings):
    settings.JKDA_MATERNAL_POSTPARTUM_VISIT_DAYS = 3
    settings.JKDA_MATERNAL_POSTPARTUM_INDICATOR_DAYS = 14
    settings.JKDA_MATERNAL_42D_WINDOW = (42, 60)
    assert not R.postpartum_visit_on_time(D(2026, 3, 8), D(2026, 3, 1), D(2026, 3, 4))
    assert not R.postpartum_visit_counts(D(2026, 3, 19), D(2026, 3, 1), D(2026, 3, 4))
    assert R.check42_window(D(2026, 3, 1)) == (D(2026, 4, 12), D(2026, 4, 30))


@pytest.mark.parametrize(("delivery", "window"), [
    (D(2026, 3, 1), (D(2026, 4, 12), D(2026, 4, 26))),
    (D(2026, 12, 31), (D(2027, 2, 11), D(2027, 2, 25))),
])
def test_42_day_window(delivery, window):
    assert R.check42_window(delivery) == window


@pytest.mark.parametrize(("sex", "age", "ok"), [
    ("2", 15, True), ("2", 28, True), ("2", 55, True), ("2", 14, False), ("2", 56, False), ("1", 28, False),
    ("0", 28, False),
])
def test_eligibility(sex, age, ok):
    assert (R.eligibility_problem(sex, age) is None) is ok


@given(st.dates(D(2000, 1, 1), D(2040, 1, 1)), st.integers(0, 400), st.integers(0, 30))
def test_gestational_age_grows_with_the_date(lmp, a, b):
    on1, on2 = lmp + dt.timedelta(days=a), lmp + dt.timedelta(days=a + b)
    w1, d1 = R.gestational_age(lmp, on1)
    w2, d2 = R.gestational_age(lmp, on2)
    assert (w1, d1) <= (w2, d2)
    assert 0 <= d1 <= 6 and w1 * 7 + d1 == a
    assert (R.edd(lmp) - lmp).days == 280


# --- what a pregnancy is due for -----------------------------------------------------------------------------

LMP = D(2026, 1, 1)


def _items(p, as_of):
    return [(d.kind, d.category, d.due_on, d.window_end) for d in R.pregnancy_due(p, as_of)]


def test_due_first_check_only_until_it_is_recorded():
    p = R.Pregnancy(enrolled_on=D(2026, 2, 10), followups=[])
    assert _items(p, D(2026, 2, 20)) == [("prenatal_first", "prenatal", D(2026, 2, 10), None)]


def test_due_every_window_and_postpartum_after_a_first_check():
    p = R.Pregnancy(enrolled_on=D(2026, 2, 20), first_on=D(2026, 2, 20), lmp=LMP, edd=R.edd(LMP), followups=[])
    items = _items(p, D(2026, 3, 1))
    assert items == [
        ("prenatal_followup", "prenatal", D(2026, 4, 23), D(2026, 5, 27)),
        ("prenatal_followup", "prenatal", D(2026, 5, 28), D(2026, 6, 24)),
        ("prenatal_followup", "prenatal", D(2026, 7, 16), D(2026, 9, 16)),
        ("prenatal_followup", "prenatal", D(2026, 9, 17), D(2026, 10, 14)),
        ("postpartum_visit", "postpartum", D(2026, 10, 8), D(2026, 10, 15)),
        ("postpartum_42d", "postpartum", D(2026, 11, 19), D(2026, 12, 3)),
    ]


def test_due_served_and_missed_windows():
    # visit 2 served by number, visit 3 by a gestational age inside its window (but numbered wrongly)
    p = R.Pregnancy(enrolled_on=D(2026, 2, 20), first_on=D(2026, 2, 20), lmp=LMP, edd=R.edd(LMP),
                    followups=[(2, 18), (5, 22)])
    kinds = [d.due_on for d in R.pregnancy_due(p, D(2026, 6, 1)) if d.kind == "prenatal_followup"]
    assert kinds == [D(2026, 7, 16)]  # visit 5 counts as served by its number too
    # nothing recorded: at 30 weeks the 16–20 and 21–24 windows are missed, 28–36 is due
    p = R.Pregnancy(enrolled_on=D(2026, 2, 20), first_on=D(2026, 2, 20), lmp=LMP, edd=R.edd(LMP), followups=[])
    due = [(d.due_on, d.window_end) for d in R.pregnancy_due(p, D(2026, 7, 30)) if d.kind == "prenatal_followup"]
    assert due == [(D(2026, 7, 16), D(2026, 9, 16)), (D(2026, 9, 17), D(2026, 10, 14))]
    # between windows (25 weeks): the 21–24 window stays overdue until 28 weeks begin
    due = [d.due_on for d in R.pregnancy_due(p, D(2026, 6, 28)) if d.kind == "prenatal_followup"]
    assert due[0] == D(2026, 5, 28)


def test_due_windows_before_a_late_first_check_are_not_listed():
    p = R.Pregnancy(enrolled_on=D(2026, 6, 10), first_on=D(2026, 6, 10), lmp=LMP, edd=R.edd(LMP), followups=[])
    due = [d.due_on for d in R.pregnancy_due(p, D(2026, 6, 11)) if d.kind == "prenatal_followup"]
    assert due == [D(2026, 5, 28), D(2026, 7, 16), D(2026, 9, 17)]


def test_due_after_delivery():
    p = R.Pregnancy(enrolled_on=D(2026, 2, 20), first_on=D(2026, 2, 20), lmp=LMP, edd=R.edd(LMP), followups=[],
                    delivery=D(2026, 10, 1), discharge=D(2026, 10, 4), postpartum_visited=True)
    assert _items(p, D(2026, 10, 10)) == [("postpartum_42d", "postpartum", D(2026, 11, 12), D(2026, 11, 26))]
    p.checked_42d = True
    assert _items(p, D(2026, 11, 20)) == []
