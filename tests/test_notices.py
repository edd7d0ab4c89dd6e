"""The notice (通报) on an indicator: figures, ranks, met / below / criticised lists on a hand-built data set, the
Word and Excel files against the JSON cell by cell, `jkda notice`, bad inputs, the page with its downloads (scope
and audit) and the ranking API."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from docx import Document
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from jkda.access.models import AuditEntry
from jkda.indicators import periods
from jkda.indicators.notices.notice import NoticeError, build_notice, default_deadline, engine_level, parse_percent
from jkda.indicators.notices.render import cell_text, render_docx, render_xlsx
from jkda.records import actions
from jkda.records.models import Resident
from jkda.regions.models import Division, Institution, PopulationBase, Staff

from .conftest import PASSWORD, login_verified, resident_data

IND = "electronic_record_rate"


def year() -> int:
    return periods.today().year


@pytest.fixture
def data(city):
    """Two districts of one city. Resident population / records (electronic record rate):

        吴中区  长桥街道  C001 长桥社区卫生服务中心  10 / 6   60 %   (exactly the target: met)
                          S001 新家社区卫生服务站     2 / 0    0 %   (below the criticism line)
                木渎镇    T101 木渎镇卫生院           8 / 4   50 %   } a tie
                          V101 金星村卫生室           4 / 2   50 %   }
        相城区  元和街道  C201 元和社区卫生服务中心   5 / 4   80 %
    """
    city_div = Division.objects.create(code="320500", name="苏州市", level="city")
    Division.objects.filter(pk=city.county.pk).update(parent=city_div)
    county2 = Division.objects.create(code="320507", name="相城区", level="county", parent=city_div)
    t2 = Division.objects.create(code="320507001", name="元和街道", level="township", parent=county2)
    v4 = Division.objects.create(code="320507001001", name="元和社区", level="village", parent=t2)
    city_bureau = Institution.objects.create(code="B320500", name="苏州市卫生健康委员会", kind="bureau",
                                             division=city_div)
    city.bureau.parent = city_bureau
    city.bureau.save()
    bureau2 = Institution.objects.create(code="B320507", name="相城区卫生健康委员会", kind="bureau", division=county2,
                                         parent=city_bureau)
    c201 = Institution.objects.create(code="C201", name="元和社区卫生服务中心", kind="chc", division=t2, parent=bureau2)
    y = year()
    plan = [(city.centre, city.v1, 10, 6), (city.station, city.v1, 2, 0), (city.hospital, city.v3, 8, 4),
            (city.clinic, city.v3, 4, 2), (c201, v4, 5, 4)]
    for inst, village, population, records in plan:
        PopulationBase.objects.create(institution=inst, year=y, resident_population=population)
        for _ in range(records):
            actions.establish_record(None, Resident(**resident_data()), institution=inst, village=village)
    city.city_div, city.county2, city.t2, city.c201 = city_div, county2, t2, c201
    city.city_bureau, city.bureau2 = city_bureau, bureau2
    city.city_user = Staff.objects.create_user(username="city_bureau", password=PASSWORD, institution=city_bureau,
                                               role="bureau", full_name="周处长")
    return city


def build(level="township", target=60, line=30, within=None, **kw):
    return build_notice(IND, str(year()), level, target, line, within, **kw)


# --- the figures ----------------------------------------------------------------------------------------------

def test_hand_built_figures_at_township_level(data):
    n = build("township")
    assert n["indicator"] == IND and n["period"] == str(year()) and n["level"] == "township"
    assert n["target"] == 60 and n["criticize_below"] == 30
    assert n["total"] == {"population": 29, "numerator": 16, "rate": 55.17}  # 16/29 = 55.172…%
    areas = {a["name"]: a for a in n["areas"]}
    assert [a["name"] for a in n["areas"]][0] == "元和街道"
    assert areas["元和街道"] == {"code": "320507001", "name": "元和街道", "population": 5, "numerator": 4,
                                 "rate": 80.0, "rank": 1, "met": True}
    # 长桥街道 6/12 and 木渎镇 6/12: a tie shares rank 2
    assert (areas["长桥街道"]["rate"], areas["长桥街道"]["rank"], areas["长桥街道"]["met"]) == (50.0, 2, False)
    assert (areas["木渎镇"]["rate"], areas["木渎镇"]["rank"], areas["木渎镇"]["met"]) == (50.0, 2, False)
    # below 60 %, best first, worst last; the tie in code order; C001 at exactly 60 % has met the target
    below = n["institutions_below_target"]
    assert [(r["code"], r["area"], r["population"], r["numerator"], r["rate"]) for r in below] == [
        ("T101", "木渎镇", 8, 4, 50.0), ("V101", "木渎镇", 4, 2, 50.0), ("S001", "长桥街道", 2, 0, 0.0)]
    assert [r["code"] for r in n["criticized"]] == ["S001"]
    assert n["criticized"][0]["name"] == "新家社区卫生服务站"
    assert n["counts"] == {"areas": 3, "areas_with_population": 3, "areas_met": 1, "institutions": 5,
                           "institutions_with_population": 5, "institutions_met": 2, "institutions_below_target": 3,
                           "criticized": 1}
    assert n["institutions_without_population"] == []


def test_district_level_and_institution_areas(data):
    n = build("district")  # the user word for the engine's "county"
    assert n["level"] == "county"
    assert [(a["name"], a["population"], a["numerator"], a["rate"], a["rank"], a["met"]) for a in n["areas"]] == [
        ("相城区", 5, 4, 80.0, 1, True), ("吴中区", 24, 12, 50.0, 2, False)]
    # the institutions' area is the district they belong to
    assert {r["code"]: r["area"] for r in n["institutions_below_target"]} == {
        "T101": "吴中区", "V101": "吴中区", "S001": "吴中区"}
    assert n["counts"]["areas_met"] == 1
    # a lower target: every area meets it, C001's tie-free 60 % still met, and no one is criticised at 0
    n = build("county", target=50, line=0)
    assert all(a["met"] for a in n["areas"])
    assert [r["code"] for r in n["institutions_below_target"]] == ["S001"]
    assert n["criticized"] == []


def test_within_a_district(data):
    n = build("township", within=data.county)
    assert [a["name"] for a in n["areas"]] == ["木渎镇", "长桥街道"] or [a["name"] for a in n["areas"]] == [
        "长桥街道", "木渎镇"]
    assert all(a["rank"] == 1 for a in n["areas"])  # the tie, alone
    assert n["total"] == {"population": 24, "numerator": 12, "rate": 50.0}
    assert "C201" not in {r["code"] for r in n["institutions_below_target"]}
    assert n["counts"]["institutions"] == 4
    assert n["within"] == {"code": "320506", "name": "吴中区"}
    assert n["document"]["paragraphs"][2]["text"].startswith("吴中区")


def test_exact_rates_decide_not_the_printed_ones(data):
    """2/3 prints as 66.67 %, yet it is below a target of 66.67 %: met and below are decided on the exact rate."""
    PopulationBase.objects.filter(institution=data.clinic).update(resident_population=3)  # V101: 2/3
    n = build("institution", target="66.67", line="0")
    rates = {r["code"]: (r["rate"], r["met"]) for r in n["areas"]}
    assert rates["V101"] == (66.67, False)
    assert rates["C201"] == (80.0, True)
    assert [r["code"] for r in n["institutions_below_target"]] == ["V101", "C001", "T101", "S001"]
    assert n["institutions_below_target"][0]["rate"] == 66.67


def test_text_of_the_notice(data):
    n = build("township", number="苏卫基层〔2026〕12号", date=dt.date(year(), 5, 20))
    doc = n["document"]
    assert doc["issuer"] == "苏州市卫生健康委员会"  # the city-level bureau by default
    assert doc["number"] == "苏卫基层〔2026〕12号"
    assert doc["title"] == f"关于{year()}年电子建档率情况的通报"
    assert doc["addressees"] == "各区（县）卫生健康委员会"
    assert doc["deadline"] == dt.date(year(), 7, 31).isoformat()  # the last day of the month after next
    text = "\n".join(p["text"] for p in doc["paragraphs"])
    assert "全市常住人口数为29" in text and "55.17%" in text
    assert "3个镇（街道）中有1个达到目标" in text and "5家机构中有2家达到目标" in text
    assert "新家社区卫生服务站（长桥街道，0.00%）" in text  # criticised by name
    assert f"于{year()}年7月31日前完成整改" in text
    assert n["counts"]["criticized"] == 1


# --- Word and Excel against the JSON ----------------------------------------------------------------------------

def _expected_annexes(n):
    annex1 = [[cell_text(a["rank"]), a["name"], str(a["population"]), str(a["numerator"]), cell_text(a["rate"], True)]
              for a in n["areas"]]
    annex1.append(["", "合计", str(n["total"]["population"]), str(n["total"]["numerator"]),
                   cell_text(n["total"]["rate"], True)])
    annex2 = [[str(i), r["area"], r["name"], str(r["population"]), str(r["numerator"]), f"{r['rate']:.2f}"]
              for i, r in enumerate(n["institutions_below_target"], 1)]
    return annex1, annex2


@pytest.mark.parametrize("level", ["township", "county", "institution"])
def test_docx_tables_match_the_json(data, level):
    n = json.loads(json.dumps(build(level, number="苏卫基层〔2026〕12号")))  # what notice.json holds
    document = Document(io.BytesIO(render_docx(n)))
    tables = document.tables
    assert len(tables) == 2
    annex1, annex2 = _expected_annexes(n)
    lab = n["labels"]
    assert [c.text for c in tables[0].rows[0].cells] == [lab["rank"], lab["area"], lab["population"],
                                                         lab["numerator"], lab["rate"]]
    assert [[c.text for c in row.cells] for row in tables[0].rows[1:]] == annex1
    assert [c.text for c in tables[1].rows[0].cells] == ["序号", lab["institution_area"], "机构", "常住人口数",
                                                         "电子健康档案数（份）", "电子建档率（%）"]
    assert [[c.text for c in row.cells] for row in tables[1].rows[1:]] == annex2
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "苏州市卫生健康委员会"
    assert paragraphs[1] == "苏卫基层〔2026〕12号"
    assert n["document"]["title"] in paragraphs
    assert "附件1" in paragraphs and "附件2" in paragraphs
    assert n["document"]["date_text"] in paragraphs
    for p in n["document"]["paragraphs"]:
        assert p["text"] in paragraphs
    # red head in 方正小标宋, body in 仿宋_GB2312, headings in 黑体 (East Asian font names)
    head = document.paragraphs[0].runs[0]
    assert str(head.font.color.rgb) == "C00000"
    assert head._element.rPr.rFonts.get(qn("w:eastAsia")) == "方正小标宋简体"
    heading = next(p for p in document.paragraphs if p.text == "一、总体情况")
    assert heading.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    body = next(p for p in document.paragraphs if p.text.startswith("为贯彻落实"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"


@pytest.mark.parametrize("level", ["township", "county"])
def test_xlsx_tables_match_the_json(data, level):
    n = json.loads(json.dumps(build(level)))
    wb = load_workbook(io.BytesIO(render_xlsx(n)))
    assert wb.sheetnames == ["附件1", "附件2", "被通报批评"]
    ws = wb["附件1"]
    assert ws.cell(1, 1).value == n["document"]["annexes"][0]
    lab = n["labels"]
    assert [c.value for c in ws[2]] == [lab["rank"], lab["area"], lab["population"], lab["numerator"], lab["rate"]]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    expected = [[a["rank"], a["name"], a["population"], a["numerator"], a["rate"]] for a in n["areas"]]
    expected.append([None, "合计", n["total"]["population"], n["total"]["numerator"], n["total"]["rate"]])
    assert rows == expected
    for row in ws.iter_rows(min_row=3):
        assert row[4].number_format == "0.00"
        assert isinstance(row[2].value, int) and isinstance(row[4].value, int | float)
    for sheet, key in (("附件2", "institutions_below_target"), ("被通报批评", "criticized")):
        ws = wb[sheet]
        assert [c.value for c in ws[2]] == ["序号", lab["institution_area"], "机构", lab["population"],
                                            lab["numerator"], lab["rate"]]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
        assert rows == [[i, r["area"], r["name"], r["population"], r["numerator"], r["rate"]]
                        for i, r in enumerate(n[key], 1)]
        assert all(row[5].number_format == "0.00" for row in ws.iter_rows(min_row=3))
    assert [r[2] for r in [[c.value for c in row] for row in wb["被通报批评"].iter_rows(min_row=3)]] == [
        "新家社区卫生服务站"]


# --- the command line -----------------------------------------------------------------------------------------

def test_cli_writes_the_three_files(data, tmp_path, capsys):
    out = tmp_path / "notice"
    call_command("notice", "--indicator", IND, "--period", str(year()), "--level", "district", "--target", "60",
                 "--criticize-below", "30", "--out", str(out), "--number", "苏卫基层〔2026〕12号",
                 "--date", f"{year()}-05-20", "--deadline", f"{year()}-06-30")
    assert sorted(p.name for p in out.iterdir()) == ["notice.docx", "notice.json", "notice.xlsx"]
    n = json.loads((out / "notice.json").read_text())
    assert n == json.loads(json.dumps(build("county", number="苏卫基层〔2026〕12号", date=dt.date(year(), 5, 20),
                                            deadline=dt.date(year(), 6, 30))))
    assert n["document"]["deadline"] == f"{year()}-06-30"
    assert [c.text for c in Document(out / "notice.docx").tables[0].rows[1].cells][1] == "相城区"
    assert load_workbook(out / "notice.xlsx")["附件1"].cell(3, 2).value == "相城区"
    assert "已写入" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--indicator", "nope"], "未知指标"),
    (["--period", "2026Q5"], "未知期间"),
    (["--period", "1999"], "年份须在2000至2100之间"),
    (["--target", "abc"], "目标值须为数字"),
    (["--target", "120"], "目标值须在0至100之间"),
    (["--criticize-below", "-1"], "通报批评线须在0至100之间"),
    (["--criticize-below", "70"], "通报批评线（70%）不能高于目标值（60%）"),
    (["--level", "province"], "未知层级"),
    (["--within", "999999"], "没有编码为 999999 的行政区划"),
    (["--deadline", "2026-02-30"], "整改期限须为日期"),
    (["--date", "2026-06-01", "--deadline", "2026-05-01"], "早于成文日期"),
])
def test_cli_bad_inputs(data, tmp_path, args, message):
    out = tmp_path / "notice"
    base = {"--indicator": IND, "--period": str(year()), "--level": "district", "--target": "60",
            "--criticize-below": "30", "--out": str(out)}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    argv = [x for kv in base.items() for x in kv]
    with pytest.raises(CommandError) as exc:
        call_command("notice", *argv)
    assert message in str(exc.value)
    assert not out.exists()  # nothing half-written


# --- rules ----------------------------------------------------------------------------------------------------

@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 10, 31)))
def test_default_deadline_is_the_last_day_of_the_month_after_next(day):
    deadline = default_deadline(day)
    assert (deadline + dt.timedelta(days=1)).day == 1
    assert (deadline.year * 12 + deadline.month) - (day.year * 12 + day.month) == 2


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.decimals(min_value=0, max_value=100, places=2))
def test_percentages_in_range_parse(value):
    assert parse_percent(str(value), "x") == value


@pytest.mark.parametrize("value", ["101", "-0.01", "NaN", "Infinity", "six", ""])
def test_percentages_out_of_range_refused(value):
    with pytest.raises(NoticeError):
        parse_percent(value, "目标值")


def test_level_words():
    assert [engine_level(w) for w in ("district", "county", "township", "street", "institution", "city", "区县")] == [
        "county", "county", "township", "township", "institution", "city", "county"]
    with translation.override("zh-hans"), pytest.raises(NoticeError, match="未知层级"):
        engine_level("village")


# --- the page, the downloads and the API ----------------------------------------------------------------------

def _query(**kw):
    q = {"indicator": IND, "period": str(year()), "level": "township", "target": "60", "criticize_below": "30"}
    q.update(kw)
    return q


def test_page_for_a_district_bureau_is_limited_to_its_district(data, client):
    client.force_login(data.bureau_user)  # 吴中区卫生健康局
    r = client.get("/indicators/notice/")
    assert r.status_code == 200 and "电子建档率" in r.content.decode()
    r = client.get("/indicators/notice/", _query())
    html = r.content.decode()
    assert r.status_code == 200
    assert "长桥街道" in html and "木渎镇" in html
    assert "元和街道" not in html and "元和社区卫生服务中心" not in html
    n = r.context["notice"]
    assert n["total"] == {"population": 24, "numerator": 12, "rate": 50.0}
    assert n["document"]["issuer"] == "吴中区卫生健康局"  # the user's own bureau
    assert "新家社区卫生服务站" in html
    # the preview's ranking: best first, ranks with the figures next to them
    assert [(a["name"], a["rank"], a["rate"]) for a in n["areas"]] in (
        [("木渎镇", 1, 50.0), ("长桥街道", 1, 50.0)], [("长桥街道", 1, 50.0), ("木渎镇", 1, 50.0)])
    # a division outside the district is not offered, hence refused
    r = client.get("/indicators/notice/", _query(within="320507"))
    assert r.status_code == 400 and "元和社区卫生服务中心" not in r.content.decode()


def test_downloads_are_audited_and_match_the_preview(data, client):
    client.force_login(data.bureau_user)
    before = AuditEntry.objects.filter(action="export").count()
    q = _query(within="320506001", number="吴卫〔2026〕3号")
    preview = client.get("/indicators/notice/", q).context["notice"]
    assert [a["name"] for a in preview["areas"]] == ["长桥街道"]
    r = client.get("/indicators/notice/download.json", q)
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    n = json.loads(r.content)
    assert n["areas"] == preview["areas"] and n["document"]["number"] == "吴卫〔2026〕3号"
    r = client.get("/indicators/notice/download.docx", q)
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    assert Document(io.BytesIO(r.content)).tables[0].rows[1].cells[1].text == "长桥街道"
    r = client.get("/indicators/notice/download.xlsx", q)
    assert load_workbook(io.BytesIO(r.content))["附件2"].cell(3, 3).value == "新家社区卫生服务站"
    entries = list(AuditEntry.objects.filter(action="export").order_by("id"))[before:]
    assert [json.loads(e.detail)["format"] for e in entries] == ["json", "docx", "xlsx"]
    assert all(e.actor_id == data.bureau_user.pk and e.object_type == "notices.notice" for e in entries)
    assert json.loads(entries[0].detail)["within"] == "320506001"
    # a bad request downloads nothing and logs nothing
    r = client.get("/indicators/notice/download.docx", _query(target="abc"))
    assert r.status_code == 400
    r = client.get("/indicators/notice/download.pdf", q)
    assert r.status_code == 400 and "未知的格式" in r.content.decode()
    assert AuditEntry.objects.filter(action="export").count() == before + 3


def test_form_errors_are_chinese(data, client):
    client.force_login(data.bureau_user)
    r = client.get("/indicators/notice/", _query(target="70", criticize_below="80"))
    assert r.status_code == 400 and "通报批评线不能高于目标值" in r.content.decode()
    r = client.get("/indicators/notice/", _query(period="2026Q9"))
    assert r.status_code == 400 and "未知期间" in r.content.decode()


def test_city_bureau_sees_the_whole_city(data, client):
    client.force_login(data.city_user)
    n = client.get("/indicators/notice/", _query(level="county")).context["notice"]
    assert [a["name"] for a in n["areas"]] == ["相城区", "吴中区"]
    assert n["document"]["issuer"] == "苏州市卫生健康委员会"
    n = client.get("/indicators/notice/", _query(level="county", within="320507")).context["notice"]
    assert [a["name"] for a in n["areas"]] == ["相城区"]
    login_verified(client, data.admin)  # administrators read no figures whatever is_superuser says
    assert client.get("/indicators/notice/", _query(level="county")).status_code == 403


def test_other_roles_may_not_issue_notices(data, client):
    client.force_login(data.doctor)
    assert client.get("/indicators/notice/", _query()).status_code == 403
    assert client.get("/indicators/notice/download.docx", _query()).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()
    client.logout()
    assert client.get("/indicators/notice/").status_code == 302


def test_nav_link_for_bureau_staff_only(data, client):
    client.force_login(data.bureau_user)
    assert 'id="nav-notice"' in client.get("/indicators/ranking/").content.decode()
    client.force_login(data.doctor)
    assert 'id="nav-notice"' not in client.get("/indicators/ranking/").content.decode()


def test_nav_links_follow_a_changed_role_at_once(data, client):
    """The header's links are worked out once per role (web.context): a user given another role sees that role's
    links on the next page, and the previous role's are not left behind."""
    client.force_login(data.doctor)
    assert 'id="nav-notice"' not in client.get("/indicators/ranking/").content.decode()
    data.doctor.role = "bureau"
    data.doctor.save(update_fields=["role"])
    assert 'id="nav-notice"' in client.get("/indicators/ranking/").content.decode()
    data.doctor.role = "doctor"
    data.doctor.save(update_fields=["role"])
    assert 'id="nav-notice"' not in client.get("/indicators/ranking/").content.decode()


