"""Children 0–6: the schedules as data and their rules (due dates, windows, dose validation), table-driven."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs.child import rules as R

D = dt.date
BIRTH = D(2026, 1, 31)

# Born 2026-01-31, every earlier dose given on its own due date: each dose's due date.
DUE_ON_TIME = [
    ("HepB", 1, D(2026, 1, 31)), ("BCG", 1, D(2026, 1, 31)), ("HepB", 2, D(2026, 2, 28)),
    ("IPV", 1, D(2026, 3, 31)), ("IPV", 2, D(2026, 4, 30)), ("DTaP", 1, D(2026, 4, 30)),
    ("bOPV", 1, D(2026, 5, 31)), ("DTaP", 2, D(2026, 5, 31)), ("DTaP", 3, D(2026, 6, 30)),
    ("HepB", 3, D(2026, 7, 31)), ("MPSV-A", 1, D(2026, 7, 31)), ("MMR", 1, D(2026, 9, 30)),
    ("JE-L", 1, D(2026, 9, 30)), ("MPSV-A", 2, D(2026, 10, 31)), ("DTaP", 4, D(2027, 7, 31)),
    ("MMR", 2, D(2027, 7, 31)), ("HepA-L", 1, D(2027, 7, 31)), ("JE-L", 2, D(2028, 1, 31)),
    ("MPSV-AC", 1, D(2029, 1, 31)), ("bOPV", 2, D(2030, 1, 31)), ("DT", 1, D(2032, 1, 31)),
    ("MPSV-AC", 2, D(2032, 1, 31)),
]


def _given_on_time(birth=BIRTH, upto=None, skip=()):
    given = {}
    for spec in R.VACCINE_SCHEDULE:
        due = R.dose_due(spec, birth, given)
        if upto is not None and due > upto:
            continue
        if spec.key not in skip:
            given[spec.key] = due
    return given


def test_schedule_is_the_2021_national_schedule():
    assert len(R.VACCINE_SCHEDULE) == 22
    counts = {v: R.doses_of(v) for v in {d.vaccine for d in R.VACCINE_SCHEDULE}}
    assert counts == {"HepB": 3, "BCG": 1, "IPV": 2, "bOPV": 2, "DTaP": 4, "DT": 1, "MMR": 2, "JE-L": 2,
                      "MPSV-A": 2, "MPSV-AC": 2, "HepA-L": 1}
    ages = {(d.vaccine, d.dose): d.months for d in R.VACCINE_SCHEDULE}
    assert ages[("IPV", 1)] == 2 and ages[("IPV", 2)] == 3 and ages[("bOPV", 1)] == 4 and ages[("bOPV", 2)] == 48
    assert ages[("DTaP", 4)] == 18 and ages[("DT", 1)] == 72 and ages[("MPSV-A", 2)] == 9
    # schedule order: every dose comes after the dose it follows
    seen = set()
    for d in R.VACCINE_SCHEDULE:
        assert d.previous is None or d.previous in seen
        seen.add(d.key)


def test_due_dates_for_a_child_born_on_31_january():
    given = {}
    got = []
    for spec in R.VACCINE_SCHEDULE:
        due = R.dose_due(spec, BIRTH, given)
        given[spec.key] = due
        got.append((spec.vaccine, spec.dose, due))
    assert got == DUE_ON_TIME


@pytest.mark.parametrize("late, dose, expected", [
    ({("HepB", 2): D(2026, 6, 10)}, ("HepB", 3), D(2026, 8, 9)),      # 60 days after a late dose 2
    ({("DTaP", 3): D(2027, 3, 1)}, ("DTaP", 4), D(2027, 8, 31)),      # 6 months after a late dose 3
    ({("IPV", 2): D(2026, 5, 20)}, ("bOPV", 1), D(2026, 6, 17)),      # bOPV 28 days after IPV 2
    ({("MPSV-A", 2): D(2028, 6, 1)}, ("MPSV-AC", 1), D(2029, 6, 1)),  # 12 months after MPSV-A 2
    ({("JE-L", 1): D(2027, 5, 1)}, ("JE-L", 2), D(2028, 4, 30)),      # 365 days after JE-L 1
    ({("HepB", 2): D(2026, 3, 1)}, ("HepB", 3), D(2026, 7, 31)),      # interval shorter than the age: age wins
])
def test_due_date_after_a_late_previous_dose(late, dose, expected):
    given = {k: v for k, v in _given_on_time().items() if R.DOSES[k].months <= R.DOSES[dose].months}
    given.update(late)
    given.pop(dose, None)
    assert R.dose_due(R.DOSES[dose], BIRTH, given) == expected


@pytest.mark.parametrize("dose, rule, window_end", [
    (("HepB", 1), "timely", D(2026, 2, 1)),     # within 24 hours
    (("MMR", 1), "timely", D(2026, 10, 29)),    # within the month after the due date
    (("HepB", 2), "timely", D(2026, 3, 27)),
    (("MMR", 1), "deadline", D(2027, 1, 30)),   # national "complete before 12 months"
    (("BCG", 1), "deadline", D(2026, 4, 29)),   # before 3 months
    (("DT", 1), "deadline", D(2033, 1, 30)),    # before 7 years
])
def test_window_end(dose, rule, window_end):
    spec = R.DOSES[dose]
    assert R.dose_window_end(spec, BIRTH, R.dose_due(spec, BIRTH, _given_on_time()), rule) == window_end


def test_overdue_detection():
    as_of = D(2026, 11, 23)
    given = _given_on_time(upto=as_of, skip={("MMR", 1), ("MPSV-A", 2)})
    plan = {p.spec.key: p for p in R.vaccine_plan(BIRTH, given, as_of, "timely")}
    assert plan[("MMR", 1)].status == "overdue"
    assert plan[("MPSV-A", 2)].status == "due"        # due 31 Oct, on time until 30 Nov
    assert plan[("MMR", 2)].status == "waiting"       # dose 1 missing
    assert plan[("DTaP", 4)].status == "upcoming"
    assert plan[("HepB", 1)].status == "given"
    nxt = {(p.vaccine, p.dose): p for p in R.next_doses(BIRTH, given, as_of, 30, "timely")}
    assert set(nxt) == {("MMR", 1), ("MPSV-A", 2)}
    assert nxt[("MMR", 1)].window_end < as_of
    deadline = {p.spec.key: p for p in R.vaccine_plan(BIRTH, given, as_of, "deadline")}
    assert deadline[("MMR", 1)].status == "due"


def test_late_dose_is_shown_late():
    given = _given_on_time(upto=D(2026, 3, 1))
    given[("HepB", 2)] = D(2026, 4, 15)
    plan = {p.spec.key: p for p in R.vaccine_plan(BIRTH, given, D(2026, 4, 20), "timely")}
    assert plan[("HepB", 2)].status == "late" and plan[("HepB", 1)].status == "given"


def test_overdue_setting(settings):
    settings.JKDA_VACCINE_OVERDUE = "deadline"
    assert R.overdue_rule() == "deadline"


@pytest.mark.parametrize("vaccine, dose, on, given, field, words", [
    ("MMR", 1, D(2026, 9, 29), {}, "service_date", "not before 2026-09-30"),
    ("HepB", 2, D(2026, 2, 27), {("HepB", 1): D(2026, 1, 31)}, "service_date", "not before 2026-02-28"),
    ("HepB", 2, D(2026, 3, 10), {("HepB", 1): D(2026, 2, 20)}, "service_date", "at least 28 days"),
    ("DTaP", 4, D(2027, 8, 1), {("DTaP", 1): D(2026, 5, 1), ("DTaP", 2): D(2026, 6, 1), ("DTaP", 3): D(2027, 3, 1)},
     "service_date", "not before 2027-08-31"),
    ("HepB", 1, D(2026, 2, 2), {("HepB", 1): D(2026, 1, 31)}, "dose_number", "already given on 2026-01-31"),
    ("MMR", 2, D(2027, 8, 1), {}, "dose_number", "Dose 1 of"),
    ("BCG", 2, D(2026, 5, 1), {}, "dose_number", "1 dose(s)"),
])
def test_dose_errors(vaccine, dose, on, given, field, words):
    with __import__("django.utils.translation", fromlist=["override"]).override("en"):
        errors = R.dose_errors(vaccine, dose, on, BIRTH, given)
    assert field in errors
    assert any(words in m for m in errors[field]), errors


def test_dose_on_time_is_accepted():
    given = _given_on_time(upto=D(2026, 9, 1))
    assert R.dose_errors("MMR", 1, D(2026, 9, 30), BIRTH, given) == {}


def test_add_months_clamps_to_month_end():
    assert R.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert R.add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)
    assert R.add_months(D(2026, 8, 31), -2) == D(2026, 6, 30)


@pytest.mark.parametrize("on, child", [
    (D(2026, 1, 31), True), (D(2033, 1, 30), True), (D(2033, 1, 31), False), (D(2026, 1, 30), False)])
def test_is_child(on, child):
    assert R.is_child(BIRTH, on) is child


CHECK_TABLE = [
    # as_of, done, expected (label code, overdue?)
    (D(2026, 2, 5), set(), [("", False), ("1", False)]),         # newborn visit due at 7 days, full month soon
    (D(2026, 3, 1), set(), [("1", False)]),                     # newborn visit superseded by the full month
    (D(2026, 3, 5), {""}, [("1", True)]),                       # full month overdue after day 30
    (D(2026, 6, 5), {"", "1"}, [("3", True)]),                   # 3 months: 30 April + 30 days window
    (D(2026, 6, 5), {"", "1", "3"}, []),
    (D(2026, 7, 15), {"3"}, [("6", False)]),
    (D(2027, 2, 15), set(), [("12", False)]),
]


@pytest.mark.parametrize("as_of, done, expected", CHECK_TABLE)
def test_check_schedule_due(as_of, done, expected):
    due = R.due_checks(R.CHECKS, BIRTH, done, as_of, 30)
    assert [(c.code, end < as_of) for c, _d, end in due] == expected


def test_tcm_schedule_due():
    due = R.due_checks(R.TCM_CHECKS, BIRTH, set(), D(2026, 8, 10), 30)
    assert [(c.code, c.category, d) for c, d, _e in due] == [("6", "tcm_child", D(2026, 7, 31))]
    assert R.due_checks(R.TCM_CHECKS, BIRTH, {"6"}, D(2026, 8, 10), 30) == []


@pytest.mark.parametrize("age, hb6, required", [
    ("6", False, False), ("8", False, True), ("8", True, False), ("18", False, True), ("30", False, True),
    ("12", False, False)])
def test_hb_required(age, hb6, required):
    assert R.hb_required(age, hb6) is required


@given(st.dates(min_value=D(2015, 1, 1), max_value=D(2030, 12, 31)),
       st.integers(min_value=0, max_value=120))
def test_due_dates_never_before_minimum_age_and_monotone_in_delay(birth, delay):
    """Giving a dose later never makes the next dose due earlier; no due date is before the minimum age."""
    on_time, late = {}, {}
    for spec in R.VACCINE_SCHEDULE:
        a, b = R.dose_due(spec, birth, on_time), R.dose_due(spec, birth, late)
        assert a >= spec.min_date(birth) and b >= a
        on_time[spec.key] = a
        late[spec.key] = b + dt.timedelta(days=delay)


@given(st.dates(min_value=D(2019, 1, 1), max_value=D(2026, 11, 1)), st.integers(min_value=0, max_value=22),
       st.sampled_from(["timely", "deadline"]))
def test_next_doses_agree_with_the_card(birth, n_given, rule):
    """The work list's next doses are the card's first ungiven dose of each vaccine, with the same state."""
    as_of = D(2026, 11, 23)
    given = {}
    for spec in R.VACCINE_SCHEDULE[:n_given]:
        day = R.dose_due(spec, birth, given)
        if day <= as_of:
            given[spec.key] = day
    plan = R.vaccine_plan(birth, given, as_of, rule)
    first = {}
    for p in plan:
        if p.given_on is None and p.vaccine not in first:
            first[p.vaccine] = p
    expected = [(p.vaccine, p.dose, p.due, p.window_end, p.status) for p in first.values()
                if p.due <= as_of + dt.timedelta(days=30) and R.is_child(birth, p.due)]
    got = [(p.vaccine, p.dose, p.due, p.window_end, p.status) for p in R.next_doses(birth, given, as_of, 30, rule)]
    assert sorted(got) == sorted(expected)
