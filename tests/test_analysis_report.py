"""The half-year analysis report: figures worked out by hand on a small district, the Word document's tables equal
the figures, bad input and scope give Chinese errors (domain, CLI and web), bureaus get counts only."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation
from docx import Document

from jkda.access.models import AuditEntry
from jkda.indicators.analysis.document import render_docx
from jkda.indicators.analysis.report import build_report, parse_half_year
from jkda.programs import actions as P
from jkda.programs.child.models import PreschoolCheck
from jkda.programs.chronic.models import DiabetesFollowup, HypertensionFollowup
from jkda.programs.elderly.models import SelfCareAssessment
from jkda.programs.mental.models import SmiFollowup, SmiProfile
from jkda.records import actions as RA
from jkda.records.models import Resident
from jkda.regions.models import Division, Institution, Staff
from jkda.services.actions import record_service
from jkda.services.exam.models import Exam

from .conftest import PASSWORD, make_id, resident_data

D = dt.date
H1 = "2026H1"


@pytest.fixture(autouse=True)
def _chinese():
    with translation.override("zh-hans"):
        yield


ESTABLISHED = D(2025, 12, 1)


def rec(city, *, birth, male=True, institution=None, village=None, on=ESTABLISHED, **fields):
    institution = institution or city.centre
    actor = city.doctor if institution in (city.centre, city.station) else city.town_doctor
    return RA.establish_record(actor, Resident(**resident_data(id_number=make_id(birth=birth, male=male), **fields)),
                               institution=institution, village=village or city.v1, established_on=on)


EXAM = {"symptoms": ["1"], "evaluation": "1"}


def exam(city, record, on, actor=None, **data):
    return record_service(Exam, record, actor or city.doctor, {**EXAM, "service_date": on, **data})


def htn(on, sbp, dbp):
    return {"service_date": on, "method": "1", "symptoms": ["1"], "sbp": sbp, "dbp": dbp, "adherence": "1",
            "adverse_reaction": "1"}


@pytest.fixture
def district(city):
    """Ten records; eight open at the end of 2026H1 (see the comments); the figures of the tests follow from them."""
    c = city
    d = type("District", (), {})()
    # A: 71, hypertension on the record and under management, two uncontrolled visits, examined, moderately dependent
    d.a = rec(c, birth=D(1955, 3, 1), name="甲老伯", past_diseases=[{"code": "2", "date": "2010-01", "note": ""}])
    P.enrol(c.doctor, d.a, "hypertension", on=D(2026, 1, 10), source="1")
    record_service(HypertensionFollowup, d.a, c.doctor, htn(D(2026, 2, 10), 150, 95))
    record_service(HypertensionFollowup, d.a, c.doctor, htn(D(2026, 5, 10), 158, 96))
    record_service(SelfCareAssessment, d.a, c.doctor, {"service_date": D(2026, 4, 1), "eating": "3",
                                                       "grooming": "3", "dressing": "3", "toileting": "1",
                                                       "moving": "1"})
    exam(c, d.a, D(2026, 3, 1), smoking_status="3", cigarettes_per_day=10, drinking_frequency="4",
         exercise_frequency="4", diet=["4"], height=Decimal("170"), weight=Decimal("75"), waist=Decimal("92"),
         bp_left_sbp=150, bp_left_dbp=95, fasting_glucose=Decimal("6.1"), cerebrovascular=["2"], evaluation="2",
         abnormality_1="血压偏高")
    # B: 50, woman, diabetes under management, controlled, examined (obese, central obesity), overdue in the end
    d.b = rec(c, birth=D(1976, 1, 10), male=False, name="乙女士",
              past_diseases=[{"code": "3", "date": "2018-06", "note": ""}])
    P.enrol(c.doctor, d.b, "diabetes", on=D(2026, 1, 5), source="1")
    record_service(DiabetesFollowup, d.b, c.doctor, {"service_date": D(2026, 3, 15), "method": "1", "symptoms": ["1"],
                                                     "fasting_glucose": Decimal("6.5"), "adherence": "1",
                                                     "adverse_reaction": "1", "hypoglycaemia": "1"})
    exam(c, d.b, D(2026, 2, 1), smoking_status="1", drinking_frequency="1", exercise_frequency="1", diet=["1"],
         height=Decimal("160"), weight=Decimal("80"), waist=Decimal("88"), bp_left_sbp=120, bp_left_dbp=80,
         fasting_glucose=Decimal("6.8"), evaluation="2", abnormality_1="血脂异常")
    # C: 40, two examinations: only the latest one (quit smoking, normal) counts
    d.c = rec(c, birth=D(1986, 6, 15), name="丙先生")
    exam(c, d.c, D(2026, 1, 15), smoking_status="3", evaluation="2", abnormality_1="早期异常")
    exam(c, d.c, D(2026, 4, 20), smoking_status="2", smoking_quit_age=38, drinking_frequency="2",
         height=Decimal("175"), weight=Decimal("70"), waist=Decimal("80"), bp_left_sbp=130, bp_left_dbp=85)
    # D: a child of 4 with a check in the period
    d.d = rec(c, birth=D(2022, 3, 1), male=False, name="丁小妹")
    record_service(PreschoolCheck, d.d, c.doctor, {"month_age": "48", "service_date": D(2026, 3, 10),
                                                   "weight": "16.2", "length": "103.5", "growth_eval": "1"})
    # E: 40, severe mental disorder (schizophrenia), unstable at the follow-up in March, overdue in the end
    d.e = rec(c, birth=D(1986, 2, 2), name="戊先生", past_diseases=[{"code": "8", "date": "2020-01", "note": ""}])
    P.enrol(c.doctor, d.e, "smi", on=D(2026, 1, 20), source="1")
    record_service(SmiProfile, d.e, c.doctor, {"service_date": D(2026, 1, 20), "consent": "1", "consent_signer": "2",
                                               "guardian_name": "戊母", "guardian_relation": "2",
                                               "consent_date": D(2026, 1, 20), "diagnosis": "1",
                                               "past_symptoms": ["1"]})
    record_service(SmiFollowup, d.e, c.doctor, {
        "service_date": D(2026, 3, 1), "method": "2", "risk": "3", "symptoms": [], "insight": "1", "sleep": "1",
        "appetite": "1", "personal_care": "1", "housework": "1", "work": "2", "learning": "1", "social": "2",
        "adherence": "1", "adverse": "1", "referral": "2", "referral_to": "市广济医院", "referral_reason": "不稳定",
        "drugs": [{"name": "利培酮片", "usage": "2", "dose": "2mg"}]})
    # F: died in May (closed before the end: not counted); G: moved away in August (open at the end: counted)
    d.f = rec(c, birth=D(1946, 1, 1), male=False, name="己奶奶")
    RA.close_record(c.doctor, d.f, reason="1", closed_on=D(2026, 5, 1))
    d.g = rec(c, birth=D(1981, 1, 1), name="庚先生", on=D(2025, 6, 1))
    RA.close_record(c.doctor, d.g, reason="2", closed_on=D(2026, 8, 1))
    # H: established after the period (not counted)
    d.h = rec(c, birth=D(1970, 1, 1), name="辛先生", on=D(2026, 7, 15))
    # I: 60, at the township hospital, hypertension under management since 2025, never followed up: overdue
    d.i = rec(c, birth=D(1966, 1, 1), male=False, name="壬阿姨", institution=c.hospital, village=c.v3,
              past_diseases=[{"code": "2", "date": "2015-01", "note": ""}])
    P.enrol(c.town_doctor, d.i, "hypertension", on=D(2025, 6, 1), source="1")
    # J: 30, pregnant, registered in February
    d.j = rec(c, birth=D(1996, 4, 4), male=False, name="癸女士")
    P.enrol(c.doctor, d.j, "maternal", on=D(2026, 2, 1), source="1")
    return d


def test_half_year_parsing_and_errors():
    assert parse_half_year("2026H1").start == D(2026, 1, 1) and parse_half_year("2026h2").end == D(2026, 12, 31)
    for bad in ("2026H3", "2026", "H1", "", "2026-1"):
        with pytest.raises(ValidationError) as exc:
            parse_half_year(bad)
        assert "不是有效的半年度" in exc.value.messages[0], exc.value.messages
    with pytest.raises(ValidationError) as exc:
        parse_half_year("2026H2", today=D(2026, 6, 1))
    assert "尚未开始" in exc.value.messages[0]


def by_key(rows, key="key"):
    return {r[key]: r for r in rows}


def test_figures_of_the_district(city, district):
    r = build_report(city.county.code, H1, city.bureau_user)
    assert r["title"] == "吴中区2026年上半年居民健康状况分析报告"
    assert r["records"] == 8  # A B C D E G I J
    g = by_key(r["groups"])
    assert (g["child"]["records"], g["child"]["served"], g["child"]["enrolled"]) == (1, 1, None)
    assert (g["maternal"]["records"], g["maternal"]["served"], g["maternal"]["enrolled"]) == (1, 0, 1)
    assert (g["adult"]["records"], g["adult"]["served"]) == (6, 2)  # B C E G I J; examined: B C
    assert g["adult"]["served_share"] == 33.3
    assert (g["elderly"]["records"], g["elderly"]["served"]) == (1, 1)
    assert (g["hypertension"]["records"], g["hypertension"]["served"], g["hypertension"]["enrolled"]) == (2, 1, 2)
    assert (g["diabetes"]["records"], g["diabetes"]["served"], g["diabetes"]["enrolled"]) == (1, 1, 1)
    assert (g["smi"]["records"], g["smi"]["served"], g["smi"]["enrolled"]) == (1, 1, 1)
    assert (g["tb"]["records"], g["tb"]["served"], g["tb"]["enrolled"]) == (0, 0, 0)

    p = r["problems"]
    assert (p["records"], p["examined"]) == (8, 3)
    got = {(x["problem"], x["source"]): (x["count"], x["share"]) for x in p["rows"]}
    assert got == {
        ("高血压", "既往史或专项管理"): (2, 25.0),
        ("糖尿病", "既往史或专项管理"): (1, 12.5),
        ("严重精神障碍", "既往史或专项管理"): (1, 12.5),
        ("精神分裂症", "严重精神障碍诊断"): (1, 12.5),
        ("脑血管疾病：缺血性卒中", "体检现存主要健康问题"): (1, 33.3),
        ("血压偏高", "体检异常"): (1, 33.3),
        ("血脂异常", "体检异常"): (1, 33.3),
    }
    assert p["rows"][0]["problem"] == "高血压" and [x["rank"] for x in p["rows"]] == list(range(1, 8))
    assert [x["count"] for x in p["rows"]] == sorted((x["count"] for x in p["rows"]), reverse=True)

    life = by_key(r["lifestyle"]["rows"])
    assert r["lifestyle"]["examined"] == 3
    expected = {  # key: (count, denominator)
        "smoker": (1, 3), "quit_smoking": (1, 3), "drink_daily": (1, 3), "drink_often": (0, 3),
        "no_exercise": (1, 2), "exercise_daily": (1, 2), "salty": (1, 2), "oily": (0, 2), "meat": (0, 2),
        "underweight": (0, 3), "overweight": (1, 3), "obese": (1, 3), "central_obesity": (2, 3), "high_bp": (1, 3),
        "high_glucose": (0, 2),
    }
    for key, (n, den) in expected.items():
        assert (life[key]["count"], life[key]["denominator"]) == (n, den), key
    assert life["central_obesity"]["share"] == 66.7

    ctl = by_key(r["control"])
    assert (ctl["hypertension"]["managed"], ctl["hypertension"]["followed"], ctl["hypertension"]["controlled"],
            ctl["hypertension"]["rate"]) == (2, 1, 0, 0.0)
    assert (ctl["diabetes"]["managed"], ctl["diabetes"]["controlled"], ctl["diabetes"]["rate"]) == (1, 1, 100.0)
    assert (ctl["smi"]["managed"], ctl["smi"]["followed"], ctl["smi"]["controlled"]) == (1, 1, 0)

    t = r["targets"]
    assert {c["key"]: c["count"] for c in t["categories"]} == {
        "uncontrolled_hypertension": 1, "uncontrolled_diabetes": 0, "unstable_smi": 1, "dependent_elderly": 1,
        "overdue": 3}  # overdue: B (diabetes, last visit 15 March), E (March), I (never)
    assert t["total"] == 6
    assert t["people"] is None and r["show_identities"] is False  # the bureau gets counts only
    assert any("高血压" in s and "2人" in s for s in r["plans"])


def test_institution_report_with_names_for_the_record_manager(city, district):
    r = build_report(city.centre.code, H1, city.manager)
    assert r["records"] == 7  # I is managed by the township hospital
    assert r["show_identities"] is True
    people = r["targets"]["people"]
    assert {(p["name"], p["category"]) for p in people} == {
        ("甲老伯", "血压未控制的高血压患者"), ("戊先生", "病情不稳定的严重精神障碍患者"),
        ("甲老伯", "中度及以上依赖的老年人"), ("乙女士", "在管但近90天未随访的患者"),
        ("戊先生", "在管但近90天未随访的患者")}
    a = next(p for p in people if p["category"] == "血压未控制的高血压患者")
    assert "*" in a["id_number"] and a["id_number"] != district.a.resident.id_number
    assert a["id_number"][:4] == district.a.resident.id_number[:4] and a["age"] == 71
    assert "158/96" in a["detail"]
    b = next(p for p in people if p["name"] == "乙女士")
    assert b["detail"] == "2型糖尿病患者健康管理"


def pct(v):
    return "—" if v is None else f"{v:.1f}"


def cells(table):
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_tables_equal_the_figures(city, district):
    r = build_report(city.centre.code, H1, city.manager)
    doc = Document(io.BytesIO(render_docx(r)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert doc.paragraphs[0].text == "长桥社区卫生服务中心2026年上半年居民健康状况分析报告"
    assert f"生成日期：{r['generated_on']}" in text
    assert "王医生" not in text and "钱管理" in doc.sections[0].header.paragraphs[0].text  # the watermark line
    assert "钱管理" in doc.paragraphs[-1].text and r["generated_at"] in doc.paragraphs[-1].text
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["一、基本情况", "二、各人群健康状况", "三、主要健康问题"]
    assert "七、计划与干预措施" in headings
    groups, problems, lifestyle, control, targets, people, evaluation = doc.tables
    assert cells(groups)[0] == ["人群", "建档人数", "本期服务人数", "服务率（%）", "在管人数"]
    assert cells(groups)[1:] == [[g["label"], str(g["records"]), str(g["served"]), pct(g["served_share"]),
                                  "—" if g["enrolled"] is None else str(g["enrolled"])] for g in r["groups"]]
    assert cells(groups)[1] == ["0～6岁儿童", "1", "1", "100.0", "—"]
    assert cells(problems)[1:] == [[str(x["rank"]), x["problem"], x["source"], str(x["count"]), pct(x["share"])]
                                   for x in r["problems"]["rows"]]
    assert cells(lifestyle)[1:] == [[x["factor"], str(x["count"]), str(x["denominator"]),
                                     pct(x["share"])]
                                    for x in r["lifestyle"]["rows"]]
    assert cells(control)[1:] == [[x["label"], str(x["managed"]), str(x["followed"]), str(x["controlled"]),
                                   pct(x["rate"])] for x in r["control"]]
    assert cells(targets)[1:] == [[x["label"], str(x["count"])] for x in r["targets"]["categories"]] + [
        ["合计", str(r["targets"]["total"])]]
    assert len(cells(people)) == 1 + len(r["targets"]["people"])
    assert all("*" in row[4] for row in cells(people)[1:])
    assert len(cells(evaluation)) == 1 + len(r["plans"])
    # East Asian font on the runs
    run = doc.paragraphs[0].runs[0]
    assert run.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_bureau_docx_has_counts_only(city, district):
    doc = Document(io.BytesIO(render_docx(build_report(city.county.code, H1, city.bureau_user))))
    assert len(doc.tables) == 6  # no table of names
    text = "\n".join(p.text for p in doc.paragraphs) + "".join(c.text for t in doc.tables for r in t.rows
                                                               for c in r.cells)
    assert "甲老伯" not in text and "仅提供人数" in text


def test_scope_and_unknown_area(city, district):
    other = Division.objects.create(code="320507", name="相城区", level="county")
    Institution.objects.create(code="B320507", name="相城区卫生健康局", kind="bureau", division=other)
    with pytest.raises(PermissionDenied) as exc:
        build_report("320507", H1, city.doctor)
    assert "不在您的管辖范围内" in str(exc.value)
    with pytest.raises(PermissionDenied):
        build_report("320506", H1, city.doctor)  # the centre reports on its street, not the whole district
    with pytest.raises(PermissionDenied):
        build_report(city.hospital.code, H1, city.manager)
    assert build_report(city.street.code, H1, city.doctor)["records"] == 7
    assert build_report(city.v1.code, H1, city.station_doctor)["records"] == 0  # the station manages none
    with pytest.raises(ValidationError) as exc:
        build_report("999999", H1, city.bureau_user)
    assert "找不到代码为“999999”的地区或机构" in exc.value.messages[0]


def test_city_level_division_collects_its_counties(city, district):
    prefecture = Division.objects.create(code="320500", name="苏州市", level="city")
    Division.objects.filter(pk=city.county.pk).update(parent=prefecture)
    assert build_report("320500", H1, None)["records"] == 8


# --- CLI ----------------------------------------------------------------------------------------------------------

def test_cli_writes_the_docx_and_audits(city, district, tmp_path, capsys):
    out = tmp_path / "report.docx"
    call_command("analysis", area="320506", half="2026H1", out=str(out))
    doc = Document(str(out))
    assert doc.paragraphs[0].text == "吴中区2026年上半年居民健康状况分析报告"
    assert len(doc.tables) == 6  # no user: counts only
    entry = AuditEntry.objects.filter(action="export", object_type="analysis_report").get()
    assert entry.object_id == "320506" and "2026H1" in entry.detail
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,message", [
    ({"area": "320506", "half": "2026H3"}, "不是有效的半年度"),
    ({"area": "NOPE", "half": "2026H1"}, "找不到代码为“NOPE”的地区或机构"),
    ({"area": "320506", "half": "2026H1", "user": "nobody"}, "没有有效的工作人员账号"),
    ({"area": "320506", "half": "2026H1", "user": "doctor"}, "不在您的管辖范围内"),
])
def test_cli_errors_in_chinese(city, tmp_path, kwargs, message):
    out = tmp_path / "x.docx"
    with pytest.raises(CommandError) as exc:
        call_command("analysis", out=str(out), **kwargs)
    assert message in str(exc.value)
    assert not out.exists()


# --- web ----------------------------------------------------------------------------------------------------------

def test_web_form_downloads_the_docx_and_audits(client, city, district):
    client.force_login(city.manager)
    page = client.get(reverse("analysis_report"))
    html = page.content.decode()
    assert page.status_code == 200 and "半年度" in html and 'href="/analysis/"' in html  # and the nav link
    assert '<option value="C001">' in html and '<option value="2026H1">' in html
    resp = client.post(reverse("analysis_report"), {"area": city.centre.code, "half_year": "2026H1"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "attachment" in resp["Content-Disposition"]
    doc = Document(io.BytesIO(resp.content))
    assert "manager" in doc.sections[0].header.paragraphs[0].text
    assert len(doc.tables) == 7  # with the table of names
    entry = AuditEntry.objects.filter(action="export", object_type="analysis_report").get()
    assert entry.actor == city.manager and entry.object_id == city.centre.code and '"people": 5' in entry.detail


@pytest.mark.parametrize("data,message", [
    ({"area": "320506", "half_year": "2026H3"}, "不是有效的半年度"),
    ({"area": "XYZ", "half_year": "2026H1"}, "找不到代码为“XYZ”的地区或机构"),
    ({"area": "", "half_year": ""}, "这个字段是必填项"),
])
def test_web_bad_input_in_chinese(client, city, data, message):
    client.force_login(city.bureau_user)
    resp = client.post(reverse("analysis_report"), data)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/html")
    assert message in resp.content.decode()
    assert not AuditEntry.objects.filter(action="export").exists()


def test_web_scope_and_roles(client, city):
    other = Division.objects.create(code="320507", name="相城区", level="county")
    client.force_login(city.manager)
    resp = client.post(reverse("analysis_report"), {"area": other.code, "half_year": "2026H1"})
    assert resp.status_code == 200 and "不在您的管辖范围内" in resp.content.decode()
    assert AuditEntry.objects.filter(action="export", outcome="denied").exists()
    client.force_login(city.doctor)
    assert client.get(reverse("analysis_report")).status_code == 403
    head = Staff.objects.create_user(username="head", password=PASSWORD, institution=city.hospital, role="head")
    client.force_login(head)
    assert client.get(reverse("analysis_report")).status_code == 200


def test_running_half_year_is_counted_up_to_today(city, district):
    from django.utils import timezone

    r = build_report(city.county.code, "2026H2", city.bureau_user)
    today = timezone.localdate()
    assert r["period"]["as_of"] == min(D(2026, 12, 31), today).isoformat()
    assert r["records"] == 8  # G closed in August drops out, H established in July comes in
    assert r["title"] == "吴中区2026年下半年居民健康状况分析报告"
    # nothing was examined or followed up in the second half
    assert r["lifestyle"]["examined"] == 0 and all(x["share"] is None for x in r["lifestyle"]["rows"])
    assert {c["key"]: c["followed"] for c in r["control"]} == {"hypertension": 0, "diabetes": 0, "smi": 0}
    doc = Document(io.BytesIO(render_docx(r)))
    if r["period"]["as_of"] != "2026-12-31":
        assert f"数据截至{r['period']['as_of']}" in doc.paragraphs[1].text


def test_queries_do_not_grow_with_the_residents(city, district):
    """Every figure is a grouped query: more residents, more forms, the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            build_report(city.centre.code, H1, city.manager)
        return len(ctx.captured_queries)

    before = count()
    for i in range(3):
        r = rec(city, birth=D(1950 + i, 1, 1), name=f"新增{i}", past_diseases=[{"code": "2", "date": "2010-01"}])
        P.enrol(city.doctor, r, "hypertension", on=D(2026, 1, 2), source="1")
        record_service(HypertensionFollowup, r, city.doctor, htn(D(2026, 6, 1), 160, 100))
        exam(city, r, D(2026, 5, 1), smoking_status="3", cigarettes_per_day=5, evaluation="2",
             abnormality_2=f"异常{i}")
    assert count() == before
    r = build_report(city.centre.code, H1, city.manager)
    assert {c["key"]: c["count"] for c in r["targets"]["categories"]}["uncontrolled_hypertension"] == 4
