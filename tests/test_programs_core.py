"""The programs core: enrolment and exit, the closed-record hook, reminder calls, the work list and its pages.

A test program is registered for the duration of each test, so the core is checked apart from the real programs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jkda.programs import actions
from jkda.programs.models import CallLog, Enrollment
from jkda.programs.registry import PROGRAMS, DueItem, Program
from jkda.programs.worklist import age_band, worklist
from jkda.records import actions as record_actions
from jkda.records.rules import today


def _due(records, as_of):
    """Every enrolled record is due 10 days after enrolment (overdue after that day)."""
    rows = Enrollment.objects.active().filter(program="testprog", record__in=records).values_list(
        "record_id", "enrolled_on")
    return [DueItem(rid, "testprog", "测试随访", on + dt.timedelta(days=10), kind="", category="followup")
            for rid, on in rows]


@pytest.fixture
def testprog():
    def eligible(record, on):
        return "too young" if record.resident_age(on) < 18 else None

    saved = dict(PROGRAMS)
    PROGRAMS["testprog"] = Program("testprog", "测试项目", diagnosis_codes=("4",), eligible=eligible, due=_due)
    PROGRAMS["testage"] = Program("testage", "按年龄项目", by_age=True, extra={"age_days": (0, 2000)})
    yield PROGRAMS["testprog"]
    PROGRAMS.clear()
    PROGRAMS.update(saved)


def test_enrol_and_exit(city, establish, testprog):
    rec = establish()
    e = actions.enrol(city.doctor, rec, "testprog", on=today() - dt.timedelta(days=30))
    assert e.is_active and e.institution == city.centre and e.enrolled_by == city.doctor
    with pytest.raises(ValidationError, match="已在|Already"):
        actions.enrol(city.doctor, rec, "testprog")
    with pytest.raises(ValidationError):
        actions.exit_program(city.doctor, e, on=e.enrolled_on - dt.timedelta(days=1), reason="3")
    with pytest.raises(ValidationError):
        actions.exit_program(city.doctor, e, on=today(), reason="9")  # "other" needs a note
    actions.exit_program(city.doctor, e, on=today(), reason="3")
    e.refresh_from_db()
    assert e.exited_on == today() and e.exit_reason == "3" and e.version == 2
    # a new enrolment after the exit is allowed: the old one stays
    actions.enrol(city.doctor, rec, "testprog")
    assert Enrollment.objects.filter(record=rec).count() == 2


def test_enrol_refusals(city, establish, testprog):
    rec = establish()
    with pytest.raises(ValidationError):
        actions.enrol(city.doctor, rec, "nosuch")
    with pytest.raises(ValidationError):
        actions.enrol(city.doctor, rec, "testage")  # by age: no enrolment
    with pytest.raises(ValidationError):
        actions.enrol(city.doctor, rec, "testprog", on=today() + dt.timedelta(days=1))
    child = establish(id_number=None, birth_date=today() - dt.timedelta(days=400), sex="1", name="小明")
    with pytest.raises(ValidationError, match="too young"):
        actions.enrol(city.doctor, child, "testprog")
    with pytest.raises(PermissionDenied):
        actions.enrol(city.town_doctor, rec, "testprog")  # outside the hospital's jurisdiction
    with pytest.raises(PermissionDenied):
        actions.enrol(city.bureau_user, rec, "testprog")  # read-only role
    assert not Enrollment.objects.exists()


def test_closing_the_record_ends_every_enrolment(city, establish, testprog):
    rec = establish()
    actions.enrol(city.doctor, rec, "testprog", on=today() - dt.timedelta(days=5))
    record_actions.close_record(city.doctor, rec, reason="1", closed_on=today())
    e = Enrollment.objects.get(record=rec)
    assert e.exited_on == today() and e.exit_reason == "1"
    with pytest.raises(ValidationError):
        actions.enrol(city.doctor, rec, "testprog")


def test_enrol_from_diagnoses(city, establish, testprog):
    rec = establish(past_diseases=[{"code": "4", "date": "2015-03", "note": ""}])
    assert actions.suggested_programs(rec) == ["testprog"]
    done = actions.enrol_from_diagnoses(city.doctor, rec)
    assert [e.program for e in done] == ["testprog"] and done[0].source == "1"
    assert actions.suggested_programs(rec) == []


def test_worklist_due_overdue_and_scope(city, establish, testprog):
    a = establish(name="甲")
    b = establish(name="乙", institution=city.hospital, village=city.v3, actor=city.town_doctor)
    actions.enrol(city.doctor, a, "testprog", on=today() - dt.timedelta(days=20))  # due 10 days ago
    actions.enrol(city.town_doctor, b, "testprog", on=today() - dt.timedelta(days=5))  # due in 5 days
    rows = worklist(city.doctor, today(), program="testprog")
    assert [(r.record.pk, r.overdue, r.days) for r in rows] == [(a.pk, True, 10)]
    rows = worklist(city.town_doctor, today(), program="testprog")
    assert [(r.record.pk, r.overdue, r.days) for r in rows] == [(b.pk, False, -5)]
    assert worklist(city.town_doctor, today(), program="testprog", status="overdue") == []
    assert len(worklist(city.bureau_user, today(), program="testprog")) == 2
    assert worklist(city.admin, today(), program="testprog") == []  # a superuser flag opens no records


def test_call_outcome_is_recorded_and_shown(client, city, establish, testprog):
    a = establish(name="甲")
    actions.enrol(city.doctor, a, "testprog", on=today() - dt.timedelta(days=20))
    client.force_login(city.doctor)
    due = (today() - dt.timedelta(days=10)).isoformat()
    r = client.post(f"/records/{a.number}/calls/", {"program": "testprog", "item": "测试随访", "due_on": due,
                                                     "outcome": "2", "appointment_on": "", "next": "/worklist/"})
    assert r.status_code == 302
    assert not CallLog.objects.exists()  # a new appointment needs its date
    r = client.post(f"/records/{a.number}/calls/", {
        "program": "testprog", "item": "测试随访", "due_on": due, "outcome": "2",
        "appointment_on": (today() + dt.timedelta(days=3)).isoformat(), "next": "/worklist/"}, follow=True)
    log = CallLog.objects.get()
    assert log.called_by == city.doctor and log.outcome == "2"
    page = client.get("/worklist/?scope=institution").content.decode()
    assert "甲" in page and "已联系，另约时间" in page and "逾期 10 天" in page
    assert "13912345678" in page  # the phone number for calling


def test_record_page_enrol_and_exit_through_the_web(client, city, establish, testprog):
    rec = establish(past_diseases=[{"code": "4", "date": "2015-03", "note": ""}])
    client.force_login(city.doctor)
    page = client.get(f"/records/{rec.number}/").content.decode()
    assert "重点人群健康管理" in page and "档案中的既往疾病提示应纳入" in page and "测试项目" in page
    r = client.post(f"/records/{rec.number}/programs/enrol/", {"program": "testprog", "enrolled_on": "2000-01-01",
                                                               "source": "2", "note": ""}, follow=True)
    assert "已纳入测试项目" in r.content.decode()
    e = Enrollment.objects.get()
    r = client.post(f"/records/{rec.number}/programs/{e.pk}/exit/", {"exited_on": today().isoformat(),
                                                                     "exit_reason": "9", "exit_note": ""},
                    follow=True)
    assert "请说明退出原因" in r.content.decode()
    client.post(f"/records/{rec.number}/programs/{e.pk}/exit/", {"exited_on": today().isoformat(),
                                                                 "exit_reason": "3", "exit_note": ""})
    e.refresh_from_db()
    assert e.exit_reason == "3"


def test_api_enrol_exit_and_worklist(client, city, establish, testprog):
    rec = establish()
    client.force_login(city.doctor)
    r = client.post(f"/api/records/{rec.number}/enrollments", {"program": "testprog",
                                                               "enrolled_on": str(today() - dt.timedelta(days=11))},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    eid = r.json()["id"]
    r = client.post(f"/api/records/{rec.number}/enrollments", {"program": "testprog"},
                    content_type="application/json")
    assert r.status_code == 422
    r = client.get("/api/worklist?status=overdue&program=testprog")
    assert [(x["record"], x["overdue"]) for x in r.json()] == [(rec.number, True)]
    r = client.post(f"/api/records/{rec.number}/enrollments/{eid}/exit",
                    {"exited_on": str(today()), "exit_reason": "4"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["exit_reason"] == "4"
    client.force_login(city.town_doctor)
    assert client.get(f"/api/records/{rec.number}/enrollments").status_code == 404


@pytest.mark.parametrize("age,band", [(0, "0"), (1, "1–3"), (6, "4–6"), (64, "55–64"), (65, "65–74"), (90, "85+")])
def test_age_bands(age, band):
    assert age_band(age) == band
