"""Dashboards: the page each role lands on, the jurisdiction, figures summed from the facts (never averaged), the
targets and milestones, the SVG charts, and the residents behind a figure (names for the institution's clinical
staff, masked for a bureau, audited)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from jkda.access.models import AuditEntry
from jkda.codes import idnumber
from jkda.indicators import facts
from jkda.indicators.dashboards import board as B
from jkda.indicators.targets import lookup
from jkda.records import actions as RA
from jkda.records.models import Resident
from jkda.regions.models import Division, Institution, PopulationBase, Staff

from .conftest import PASSWORD, login_verified, resident_data

TODAY = facts.periods.today()


@pytest.fixture(autouse=True)
def _this_year_only(settings):
    settings.JKDA_FACTS_YEARS_BACK = 0


@pytest.fixture
def area(city):
    """The conftest district under a city with its own bureau; base data; records at the centre (3, one of them
    at its station) and at the township hospital (1); facts refreshed."""
    c = city
    c.city_div = Division.objects.create(code="320500", name="苏州市", level="city")
    c.county.parent = c.city_div
    c.county.save()
    c.city_bureau = Institution.objects.create(code="B320500", name="苏州市卫生健康委员会", kind="bureau",
                                               division=c.city_div)
    c.bureau.parent = c.city_bureau
    c.bureau.save()
    c.county2 = Division.objects.create(code="320507", name="相城区", level="county", parent=c.city_div)
    town2 = Division.objects.create(code="320507001", name="元和街道", level="township", parent=c.county2)
    c.centre2 = Institution.objects.create(code="C002", name="元和社区卫生服务中心", kind="chc", division=town2,
                                           parent=c.city_bureau)
    PopulationBase.objects.create(institution=c.centre2, year=TODAY.year, resident_population=20)
    c.city_user = Staff.objects.create_user(username="city", password=PASSWORD, institution=c.city_bureau,
                                            role="bureau", full_name="周处长")
    c.head = Staff.objects.create_user(username="head", password=PASSWORD, institution=c.centre, role="head",
                                       full_name="吴主任")
    for inst, pop in ((c.centre, 10), (c.station, 10), (c.hospital, 100), (c.clinic, 50)):
        PopulationBase.objects.create(institution=inst, year=TODAY.year, resident_population=pop)
    n = 0
    for inst, village, names in ((c.centre, c.v1, ["王小明", "李四"]), (c.station, c.v1, ["赵五"]),
                                 (c.hospital, c.v3, ["钱六"])):
        for name in names:
            n += 1
            RA.establish_record(None, Resident(**resident_data(
                name=name, id_number=idnumber.make("320506", dt.date(1970, 1, n), 2 * n + 1))),
                institution=inst, village=village, established_on=dt.date(TODAY.year, 1, 3))
    facts.refresh()
    return c


def page(client, url, **params):
    resp = client.get(url, params)
    assert resp.status_code == 200, (url, resp.status_code)
    return resp.content.decode()


def row(html: str, code: str) -> str:
    m = re.search(rf'<tr id="ind-{code}"[^>]*>(.*?)</tr>', html, re.S)
    assert m, code
    return m.group(1)


@pytest.mark.parametrize("user, url", [
    ("city_user", "/dashboards/city/320500/"), ("bureau_user", "/dashboards/county/320506/"),
    ("doctor", "/dashboards/institution/C001/"), ("head", "/dashboards/institution/C001/"),
    ("station_doctor", "/dashboards/institution/S001/"), ("town_doctor", "/dashboards/institution/T101/"),
])
def test_each_role_lands_on_its_own_dashboard(client, area, user, url):
    client.force_login(getattr(area, user))
    resp = client.get("/dashboards/")
    assert resp.status_code == 302 and resp["Location"] == url
    assert "指标" in page(client, url)


def test_the_nav_link_shows_for_staff(client, area):
    client.force_login(area.doctor)
    assert 'href="/dashboards/"' in page(client, "/dashboards/institution/C001/")


@pytest.mark.parametrize("user, url, status", [
    ("bureau_user", "/dashboards/city/320500/", 403),  # a district bureau does not see the city
    ("bureau_user", "/dashboards/institution/C001/", 200),
    ("doctor", "/dashboards/county/320506/", 403),
    ("doctor", "/dashboards/institution/S001/", 200),  # a centre sees its station
    ("station_doctor", "/dashboards/institution/C001/", 403),  # a station does not see its centre
    ("town_doctor", "/dashboards/institution/C001/", 403),
    ("city_user", "/dashboards/institution/V101/", 200),
    ("city_user", "/dashboards/county/999999/", 404),
    ("city_user", "/dashboards/planet/320500/", 404),
])
def test_jurisdiction(client, area, user, url, status):
    client.force_login(getattr(area, user))
    resp = client.get(url)
    assert resp.status_code == status
    if status == 403:
        assert "管辖范围" in resp.content.decode()


def test_account_without_institution_has_no_dashboard(client, area):
    auditor = Staff.objects.create_user(username="aud", password=PASSWORD, role="auditor")
    login_verified(client, auditor)
    resp = client.get("/dashboards/")
    assert resp.status_code == 403 and "不能打开此页面" in resp.content.decode()  # administrators read no figures
    homeless = Staff.objects.create_user(username="homeless", password=PASSWORD, role="bureau")
    client.force_login(homeless)
    resp = client.get("/dashboards/")
    assert resp.status_code == 403 and "没有所属机构" in resp.content.decode()


def test_administrator_reads_no_dashboard(client, area):
    """Administrators read no health figures whatever `is_superuser` says (access.roles): the city is the city
    bureau's dashboard."""
    sysadmin = Staff.objects.create_superuser(username="sysadmin2", password=PASSWORD, role="sysadmin")
    login_verified(client, sysadmin)
    assert client.get("/dashboards/").status_code == 403
    assert client.get("/dashboards/city/320500/").status_code == 403
    client.force_login(area.city_user)
    assert client.get("/dashboards/")["Location"] == "/dashboards/city/320500/"


