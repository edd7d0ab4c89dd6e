"""Hypertension / diabetes follow-ups through the actions, the web form and the API; enrolment; the due list;
the set-based monitoring figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from jkda.programs import actions as P
from jkda.programs.chronic import monitoring as M
from jkda.programs.chronic import rules as R
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.models import Enrollment
from jkda.programs.worklist import due_items, scoped_records
from jkda.records import actions as RA
from jkda.services.actions import record_service, update_service

from .conftest import make_id

TODAY = timezone.localdate()


def days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


@pytest.fixture
def patient(city, establish):
    """A 50-year-old with hypertension and diabetes on the record, enrolled in both programs 200 days ago."""
    birth = dt.date(TODAY.year - 50, 1, 10)
    rec = establish(id_number=make_id(birth=birth), past_diseases=[
        {"code": "2", "date": "2015-03", "note": ""}, {"code": "3", "date": "2018-06", "note": ""}])
    P.enrol(city.doctor, rec, "hypertension", on=days_ago(200), source="1")
    P.enrol(city.doctor, rec, "diabetes", on=days_ago(200), source="1")
    return rec


def htn(**over):
    data = {"service_date": days_ago(30), "method": "1", "symptoms": ["1"], "sbp": 132, "dbp": 84,
            "adherence": "1", "adverse_reaction": "1",
            "drugs": [{"name": "苯磺酸氨氯地平片", "times": "1", "dose": "5mg"}]}
    data.update(over)
    return data


def dm(**over):
    data = {"service_date": days_ago(30), "method": "1", "symptoms": ["1"], "fasting_glucose": Decimal("6.5"),
            "adherence": "1", "adverse_reaction": "1", "hypoglycaemia": "1"}
    data.update(over)
    return data


# --- enrolment ------------------------------------------------------------------------------------------------

def test_programs_registered_with_diagnosis_codes(patient):
    from jkda.programs.registry import get

    assert get("hypertension").diagnosis_codes == ("2",) and get("diabetes").diagnosis_codes == ("3",)
    assert str(get("hypertension").label) == "高血压患者健康管理"
    assert str(get("diabetes").label) == "2型糖尿病患者健康管理"


def test_enrol_from_diagnoses_and_adults_only(city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1970, 3, 3)), past_diseases=[{"code": "2", "date": "2010-01"}])
    assert P.suggested_programs(rec) == ["hypertension"]
    assert [e.program for e in P.enrol_from_diagnoses(city.doctor, rec)] == ["hypertension"]
    child = establish(id_number=make_id(birth=TODAY.replace(year=TODAY.year - 17) - dt.timedelta(days=1)))
    with pytest.raises(ValidationError) as exc:
        P.enrol(city.doctor, child, "diabetes")
    assert "18" in str(exc.value)


# --- the rules applied on save --------------------------------------------------------------------------------

def test_satisfactory_followup_gets_class_and_routine_next_visit(city, patient):
    fu = record_service(HypertensionFollowup, patient, city.doctor, htn())
    assert fu.classification == "1" and fu.controlled and fu.referral_prompt == "0"
    assert fu.next_visit_date == fu.next_visit_suggested == R.add_months(fu.service_date, 3)
    assert fu.doctor_name == "王医生" and fu.institution == city.centre


@pytest.mark.parametrize("sbp,dbp,classification", [(139, 89, "1"), (140, 89, "2"), (139, 90, "2")])
def test_bp_threshold_stored(city, patient, sbp, dbp, classification):
    fu = record_service(HypertensionFollowup, patient, city.doctor, htn(sbp=sbp, dbp=dbp))
    assert fu.classification == classification


def test_elderly_threshold_by_age_on_the_visit_date(city, establish):
    birth = TODAY - dt.timedelta(days=365 * 66)
    rec = establish(id_number=make_id(birth=birth))
    P.enrol(city.doctor, rec, "hypertension", on=days_ago(500))
    at_65 = birth.replace(year=birth.year + 65)
    before = at_65 - dt.timedelta(days=1)
    fu64 = record_service(HypertensionFollowup, rec, city.doctor, htn(service_date=before, sbp=149, dbp=89))
    fu65 = record_service(HypertensionFollowup, rec, city.doctor, htn(service_date=at_65, sbp=149, dbp=89))
    assert (fu64.controlled, fu65.controlled) == (False, True)


def test_glucose_threshold_stored(city, patient):
    a = record_service(DiabetesFollowup, patient, city.doctor, dm(fasting_glucose=Decimal("6.9")))
    b = record_service(DiabetesFollowup, patient, city.doctor, dm(service_date=days_ago(10),
                                                                 fasting_glucose=Decimal("7.0")))
    assert (a.classification, b.classification) == ("1", "2")
    assert b.next_visit_date == days_ago(10) + dt.timedelta(days=14)


def test_adverse_reaction_and_complication_raise_the_class(city, patient):
    a = record_service(HypertensionFollowup, patient, city.doctor,
                       htn(adverse_reaction="2", adverse_reaction_detail="踝部水肿"))
    b = record_service(HypertensionFollowup, patient, city.doctor,
                       htn(service_date=days_ago(20), sbp=150, dbp=95, adverse_reaction="2",
                           adverse_reaction_detail="干咳", complication="新发心绞痛"))
    assert a.classification == "3" and a.next_visit_date == a.service_date + dt.timedelta(days=14)
    assert b.classification == "4" and b.referral_prompt == "1"


def test_doctors_own_next_date_is_kept(city, patient):
    mine = days_ago(30) + dt.timedelta(days=40)
    fu = record_service(HypertensionFollowup, patient, city.doctor, htn(next_visit_date=mine))
    assert fu.next_visit_date == mine and fu.next_visit_suggested == R.add_months(fu.service_date, 3)
    # an edit that makes the visit uncontrolled keeps the doctor's own date ...
    fu = update_service(fu, city.doctor, {"sbp": 160, "dbp": 100}, expected_version=1)
    assert fu.next_visit_date == mine and fu.classification == "2"


def test_default_next_date_follows_the_values_on_edit(city, patient):
    fu = record_service(HypertensionFollowup, patient, city.doctor, htn())
    fu = update_service(fu, city.doctor, {"sbp": 165, "dbp": 100}, expected_version=1)
    assert fu.next_visit_date == fu.service_date + dt.timedelta(days=14)


def test_two_uncontrolled_in_a_row_suggest_referral(city, patient):
    first = record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(60), sbp=160, dbp=95))
    second = record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(45), sbp=158,
                                                                           dbp=96))
    third = record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(30)))
    fourth = record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(20), sbp=150,
                                                                           dbp=92))
    assert [f.referral_prompt for f in (first, second, third, fourth)] == ["0", "1", "0", "0"]
    assert "建议转诊" in second.summary() or "Referral" in second.summary()


@pytest.mark.parametrize("values,prompt", [
    ({"sbp": 180, "dbp": 100}, "2"), ({"sbp": 179, "dbp": 109}, "0"), ({"sbp": 170, "dbp": 110}, "2"),
])
def test_urgent_hypertension(city, patient, values, prompt):
    fu = record_service(HypertensionFollowup, patient, city.doctor, htn(**values))
    assert fu.referral_prompt == prompt


@pytest.mark.parametrize("glucose,prompt", [("16.7", "2"), ("16.6", "0"), ("3.9", "2"), ("4.0", "0")])
def test_urgent_diabetes(city, patient, glucose, prompt):
    fu = record_service(DiabetesFollowup, patient, city.doctor, dm(fasting_glucose=Decimal(glucose)))
    assert fu.referral_prompt == prompt


@pytest.mark.parametrize("values,field", [
    ({"sbp": 80, "dbp": 90}, "sbp"),
    ({"sbp": 90, "dbp": 90}, "sbp"),
    ({"sbp": 400, "dbp": 90}, "sbp"),
    ({"dbp": 10}, "dbp"),
    ({"heart_rate": 400}, "heart_rate"),
    ({"weight": Decimal("900")}, "weight"),
    ({"symptoms": ["1", "2"]}, "symptoms"),
    ({"symptoms": []}, "symptoms"),
    ({"method": "7"}, "method"),
    ({"adverse_reaction": "2"}, "adverse_reaction_detail"),
    ({"referral_reason": "血压控制不满意"}, "referral_institution"),
    ({"next_visit_date": days_ago(40)}, "next_visit_date"),
    ({"service_date": TODAY + dt.timedelta(days=1)}, "service_date"),
    ({"drugs": [{"name": "", "times": "1", "dose": "5mg"}]}, "drugs"),
])
def test_impossible_values_are_refused(city, patient, values, field):
    with pytest.raises(ValidationError) as exc:
        record_service(HypertensionFollowup, patient, city.doctor, htn(**values))
    assert field in exc.value.error_dict
    assert not HypertensionFollowup.objects.exists()


@pytest.mark.parametrize("values,field", [
    ({"fasting_glucose": Decimal("0.5")}, "fasting_glucose"),
    ({"fasting_glucose": None}, "fasting_glucose"),
    ({"hba1c": Decimal("7.2")}, "hba1c_date"),
    ({"hba1c": Decimal("7.2"), "hba1c_date": days_ago(10)}, "hba1c_date"),
    ({"dorsalis_pedis": "9"}, "dorsalis_pedis"),
    ({"hypoglycaemia": "4"}, "hypoglycaemia"),
    ({"sbp": 130}, "dbp"),
])
def test_impossible_diabetes_values_are_refused(city, patient, values, field):
    with pytest.raises(ValidationError) as exc:
        record_service(DiabetesFollowup, patient, city.doctor, dm(**values))
    assert field in exc.value.error_dict


def test_followup_without_enrolment_is_refused(city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1970, 1, 1)))
    with pytest.raises(ValidationError) as exc:
        record_service(HypertensionFollowup, rec, city.doctor, htn())
    assert "高血压患者健康管理" in str(exc.value) or "enrol" in str(exc.value)


def test_followup_on_closed_record_is_refused(city, patient):
    record_service(HypertensionFollowup, patient, city.doctor, htn())
    RA.close_record(city.doctor, patient, reason="2", closed_on=days_ago(5))
    patient.refresh_from_db()
    with pytest.raises(ValidationError):
        record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(10)))
    assert not Enrollment.objects.active().filter(record=patient).exists()


# --- web and API ----------------------------------------------------------------------------------------------

def test_web_form_creates_a_followup_and_shows_the_prompt(client, city, patient):
    client.force_login(city.doctor)
    url = f"/records/{patient.number}/services/hypertension_followup/new/"
    page = client.get(url)
    assert page.status_code == 200 and "高血压患者随访" in page.content.decode()
    assert "收缩压" in page.content.decode()
    data = {"service_date": days_ago(3).isoformat(), "method": "1", "symptoms": ["2"], "sbp": "186", "dbp": "102",
            "heart_rate": "80", "adherence": "2", "adverse_reaction": "1", "drugs-0-name": "硝苯地平缓释片",
            "drugs-0-times": "2", "drugs-0-dose": "20mg", "drugs-1-name": "", "drugs-1-times": "", "drugs-1-dose": ""}
    resp = client.post(url, data)
    fu = HypertensionFollowup.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/services/hypertension_followup/{fu.pk}/"
    assert fu.referral_prompt == "2" and fu.classification == "2"
    assert fu.drugs == [{"name": "硝苯地平缓释片", "times": "2", "dose": "20mg"}]
    assert fu.next_visit_date == days_ago(3) + dt.timedelta(days=14)
    page = client.get(resp["Location"]).content.decode()
    assert "紧急转诊" in page and "控制不满意" in page and "186/102" in page
    record_page = client.get(f"/records/{patient.number}/").content.decode()
    assert "紧急转诊" in record_page


def test_web_form_refuses_sbp_not_above_dbp(client, city, patient):
    client.force_login(city.doctor)
    url = f"/records/{patient.number}/services/hypertension_followup/new/"
    resp = client.post(url, {"service_date": days_ago(3).isoformat(), "method": "1", "symptoms": ["1"],
                             "sbp": "80", "dbp": "90", "adherence": "1", "adverse_reaction": "1"})
    assert resp.status_code == 200 and "收缩压必须高于舒张压" in resp.content.decode()
    assert not HypertensionFollowup.objects.exists()


def test_new_form_starts_from_the_latest_targets(client, city, patient):
    record_service(DiabetesFollowup, patient, city.doctor, dm(staple_food_target=250, insulin_kind="甘精胰岛素"))
    client.force_login(city.doctor)
    page = client.get(f"/records/{patient.number}/services/diabetes_followup/new/").content.decode()
    assert 'value="250"' in page and "甘精胰岛素" in page


def test_api_creates_and_reads_a_diabetes_followup(client, city, patient):
    client.force_login(city.doctor)
    body = {"service_date": days_ago(7).isoformat(), "method": "2", "symptoms": ["2", "4"], "sbp": 138, "dbp": 82,
            "fasting_glucose": "8.4", "hba1c": "7.9", "hba1c_date": days_ago(9).isoformat(), "adherence": "1",
            "adverse_reaction": "1", "hypoglycaemia": "1", "dorsalis_pedis": "3", "staple_food": 300,
            "insulin_kind": "门冬胰岛素30注射液", "insulin_dose": "早12U 晚10U"}
    resp = client.post(f"/api/records/{patient.number}/services/diabetes_followup", body,
                       content_type="application/json")
    assert resp.status_code == 201, resp.content
    out = resp.json()
    assert out["next_visit_date"] == (days_ago(7) + dt.timedelta(days=14)).isoformat()
    fu = DiabetesFollowup.objects.get()
    assert fu.classification == "2" and fu.referral_prompt == "0" and out["id"] == fu.pk
    rules = client.get(f"/api/chronic/diabetes_followup/{fu.pk}/assessment").json()
    assert rules["classification"] == "2" and rules["classification_label"] == "控制不满意"
    assert rules["controlled"] is False and rules["referral_prompt"] == "0"
    assert fu.fasting_glucose == Decimal("8.4") and fu.symptoms == ["2", "4"]
    assert client.get(f"/api/services/diabetes_followup/{fu.pk}").json()["hba1c"] in ("7.9", 7.9)
    resp = client.patch(f"/api/services/diabetes_followup/{fu.pk}", {"fasting_glucose": "6.2", "version": 1},
                        content_type="application/json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    fu.refresh_from_db()
    assert fu.classification == "1" and fu.next_visit_date == R.add_months(days_ago(7), 3)
    stale = client.patch(f"/api/services/diabetes_followup/{fu.pk}", {"fasting_glucose": "9.2", "version": 1},
                         content_type="application/json")
    assert stale.status_code == 409
    timeline = client.get(f"/api/records/{patient.number}/services").json()
    assert timeline[0]["kind"] == "diabetes_followup" and "6.2" in timeline[0]["summary"]


def test_api_refuses_without_enrolment_and_bad_values(client, city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1971, 1, 1)))
    client.force_login(city.doctor)
    body = {"service_date": days_ago(7).isoformat(), "method": "1", "symptoms": ["1"], "sbp": 130, "dbp": 80,
            "adherence": "1"}
    resp = client.post(f"/api/records/{rec.number}/services/hypertension_followup", body,
                       content_type="application/json")
    assert resp.status_code == 422 and "高血压患者健康管理" in str(resp.json()["errors"])
    P.enrol(city.doctor, rec, "hypertension", on=days_ago(30))
    resp = client.post(f"/api/records/{rec.number}/services/hypertension_followup", {**body, "sbp": 70},
                       content_type="application/json")
    assert resp.status_code == 422 and "收缩压必须高于舒张压" in resp.json()["errors"]["sbp"][0]
    assert not HypertensionFollowup.objects.exists()


# --- the due list ---------------------------------------------------------------------------------------------

def test_due_list(city, patient, establish):
    other = establish(id_number=make_id(birth=dt.date(1965, 2, 2)))
    P.enrol(city.doctor, other, "hypertension", on=days_ago(10))
    record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=days_ago(100)))
    urgent = record_service(DiabetesFollowup, patient, city.doctor, dm(service_date=days_ago(20),
                                                                      fasting_glucose=Decimal("18.2")))
    items = due_items(scoped_records(city.doctor), TODAY)
    got = sorted((i.record_id, i.program, i.item, i.due_on, i.kind, i.category) for i in items
                 if i.program in ("hypertension", "diabetes"))  # (the annual examination is the exam program's)
    assert got == sorted([
        (patient.pk, "hypertension", "随访", R.add_months(days_ago(100), 3), "hypertension_followup", "followup"),
        (patient.pk, "diabetes", "随访", days_ago(6), "diabetes_followup", "followup"),
        (patient.pk, "diabetes", "紧急转诊追踪", days_ago(6), "diabetes_followup", "followup"),
        (other.pk, "hypertension", "首次随访", days_ago(10) + dt.timedelta(days=14), "hypertension_followup",
         "followup"),
    ])
    assert urgent.referral_prompt == "2"
    # a later follow-up settles the urgent check; an exited patient drops out
    record_service(DiabetesFollowup, patient, city.doctor, dm(service_date=days_ago(5)))
    P.exit_program(city.doctor, Enrollment.objects.get(record=other), on=days_ago(1), reason="5")
    items = due_items(scoped_records(city.doctor), TODAY, program="diabetes")
    assert [(i.item, i.due_on) for i in items] == [("随访", R.add_months(days_ago(5), 3))]
    assert not due_items(scoped_records(city.doctor), TODAY, program="hypertension") == []
    assert {i.record_id for i in due_items(scoped_records(city.doctor), TODAY)} == {patient.pk}


def test_worklist_page_lists_the_first_followup(client, city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1966, 6, 6)), name="周高压")
    P.enrol(city.doctor, rec, "hypertension", on=days_ago(30))
    rec.responsible_doctor = city.doctor
    rec.save(update_fields=["responsible_doctor"])
    client.force_login(city.doctor)
    page = client.get("/worklist/?scope=institution").content.decode()
    assert "周高压" in page and "首次随访" in page


# --- monitoring figures ---------------------------------------------------------------------------------------

def test_quarterly_monitoring_standard_management_latest_control(city, patient, establish):
    year = TODAY.year - 1
    second = establish(id_number=make_id(birth=dt.date(1955, 5, 5)))
    P.enrol(city.doctor, second, "hypertension", on=dt.date(year - 1, 6, 1))
    for month, (s, d) in zip((2, 5, 8, 11), ((150, 95), (135, 85), (138, 80), (128, 78)), strict=True):
        record_service(HypertensionFollowup, patient, city.doctor, htn(service_date=dt.date(year, month, 10),
                                                                       sbp=s, dbp=d))
    for month, method, (s, d) in ((1, "1", (130, 80)), (4, "3", (132, 80)), (7, "1", (128, 80)),
                                  (10, "2", (160, 98))):
        record_service(HypertensionFollowup, second, city.doctor, htn(service_date=dt.date(year, month, 3),
                                                                      method=method, sbp=s, dbp=d))
    record_service(HypertensionFollowup, second, city.doctor, htn(service_date=dt.date(year, 10, 3), sbp=130,
                                                                  dbp=80))  # same day, entered later: the latest
    assert M.quarters_monitored("hypertension", year) == {patient.pk: {1, 2, 3, 4}, second.pk: {1, 2, 3, 4}}
    assert M.monitored_every_quarter("hypertension", year) == {patient.pk, second.pk}
    assert M.monitored_every_quarter("hypertension", year - 1) == set()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    assert M.standard_management("hypertension", start, end) == {patient.pk, second.pk}  # second: 4 face-to-face
    assert M.latest_controlled("hypertension", start, end) == {patient.pk, second.pk}
    assert M.latest_controlled("hypertension", start, dt.date(year, 10, 1)) == {patient.pk, second.pk}
    assert M.latest_controlled("hypertension", start, dt.date(year, 3, 1)) == {second.pk}
    assert M.standard_management("hypertension", start, dt.date(year, 9, 30)) == set()
    assert M.standard_management("hypertension", start, end,
                                 records=patient.__class__.objects.filter(pk=patient.pk)) == {patient.pk}
    record_service(DiabetesFollowup, patient, city.doctor, dm(service_date=dt.date(year, 2, 2)))
    assert M.quarters_monitored("diabetes", year) == {patient.pk: {1}}