def test_ranking_page_is_scoped(data, client):
    client.force_login(data.doctor)  # 长桥社区卫生服务中心: itself and its station
    r = client.get("/indicators/ranking/", {"indicator": IND, "period": str(year()), "level": "institution"})
    html = r.content.decode()
    assert r.status_code == 200
    table = r.context["table"]
    assert [(row["code"], row["rank"], row["rate"]) for row in table["rows"]] == [("C001", 1, 60.0),
                                                                                  ("S001", 2, 0.0)]
    assert "木渎镇卫生院" not in html and "60.00" in html


def test_api_ranking(data, client):
    client.force_login(data.bureau_user)
    r = client.get(f"/api/indicators/{IND}", {"period": str(year()), "level": "township"})
    assert r.status_code == 200
    body = r.json()
    assert body["indicator"] == IND and body["level"] == "township"
    assert {row["name"] for row in body["rows"]} == {"长桥街道", "木渎镇"}
    assert body["total"] == {"numerator": 12, "denominator": 24, "rate": 50.0}
    client.force_login(data.city_user)
    body = client.get(f"/api/indicators/{IND}", {"period": str(year()), "level": "district"}).json()
    assert [(row["name"], row["rank"]) for row in body["rows"]] == [("相城区", 1), ("吴中区", 2)]
    body = client.get(f"/api/indicators/{IND}", {"period": str(year()), "level": "township",
                                                  "within": "320507"}).json()
    assert [row["name"] for row in body["rows"]] == ["元和街道"]
    # the district bureau asking for the other district
    client.force_login(data.bureau_user)
    r = client.get(f"/api/indicators/{IND}", {"period": str(year()), "within": "320507"})
    assert r.status_code == 403 and "不在您的管辖范围内" in r.json()["detail"]
    r = client.get(f"/api/indicators/{IND}", {"period": "2026Q9"})
    assert r.status_code == 422 and "未知期间" in json.dumps(r.json(), ensure_ascii=False)
    r = client.get("/api/indicators/nope", {"period": str(year())})
    assert r.status_code == 422 and "未知指标" in json.dumps(r.json(), ensure_ascii=False)
    client.logout()
    assert client.get(f"/api/indicators/{IND}", {"period": str(year())}).status_code == 401