def test_county_sums_numerators_and_denominators_never_averages_rates(client, area):
    client.force_login(area.bureau_user)
    html = page(client, "/dashboards/county/320506/")
    # centre 2/10, station 1/10, hospital 1/100, clinic 0/50: 4/170 = 2.35% (the mean of the rates would be 7.75%)
    r = row(html, "electronic_record_rate")
    assert "2.35%" in r and "4 / 170" in r
    # the institutions below, ranked: centre 2/10, station 1/10, hospital 1/100, clinic 0/50
    bars = re.search(r'<svg class="bars" id="bars-electronic_record_rate".*?</svg>', r, re.S).group(0)
    names = re.findall(r'<text class="name"[^>]*>(\d+)\. ([^<]+)<title>', bars)
    assert [(rank, name) for rank, name in names] == [("1", "长桥社区卫生服务中心"), ("2", "新家社区卫生服务站"),
                                                      ("3", "木渎镇卫生院"), ("4", "金星村卫生室")]
    assert "20.00% (2/10)" in bars and "10.00% (1/10)" in bars and "1.00% (1/100)" in bars
    assert "0.00% (0/50)" in bars
    assert 'href="/dashboards/institution/C001/?year=' in bars
    # the same figure from the engine
    from jkda.indicators import engine

    direct = engine.compute(["electronic_record_rate"], facts.period_of(TODAY.year, TODAY.month), "county",
                            area.county)["electronic_record_rate"].total
    assert (direct.numerator, direct.denominator) == (4, 170)


def test_city_board_ranks_districts_and_drills_down(client, area):
    client.force_login(area.city_user)
    html = page(client, "/dashboards/city/320500/")
    r = row(html, "electronic_record_rate")
    assert "4 / 190" in r and "2.11%" in r
    assert 'href="/dashboards/county/320506/?year=' in r
    names = re.findall(r'<text class="name"[^>]*>(\d+)\. ([^<]+)<title>', r)
    assert names == [("1", "吴中区"), ("2", "相城区")]
    assert "0.00% (0/20)" in r
    county = page(client, "/dashboards/county/320506/")
    assert 'href="/dashboards/city/320500/?year=' in county  # the crumbs lead back up


def test_svg_charts_and_groups_in_the_page(client, area):
    client.force_login(area.doctor)
    html = page(client, "/dashboards/institution/C001/")
    assert html.count('<svg class="trend"') == len(facts.engine.all_indicators())
    assert '<svg class="bars" id="bars-electronic_record_rate"' in html
    assert "<script" not in html.split("<main>")[1]  # charts need no script (and nothing from the internet)
    assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html
    for label in ("健康档案", "高血压", "老年人"):
        assert label in html
    # centre with its station: 3 records over 20 residents
    assert "15.00%" in row(html, "electronic_record_rate")
    # the trend has a point for every month of the year so far
    trend = re.search(r'<svg class="trend" id="trend-electronic_record_rate".*?</svg>', html, re.S).group(0)
    assert trend.count("<circle") == TODAY.month
    assert "最后刷新" in html


def test_targets_and_milestones_from_the_targets_app(client, area, monkeypatch):
    calls = []

    class Goals:
        def target_for(self, code):
            return lookup.TargetInfo(Decimal("80"), Decimal("40"), "", "") if code == "electronic_record_rate" else None

        def milestone_for(self, code, month):
            return Decimal("12.5") if code == "electronic_record_rate" else None

    def for_area(year, level, area_code):
        calls.append((year, level, area_code))
        return Goals()

    monkeypatch.setattr(lookup, "for_area", for_area)
    client.force_login(area.doctor)
    html = page(client, "/dashboards/institution/C001/")
    r = row(html, "electronic_record_rate")
    assert "80%" in r and "40%" in r and "12.5%" in r
    assert "已达到里程碑" in r  # 15% ≥ 12.5%
    assert '<line class="target"' in r
    assert 'class="milestone"' in r  # the milestone line in the trend
    assert (TODAY.year, "institution", "C001") in calls
    assert "未设定目标" in row(html, "qualified_record_rate")
    # the district misses the milestone: 4/170 < 12.5%
    client.force_login(area.bureau_user)
    assert "低于里程碑" in row(page(client, "/dashboards/county/320506/"), "electronic_record_rate")


