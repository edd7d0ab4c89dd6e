"""Targets and milestones: the arithmetic (worked examples, rounding up), validation, the reach of a bureau, XLSX
import with bad rows and re-import, the lookup API, and progress / "behind" against a small data set counted by the
indicator engine."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from jkda.access.models import AuditEntry
from jkda.indicators import engine
from jkda.indicators.targets import actions, importer, lookup, progress, rules
from jkda.indicators.targets.models import MilestonePlan, Target
from jkda.records.models import Record
from jkda.regions.models import Division, Institution, PopulationBase, Staff

from .conftest import PASSWORD, login_verified

YEAR = 2025  # a past year: every month has ended
ERR = "electronic_record_rate"


@pytest.fixture(autouse=True)
def _chinese():
    """Messages are checked in Chinese whatever an earlier test left active."""
    with translation.override("zh-hans"):
        yield


def target(actor=None, **kw):
    data = {"indicator": ERR, "level": "township", "area_code": "320506001", "year": YEAR, "annual": "80",
            "half_year_share": "50", "responsible_unit": "公卫科", "responsible_person": "张三"}
    data.update(kw)
    return actions.save_target(actor, data)[0]


# --- arithmetic ---------------------------------------------------------------------------------------------------

def test_worked_example_people():
    pop = 10_000
    annual = D(80)
    half = rules.half_year_percent(annual, D(50))
    april = rules.due_percent(annual, D(50), rules.DEFAULT_MILESTONES, 4)
    assert (rules.people(pop, annual), half, rules.people(pop, half)) == (8000, D("40.00"), 4000)
    assert april == D("16.00") and rules.people(pop, april) == 1600  # 40 % of the half-year target


def test_rounding_is_up_to_the_next_whole_person():
    assert rules.people(12_345, D("62.5")) == 7716  # 7,715.625
    assert rules.people(10, D("16")) == 2  # 1.6
    assert rules.people(100, D("16")) == 16  # exact stays
    assert rules.people(0, D(80)) == 0 and rules.people(None, D(80)) is None


def test_monthly_milestones_whole_year():
    due = [rules.due_percent(D(80), D(50), rules.DEFAULT_MILESTONES, m) for m in range(1, 13)]
    assert due == [D(0), D(0), D(0), D("16.00"), D("28.00"), D("40.00"), D("40.00"), D("40.00"), D("40.00"),
                   D("56.00"), D("68.00"), D("80.00")]
    # a 60 % half-year share: June 54 %, December the annual 90 %
    assert rules.due_percent(D(90), D(60), {}, 6) == D("54.00")
    assert rules.due_percent(D(90), D(60), {}, 12) == D("90.00")
    assert rules.due_percent(D(90), D(60), {9: D(50)}, 9) == D("72.00")  # 54 + 36 × 50 %


@given(st.decimals(0, 100, places=2), st.decimals(0, 100, places=2), st.integers(0, 10**7))
def test_milestones_never_decrease_and_people_cover_the_percent(annual, share, pop):
    due = [rules.due_percent(annual, share, rules.DEFAULT_MILESTONES, m) for m in range(1, 13)]
    assert due == sorted(due) and due[-1] == annual
    for pct in due:
        n = rules.people(pop, pct)
        assert n * 100 >= pop * pct and (n - 1) * 100 < pop * pct or n == 0


def test_milestone_plan_errors():
    assert rules.milestone_errors({4: D(40), 5: D(70), 6: D(100)}) == []
    assert rules.milestone_errors({4: D(70), 5: D(40)})  # not increasing
    assert rules.milestone_errors({4: D(120)})  # above 100
    assert rules.milestone_errors({6: D(90)})  # June is the half-year target
    with pytest.raises(ValidationError) as e:
        actions.parse_shares({4: "40", 5: "30"})
    assert "增" in " ".join(e.value.messages)


# --- validation and reach -----------------------------------------------------------------------------------------

def messages_of(exc):
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


@pytest.mark.parametrize("change, field, text", [
    ({"indicator": "no_such_rate"}, "indicator", "未知指标"),
    ({"level": "township", "area_code": "320506"}, "area_code", "不是乡镇"),
    ({"level": "county", "area_code": "320506001"}, "area_code", "不是区（县）"),
    ({"level": "institution", "area_code": "B320506"}, "area_code", "不是医疗卫生机构"),
    ({"level": "institution", "area_code": "X999"}, "area_code", "不是机构编码"),
    ({"annual": "120"}, "annual", "0 到 100"),
    ({"annual": "-1"}, "annual", "0 到 100"),
    ({"half_year_share": "abc"}, "half_year_share", "不是数字"),
    ({"year": "1999"}, "year", "2000"),
    ({"level": "galaxy"}, "level", "未知层级"),
])
def test_validation_errors_in_chinese(city, change, field, text):
    with pytest.raises(ValidationError) as e:
        target(city.bureau_user, **change)
    assert text in messages_of(e.value)[field]
    assert not Target.objects.exists()


def zh_name(code):
    with translation.override("zh-hans"):
        return str(engine.get(code).name)


def test_indicator_and_level_by_chinese_name(city):
    t = target(city.bureau_user, indicator=zh_name(ERR), level="乡镇（街道）")
    assert (t.indicator, t.level) == (ERR, "township")


def test_bureau_reach(city):
    other_county = Division.objects.create(code="320507", name="相城区", level="county")
    other_town = Division.objects.create(code="320507001", name="元和街道", level="township", parent=other_county)
    assert target(city.bureau_user).pk  # its township
    assert target(city.bureau_user, level="institution", area_code="S001").pk  # a station in its subtree
    with pytest.raises(PermissionDenied):  # its own area: the city sets that
        target(city.bureau_user, level="county", area_code="320506")
    with pytest.raises(PermissionDenied):
        target(city.bureau_user, area_code=other_town.code)
    with pytest.raises(PermissionDenied):  # a doctor sets no targets
        target(city.doctor, area_code="320506101")
    # a city bureau sets its districts' targets
    city_div = Division.objects.create(code="320500", name="苏州市", level="city")
    Division.objects.filter(pk=city.county.pk).update(parent=city_div)
    city_bureau = Institution.objects.create(code="B320500", name="苏州市卫生健康委", kind="bureau", division=city_div)
    Institution.objects.filter(pk=city.bureau.pk).update(parent=city_bureau)
    city.bureau.refresh_from_db()
    city.bureau.save()  # recompute the subtree's paths
    boss = Staff.objects.create_user(username="city", password=PASSWORD, institution=city_bureau, role="bureau")
    assert target(boss, level="county", area_code="320506").pk
    assert target(boss, level="institution", area_code="V101").pk
    assert target(None, level="city", area_code="320500").pk  # a system job


def test_change_keeps_history_and_audit(city):
    t = target(city.bureau_user)
    t2, status = actions.save_target(city.bureau_user, {"indicator": ERR, "level": "township", "area_code": "320506001",
                                                         "year": YEAR, "annual": "85", "responsible_person": "李四"})
    assert status == "updated" and t2.pk == t.pk and Target.objects.count() == 1
    assert [h.annual for h in t.history.order_by("history_date")] == [D("80.00"), D("85.00")]
    assert t2.half_year_share == D(50)  # blank share: the default
    entries = AuditEntry.objects.filter(object_type="targets.target", object_id=str(t.pk)).order_by("id")
    assert [e.action for e in entries] == ["create", "update"]
    _, status = actions.save_target(city.bureau_user, {"indicator": ERR, "level": "township",
                                                       "area_code": "320506001", "year": YEAR, "annual": "85.0",
                                                       "responsible_person": "李四"})
    assert status == "unchanged" and entries.count() == 2


# --- lookup -------------------------------------------------------------------------------------------------------

def test_lookup(city):
    assert lookup.target_for(ERR, YEAR, "township", "320506001") is None
    assert lookup.milestone_for(ERR, YEAR, 4, "township", "320506001") is None
    t = target(city.bureau_user)
    info = lookup.target_for(ERR, YEAR, "township", "320506001")
    assert info == lookup.TargetInfo(D("80.00"), D("40.00"), "公卫科", "张三", D("50.00"))
    with pytest.raises(AttributeError):
        info.annual = D(1)
    assert lookup.milestone_for(ERR, YEAR, 4, "township", "320506001") == D("16.00")
    # the year's own plan replaces the default
    actions.save_plan(city.bureau_user, YEAR, {3: "20", 5: "60", 6: "100", 9: "50"})
    assert lookup.milestone_for(ERR, YEAR, 4, "township", "320506001") == D("8.00")
    assert lookup.milestone_for(ERR, YEAR, 10, "township", "320506001") == D("60.00")
    # a target's own plan replaces the year's; emptying it goes back to the year's
    actions.save_plan(city.bureau_user, YEAR, {4: "50"}, target=t)
    assert lookup.milestone_for(ERR, YEAR, 4, "township", "320506001") == D("20.00")
    # the whole area at once (dashboards) answers as the lookups one by one
    area = lookup.for_area(YEAR, "township", "320506001")
    assert area.target_for(ERR) == lookup.target_for(ERR, YEAR, "township", "320506001")
    assert [area.milestone_for(ERR, m) for m in range(1, 13)] == [
        lookup.milestone_for(ERR, YEAR, m, "township", "320506001") for m in range(1, 13)]
    assert area.target_for("newborn_visit_rate") is None and area.milestone_for("newborn_visit_rate", 4) is None
    actions.drop_own_plan(city.bureau_user, t)
    assert lookup.milestone_for(ERR, YEAR, 4, "township", "320506001") == D("8.00")
    assert MilestonePlan.objects.count() == 2
    assert AuditEntry.objects.filter(object_type="targets.milestoneplan").count() == 3


def test_year_plan_only_by_a_bureau(city):
    with pytest.raises(PermissionDenied):
        actions.save_plan(city.doctor, YEAR, {4: "40"})
    with pytest.raises(ValidationError):
        actions.save_plan(city.bureau_user, YEAR, {4: "40", 5: "150"})
    assert not MilestonePlan.objects.exists()


# --- XLSX import ----------------------------------------------------------------------------------------------------

def workbook(rows, headers=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers or list(importer.HEADERS))
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = [
    [ERR, "township", "320506001", 2025, 80, 50, "长桥中心", "王医生"],
    ["elderly health management rate", "乡镇（街道）", "320506101", 2025, 70, None, "木渎卫生院", "赵医生"],
    [ERR, "institution", "S001", 2025, 75.5, 50, "新家站", "李医生"],
]


def test_import_creates_then_updates_never_duplicates(city):
    result = importer.import_xlsx(city.bureau_user, workbook(GOOD))
    assert result.ok and (result.created, result.updated, result.unchanged) == (3, 0, 0)
    again = importer.import_xlsx(city.bureau_user, workbook(GOOD))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = [list(GOOD[0]), *GOOD[1:]]
    changed[0][4] = 85
    third = importer.import_xlsx(city.bureau_user, workbook(changed))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 2)
    assert Target.objects.count() == 3
    assert Target.objects.get(area_code="320506001").annual == D("85.00")
    assert Target.objects.get(area_code="320506101").indicator == "elderly_health_management_rate"
    assert Target.objects.get(area_code="S001").annual == D("75.50")


def test_import_reports_every_bad_row_and_writes_nothing(city):
    rows = GOOD + [
        ["no_such_rate", "township", "320506001", 2025, 80, 50, "", ""],  # row 5
        [ERR, "township", "320506", 2025, 80, 50, "", ""],  # row 6: a county code at township level
        [ERR, "county", "320506", 2025, 180, 50, "", ""],  # row 7: percent, and own area
        [ERR, "township", "320506001", 2025, 60, 50, "", ""],  # row 8: same as row 2
        [ERR, "township", "320506101", "", 60, 50, "", ""],  # row 9: no year
    ]
    result = importer.import_xlsx(city.bureau_user, workbook(rows))
    found = {(e.row, e.column) for e in result.errors}
    assert found == {(5, "指标"), (6, "地区编码"), (7, "年度目标(%)"), (8, "指标"), (9, "年度")}
    reasons = {(e.row): e.reason for e in result.errors}
    assert "未知指标" in reasons[5] and "不是乡镇" in reasons[6] and "0 到 100" in reasons[7]
    assert "第 2 行" in reasons[8]
    assert not Target.objects.exists()


def test_import_percent_formatted_cells_and_missing_headers(city):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(importer.HEADERS))
    ws.append([ERR, "township", "320506001", 2025, 0.8, 0.5, "", ""])
    ws["E2"].number_format = ws["F2"].number_format = "0%"
    out = io.BytesIO()
    wb.save(out)
    assert importer.import_xlsx(city.bureau_user, out.getvalue()).ok
    assert Target.objects.get().annual == D("80.00")
    bad = importer.import_xlsx(city.bureau_user, workbook([GOOD[0]], headers=["指标", "层级", "年度"]))
    assert {(e.row, e.column) for e in bad.errors} == {(1, "地区编码"), (1, "年度目标(%)")}
    assert not importer.import_xlsx(city.bureau_user, b"not a workbook").ok


def test_import_refuses_rows_outside_reach(city):
    result = importer.import_xlsx(city.doctor, workbook(GOOD[:1]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "地区编码")]
    assert not Target.objects.exists()


def test_template_round_trip(city):
    data = importer.template_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert [c.value for c in wb.worksheets[0][1]] == list(importer.HEADERS)
    assert any(row[0] == ERR for row in wb.worksheets[1].iter_rows(values_only=True))
    assert importer.import_xlsx(None, data).ok  # the example row (a district target, set by a system job)


# --- progress with the engine ---------------------------------------------------------------------------------------

@pytest.fixture
def progress_data(city, establish):
    """Base data 2025: the centre 10 residents, the township hospital 10. Records established in March 2025:
    3 at the centre, 1 at the hospital."""
    PopulationBase.objects.create(institution=city.centre, year=YEAR, resident_population=10)
    PopulationBase.objects.create(institution=city.hospital, year=YEAR, resident_population=10)
    ids = [establish().pk for _ in range(3)]
    ids.append(establish(actor=city.town_doctor, institution=city.hospital, village=city.v3).pk)
    Record.objects.filter(pk__in=ids).update(established_on=dt.date(YEAR, 3, 15))
    for code in ("320506001", "320506101"):
        target(city.bureau_user, area_code=code)
    target(city.bureau_user, level="institution", area_code="C001")
    return city


def test_population_from_base_data_and_from_the_engine(progress_data):
    city = progress_data
    t_inst = target(city.bureau_user, indicator="qualified_record_rate", level="institution", area_code="C001")
    targets = list(Target.objects.all())
    pops = progress.populations(targets, YEAR)
    by_key = {(t.indicator, t.area_code): pops[t.pk] for t in targets}
    assert by_key[(ERR, "320506001")] == 10 and by_key[(ERR, "320506101")] == 10
    assert pops[t_inst.pk] == 3  # "base": the records the engine counts at the centre


def test_area_table(progress_data):
    table = progress.area_table(YEAR, "township", "320506101")
    assert table.months == [4, 5, 6, 10, 11, 12] and table.elapsed == table.months
    (row,) = table.rows
    assert (row.population, row.annual_people, row.half_year, row.half_year_people) == (10, 8, D("40.00"), 4)
    april = row.cells[4]
    assert (april.percent, april.people, april.actual, april.due_people, april.met) == (D("16.00"), 2, 1, 2, False)


def test_behind_worst_first_and_scope(progress_data):
    city = progress_data
    april = progress.behind(YEAR, 4)
    assert [(b.target.area_code, b.actual, b.due_people) for b in april] == [("320506101", 1, 2)]
    june = progress.behind(YEAR, 6)
    assert [(b.target.level, b.target.area_code) for b in june] == [
        ("township", "320506101"), ("institution", "C001"), ("township", "320506001")]
    assert [b.shortfall for b in june] == [3, 1, 1]
    # the centre's staff see their own areas only
    assert {b.target.area_code for b in progress.behind(YEAR, 6, city.doctor)} == {"C001", "320506001"}
    assert len(progress.behind(YEAR, 6, level="institution")) == 1


# --- pages --------------------------------------------------------------------------------------------------------

def test_pages_for_a_bureau(client, progress_data):
    city = progress_data
    client.force_login(city.bureau_user)
    page = client.get(reverse("targets_index") + f"?year={YEAR}").content.decode()
    assert "长桥街道" in page and "木渎镇" in page and "向上取整" in page
    table = client.get(reverse("targets_area", args=["township", "320506101"]) + f"?year={YEAR}").content.decode()
    assert zh_name(ERR) in table and "✗ 1 / 2" in table and "公卫科" in table
    behind = client.get(reverse("targets_behind") + f"?year={YEAR}&month=6").content.decode()
    assert behind.index("木渎镇") < behind.index("长桥街道")
    new = client.post(reverse("targets_new"), {"indicator": ERR, "level": "township", "area_code": "320506",
                                               "year": YEAR, "annual": "120", "half_year_share": "50"})
    body = new.content.decode()
    assert new.status_code == 200 and "不是乡镇" in body and "0 到 100" in body
    ok = client.post(reverse("targets_new"), {"indicator": "elderly_health_management_rate", "level": "township",
                                              "area_code": "320506001", "year": YEAR, "annual": "70",
                                              "half_year_share": "50"})
    assert ok.status_code == 302
    bad_plan = client.post(reverse("targets_plan", args=[YEAR]), {"m4": "70", "m5": "40", "m6": "100"})
    assert "必须递增" in bad_plan.content.decode() and not MilestonePlan.objects.exists()
    assert client.post(reverse("targets_plan", args=[YEAR]), {"m4": "30", "m5": "60"}).status_code == 302
    t = Target.objects.get(level="township", area_code="320506101", indicator=ERR)
    changed = client.post(reverse("targets_edit", args=[t.pk]), {"annual": "90", "half_year_share": "60",
                                                                 "responsible_person": "赵院长"})
    assert changed.status_code == 302
    t.refresh_from_db()
    assert (t.annual, t.half_year_share, t.area_code) == (D(90), D(60), "320506101")
    edit_page = client.get(reverse("targets_edit", args=[t.pk])).content.decode()
    assert "修改记录" in edit_page and "赵院长" in edit_page
    template = client.get(reverse("targets_template"))
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxml")
    upload = io.BytesIO(workbook([[ERR, "township", "320506", 2025, 80, 50, "", ""]]))
    upload.name = "t.xlsx"
    imp = client.post(reverse("targets_import"), {"file": upload}).content.decode()
    assert "地区编码" in imp and "不是乡镇" in imp


def test_pages_refuse_entry_to_a_doctor(client, progress_data):
    city = progress_data
    client.force_login(city.doctor)
    assert client.get(reverse("targets_new")).status_code == 403
    assert client.get(reverse("targets_import")).status_code == 403
    assert client.get(reverse("targets_area", args=["township", "320506101"])).status_code == 403
    assert client.get(reverse("targets_area", args=["township", "320506001"])).status_code == 200
    assert client.get(reverse("targets_area", args=["township", "999999999"])).status_code == 404
    index = client.get(reverse("targets_index") + f"?year={YEAR}").content.decode()
    assert "木渎镇" not in index and "长桥街道" in index


def test_administrators_see_no_targets(client, progress_data):
    """Administrators read no health figures whatever `is_superuser` says (access.roles)."""
    from jkda.regions.models import Staff

    sysadmin = Staff.objects.create_superuser(username="sysadmin2", password=PASSWORD, role="sysadmin")
    login_verified(client, sysadmin)
    assert client.get(reverse("targets_index")).status_code == 403
    assert client.get(reverse("targets_area", args=["township", "320506101"]) + f"?year={YEAR}").status_code == 403
    client.force_login(progress_data.bureau_user)
    assert client.get(reverse("targets_area", args=["township", "320506101"]) + f"?year={YEAR}").status_code == 200
