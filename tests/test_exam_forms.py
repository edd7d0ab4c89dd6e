"""The health examination and the elderly forms through the web form and the API, and the two programs."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from jkda.programs.elderly.models import SelfCareAssessment, TcmConstitution
from jkda.programs.elderly.program import elderly_managed
from jkda.programs.models import Enrollment
from jkda.programs.registry import get as get_program
from jkda.programs.worklist import screening
from jkda.records.models import Record
from jkda.records.rules import today
from jkda.services.actions import record_service
from jkda.services.exam.models import Exam

from .conftest import make_id

TODAY = today()
THIS_YEAR = dt.date(TODAY.year, 1, 2) if TODAY.month > 1 or TODAY.day > 2 else TODAY


def years_ago(n, days=0):
    try:
        d = TODAY.replace(year=TODAY.year - n)
    except ValueError:
        d = TODAY.replace(year=TODAY.year - n, day=28)
    return d - dt.timedelta(days=days)


@pytest.fixture
def old(establish):
    """A woman aged 72."""
    return establish(id_number=make_id(birth=years_ago(72, 30), male=False), name="李奶奶")


@pytest.fixture
def young(establish):
    """A man aged 40."""
    return establish(id_number=make_id(birth=years_ago(40, 30), male=True), name="王建国")


def post_exam(client, record, **data):
    base = {"service_date": TODAY.isoformat(), "symptoms": ["1"], "temperature": "36.6", "pulse": "72",
            "respiration": "18", "bp_left_sbp": "132", "bp_left_dbp": "84", "height": "160.0", "weight": "64.0",
            "waist": "82", "evaluation": "1"}
    base.update(data)
    return client.post(f"/records/{record.number}/services/exam/new/", base)


def api_exam(client, record, **data):
    base = {"service_date": TODAY.isoformat(), "bp_left_sbp": 128, "bp_left_dbp": 80, "height": "170",
            "weight": "65"}
    base.update(data)
    return client.post(f"/api/records/{record.number}/services/exam", json.dumps(base),
                       content_type="application/json")


SELFCARE = {"eating": "1", "grooming": "2", "dressing": "3", "toileting": "1", "moving": "1"}  # 0+1+3+0+0 = 4


# --- web form -----------------------------------------------------------------------------------------------

def test_elderly_exam_through_the_web_form_with_self_care(client, city, old):
    client.force_login(city.doctor)
    resp = client.post(f"/records/{old.number}/services/selfcare/new/", {"service_date": TODAY.isoformat(),
                                                                          **SELFCARE})
    assert resp.status_code == 302, resp.content.decode()[:2000]
    care = SelfCareAssessment.objects.get(record=old)
    assert (care.total, care.level) == (4, "2")

    page = client.get(f"/records/{old.number}/services/exam/new/").content.decode()
    assert "老年人健康状态自我评估" in page and "老年人生活自理能力自我评估" in page
    assert "健康体检表" in page and "一般状况" in page and "辅助检查" in page and "收缩压" in page
    assert "外阴" in page and "宫颈涂片" in page  # a woman
    assert 'value="2" selected' in page  # the self-care level starts from the assessment (轻度依赖)

    resp = post_exam(client, old, health_status="2", selfcare_level="", cognition="2", mmse_score="22",
                     emotion="1", medications_0_name="x", **{
                         "medications-0-name": "硝苯地平缓释片", "medications-0-usage": "口服",
                         "medications-0-dose": "20mg", "medications-0-duration": "3年",
                         "medications-0-adherence": "1", "guidance": ["2"], "risk_control": ["3", "5"],
                         "weight_target": "60"})
    assert resp.status_code == 302, resp.content.decode()[:3000]
    exam = Exam.objects.get(record=old)
    assert exam.bmi == Decimal("25.0")
    assert exam.selfcare_level == "2"  # from this year's assessment
    assert (exam.cognition, exam.mmse_score, exam.health_status) == ("2", 22, "2")
    assert exam.medications == [{"name": "硝苯地平缓释片", "usage": "口服", "dose": "20mg", "duration": "3年",
                                 "adherence": "1"}]
    detail = client.get(resp["Location"]).content.decode()
    assert "25.0" in detail and "轻度依赖" in detail and "规律" in detail and "体质指数" in detail
    assert old.pk in elderly_managed(Record.objects.filter(pk=old.pk), TODAY.year)


def test_forty_year_old_exam_has_no_65_plus_section(client, city, young):
    client.force_login(city.doctor)
    page = client.get(f"/records/{young.number}/services/exam/new/").content.decode()
    assert "收缩压" in page and "体质指数" in page
    assert "老年人健康状态自我评估" not in page and "老年人认知功能" not in page
    assert 'type="hidden" name="health_status"' in page
    assert 'type="hidden" name="vulva"' in page and "宫颈涂片" not in page  # a man: no gynaecology
    # a value sent anyway for the hidden items is ignored
    resp = post_exam(client, young, health_status="1", cognition="2", mmse_score="10", height="175",
                     weight="70")
    assert resp.status_code == 302, resp.content.decode()[:3000]
    exam = Exam.objects.get(record=young)
    assert (exam.health_status, exam.cognition, exam.mmse_score) == ("", "", None)
    assert exam.bmi == Decimal("22.9")


def test_sbp_not_above_dbp_is_refused_on_the_page_in_chinese(client, city, young):
    client.force_login(city.doctor)
    resp = post_exam(client, young, bp_left_sbp="80", bp_left_dbp="90")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "收缩压必须高于舒张压" in page
    assert not Exam.objects.exists()


def test_impossible_measurements_are_refused(client, city, young):
    client.force_login(city.doctor)
    page = post_exam(client, young, temperature="45", height="300").content.decode()
    assert "不可能的数值" in page
    page = post_exam(client, young, height="100", weight="200").content.decode()
    assert "体质指数" in page and "不可能" in page
    assert not Exam.objects.exists()


def test_bmi_cannot_be_typed_in(client, city, young):
    client.force_login(city.doctor)
    assert post_exam(client, young, bmi="99", height="170", weight="65").status_code == 302
    assert Exam.objects.get().bmi == Decimal("22.5")


# --- API ----------------------------------------------------------------------------------------------------

def test_api_exam_computes_bmi_and_refuses_bad_pressure_in_chinese(client, city, young):
    client.force_login(city.doctor)
    resp = api_exam(client, young, bmi="10")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["bmi"] == "22.5" or Decimal(str(body["bmi"])) == Decimal("22.5")
    resp = api_exam(client, young, bp_right_sbp=90, bp_right_dbp=90)
    assert resp.status_code == 422
    assert "收缩压必须高于舒张压" in resp.json()["errors"]["bp_right_sbp"][0]
    resp = api_exam(client, young, bp_right_sbp=120)
    assert resp.status_code == 422 and "bp_right_dbp" in resp.json()["errors"]


def test_api_refuses_65_plus_items_for_a_younger_resident(client, city, young):
    client.force_login(city.doctor)
    resp = api_exam(client, young, health_status="1", selfcare_level="1")
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert "65" in errors["health_status"][0] and "selfcare_level" in errors


def test_api_elderly_exam_and_screen_scores(client, city, old):
    client.force_login(city.doctor)
    resp = api_exam(client, old, emotion="2")
    assert resp.status_code == 422 and "depression_score" in resp.json()["errors"]
    resp = api_exam(client, old, emotion="2", depression_score=11, health_status="3")
    assert resp.status_code == 201 and resp.json()["depression_score"] == 11
    resp = api_exam(client, old, emotion="1", depression_score=3)
    assert resp.status_code == 422


@pytest.mark.parametrize("data,field", [
    ({"smoking_status": "1", "cigarettes_per_day": 10}, "smoking_status"),
    ({"smoking_status": "3", "smoking_quit_age": 40}, "smoking_quit_age"),
    ({"smoking_status": "2", "smoking_start_age": 30, "smoking_quit_age": 20}, "smoking_quit_age"),
    ({"symptoms": ["1", "2"]}, "symptoms"),
    ({"symptoms": ["26"]}, "symptoms"),
    ({"vulva": "1"}, "vulva"),  # a man
    ({"evaluation": "2"}, "abnormality_1"),
    ({"evaluation": "1", "abnormality_1": "血压偏高"}, "evaluation"),
    ({"weight_target": "60"}, "weight_target"),
    ({"medications": [{"name": "x", "adherence": "9"}]}, "medications"),
    ({"hospitalisations": [{"start": "2025-03-01", "end": "2025-02-01"}]}, "hospitalisations"),
    ({"temperature": "30"}, "temperature"),
    ({"pulse": 400}, "pulse"),
])
def test_form_rules_refuse_bad_entries(city, young, data, field):
    with pytest.raises(ValidationError) as exc:
        record_service(Exam, young, city.doctor, {"service_date": TODAY, **data})
    assert field in exc.value.error_dict


def test_timeline_summary(city, young):
    exam = record_service(Exam, young, city.doctor, {"service_date": TODAY, "bp_left_sbp": 150, "bp_left_dbp": 95,
                                                      "height": Decimal("170"), "weight": Decimal("80"),
                                                      "fasting_glucose": Decimal("6.1")})
    assert "150/95" in exam.summary() and "27.7" in exam.summary() and "6.1" in exam.summary()


# --- elderly forms ------------------------------------------------------------------------------------------

def test_selfcare_is_only_for_65_plus(client, city, young):
    client.force_login(city.doctor)
    resp = client.post(f"/api/records/{young.number}/services/selfcare",
                       json.dumps({"service_date": TODAY.isoformat(), **SELFCARE}), content_type="application/json")
    assert resp.status_code == 422


def test_selfcare_api_computes_total_and_band(client, city, old):
    client.force_login(city.doctor)
    resp = client.post(f"/api/records/{old.number}/services/selfcare",
                       json.dumps({"service_date": TODAY.isoformat(), "eating": "4", "grooming": "3",
                                   "dressing": "4", "toileting": "2", "moving": "3", "total": 0}),
                       content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert (resp.json()["total"], resp.json()["level"]) == (19, "4")


def tcm_payload(**over):
    data = {f"q{n}": 1 for n in range(1, 34)}
    data.update(over)
    return {"service_date": TODAY.isoformat(), **data}


def test_tcm_through_the_api_with_guidance_per_positive_type(client, city, old):
    client.force_login(city.doctor)
    record_service(Exam, old, city.doctor, {"service_date": TODAY, "height": Decimal("160"),
                                            "weight": Decimal("70"), "waist": Decimal("88")})
    # BMI 27.3 → Q9 = 4; waist 88 → Q28 = 3; phlegm-damp 4 + 3 + 3 + 1 = 11 → yes
    resp = client.post(f"/api/records/{old.number}/services/tcm_elderly",
                       json.dumps({**tcm_payload(q16=3), "bmi": "27.3", "waist": "88",
                                   "guidance_phlegm_damp": ["2", "4"]}), content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["q9"], body["q28"], body["sum_phlegm_damp"], body["result_phlegm_damp"]) == (4, 3, 11, "1")
    assert body["result_balanced"] == "3" and body["guidance_phlegm_damp"] == ["2", "4"]
    assert body["guidance_qi_deficiency"] == []
    tcm = TcmConstitution.objects.get()
    assert "痰湿质" in tcm.summary()


def test_tcm_needs_every_answer_and_fills_default_guidance(city, old):
    with pytest.raises(ValidationError) as exc:
        record_service(TcmConstitution, old, city.doctor, {"service_date": TODAY, "q1": 3})
    assert "q2" in exc.value.error_dict
    tcm = record_service(TcmConstitution, old, city.doctor, {"service_date": TODAY, **{
        f"q{n}": 1 for n in range(1, 34)}, "q11": 3, "q12": 2, "q13": 2, "q29": 2})
    assert tcm.result_yang_deficiency == "2" and tcm.result_balanced == "2"
    assert tcm.guidance_yang_deficiency == ["1", "2", "3", "4", "5"] and tcm.guidance_balanced
    assert tcm.guidance_qi_deficiency == []


def test_tcm_page_in_chinese(client, city, old):
    client.force_login(city.doctor)
    page = client.get(f"/records/{old.number}/services/tcm_elderly/new/").content.decode()
    assert "您精力充沛吗" in page and "老年人中医药健康管理服务记录表" in page and "没有" in page
    page = client.get(f"/records/{old.number}/services/selfcare/new/").content.decode()
    assert "老年人生活自理能力评估表" in page and "进餐" in page and "轻度依赖" in page


# --- programs -----------------------------------------------------------------------------------------------

def test_elderly_program_lists_the_annual_exam(city, old, young):
    due = list(get_program("elderly").due(Record.objects.all(), TODAY))
    assert [(d.record_id, d.category, d.kind) for d in due] == [(old.pk, "exam", "exam")]
    record_service(Exam, old, city.doctor, {"service_date": TODAY})
    due = list(get_program("elderly").due(Record.objects.all(), TODAY))
    assert [(d.record_id, d.kind) for d in due] == [(old.pk, "selfcare")]
    record_service(SelfCareAssessment, old, city.doctor, {"service_date": TODAY, **SELFCARE})
    assert list(get_program("elderly").due(Record.objects.all(), TODAY)) == []
    assert get_program("elderly").eligible(young, TODAY)
    assert get_program("elderly").eligible(old, TODAY) is None


def test_exam_program_lists_key_populations(city, establish, young):
    poor = establish(id_number=make_id(birth=years_ago(50)), payment=["4"], name="贫困户")
    disabled = establish(id_number=make_id(birth=years_ago(45)), disability=["5"], name="残疾人")
    establish(id_number=make_id(birth=years_ago(45)), disability=["1"], payment=["2"], name="普通人")
    Enrollment.objects.create(record=young, program="hypertension", enrolled_on=TODAY, institution=city.centre)
    due = {d.record_id: d for d in get_program("exam").due(Record.objects.all(), TODAY)}
    assert set(due) == {poor.pk, disabled.pk, young.pk}
    assert all(d.category == "exam" and d.kind == "exam" for d in due.values())
    assert "低收入" in due[poor.pk].item or "low income" in due[poor.pk].item
    record_service(Exam, poor, city.doctor, {"service_date": TODAY})
    due = {d.record_id for d in get_program("exam").due(Record.objects.all(), TODAY)}
    assert due == {disabled.pk, young.pk}
    rows, groups = screening(city.doctor, TODAY)
    assert {r.record.pk for r in rows} >= {disabled.pk, young.pk}


def test_elderly_managed_needs_exam_assessment_and_guidance(city, establish, old):
    other = establish(id_number=make_id(birth=years_ago(80), male=False), name="张奶奶")
    record_service(Exam, old, city.doctor, {"service_date": TODAY, "guidance": ["2"]})
    record_service(Exam, other, city.doctor, {"service_date": TODAY})
    record_service(SelfCareAssessment, other, city.doctor, {"service_date": TODAY, **SELFCARE})
    assert elderly_managed({old.pk, other.pk}, TODAY.year) == set()  # old: no assessment; other: no guidance
    record_service(SelfCareAssessment, old, city.doctor, {"service_date": TODAY, **SELFCARE})
    record_service(TcmConstitution, other, city.doctor, {"service_date": TODAY, **{
        f"q{n}": 2 for n in range(1, 34)}})
    assert elderly_managed([old.pk, other.pk], TODAY.year) == {old.pk, other.pk}
    assert elderly_managed(Record.objects.all(), TODAY.year - 1) == set()


def test_api_patch_recomputes_bmi_and_checks_the_version(client, city, young):
    client.force_login(city.doctor)
    exam_id = api_exam(client, young).json()["id"]
    resp = client.patch(f"/api/services/exam/{exam_id}", json.dumps({"weight": "80", "version": 1}),
                        content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert Decimal(str(resp.json()["bmi"])) == Decimal("27.7") and resp.json()["version"] == 2
    stale = client.patch(f"/api/services/exam/{exam_id}", json.dumps({"weight": "81", "version": 1}),
                         content_type="application/json")
    assert stale.status_code == 409
    assert client.get(f"/api/services/exam/{exam_id}").json()["weight"] in ("80.0", 80.0, "80")


def test_record_page_shows_the_elderly_program_and_the_forms(client, city, old, young):
    client.force_login(city.doctor)
    page = client.get(f"/records/{old.number}/").content.decode()
    assert "老年人健康管理" in page and "健康体检表" in page and "老年人生活自理能力评估表" in page
    page = client.get(f"/records/{young.number}/").content.decode()
    assert "健康体检表" in page and "老年人生活自理能力评估表" not in page
