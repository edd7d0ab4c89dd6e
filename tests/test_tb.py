"""TB program: 72-hour first visit, visit schedule by phase and supervisor, regular medication, forms, web and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs import actions as program_actions
from jkda.programs.registry import PROGRAMS
from jkda.programs.tb import rules
from jkda.programs.tb.models import TbFirstVisit, TbFollowup, TbOutcome
from jkda.programs.tb.program import due
from jkda.records.models import Record
from jkda.records.rules import today
from jkda.services.actions import record_service

from .conftest import make_id


@pytest.fixture(autouse=True)
def _chinese():
    """Messages and labels are checked in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield

T10 = dt.time(10, 0)


@pytest.mark.parametrize("notified,visited,late", [
    ((dt.date(2025, 1, 1), T10), (dt.date(2025, 1, 4), dt.time(10, 0)), False),   # exactly 72 h
    ((dt.date(2025, 1, 1), T10), (dt.date(2025, 1, 4), dt.time(11, 0)), True),    # 73 h
    ((dt.date(2025, 1, 1), T10), (dt.date(2025, 1, 4), dt.time(10, 1)), True),
    ((dt.date(2025, 1, 1), T10), (dt.date(2025, 1, 1), dt.time(15, 0)), False),
    ((dt.date(2025, 1, 1), None), (dt.date(2025, 1, 4), None), False),             # dates only: 3 days
    ((dt.date(2025, 1, 1), None), (dt.date(2025, 1, 5), None), True),
    ((dt.date(2025, 1, 1), T10), (dt.date(2025, 1, 4), None), False),              # one time missing: days
])
def test_first_visit_72_hours(notified, visited, late):
    assert rules.first_visit_late(notified[0], visited[0], notified[1], visited[1]) is late


@pytest.mark.parametrize("taken,due,regular", [
    (90, 100, False), (901, 1000, True), (9, 10, False), (91, 100, True), (100, 100, True), (0, 0, False),
    (162, 180, False), (163, 180, True),
])
def test_regular_medication_is_more_than_90_percent(taken, due, regular):
    assert rules.is_regular(taken, due) is regular


@given(st.integers(1, 800), st.integers(0, 800), st.integers(0, 50))
def test_regular_medication_is_monotone_in_doses_taken(due, taken, more):
    taken = min(taken, due)
    if rules.is_regular(taken, due):
        assert rules.is_regular(min(due, taken + more), due)


START = dt.date(2025, 1, 1)


@pytest.mark.parametrize("ptype,supervisor,visit,expected", [
    ("1", "2", dt.date(2025, 1, 20), dt.date(2025, 1, 30)),   # new patient, family, intensive: 10 days
    ("1", "3", dt.date(2025, 2, 25), dt.date(2025, 3, 7)),    # self-administered, still intensive
    ("1", "2", dt.date(2025, 3, 1), dt.date(2025, 4, 1)),     # continuation from month 3: monthly
    ("2", "2", dt.date(2025, 3, 10), dt.date(2025, 3, 20)),   # retreatment: 3 months intensive
    ("1", "1", dt.date(2025, 1, 20), dt.date(2025, 2, 20)),   # doctor-supervised: monthly record
])
def test_visit_schedule_by_phase_and_supervisor(ptype, supervisor, visit, expected):
    assert rules.next_visit(visit, START, ptype, supervisor) == expected


def test_phase_month_course_and_doses():
    assert rules.phase(dt.date(2025, 2, 28), START, "1") == "1"
    assert rules.phase(dt.date(2025, 3, 1), START, "1") == "2"
    assert rules.treatment_month(dt.date(2025, 1, 31), START) == 1
    assert rules.treatment_month(dt.date(2025, 2, 1), START) == 2
    assert rules.course_end(START, "1") == dt.date(2025, 7, 1) and rules.course_end(START, "2") == dt.date(2025, 9, 1)
    assert rules.doses_due(START, dt.date(2025, 1, 10)) == 10
    assert rules.doses_due(START, dt.date(2025, 1, 14), "2") == 6


def test_program_is_registered_with_the_diagnosis_code():
    with translation.override("zh-hans"):
        assert PROGRAMS["tb"].diagnosis_codes == ("9",) and str(PROGRAMS["tb"].label) == "肺结核患者健康管理"


# --- through the actions ------------------------------------------------------------------------------------

def _day(n):
    return today() - dt.timedelta(days=n)