# --- the monthly round --------------------------------------------------------------------------------------------

def _city_targets(data, **annual):
    from jkda.indicators.targets.models import Target

    for code, value in annual.items():
        Target.objects.create(indicator=code, level="city", area_code=data.city_div.code, year=year(), annual=value)


def test_monthly_round_uses_each_milestone_and_one_computation(data):
    from jkda.indicators import engine
    from jkda.indicators.notices.monthly import monthly_notices

    _city_targets(data, electronic_record_rate=80, qualified_record_rate=60)
    period = f"{year()}-05-ytd"
    done = monthly_notices(period, "district", date=dt.date(year(), 6, 3))
    # May: 70 % of the half-year target (annual × 50 %) is due
    assert {n["indicator"]: (n["target"], n["criticize_below"]) for n in done.notices} == {
        "electronic_record_rate": (28.0, 14.0), "qualified_record_rate": (21.0, 10.5)}
    assert {r["indicator"] for r in done.without_target} == {i.code for i in engine.all_indicators()} - {
        "electronic_record_rate", "qualified_record_rate"}
    for n in done.notices:  # each notice is the one build_notice gives alone
        alone = build_notice(n["indicator"], period, "county", n["target"], n["criticize_below"],
                             date=dt.date(year(), 6, 3))
        assert json.loads(json.dumps(n)) == json.loads(json.dumps(alone))
    # the two indicators of one family are counted together (one grouped query for the records not moved since,
    # one for the few moved since), not once per notice
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        monthly_notices(period, "district", criticize_below=5)
    assert sum('FROM "records_record"' in q["sql"] for q in ctx.captured_queries) == 2


