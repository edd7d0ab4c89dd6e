"""Severe mental disorder program: classification and next visit, consent before follow-ups, due items, standard
management, the web form and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jkda.programs import actions as program_actions
from jkda.programs.mental import rules
from jkda.programs.mental.models import SmiFollowup, SmiProfile
from jkda.programs.mental.program import due
from jkda.programs.registry import PROGRAMS
from jkda.records.models import Record
from jkda.records.rules import today
from jkda.services.actions import record_service

from .conftest import make_id


@pytest.fixture(autouse=True)
def _chinese():
    """Messages and labels are checked in Chinese, whatever language an earlier test left active."""
    with translation.override("zh-hans"):
        yield

GOOD = {"symptoms": [], "insight": "1", "social": ["1", "2", "1", "1", "2"]}


@pytest.mark.parametrize("risk,expected,days,months", [
    (0, "3", 0, 3),
    (1, "2", 14, 0),
    (2, "2", 14, 0),
    (3, "1", 14, 0),
    (4, "1", 14, 0),
    (5, "1", 14, 0),
])
def test_risk_level_sets_classification_and_next_visit(risk, expected, days, months):
    cls = rules.classify(risk, **GOOD)
    assert cls == expected
    visit = dt.date(2025, 11, 30)
    assert rules.next_visit(visit, cls) == rules.add_months(visit, months) + dt.timedelta(days=days)
    assert rules.needs_referral(cls) is (expected == "1")


def test_stable_revisit_in_three_months_end_of_month():
    assert rules.next_visit(dt.date(2025, 11, 30), "3") == dt.date(2026, 2, 28)
    assert rules.next_visit(dt.date(2025, 3, 10), "2") == dt.date(2025, 3, 24)


@pytest.mark.parametrize("flags", [{"florid": True}, {"serious_adverse": True}, {"serious_physical": True}])
def test_marked_symptoms_adverse_reaction_or_physical_disease_force_unstable(flags):
    assert rules.classify(0, **GOOD, **flags) == "1"


@pytest.mark.parametrize("change", [
    {"symptoms": ["1"]}, {"insight": "2"}, {"insight": "3"}, {"social": ["1", "1", "3", "1", "1"]},
])
def test_risk_zero_but_not_good_is_basically_stable(change):
    assert rules.classify(0, **{**GOOD, **change}) == "2"


@given(st.integers(0, 4), st.booleans(), st.lists(st.sampled_from(["1", "2", "3"]), min_size=5, max_size=5))
def test_higher_risk_is_never_less_severe(risk, florid, social):
    a = rules.classify(risk, florid=florid, social=social)
    b = rules.classify(risk + 1, florid=florid, social=social)
    assert int(b) <= int(a)  # "1" unstable is the most severe


@override_settings(JKDA_SMI_STABLE_MONTHS=2, JKDA_SMI_BASIC_DAYS=7)
def test_intervals_are_settings():
    assert rules.next_visit(dt.date(2025, 1, 15), "3") == dt.date(2025, 3, 15)
    assert rules.next_visit(dt.date(2025, 1, 15), "2") == dt.date(2025, 1, 22)


@pytest.mark.parametrize("n,standard", [(3, False), (4, True), (5, True)])
def test_standard_management_needs_four_followups(n, standard):
    assert rules.is_standard(n) is standard


def test_program_is_registered_with_the_diagnosis_code():
    p = PROGRAMS["smi"]
    with translation.override("zh-hans"):
        assert p.diagnosis_codes == ("8",) and str(p.label) == "严重精神障碍患者管理"


# --- through the actions ------------------------------------------------------------------------------------

def _day(n):
    return today() - dt.timedelta(days=n)


def _patient(establish, city, enrolled_days_ago=200):
    rec = establish(id_number=make_id(birth=dt.date(1980, 3, 4)),
                    past_diseases=[{"code": "8", "date": "2010-05"}])
    Record.objects.filter(pk=rec.pk).update(established_on=_day(400))
    rec.refresh_from_db()
    program_actions.enrol(city.doctor, rec, "smi", on=_day(enrolled_days_ago), source="1")
    return rec


def _profile(city, rec, days_ago=190, consent="1", **kw):
    data = {"service_date": _day(days_ago), "consent": consent, "consent_signer": "2", "guardian_name": "张母",
            "guardian_relation": "2", "consent_date": _day(days_ago), "diagnosis": "1", "past_symptoms": ["1", "3"]}
    data.update(kw)
    return record_service(SmiProfile, rec, city.doctor, data)


def _followup_data(days_ago, risk="0", **kw):
    data = {"service_date": _day(days_ago), "method": "2", "risk": risk, "symptoms": [], "insight": "1",
            "sleep": "1", "appetite": "1", "personal_care": "1", "housework": "1", "work": "2", "learning": "1",
            "social": "2", "adherence": "1", "adverse": "1", "drugs": [{"name": "利培酮片", "usage": "2",
                                                                        "dose": "2mg"}]}
    data.update(kw)
    return data


def test_followups_are_refused_while_no_consent_is_recorded(establish, city):
    rec = _patient(establish, city)
    with pytest.raises(ValidationError) as exc:
        record_service(SmiFollowup, rec, city.doctor, _followup_data(100))
    assert "尚未登记参加管理的知情同意" in " ".join(exc.value.messages)
    _profile(city, rec, consent="0", consent_signer="1")
    with pytest.raises(ValidationError) as exc:
        record_service(SmiFollowup, rec, city.doctor, _followup_data(100))
    assert "患者已于" in " ".join(exc.value.messages) and "不同意参加管理" in " ".join(exc.value.messages)
    _profile(city, rec, days_ago=120)
    # a visit before the consent was signed is still refused
    with pytest.raises(ValidationError):
        record_service(SmiFollowup, rec, city.doctor, _followup_data(150))
    fu = record_service(SmiFollowup, rec, city.doctor, _followup_data(100))
    assert fu.classification == "3" and fu.next_visit == rules.add_months(_day(100), 3)


def test_consent_signed_by_guardian_needs_the_guardians_name(establish, city):
    rec = _patient(establish, city)
    with pytest.raises(ValidationError) as exc:
        _profile(city, rec, guardian_name="")
    assert "guardian_name" in exc.value.error_dict


def test_unstable_visit_must_be_referred_and_seen_within_two_weeks(establish, city):
    rec = _patient(establish, city)
    _profile(city, rec)
    with pytest.raises(ValidationError) as exc:
        record_service(SmiFollowup, rec, city.doctor, _followup_data(60, risk="4"))
    assert "referral" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        record_service(SmiFollowup, rec, city.doctor, _followup_data(
            60, risk="4", referral="2", referral_to="市广济医院", next_visit=_day(30)))
    assert "next_visit" in exc.value.error_dict
    fu = record_service(SmiFollowup, rec, city.doctor, _followup_data(
        60, risk="4", referral="2", referral_to="市广济医院", referral_reason="病情不稳定"))
    assert fu.classification == "1" and fu.next_visit == _day(46)
    fu2 = record_service(SmiFollowup, rec, city.doctor, _followup_data(50, symptoms=["1"], florid=True,
                                                                        referral="2", referral_to="市广济医院"))
    assert fu2.classification == "1"


def test_classification_entered_by_hand_is_replaced_by_the_rule(establish, city):
    rec = _patient(establish, city)
    _profile(city, rec)
    fu = record_service(SmiFollowup, rec, city.doctor, _followup_data(60, risk="2", classification="3"))
    assert fu.classification == "2"


def test_due_items_profile_then_followups(establish, city):
    rec = _patient(establish, city, enrolled_days_ago=40)
    records = Record.objects.all()
    [item] = due(records, today())
    assert item.kind == "smi_profile" and item.category == "followup" and item.overdue(today())
    _profile(city, rec, days_ago=35)
    [item] = due(records, today())
    assert item.kind == "smi_followup" and item.due_on == _day(35) and item.window_end == _day(21)
    record_service(SmiFollowup, rec, city.doctor, _followup_data(20, risk="1"))
    [item] = due(records, today())
    assert item.due_on == _day(6) and item.overdue(today())
    other = _patient(establish, city)
    _profile(city, other, consent="0", consent_signer="1")
    assert [i.record_id for i in due(records, today())] == [rec.pk]


def test_standard_management_is_set_based(establish, city, django_assert_max_num_queries):
    a, b = _patient(establish, city, 380), _patient(establish, city, 380)
    for rec, n in ((a, 4), (b, 3)):
        _profile(city, rec, days_ago=370)
        for i in range(n):
            record_service(SmiFollowup, rec, city.doctor, _followup_data(300 - 80 * i))
    start, end = _day(364), today()
    with django_assert_max_num_queries(2):
        assert rules.standard_management(Record.objects.all(), start, end) == {a.pk}
    assert rules.standard_management_rate(Record.objects.all(), start, end) == (1, 2)


# --- web and API --------------------------------------------------------------------------------------------

def test_web_form_in_chinese_and_create(client, establish, city):
    rec = _patient(establish, city)
    client.force_login(city.doctor)
    page = client.get(f"/records/{rec.number}/services/smi_followup/new/").content.decode()
    assert "严重精神障碍患者随访服务记录表" in page
    resp = client.post(f"/records/{rec.number}/services/smi_followup/new/", {"service_date": _day(3).isoformat()})
    assert resp.status_code == 200 and "尚未登记参加管理的知情同意" in resp.content.decode()
    page = client.get(f"/records/{rec.number}/services/smi_profile/new/").content.decode()
    assert "严重精神障碍患者个人信息补充表" in page and "监护人姓名" in page and "偏执性精神病" in page
    resp = client.post(f"/records/{rec.number}/services/smi_profile/new/", {
        "service_date": _day(30).isoformat(), "consent": "1", "consent_signer": "1", "consent_date":
        _day(30).isoformat(), "diagnosis": "4", "past_symptoms": ["6"], "admissions": "1",
        **{f"danger_{k}": "0" for k in ("nuisance", "trouble", "disaster", "other", "self_harm", "suicide")}})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    page = client.get(f"/records/{rec.number}/services/smi_followup/new/").content.decode()
    assert "1级：口头威胁，喊叫，但没有打砸行为" in page and "危险性评估" in page
    form = {"service_date": _day(10).isoformat(), "method": "1", "risk": "3", "insight": "2", "sleep": "2",
            "appetite": "1", "personal_care": "1", "housework": "2", "work": "3", "learning": "2", "social": "3",
            "adherence": "2", "adverse": "1", "physical": "1", "referral": "1",
            "drugs-0-name": "碳酸锂缓释片", "drugs-0-usage": "2", "drugs-0-dose": "0.3g",
            **{f"danger_{k}": "0" for k in ("nuisance", "trouble", "disaster", "other", "self_harm", "suicide")}}
    resp = client.post(f"/records/{rec.number}/services/smi_followup/new/", form)
    assert resp.status_code == 200 and "转诊" in resp.content.decode()
    form.update(referral="2", referral_to="市广济医院精神科", referral_reason="打砸行为")
    resp = client.post(f"/records/{rec.number}/services/smi_followup/new/", form)
    assert resp.status_code == 302
    fu = SmiFollowup.objects.get()
    assert fu.classification == "1" and fu.next_visit == _day(-4)
    assert fu.drugs == [{"name": "碳酸锂缓释片", "usage": "2", "dose": "0.3g"}]
    page = client.get(f"/services/smi_followup/{fu.pk}/").content.decode()
    assert "不稳定" in page and "碳酸锂缓释片" in page


def test_api_create_and_refusal(client, establish, city):
    rec = _patient(establish, city)
    client.force_login(city.doctor)
    url = f"/api/records/{rec.number}/services/smi_followup"
    body = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in _followup_data(5).items()}
    resp = client.post(url, body, content_type="application/json")
    assert resp.status_code == 422 and "知情同意" in str(resp.json()["errors"]["__all__"])
    resp = client.post(f"/api/records/{rec.number}/services/smi_profile", {
        "service_date": _day(8).isoformat(), "consent": "1", "consent_signer": "2", "guardian_name": "李父",
        "consent_date": _day(8).isoformat(), "diagnosis": "1"}, content_type="application/json")
    assert resp.status_code == 201, resp.content
    resp = client.post(url, {**body, "risk": "7"}, content_type="application/json")
    assert resp.status_code == 422
    resp = client.post(url, body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["classification"] == "3" and data["next_visit"] == rules.add_months(_day(5), 3).isoformat()