def _patient(establish, city, notified_days_ago=30):
    rec = establish(id_number=make_id(birth=dt.date(1975, 6, 1)))
    Record.objects.filter(pk=rec.pk).update(established_on=_day(400))
    rec.refresh_from_db()
    program_actions.enrol(city.doctor, rec, "tb", on=_day(notified_days_ago), source="2")
    return rec


def _first(city, rec, days_ago, **kw):
    data = {"service_date": _day(days_ago), "patient_type": "1", "sputum": "1", "resistance": "2",
            "symptoms": ["1", "2"], "regimen": "2HRZE/4HR", "usage": "1", "formulation": ["1"], "supervisor": "2",
            "own_room": "1", "ventilation": "1", "education": ["1", "2", "3"]}
    data.update(kw)
    return record_service(TbFirstVisit, rec, city.doctor, data)


def _follow_data(days_ago, **kw):
    data = {"service_date": _day(days_ago), "method": "2", "supervisor": "2", "symptoms": ["0"],
            "regimen": "2HRZE/4HR", "usage": "1", "missed_doses": 1}
    data.update(kw)
    return data


def test_first_visit_takes_the_notification_from_the_enrolment_and_flags_late(establish, city):
    rec = _patient(establish, city, notified_days_ago=30)
    fv = _first(city, rec, 26)
    assert fv.notified_on == _day(30) and fv.late and fv.treatment_start == _day(30)
    assert fv.next_visit == _day(16)  # intensive phase, family-supervised
    rec2 = _patient(establish, city, notified_days_ago=30)
    fv2 = _first(city, rec2, 27, notified_time=dt.time(9, 0), visit_time=dt.time(9, 0))
    assert not fv2.late
    rec3 = _patient(establish, city, notified_days_ago=30)
    fv3 = _first(city, rec3, 27, notified_time=dt.time(9, 0), visit_time=dt.time(10, 0))
    assert fv3.late and "超过72小时" in fv3.summary()


def test_followup_needs_the_first_visit_and_counts_month_and_phase(establish, city):
    rec = _patient(establish, city, notified_days_ago=100)
    with pytest.raises(ValidationError) as exc:
        record_service(TbFollowup, rec, city.doctor, _follow_data(90))
    assert "第一次入户随访" in " ".join(exc.value.messages)
    _first(city, rec, 99)
    fu = record_service(TbFollowup, rec, city.doctor, _follow_data(89))
    assert fu.phase == "1" and fu.treatment_month == 1 and fu.next_visit == _day(79)
    with pytest.raises(ValidationError) as exc:
        record_service(TbFollowup, rec, city.doctor, _follow_data(60, next_visit=_day(20)))
    assert "next_visit" in exc.value.error_dict
    late = record_service(TbFollowup, rec, city.doctor, _follow_data(5))
    assert late.phase == "2" and late.treatment_month == rules.treatment_month(_day(5), _day(100))
    assert late.next_visit == rules.add_months(_day(5), 1)


def test_outcome_counts_doses_and_regular_medication(establish, city):
    rec = _patient(establish, city, notified_days_ago=200)
    _first(city, rec, 199)
    record_service(TbFollowup, rec, city.doctor, _follow_data(190, missed_doses=5))
    record_service(TbFollowup, rec, city.doctor, _follow_data(180, missed_doses=3))
    with pytest.raises(ValidationError) as exc:
        record_service(TbOutcome, rec, city.doctor, {"service_date": _day(10), "stop_date": _day(20),
                                                     "stop_reason": "1", "doses_due": 100, "doses_taken": 101})
    assert "doses_taken" in exc.value.error_dict
    out = record_service(TbOutcome, rec, city.doctor, {"service_date": _day(10), "stop_date": _day(20),
                                                       "stop_reason": "1"})
    assert out.doses_due == 181 and out.doses_taken == 173 and out.visits_done == 3 and out.regular
    assert rules.dose_summary(Record.objects.all(), today()) == {rec.pk: (181, 173)}
    assert rules.regular_medication_rate(Record.objects.all(), _day(30), today()) == (1, 1)


