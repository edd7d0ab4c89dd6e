"""Encounter, consultation and two-way referral records: rules, validation, the referral inbox and its
permissions, the full referral flow through the pages and the API, the timeline and the Chinese pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jkda.records import actions as record_actions
from jkda.regions.models import Staff
from jkda.services.actions import record_service, update_service
from jkda.services.clinical import actions, rules
from jkda.services.clinical.models import Consultation, Encounter, Referral, ReferralBack
from jkda.services.timeline import timeline
from tests.conftest import make_id

TODAY = dt.date.today()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


SOAP = {"subjective": "头晕3天", "objective": "BP 150/95 mmHg", "assessment": "高血压", "plan": "调整用药，2周复诊"}
REFERRAL = {"to_institution_code": "T101", "to_department": "心内科", "urgency": "2",
            "initial_impression": "高血压控制不满意", "reason": "连续两次血压控制不满意", "main_history": "高血压5年",
            "test_results": "BP 170/104 mmHg", "treatment": "氨氯地平5mg qd"}
BACK = {"diagnosis": "原发性高血压2级", "treatment": "加用缬沙坦", "outcome": "血压138/84 mmHg",
        "recommendations": "社区每月随访血压"}


def kinds_on_record_of(record) -> list[str]:
    from jkda.services.timeline import kinds_on_record

    return [m.kind for m in kinds_on_record(record)]


def messages_of(exc: ValidationError) -> str:
    return " ".join(m for ms in exc.message_dict.values() for m in ms) if hasattr(exc, "error_dict") else \
        " ".join(exc.messages)


@pytest.fixture
def record(establish):
    return establish(id_number=make_id(birth=dt.date(1958, 3, 2)))


def send(city, record, when=None, actor=None, **over):
    return record_service(Referral, record, actor or city.doctor,
                          {**REFERRAL, "service_date": when or days_ago(10), **over})


# --- rules ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("values,empty", [
    ({}, True),
    ({"subjective": "", "objective": None, "assessment": "   ", "plan": "\n"}, True),
    ({"subjective": "咳嗽"}, False),
    ({"plan": "复诊"}, False),
    ({"objective": "T 37.5"}, False),
    ({"assessment": "上感"}, False),
])
def test_soap_is_empty(values, empty):
    assert rules.soap_is_empty(values) is empty


@pytest.mark.parametrize("current,new,ok", [
    ("sent", "received", True), ("sent", "refused", True), ("sent", "returned", False), ("sent", "sent", False),
    ("received", "returned", True), ("received", "refused", False), ("received", "received", False),
    ("refused", "received", False), ("refused", "returned", False),
    ("returned", "received", False), ("returned", "returned", False), ("unknown", "received", False),
])
def test_referral_transitions(current, new, ok):
    assert rules.may_move(current, new) is ok


@pytest.mark.parametrize("rows,expected", [
    (None, []),
    ([], []),
    ([{"institution": "", "doctor": ""}], []),
    ([{"institution": " 木渎镇卫生院 ", "doctor": "赵医生"}, {"doctor": "", "institution": ""}],
     [{"institution": "木渎镇卫生院", "doctor": "赵医生"}]),
    (["bad", {"doctor": "李"}], [{"institution": "", "doctor": "李"}]),
])
def test_consultants_filled(rows, expected):
    assert rules.consultants_filled(rows) == expected


@given(st.integers(0, 110), st.integers(0, 110))
def test_rates_grow_with_age(a, b):
    lo, hi = sorted((a, b))
    assert rules.encounter_rate(lo) <= rules.encounter_rate(hi) or lo < 7  # small children visit more than youths
    assert rules.referral_rate(lo) <= rules.referral_rate(hi)
    assert 0 < rules.encounter_rate(a) < 0.3 and 0 < rules.referral_rate(a) < 0.05


# --- validation --------------------------------------------------------------------------------------------------

def test_encounter_recorded_and_filed_under_the_writer(city, establish):
    rec = establish(institution=city.station)
    enc = record_service(Encounter, rec, city.doctor, {"service_date": days_ago(3), "department": "全科", **SOAP})
    assert enc.institution == city.centre and enc.doctor_name == "王医生"  # the centre's doctor, a station record
    rec.refresh_from_db()
    assert rec.last_service_on == days_ago(3)
    assert "高血压" in enc.summary() and "全科" in enc.summary()


@pytest.mark.parametrize("when,message", [
    (TODAY + dt.timedelta(days=1), "The date of service cannot be in the future."),
    (dt.date(1950, 1, 1), "before the resident's birth date"),
])
def test_encounter_dates(city, record, when, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(Encounter, record, city.doctor, {"service_date": when, **SOAP})
    assert message in messages_of(exc.value)


def test_empty_soap_refused_with_a_clear_message(city, record):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(Encounter, record, city.doctor, {"service_date": days_ago(1), "subjective": "  "})
    assert "The encounter note is empty" in exc.value.message_dict["subjective"][0]
    with pytest.raises(ValidationError) as exc:
        record_service(Encounter, record, city.doctor, {"service_date": days_ago(1)})
    assert "接诊记录为空" in messages_of(exc.value)
    assert not Encounter.objects.exists()


def test_closed_record_refuses_new_records(city, record):
    record_actions.close_record(city.manager, record, reason="1", closed_on=days_ago(5))
    record.refresh_from_db()
    for model, data in ((Encounter, SOAP), (Referral, REFERRAL)):
        with pytest.raises(ValidationError) as exc:
            record_service(model, record, city.doctor, {"service_date": days_ago(6), **data})
        assert "档案已结案" in messages_of(exc.value) or "closed" in messages_of(exc.value)


def test_read_only_role_cannot_record(city, record):
    with pytest.raises(PermissionDenied):
        record_service(Encounter, record, city.bureau_user, {"service_date": days_ago(1), **SOAP})


@pytest.mark.parametrize("rows,message", [
    ([], "Name at least one consulting doctor"),
    ([{"institution": "木渎镇卫生院", "doctor": ""}], "both a name and an institution"),
])
def test_consultation_needs_its_doctors(city, record, rows, message):
    data = {"service_date": days_ago(2), "reason": "血压难以控制", "opinion": "调整方案", "consultants": rows}
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(Consultation, record, city.doctor, data)
    assert message in exc.value.message_dict["consultants"][0]


def test_consultation_keeps_filled_rows(city, record):
    cons = record_service(Consultation, record, city.doctor, {
        "service_date": days_ago(2), "reason": "血压难以控制", "opinion": "调整方案",
        "responsible_doctor_name": "王医生",
        "consultants": [{"institution": "木渎镇卫生院", "doctor": "赵医生"}, {"institution": "", "doctor": ""}]})
    assert cons.consultants == [{"institution": "木渎镇卫生院", "doctor": "赵医生"}]
    assert "赵医生" in cons.summary()


@pytest.mark.parametrize("code,message", [
    ("C001", "cannot be sent to your own institution"),
    ("B320506", "is not one"),
    ("X999", "Unknown institution code"),
])
def test_referral_target_checked(city, record, code, message):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        send(city, record, to_institution_code=code)
    assert message in exc.value.message_dict["to_institution_code"][-1]


def test_referral_back_only_from_the_inbox(city, record):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        record_service(ReferralBack, record, city.doctor, {"service_date": days_ago(1), **BACK})
    assert "referral inbox" in messages_of(exc.value)


def test_received_referral_is_frozen_for_the_sender(city, record):
    ref = send(city, record)
    ref = update_service(ref, city.doctor, {"to_department": "神经内科"})
    assert ref.version == 2
    actions.receive_referral(city.town_doctor, ref)
    ref.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        update_service(ref, city.doctor, {"to_department": "外科"})
    assert "can no longer be changed" in messages_of(exc.value)


# --- the receiving side: actions and permissions --------------------------------------------------------------

def test_only_the_receiving_institution_acts(city, record):
    ref = send(city, record)
    for actor in (city.doctor, city.station_doctor, city.bureau_user):  # the sender, an unrelated one, a bureau
        with pytest.raises(PermissionDenied):
            actions.receive_referral(actor, ref)
        with pytest.raises(PermissionDenied):
            actions.refuse_referral(actor, ref, "no")
    reader = Staff.objects.create_user(username="t_assessor", password="x", institution=city.hospital, role="assessor")
    with pytest.raises(PermissionDenied):
        actions.receive_referral(reader, ref)
    ref.refresh_from_db()
    assert ref.status == "sent"


def test_state_changes(city, record):
    ref = send(city, record, when=days_ago(10))
    with translation.override("en"):
        with pytest.raises(ValidationError, match="Mark the referral received"):
            actions.answer_referral(city.town_doctor, ref, {"service_date": days_ago(1), **BACK})
        with pytest.raises(ValidationError, match="future"):
            actions.receive_referral(city.town_doctor, ref, on=TODAY + dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="before it was sent"):
            actions.receive_referral(city.town_doctor, ref, on=days_ago(11))
    ref = actions.receive_referral(city.town_doctor, ref, on=days_ago(9))
    assert (ref.status, ref.received_on, ref.received_by_name) == ("received", days_ago(9), "赵医生")
    with pytest.raises(ValidationError):
        actions.refuse_referral(city.town_doctor, ref, "床位已满")
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        actions.answer_referral(city.town_doctor, ref, {"service_date": days_ago(12), **BACK})
    assert "before the referral" in messages_of(exc.value)
    with pytest.raises(PermissionDenied):
        actions.answer_referral(city.doctor, ref, {"service_date": days_ago(2), **BACK})  # the sender
    back = actions.answer_referral(city.town_doctor, ref, {"service_date": days_ago(2), **BACK})
    ref.refresh_from_db()
    assert ref.status == "returned" and back.referral == ref and back.institution == city.hospital
    assert back.record_id == record.pk and back.doctor_name == "赵医生"
    with pytest.raises(ValidationError):
        actions.answer_referral(city.town_doctor, ref, {"service_date": days_ago(1), **BACK})
    assert ReferralBack.objects.count() == 1
    with pytest.raises(PermissionDenied):  # only the institution that wrote the answer could change it ...
        update_service(back, city.doctor, {"diagnosis": "改写"})
    with translation.override("en"), pytest.raises(ValidationError, match="cannot be changed"):
        update_service(back, city.town_doctor, {"diagnosis": "改写"})  # ... and a sent answer is final
    assert ref.history.count() == 3  # sent, received, returned


def test_refusal_needs_a_reason(city, record):
    ref = send(city, record)
    with pytest.raises(ValidationError):
        actions.refuse_referral(city.town_doctor, ref, "  ")
    ref = actions.refuse_referral(city.town_doctor, ref, "本院无相应专科")
    assert ref.status == "refused" and ref.refusal_reason == "本院无相应专科"
    assert "已拒收" in ref.summary() and "本院无相应专科" in ref.summary()


# --- pages -------------------------------------------------------------------------------------------------------

def test_inbox_shows_incoming_referrals_outside_the_jurisdiction(city, record, client):
    ref = send(city, record)
    client.force_login(city.town_doctor)
    assert client.get(f"/records/{record.number}/").status_code == 404  # the record itself stays out of reach
    page = client.get("/referrals/").content.decode()
    assert f'id="referral-{ref.pk}"' in page
    assert record.resident.name in page and record.short_number in page and "男" in page
    assert record.resident.phone not in page and record.resident.current_address not in page
    detail = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "高血压控制不满意" in detail and 'id="receive-form"' in detail
    assert record.number not in detail and record.resident.current_address not in detail


def test_inbox_is_not_shown_to_an_unrelated_institution(city, record, client):
    ref = send(city, record)
    client.force_login(city.station_doctor)
    assert f'id="referral-{ref.pk}"' not in client.get("/referrals/").content.decode()
    assert client.get(f"/referrals/{ref.pk}/").status_code == 404
    assert client.post(f"/referrals/{ref.pk}/receive/", {}).status_code == 404


def test_sender_sees_status_but_cannot_answer(city, record, client):
    ref = send(city, record)
    client.force_login(city.doctor)
    assert f'id="referral-{ref.pk}"' not in client.get("/referrals/").content.decode()
    out = client.get("/referrals/?box=out").content.decode()
    assert f'id="referral-{ref.pk}"' in out and "已转出" in out
    detail = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert 'id="receive-form"' not in detail and 'id="answer-form"' not in detail
    response = client.post(f"/referrals/{ref.pk}/receive/", {})
    assert response.status_code == 400 and "只有转入单位" in response.content.decode()
    ref.refresh_from_db()
    assert ref.status == "sent"


def test_full_referral_flow_through_the_pages(city, record, client):
    client.force_login(city.doctor)
    form = client.get(f"/records/{record.number}/services/referral/new/").content.decode()
    assert "转入单位" in form and "初步印象" in form and "木渎镇卫生院 (T101)" in form
    assert "吴中区卫生健康局" not in form  # only clinical institutions are offered
    data = {**REFERRAL, "service_date": days_ago(10).isoformat()}
    bad = client.post(f"/records/{record.number}/services/referral/new/", {**data, "to_institution_code": "C001"})
    assert bad.status_code == 200 and "不能转诊到本机构" in bad.content.decode()
    response = client.post(f"/records/{record.number}/services/referral/new/", data)
    ref = Referral.objects.get()
    assert response.status_code == 302 and ref.to_institution == city.hospital and ref.institution == city.centre

    client.force_login(city.town_doctor)
    assert client.post(f"/referrals/{ref.pk}/receive/", {"received_on": days_ago(9).isoformat()}).status_code == 302
    page = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "已接收" in page and 'id="answer-form"' in page and "下一步治疗方案及康复建议" in page
    bad = client.post(f"/referrals/{ref.pk}/answer/", {"service_date": days_ago(3).isoformat()})
    assert bad.status_code == 400 and "has-error" in bad.content.decode()
    response = client.post(f"/referrals/{ref.pk}/answer/", {"service_date": days_ago(3).isoformat(), **BACK})
    assert response.status_code == 302
    ref.refresh_from_db()
    assert ref.status == "returned"

    client.force_login(city.doctor)
    detail = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "已回转" in detail and "原发性高血压2级" in detail and "社区每月随访血压" in detail
    assert f'href="/records/{record.number}/"' in detail
    record_page = client.get(f"/records/{record.number}/").content.decode()
    assert "kind-referral_back" in record_page and "kind-referral" in record_page
    generic = client.get(f"/services/referral/{ref.pk}/").content.decode()
    assert "已回转" in generic and "木渎镇卫生院" in generic


def test_refusal_through_the_pages(city, record, client):
    ref = send(city, record)
    client.force_login(city.town_doctor)
    bad = client.post(f"/referrals/{ref.pk}/refuse/", {"refusal_reason": ""})
    assert bad.status_code == 400
    assert client.post(f"/referrals/{ref.pk}/refuse/", {"refusal_reason": "床位已满"}).status_code == 302
    client.force_login(city.doctor)
    detail = client.get(f"/referrals/{ref.pk}/").content.decode()
    assert "已拒收" in detail and "床位已满" in detail


def test_pages_in_chinese(city, record, client):
    client.force_login(city.doctor)
    page = client.get(f"/records/{record.number}/services/encounter/new/").content.decode()
    for label in ("接诊记录表", "就诊者的主观资料", "就诊者的客观资料", "评估", "处置计划", "科室", "就诊类型"):
        assert label in page
    page = client.get(f"/records/{record.number}/services/consultation/new/").content.decode()
    for label in ("会诊记录表", "会诊原因", "会诊意见", "会诊医生所在医疗卫生机构名称", "会诊医生签名", "责任医生"):
        assert label in page
    inbox = client.get("/referrals/").content.decode()
    assert "双向转诊" in inbox and 'id="nav-clinical_referrals"' in inbox and ">转诊<" in inbox
    assert "没有转诊单" in inbox
    bad = client.post(f"/records/{record.number}/services/encounter/new/",
                      {"service_date": days_ago(1).isoformat(), "visit_type": "1"})
    assert "接诊记录为空" in bad.content.decode()


def test_timeline_in_date_order(city, record, client, establish):
    other = establish(name="另一人")
    assert kinds_on_record_of(other) == []
    record_service(Encounter, other, city.doctor, {"service_date": days_ago(40), **SOAP})
    assert kinds_on_record_of(other) == ["encounter"] and kinds_on_record_of(record) == []
    record_service(Encounter, record, city.doctor, {"service_date": days_ago(30), **SOAP})
    ref = send(city, record, when=days_ago(20))
    actions.receive_referral(city.town_doctor, ref, on=days_ago(19))
    actions.answer_referral(city.town_doctor, ref, {"service_date": days_ago(5), **BACK})
    record_service(Encounter, record, city.doctor,
                   {"service_date": days_ago(2), "plan": "社区随访"})
    record_service(Consultation, record, city.doctor, {
        "service_date": days_ago(12), "reason": "会诊", "opinion": "意见",
        "consultants": [{"institution": "木渎镇卫生院", "doctor": "赵医生"}]})
    # the one probe query names exactly the kinds of form the record holds (another record's forms do not count)
    from jkda.services.base import service_models
    from jkda.services.timeline import kinds_on_record

    assert kinds_on_record(record) == [m for m in service_models() if m.objects.filter(record=record).exists()]
    assert {m.kind for m in kinds_on_record(record)} == {"encounter", "referral_back", "consultation", "referral"}
    kinds = [(e.kind, e.date) for e in timeline(record)]
    assert kinds == [("encounter", days_ago(2)), ("referral_back", days_ago(5)), ("consultation", days_ago(12)),
                     ("referral", days_ago(20)), ("encounter", days_ago(30))]
    client.force_login(city.doctor)
    page = client.get(f"/records/{record.number}/").content.decode()
    order = [page.index(f'class="kind-{k}"') for k in ("encounter", "referral_back", "consultation", "referral")]
    assert order == sorted(order)
    api = client.get(f"/api/records/{record.number}/services").json()
    assert [e["kind"] for e in api] == [k for k, _d in kinds]


# --- API ---------------------------------------------------------------------------------------------------------

def test_referral_flow_through_the_api(city, record, client):
    ref = send(city, record, when=days_ago(8))
    client.force_login(city.town_doctor)
    inbox = client.get("/api/referrals").json()
    assert [r["id"] for r in inbox] == [ref.pk]
    item = inbox[0]
    assert item["record"] is None and item["record_short_number"] == record.short_number
    assert item["name"] == record.resident.name and item["sex"] == "男" and item["status"] == "sent"
    assert item["from_institution_code"] == "C001" and item["back"] is None

    bad = client.post(f"/api/referrals/{ref.pk}/answer", {"service_date": days_ago(1).isoformat(), **BACK},
                      content_type="application/json")
    assert bad.status_code == 422
    r = client.post(f"/api/referrals/{ref.pk}/receive", {"received_on": days_ago(7).isoformat()},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "received"
    bad = client.post(f"/api/referrals/{ref.pk}/answer", {"service_date": days_ago(1).isoformat()},
                      content_type="application/json")
    assert bad.status_code == 422 and "diagnosis" in bad.json()["errors"]
    r = client.post(f"/api/referrals/{ref.pk}/answer", {"service_date": days_ago(1).isoformat(), **BACK},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "returned" and r.json()["back"]["diagnosis"] == BACK["diagnosis"]
    assert client.get("/api/referrals").json() == []  # nothing left to do
    assert len(client.get("/api/referrals?status=all").json()) == 1

    client.force_login(city.doctor)
    read = client.get(f"/api/referrals/{ref.pk}").json()
    assert read["record"] == record.number and read["status"] == "returned"
    assert read["back"]["recommendations"] == BACK["recommendations"] and read["back"]["institution"] == "木渎镇卫生院"
    assert [r["id"] for r in client.get("/api/referrals?box=out&status=all").json()] == [ref.pk]
    timeline_kinds = [e["kind"] for e in client.get(f"/api/records/{record.number}/services").json()]
    assert timeline_kinds == ["referral_back", "referral"]


def test_api_permissions(city, record, client):
    ref = send(city, record)
    client.force_login(city.doctor)  # the sender
    r = client.post(f"/api/referrals/{ref.pk}/receive", {}, content_type="application/json")
    assert r.status_code == 403
    client.force_login(city.station_doctor)  # unrelated
    assert client.get("/api/referrals").json() == []
    assert client.get(f"/api/referrals/{ref.pk}").status_code == 404
    assert client.post(f"/api/referrals/{ref.pk}/refuse", {"reason": "x"},
                       content_type="application/json").status_code == 404
    client.force_login(city.town_doctor)
    r = client.post(f"/api/referrals/{ref.pk}/refuse", {"reason": " "}, content_type="application/json")
    assert r.status_code == 422 and "refusal_reason" in r.json()["errors"]
    r = client.post(f"/api/referrals/{ref.pk}/refuse", {"reason": "床位已满"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["status"] == "refused" and r.json()["refusal_reason"] == "床位已满"
    client.logout()
    assert client.get("/api/referrals").status_code == 401