def test_freshness_pending_changes_and_live(client, area):
    client.force_login(area.doctor)
    RA.establish_record(None, Resident(**resident_data(
        name="孙七", id_number=idnumber.make("320506", dt.date(1980, 2, 2), 99))),
        institution=area.centre, village=area.v1)
    html = page(client, "/dashboards/institution/C001/")
    assert "15.00%" in row(html, "electronic_record_rate")  # the facts, not yet refreshed
    assert "等待下次刷新" in html
    live = page(client, "/dashboards/institution/C001/", live="1")
    assert "20.00%" in row(live, "electronic_record_rate") and "实时" in live
    facts.refresh()
    assert "20.00%" in row(page(client, "/dashboards/institution/C001/"), "electronic_record_rate")


def test_month_not_computed_and_bad_months(client, area):
    client.force_login(area.doctor)
    facts.Fact.objects.all().delete()
    facts.FactMonth.objects.all().delete()
    assert "jkda indicators refresh" in page(client, "/dashboards/institution/C001/")
    html = page(client, "/dashboards/institution/C001/", year=TODAY.year + 1, month=1)
    assert "尚未开始" in html
    html = page(client, "/dashboards/institution/C001/", year="abc")
    assert "必须是数字" in html
    html = page(client, "/dashboards/institution/C001/", month=13)
    assert "1 到 12" in html or "1到12" in html or "1 至 12" in html or "1至12" in html


def table(html: str) -> str:
    return re.search(r'<table class="list" id="residents-behind">.*?</table>', html, re.S).group(0)


def _audit(code):
    return list(AuditEntry.objects.filter(object_type="indicator", object_id=code).order_by("id"))


def test_residents_behind_a_figure_for_clinical_staff(client, area):
    client.force_login(area.doctor)
    url = "/dashboards/institution/C001/electronic_record_rate/residents/"
    html = page(client, url)
    for name in ("王小明", "李四", "赵五"):
        assert name in html
    assert "钱六" not in html  # another institution's resident
    assert "/records/" in table(html)  # names lead to the record page
    entry = _audit("electronic_record_rate")[-1]
    assert entry.action == "read" and entry.actor_id == area.doctor.pk
    assert '"identities": true' in entry.detail and '"records": 3' in entry.detail and '"C001"' in entry.detail
    # a station's doctor sees the station's only
    client.force_login(area.station_doctor)
    html = page(client, "/dashboards/institution/S001/electronic_record_rate/residents/")
    assert "赵五" in html and "王小明" not in html
    assert client.get(url).status_code == 403


def test_residents_behind_a_figure_masked_for_a_bureau(client, area):
    client.force_login(area.bureau_user)
    html = page(client, "/dashboards/institution/C001/electronic_record_rate/residents/", part="base")
    assert "王小明" not in html and "王**" in html and "李*" in html
    assert "/records/" not in table(html)
    resident = Resident.objects.get(name="王小明")
    assert resident.id_number not in html and resident.id_number[:4] + "*" in html
    entry = _audit("electronic_record_rate")[-1]
    assert '"identities": false' in entry.detail and '"part": "base"' in entry.detail
    assert entry.actor_id == area.bureau_user.pk


def test_residents_unknown_indicator_and_level(client, area):
    client.force_login(area.doctor)
    assert client.get("/dashboards/institution/C001/nope/residents/").status_code == 404
    assert client.get("/dashboards/institution/B320506/electronic_record_rate/residents/").status_code == 404
    assert not _audit("nope")


def test_board_data_helpers(area):
    a = B.resolve("county", "320506")
    assert a.institutions == {area.centre.pk, area.station.pk, area.hospital.pk, area.clinic.pk}
    assert B.resolve("city", "320500").institutions == a.institutions | {area.centre2.pk}
    assert [c.code for c in B.resolve("institution", "S001").crumbs] == ["320500", "320506", "C001", "S001"]
    assert B.landing(area.city_user) == ("city", "320500")
    assert B.choose_month("2026", "2", dt.date(2026, 5, 1)) == (B.Month(2026, 2), None)
    assert B.choose_month(None, None, dt.date(2026, 5, 1)) == (B.Month(2026, 5), None)
    month, problem = B.choose_month("2026", "6", dt.date(2026, 5, 1))
    assert month == B.Month(2026, 5) and problem