def test_dose_summary_of_running_treatment_is_set_based(establish, city, django_assert_max_num_queries):
    a, b = _patient(establish, city, 40), _patient(establish, city, 40)
    _first(city, a, 39, treatment_start=_day(39))
    _first(city, b, 39, treatment_start=_day(39))
    record_service(TbFollowup, a, city.doctor, _follow_data(29, missed_doses=0))
    record_service(TbFollowup, b, city.doctor, _follow_data(29, missed_doses=5))
    with django_assert_max_num_queries(3):
        summary = rules.dose_summary(Record.objects.all(), _day(0))
    assert summary == {a.pk: (40, 40), b.pk: (40, 35)}
    assert rules.regular_medication(Record.objects.all(), _day(0)) == {a.pk}


def test_due_items_first_visit_intensive_continuation_and_outcome(establish, city):
    records = Record.objects.all()
    rec = _patient(establish, city, notified_days_ago=2)
    [item] = due(records, today())
    assert item.record_id == rec.pk
    assert (item.kind, item.category, item.due_on, item.window_end) == ("tb_first_visit", "tb_visit", _day(2),
                                                                        _day(-1))
    assert not item.overdue(today())
    intensive = _patient(establish, city, notified_days_ago=20)
    _first(city, intensive, 19)
    continuation = _patient(establish, city, notified_days_ago=100)
    _first(city, continuation, 99)
    record_service(TbFollowup, continuation, city.doctor, _follow_data(9))
    finished = _patient(establish, city, notified_days_ago=250)
    _first(city, finished, 249)
    items = {i.record_id: i for i in due(records, today())}
    assert items[intensive.pk].due_on == _day(9) and items[intensive.pk].item == "强化期随访"
    assert items[continuation.pk].due_on == rules.add_months(_day(9), 1)
    assert items[continuation.pk].item == "继续期随访"
    assert items[finished.pk].kind == "tb_outcome" and items[finished.pk].due_on == rules.add_months(_day(250), 6)
    record_service(TbOutcome, finished, city.doctor, {"service_date": _day(1), "stop_date": _day(70),
                                                       "stop_reason": "1"})
    assert finished.pk not in {i.record_id for i in due(records, today())}


# --- web and API --------------------------------------------------------------------------------------------

def test_web_first_visit_in_chinese_and_create(client, establish, city):
    rec = _patient(establish, city, notified_days_ago=5)
    client.force_login(city.doctor)
    url = f"/records/{rec.number}/services/tb_first_visit/new/"
    page = client.get(url).content.decode()
    assert "肺结核患者第一次入户随访记录表" in page and "督导人员" in page and "固定剂量复合制剂" in page
    form = {"service_date": _day(1).isoformat(), "method": "2", "patient_type": "1", "sputum": "2",
            "resistance": "3", "symptoms": ["0", "1"], "supervisor": "2", "usage": "1", "regimen": "2HRZE/4HR",
            "sputum_dates-0-date": _day(-50).isoformat()}
    resp = client.post(url, form)
    assert resp.status_code == 200 and "没有症状" in resp.content.decode()  # "none" ticked with a symptom
    form["symptoms"] = ["1"]
    resp = client.post(url, form)
    assert resp.status_code == 302, resp.content.decode()[-3000:]
    fv = TbFirstVisit.objects.get()
    assert fv.late and fv.notified_on == _day(5) and fv.sputum_dates == [{"date": _day(-50).isoformat()}]
    page = client.get(f"/services/tb_first_visit/{fv.pk}/").content.decode()
    assert "超过72小时" in page and "家属" in page


def test_api_followup_create(client, establish, city):
    rec = _patient(establish, city, notified_days_ago=30)
    _first(city, rec, 29)
    client.force_login(city.doctor)
    url = f"/api/records/{rec.number}/services/tb_followup"
    body = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in _follow_data(10).items()}
    resp = client.post(url, {**body, "missed_doses": -1}, content_type="application/json")
    assert resp.status_code == 422
    resp = client.post(url, body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["phase"] == "1" and data["treatment_month"] == 1 and data["next_visit"] == _day(0).isoformat()
    got = client.get(f"/api/services/tb_followup/{data['id']}").json()
    assert got["missed_doses"] == 1


def test_new_forms_start_from_the_enrolment_and_the_last_visit(client, establish, city):
    rec = _patient(establish, city, notified_days_ago=30)
    client.force_login(city.doctor)
    page = client.get(f"/records/{rec.number}/services/tb_first_visit/new/").content.decode()
    assert _day(30).isoformat() in page
    _first(city, rec, 29, regimen="2HRZE/4HR-特")
    page = client.get(f"/records/{rec.number}/services/tb_followup/new/").content.decode()
    assert "2HRZE/4HR-特" in page