def test_monthly_round_december_is_the_annual_target_and_a_fixed_line(data):
    from jkda.indicators.notices.monthly import monthly_notices

    _city_targets(data, electronic_record_rate=60)
    done = monthly_notices(str(year()), "district", criticize_below=30)
    (n,) = done.notices
    assert (n["target"], n["criticize_below"]) == (60.0, 30.0)
    assert [(a["name"], a["rate"], a["met"]) for a in n["areas"]] == [("相城区", 80.0, True),
                                                                      ("吴中区", 50.0, False)]


def test_monthly_round_cli_writes_every_notice_and_the_summary(data, tmp_path, capsys):
    _city_targets(data, electronic_record_rate=80, record_usage_rate=50)
    out = tmp_path / "round"
    call_command("notice", "--all", "--period", str(year()), "--level", "district", "--out", str(out))
    assert sorted(p.name for p in out.iterdir()) == ["electronic_record_rate", "record_usage_rate", "summary.json",
                                                     "summary.xlsx"]
    assert sorted(p.name for p in (out / "record_usage_rate").iterdir()) == ["notice.docx", "notice.json",
                                                                              "notice.xlsx"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scope"] == {"level": "city", "code": "320500", "name": "苏州市"}
    err = json.loads((out / "electronic_record_rate" / "notice.json").read_text())
    row = next(r for r in summary["notices"] if r["indicator"] == "electronic_record_rate")
    assert (row["target"], row["criticize_below"], row["rate"], row["population"], row["numerator"]) == (
        80.0, 40.0, err["total"]["rate"], err["total"]["population"], err["total"]["numerator"]) == (
        80.0, 40.0, 55.17, 29, 16)
    ws = load_workbook(out / "summary.xlsx")["汇总"]
    assert [ws.cell(3, j).value for j in range(2, 12)] == [
        "电子建档率", 80, 40, 29, 16, 55.17, err["counts"]["areas_met"], 2,
        err["counts"]["institutions_below_target"], err["counts"]["criticized"]]
    missing = load_workbook(out / "summary.xlsx")["无目标"]
    assert missing.max_row - 2 == len(summary["without_target"]) > 20
    text = capsys.readouterr().out
    assert "2 份通报及汇总表已写入" in text and "未设目标" in text


@pytest.mark.parametrize("args, message", [
    (["--all", "--indicator", IND], "--all 按目标取各指标的目标值"),
    (["--all", "--target", "60"], "--all 按目标取各指标的目标值"),
    ([], "请给出 --indicator, --target, --criticize-below"),
    (["--all", "--within", "320506001001"], "目标只为市、区县或乡镇设定"),
])
def test_monthly_round_cli_refusals(data, tmp_path, args, message):
    out = tmp_path / "round"
    with pytest.raises(CommandError) as exc:
        call_command("notice", "--period", str(year()), "--out", str(out), *args)
    assert message in str(exc.value)
    assert not out.exists()
