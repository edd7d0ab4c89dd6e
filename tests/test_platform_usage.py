"""Platform usage and upload statistics: the monthly figures per district against hand-worked expectations (active
share at the 60% boundary, uses per doctor, subsets covered, days uploaded, 未开展), the imports (bad rows, idempotent
re-import), the page and its XLSX export, the scope, and the synth extension."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from jkda.access.models import AuditEntry
from jkda.indicators.platform import actions, stats
from jkda.indicators.platform.imports import UploadImport, UsageImport
from jkda.indicators.platform.models import (
    BusinessFunction,
    DocumentSubset,
    PlatformDoctor,
    PlatformInstitution,
    UploadBatch,
    UsageEvent,
)
from jkda.regions.models import Division, Institution, Staff

from .conftest import PASSWORD

MONTH = stats.Month(2025, 3)
BEFORE = dt.date(2024, 12, 1)


def at(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2025, month, day, hour, minute))


def use(function: str, inst, n: int = 1, *, when=None, doctor_name: str = "", source="import"):
    """n uses in one event (an imported tally), each call at a distinct minute so the import key stays unique."""
    use.minute = getattr(use, "minute", 0) + 1
    when = when or at(5, 9, 0) + dt.timedelta(minutes=use.minute)
    return actions.record_usage(None, function, institution=inst, doctor_name=doctor_name, at=when, count=n,
                                source=source)[0]


@pytest.fixture
def districts(city):
    """District A (吴中区, the fixture's) and district B (相城区), and a city bureau above both district bureaus."""
    w = city
    w.city_division = Division.objects.create(code="320500", name="苏州市", level="city")
    w.city_bureau = Institution.objects.create(code="B320500", name="苏州市卫生健康委员会", kind="bureau",
                                               division=w.city_division)
    w.bureau.parent = w.city_bureau
    w.bureau.save()
    for obj in (w.centre, w.station, w.hospital, w.clinic, w.doctor, w.station_doctor, w.town_doctor, w.manager,
                w.bureau_user):
        obj.refresh_from_db()
    w.station2 = Institution.objects.create(code="S002", name="龙西社区卫生服务站", kind="chs", division=w.v2,
                                            parent=w.centre)
    w.county_b = Division.objects.create(code="320507", name="相城区", level="county")
    w.town_b = Division.objects.create(code="320507101", name="渭塘镇", level="township", parent=w.county_b)
    w.village_b = Division.objects.create(code="320507101201", name="凤凰泾村", level="village", parent=w.town_b)
    w.bureau_b = Institution.objects.create(code="B320507", name="相城区卫生健康局", kind="bureau",
                                            division=w.county_b, parent=w.city_bureau)
    w.hospital_b = Institution.objects.create(code="T201", name="渭塘镇卫生院", kind="thc", division=w.town_b,
                                              parent=w.bureau_b)
    w.clinic_b = Institution.objects.create(code="V201", name="凤凰泾村卫生室", kind="vc", division=w.village_b,
                                            parent=w.hospital_b)
    w.clinic_b2 = Institution.objects.create(code="V202", name="渭塘村卫生室", kind="vc", division=w.village_b,
                                             parent=w.hospital_b)
    w.city_user = Staff.objects.create_user(username="city", password=PASSWORD, institution=w.city_bureau,
                                            role="bureau", full_name="周处长")
    w.sysadmin = Staff.objects.create_user(username="sysadmin", password=PASSWORD, role="sysadmin",
                                           full_name="系统管理员")
    w.bureau_b_user = Staff.objects.create_user(username="bureau_b", password=PASSWORD, institution=w.bureau_b,
                                                role="bureau", full_name="吴科长")
    w.head = Staff.objects.create_user(username="head", password=PASSWORD, institution=w.centre, role="head",
                                       full_name="郑主任")
    return w


@pytest.fixture
def world(districts):
    """Five registered institutions in A; three in B, of which one left the platform in the month."""
    w = districts
    for inst in (w.centre, w.station, w.station2, w.hospital, w.clinic, w.hospital_b, w.clinic_b):
        actions.register_institution(w.sysadmin, inst, BEFORE)
    actions.register_institution(w.sysadmin, w.clinic_b2, BEFORE, left_on=dt.date(2025, 3, 15))
    # a registration after the month does not count in it
    Institution.objects.create(code="S003", name="新设服务站", kind="chs", division=w.v1, parent=w.centre)
    actions.register_institution(w.sysadmin, Institution.objects.get(code="S003"), dt.date(2025, 4, 2))
    # doctors: A has 4 at the end of March (a fifth registers in April), B has 3
    actions.register_doctor(w.sysadmin, w.centre, "", BEFORE, staff=w.doctor)
    actions.register_doctor(w.sysadmin, w.station, "", BEFORE, staff=w.station_doctor)
    actions.register_doctor(w.sysadmin, w.hospital, "", BEFORE, staff=w.town_doctor)
    actions.register_doctor(w.sysadmin, w.clinic, "周医生", BEFORE)
    actions.register_doctor(w.sysadmin, w.clinic, "新医生", dt.date(2025, 4, 2))
    for name in ("甲医生", "乙医生", "丙医生"):
        actions.register_doctor(w.sysadmin, w.hospital_b, name, BEFORE)
    return w


@pytest.fixture
def usage(world):
    w = world
    # TCM differentiation — A: 3 of 5 registered used it (60% → 是); B: 1 of 2 (50% → 否); the clinic that left in
    # mid-month used it too: its uses count, it is not an active registered institution.
    use("tcm_differentiation", w.centre, 4)
    use("tcm_differentiation", w.centre, 1)
    use("tcm_differentiation", w.station, 2)
    use("tcm_differentiation", w.hospital, 1, when=at(31, 23, 59))  # the last minute of March (Beijing time)
    use("tcm_differentiation", w.clinic, 1, when=timezone.make_aware(dt.datetime(2025, 4, 1, 0, 0)))  # April
    use("tcm_differentiation", w.clinic, 1, when=at(28, 12, month=2))  # February
    use("tcm_differentiation", w.hospital_b, 3)
    use("tcm_differentiation", w.clinic_b2, 2)
    # remote consultation — A: 2 of 5 (40% → 否); B: nothing (未开展)
    use("remote_consultation", w.centre, 1)
    use("remote_consultation", w.hospital, 2)
    # knowledge base — A: 40 uses / 4 doctors = 10.0 (→ 是, the boundary); B: 20 / 3 = 6.7 (→ 否)
    use("knowledge_base", w.centre, 25, doctor_name="王医生")
    use("knowledge_base", w.station, 15, doctor_name="李医生")
    use("knowledge_base", w.hospital_b, 20, doctor_name="甲医生")
    # remote education — A: 19 / 4 = 4.75 → 4.8 (→ 否); B: nothing (未开展)
    use("remote_education", w.centre, 19)
    # uploads of health records — A: the centre on 3 and 4 March, the station on 4 March: 2 institutions, 2 days,
    # 5 subsets; February and an empty batch do not count. B: nothing (未开展).
    actions.record_upload(None, "health_record", institution=w.centre, day=dt.date(2025, 3, 3), records=30,
                          subsets=["HR01", "HR02", "HR03"])
    actions.record_upload(None, "health_record", institution=w.centre, day=dt.date(2025, 3, 4), records=20,
                          subsets=["HR03", "HR04"])
    actions.record_upload(None, "health_record", institution=w.station, day=dt.date(2025, 3, 4), records=5,
                          subsets=["HR05"])
    actions.record_upload(None, "health_record", institution=w.centre, day=dt.date(2025, 2, 28), records=9,
                          subsets=["HR06"])
    actions.record_upload(None, "health_record", institution=w.station, day=dt.date(2025, 3, 20), records=0,
                          subsets=["HR07"])
    # EMR — A: the hospital on 10 March with one required (EMR01) and one not required subset (EMR03)
    actions.record_upload(None, "emr", institution=w.hospital, day=dt.date(2025, 3, 10), records=100,
                          subsets=["EMR01", "EMR03"])
    # health-reform monitoring — B only, on one day, in two uploads the system adds up
    actions.record_upload(None, "health_reform", institution=w.hospital_b, day=dt.date(2025, 3, 12), records=3)
    actions.record_upload(None, "health_reform", institution=w.hospital_b, day=dt.date(2025, 3, 12), records=4)
    return w


def table(tables, key):
    return next(t for t in tables if t.key == key)


def by_label(t):
    return {row[0]: row[1:] for row in t.rows}


# --- figures ----------------------------------------------------------------------------------------------------

def test_function_share_and_boundary(usage):
    _f, tables = stats.report(usage.city_user, MONTH)
    tcm = by_label(table(tables, "function-tcm_differentiation"))
    # registered, active, uses, share %, compliant
    assert tcm["吴中区"] == [5, 3, 8, Decimal("60.0"), "是"]
    assert tcm["相城区"] == [2, 1, 5, Decimal("50.0"), "否"]
    assert tcm["全市"] == [7, 4, 13, Decimal("57.1"), "否"]
    consult = by_label(table(tables, "function-remote_consultation"))
    assert consult["吴中区"] == [5, 2, 3, Decimal("40.0"), "否"]
    assert consult["相城区"] == [2, 0, 0, "未开展", "未开展"]
    assert consult["全市"] == [7, 2, 3, Decimal("28.6"), "否"]


def test_clicks_per_doctor(usage):
    _f, tables = stats.report(usage.city_user, MONTH)
    kb = by_label(table(tables, "function-knowledge_base"))
    # registered institutions, active, uses, registered doctors, per doctor, compliant
    assert kb["吴中区"] == [5, 2, 40, 4, Decimal("10.0"), "是"]
    assert kb["相城区"] == [2, 1, 20, 3, Decimal("6.7"), "否"]
    assert kb["全市"] == [7, 3, 60, 7, Decimal("8.6"), "否"]
    edu = by_label(table(tables, "function-remote_education"))
    assert edu["吴中区"] == [5, 1, 19, 4, Decimal("4.8"), "否"]
    assert edu["相城区"] == [2, 0, 0, 3, "未开展", "未开展"]
    headers = table(tables, "function-knowledge_base").headers
    assert headers[-1] == "是否达标（每人≥10次）"


def test_uploads(usage):
    _f, tables = stats.report(usage.city_user, MONTH)
    hr = table(tables, "upload-health_record")
    assert hr.headers == ["区（县）", "上传机构数", "上传记录数", "覆盖文档子集数", "应上传文档子集数", "上传天数"]
    rows = by_label(hr)
    assert rows["吴中区"] == [2, 55, 5, 20, 2]
    assert rows["相城区"] == [0, 0, "未开展", 20, "未开展"]
    assert rows["全市"] == [2, 55, 5, 20, 2]
    emr = by_label(table(tables, "upload-emr"))
    assert emr["吴中区"] == [1, 100, 1, 16, 1]
    reform = table(tables, "upload-health_reform")
    assert len(reform.headers) == 4  # no subsets for monitoring items
    assert by_label(reform)["相城区"] == [1, 7, 1]
    assert by_label(reform)["吴中区"] == [0, 0, "未开展"]


def test_rules_are_settings(usage, settings):
    settings.JKDA_PLATFORM_ACTIVE_SHARE = 61
    settings.JKDA_PLATFORM_CLICKS_PER_DOCTOR = {"knowledge_base": 12}
    settings.JKDA_PLATFORM_REQUIRED_SUBSETS = {"health_record": 18}
    _f, tables = stats.report(usage.city_user, MONTH)
    assert by_label(table(tables, "function-tcm_differentiation"))["吴中区"][-1] == "否"
    assert by_label(table(tables, "function-knowledge_base"))["吴中区"][-1] == "否"
    # remote education is now an ordinary share function: 1 of 5 registered
    assert by_label(table(tables, "function-remote_education"))["吴中区"] == [5, 1, 19, Decimal("20.0"), "否"]
    assert by_label(table(tables, "upload-health_record"))["吴中区"][3] == 18
    assert len(table(tables, "upload-emr").headers) == 4


def test_functions_are_data(usage):
    BusinessFunction.objects.filter(code="remote_education").update(active=False)
    BusinessFunction.objects.create(code="family_doctor", name="家庭医生签约", order=50)
    _f, tables = stats.report(usage.city_user, MONTH)
    keys = [t.key for t in tables]
    assert "function-remote_education" not in keys
    assert by_label(table(tables, "function-family_doctor"))["吴中区"] == [5, 0, 0, "未开展", "未开展"]
    with pytest.raises(ValidationError):
        actions.record_usage(usage.doctor, "remote_education")
    assert DocumentSubset.objects.filter(kind="health_record", required=True).count() == 20
    assert DocumentSubset.objects.filter(kind="emr", required=True).count() == 16


def test_one_grouped_query_per_figure(usage, django_assert_max_num_queries):
    area = stats.area_of(usage.city_user)
    with django_assert_max_num_queries(12):  # 2 per figure (districts, total) + the functions; not per event
        stats.compute(MONTH, area)


@hypothesis_settings(max_examples=200, deadline=None)
@given(registered=st.integers(0, 400), data=st.data(), share=st.sampled_from([50, 60, 62.5, 80]))
def test_share_rule(registered, data, share):
    """Compliant exactly when active / registered ≥ the share, with no float rounding at the boundary."""
    from django.test import override_settings
    from django.utils import translation

    active = data.draw(st.integers(0, registered))
    uses = data.draw(st.integers(0, 3)) if active == 0 else active + data.draw(st.integers(0, 50))
    district = Division(pk=1, code="320506", name="甲区", level="county")
    function = BusinessFunction(pk=1, code="tcm_differentiation", name="辨证论治")
    figures = stats.Figures(MONTH, stats.Area(None, [district], True), [function],
                            registered={1: registered, None: registered}, usage={(1, 1): (uses, active)})
    with override_settings(JKDA_PLATFORM_ACTIVE_SHARE=share), translation.override("zh-hans"):
        row = stats.function_table(figures, function).rows[0]
    if uses == 0:
        assert row[-2:] == ["未开展", "未开展"]
    elif registered == 0:
        assert row[-1] == "否"
    else:
        assert row[-1] == ("是" if active * 100 >= share * registered else "否")
        assert abs(row[-2] - Decimal(active * 100) / registered) <= Decimal("0.05")


# --- actions ----------------------------------------------------------------------------------------------------

def test_record_usage_by_the_system(usage):
    event, status = actions.record_usage(usage.doctor, "知识库")
    assert status == "created"
    assert (event.institution, event.doctor, event.doctor_name, event.source) == (
        usage.centre, usage.doctor, "王医生", "system")
    with pytest.raises(ValidationError) as exc:
        actions.record_usage(usage.doctor, "不存在的功能")
    assert "没有业务功能" in str(exc.value)
    with pytest.raises(PermissionDenied):
        actions.record_usage(usage.town_doctor, "knowledge_base", institution=usage.centre)
    with pytest.raises(ValidationError):
        actions.record_usage(usage.doctor, "knowledge_base", at=timezone.now() + dt.timedelta(days=1))


def test_record_upload_adds_up_and_replaces(usage):
    batch = UploadBatch.objects.get(institution=usage.hospital_b, kind="health_reform")
    assert batch.records == 7
    batch, status = actions.record_upload(None, "health_record", institution=usage.centre,
                                          day=dt.date(2025, 3, 3), records=30, subsets=["HR01"], replace=True,
                                          source="import")
    assert status == "updated" and batch.records == 30
    assert sorted(batch.subsets.values_list("code", flat=True)) == ["HR01"]
    with pytest.raises(ValidationError):
        actions.record_upload(None, "health_reform", institution=usage.centre, day=dt.date(2025, 3, 3), records=1,
                              subsets=["HR01"])
    with pytest.raises(ValidationError):
        actions.record_upload(None, "emr", institution=usage.centre, day=dt.date(2025, 3, 3), records=1,
                              subsets=["HR01"])
    assert AuditEntry.objects.filter(action="create", object_type="platform_usage.uploadbatch").exists()


def test_registration_roles(usage):
    with pytest.raises(PermissionDenied):
        actions.register_institution(usage.doctor, usage.centre, BEFORE)
    with pytest.raises(PermissionDenied):
        actions.register_institution(usage.bureau_b_user, usage.centre, BEFORE)
    _reg, status = actions.register_institution(usage.bureau_user, usage.centre, BEFORE)
    assert status == "present"
    with pytest.raises(ValidationError):
        actions.register_institution(usage.bureau_user, usage.centre, BEFORE, left_on=dt.date(2024, 1, 1))


# --- imports ----------------------------------------------------------------------------------------------------

def write_csv(path, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


def read_report(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.reader(fh))


def test_usage_import(world, tmp_path):
    path = write_csv(tmp_path / "usage.csv", [
        ["业务功能", "机构编码", "医生", "使用时间", "次数"],
        ["辨证论治", "C001", "王医生", "2025-03-05 09:30", "3"],
        ["knowledge_base", "C001", "doctor", "2025/3/6 10:00:00", ""],
        ["远程教育", "S001", "", "2025-03-07", "2"],
        ["远程会诊", "T101", "赵医生", "2025年3月8日 14:05", "1"],
        ["挂号", "C001", "王医生", "2025-03-05 09:30", "1"],
        ["知识库", "X999", "王医生", "2025-03-05 09:30", "1"],
        ["知识库", "C001", "王医生", "2025-03-35 09:30", "1"],
        ["知识库", "C001", "王医生", "2025-03-05 09:31", "0"],
        ["辨证论治", "C001", "王医生", "2025-03-05 09:30", "5"],
        ["知识库", "C001", "王医生", "2099-03-05 09:30", "1"],
    ])
    summary = UsageImport(path).run()
    assert (summary.rows, summary.imported, summary.rejected) == (10, 4, 6)
    report = read_report(summary.report_path)
    assert report[0][-3:] == ["行号", "列", "原因"]
    reasons = {row[-3]: row[-1] for row in report[1:]}
    assert "没有业务功能挂号" in reasons["6"]
    assert "X999" in reasons["7"]
    assert "YYYY-MM-DD HH:MM" in reasons["8"]
    assert "至少为 1" in reasons["9"] or "至少" in reasons["9"]
    assert "第 2 行" in reasons["10"]
    assert "将来" in reasons["11"]
    events = UsageEvent.objects.order_by("at")
    assert [(e.function.code, e.institution.code, e.doctor_id, e.count, e.source) for e in events] == [
        ("tcm_differentiation", "C001", world.doctor.pk, 3, "import"),
        ("knowledge_base", "C001", world.doctor.pk, 1, "import"),
        ("remote_education", "S001", None, 2, "import"),
        ("remote_consultation", "T101", world.town_doctor.pk, 1, "import"),
    ]
    assert timezone.localtime(events[0].at) == timezone.make_aware(dt.datetime(2025, 3, 5, 9, 30))
    # again: nothing new, nothing changed
    again = UsageImport(path).run()
    assert (again.imported, again.updated, again.present, again.rejected) == (0, 0, 4, 6)
    assert UsageEvent.objects.count() == 4
    assert AuditEntry.objects.filter(object_type="platform_usage.usage_import").count() == 2


def test_usage_import_through_the_command(world, tmp_path):
    path = write_csv(tmp_path / "usage.csv", [
        ["功能", "机构代码", "时间"], ["知识库", "C001", "2025-03-05 09:30"], ["知识库", "C001", "坏时间"]])
    out = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import", "usage", path, "--no-progress", stdout=out)
    assert exc.value.returncode == 1
    assert "导入 1 条" in out.getvalue()
    assert UsageEvent.objects.count() == 1


def test_upload_import_xlsx(world, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["上传类型", "机构编码", "上传日期", "上传记录数", "文档子集"])
    ws.append(["健康档案", "C001", dt.date(2025, 3, 3), 30, "HR01、HR02；个人基本健康信息登记"])
    ws.append(["电子病历", "T101", "2025-03-04", 12, "全部"])
    ws.append(["医改监测", "T101", "2025-03-04", 5, None])
    ws.append(["健康档案", "S001", "2025-03-04", 7, "HR99"])
    ws.append(["医改监测", "S001", "2025-03-04", 5, "HR01"])
    ws.append(["体检", "S001", "2025-03-04", 5, None])
    ws.append(["健康档案", "S001", "2099-03-04", 5, None])
    ws.append(["健康档案", "C001", "2025-03-03", 31, None])
    ws.append(["电子病历", "T101", "2025-03-05", -1, None])
    path = str(tmp_path / "uploads.xlsx")
    wb.save(path)
    summary = UploadImport(path).run()
    assert (summary.rows, summary.imported, summary.rejected) == (9, 3, 6)
    reasons = {row[-3]: row[-1] for row in read_report(summary.report_path)[1:]}
    assert "HR99" in reasons["5"]
    assert "不上传文档子集" in reasons["6"] or "子集" in reasons["6"]
    assert "体检" in reasons["7"]
    assert "将来" in reasons["8"]
    assert "第 2 行" in reasons["9"]
    assert "10" in reasons
    centre = UploadBatch.objects.get(institution=world.centre)
    assert centre.records == 30 and centre.source == "import"
    assert sorted(centre.subsets.values_list("code", flat=True)) == ["HR01", "HR02"]
    emr = UploadBatch.objects.get(institution=world.hospital, kind="emr")
    assert emr.subsets.count() == 16
    again = UploadImport(path).run()
    assert (again.imported, again.updated, again.present, again.rejected) == (0, 0, 3, 6)
    # a corrected file updates the day's figures
    ws.cell(row=2, column=4, value=33)
    wb.save(path)
    third = UploadImport(path).run()
    assert (third.imported, third.updated, third.present) == (0, 1, 2)
    assert UploadBatch.objects.get(institution=world.centre).records == 33


def test_registration_import(districts, tmp_path):
    w = districts
    path = write_csv(tmp_path / "reg.csv", [
        ["机构编码", "医生", "注册日期", "注销日期"],
        ["C001", "", "2024-12-01", ""],
        ["C001", "王医生", "2024-12-01", ""],
        ["C001", "外聘专家", "2024-12-01", "2025-03-15"],
        ["T101", "", "2024-12-01", "2024-11-01"],
        ["X999", "", "2024-12-01", ""],
        ["C001", "", "2025-01-01", ""],
        ["S001", "", "", ""],
    ])
    summary = call_import("registrations", path, 1)
    assert "导入 3 条" in summary and "拒绝 4 行" in summary
    reasons = {row[-3]: row[-1] for row in read_report(str(tmp_path / "reg.rejected.csv"))[1:]}
    assert "注销日期不能早于注册日期" in reasons["5"]
    assert "X999" in reasons["6"] and "第 2 行" in reasons["7"] and "必填" in reasons["8"]
    assert PlatformInstitution.objects.get().institution == w.centre
    assert PlatformDoctor.objects.get(name="王医生").staff == w.doctor
    assert PlatformDoctor.objects.get(name="外聘专家").left_on == dt.date(2025, 3, 15)
    assert "已存在 3 条" in call_import("registrations", path, 1)
    assert AuditEntry.objects.filter(object_type="platform_usage.platformdoctor").count() == 2


def call_import(kind, path, code=0):
    out = io.StringIO()
    if code:
        with pytest.raises(CommandError) as exc:
            call_command("import", kind, path, "--no-progress", stdout=out)
        assert exc.value.returncode == code
    else:
        call_command("import", kind, path, "--no-progress", stdout=out)
    return out.getvalue()


def test_import_dry_run_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "u.csv", [["上传类型", "机构编码", "上传日期", "上传记录数"],
                                          ["健康档案", "C001", "2025-03-03", "3"]])
    summary = UploadImport(path, dry_run=True).run()
    assert summary.imported == 1
    assert not UploadBatch.objects.exists()


# --- page, export, scope ----------------------------------------------------------------------------------------

class _Tables(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._cell = {}, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.current = self.tables.setdefault(dict(attrs).get("id"), [])
        elif tag == "tr":
            self.current.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.current[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def page_tables(client, month="2025-03"):
    response = client.get(reverse("platform_usage_report"), {"month": month})
    assert response.status_code == 200
    parser = _Tables()
    parser.feed(response.content.decode())
    return parser.tables, response


def test_page_and_xlsx_agree(usage, client):
    client.force_login(usage.city_user)
    tables, response = page_tables(client)
    assert "2025年3月" in response.content.decode()
    assert tables["function-tcm_differentiation"][1] == ["吴中区", "5", "3", "8", "60.0", "是"]
    assert tables["function-tcm_differentiation"][-1][0] == "全市"
    xlsx = client.get(reverse("platform_usage_xlsx"), {"month": "2025-03"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    _f, expected = stats.report(usage.city_user, MONTH)
    assert len(wb.worksheets) == len(expected) == len(tables)
    for ws, t in zip(wb.worksheets, expected, strict=True):
        assert t.title in ws["A1"].value
        sheet = [list(row) for row in ws.iter_rows(min_row=2, values_only=True)]
        page = tables[t.key]
        assert len(sheet) == len(page) and [len(r) for r in sheet] == [len(r) for r in page], t.key
        for sheet_row, page_row in zip(sheet, page, strict=True):
            for value, text in zip(sheet_row, page_row, strict=True):
                if isinstance(value, (int, float)):
                    assert Decimal(text) == Decimal(str(value)), (t.key, page_row)
                else:
                    assert value == text, (t.key, page_row)
    assert AuditEntry.objects.filter(action="export", object_type="platform_usage.report").exists()


def test_scope(usage, client):
    client.force_login(usage.bureau_user)
    tables, _r = page_tables(client)
    rows = tables["function-tcm_differentiation"]
    assert [r[0] for r in rows[1:]] == ["吴中区", "合计"]
    assert rows[1][1:] == rows[2][1:] == ["5", "3", "8", "60.0", "是"]
    client.force_login(usage.bureau_b_user)
    tables, _r = page_tables(client)
    assert [r[0] for r in tables["function-tcm_differentiation"][1:]] == ["相城区", "合计"]
    # a head sees the district, counting only the institutions under the centre (centre and two stations)
    client.force_login(usage.head)
    tables, _r = page_tables(client)
    assert tables["function-tcm_differentiation"][1] == ["吴中区", "3", "2", "7", "66.7", "是"]
    client.force_login(usage.doctor)
    assert client.get(reverse("platform_usage_report")).status_code == 403
    assert client.get(reverse("platform_usage_xlsx")).status_code == 403


def test_bad_month(usage, client):
    client.force_login(usage.city_user)
    response = client.get(reverse("platform_usage_report"), {"month": "2025-13"})
    assert response.status_code == 200
    assert "YYYY-MM" in response.content.decode()
    assert client.get(reverse("platform_usage_xlsx"), {"month": "March"}).status_code == 400


def test_admin(usage, client):
    from .conftest import login_verified

    login_verified(client, usage.sysadmin)  # the platform registry is configuration: the system administrator's
    for model in ("businessfunction", "documentsubset", "platforminstitution", "platformdoctor", "usageevent",
                  "uploadbatch"):
        assert client.get(f"/admin/platform_usage/{model}/").status_code == 200, model
    reg = PlatformInstitution.objects.first()
    assert client.post(f"/admin/platform_usage/platforminstitution/{reg.pk}/change/", {}).status_code == 403
    function = BusinessFunction.objects.get(code="remote_consultation")
    response = client.post(f"/admin/platform_usage/businessfunction/{function.pk}/change/", {
        "code": "remote_consultation", "name": "远程会诊", "order": 20})
    assert response.status_code == 302
    assert not BusinessFunction.objects.get(pk=function.pk).active
    assert AuditEntry.objects.filter(object_type="platform_usage.businessfunction", action="update").exists()


def test_nav_link(usage, client):
    client.force_login(usage.bureau_user)
    assert reverse("platform_usage_report") in client.get(reverse("platform_usage_report")).content.decode()


# --- synth -------------------------------------------------------------------------------------------------------

class _Rollback(Exception):
    pass


def _synth(seed):
    from jkda.indicators.platform.synth import generate_platform
    from jkda.synth.extensions import Context

    snap = {}
    try:
        with transaction.atomic():
            ctx = Context(seed=seed, scenario="S", as_of=dt.date(2025, 6, 30))
            generate_platform(ctx)
            snap["counts"] = dict(ctx.counts)
            snap["events"] = sorted(UsageEvent.objects.values_list("function__code", "institution__code",
                                                                   "doctor_name", "at"))
            snap["uploads"] = sorted(UploadBatch.objects.values_list("institution__code", "kind", "day", "records"))
            snap["registered"] = sorted(PlatformInstitution.objects.values_list("institution__code", "registered_on"))
            snap["doctors"] = PlatformDoctor.objects.count()
            area = stats.Area(None, list(Division.objects.filter(level="county").order_by("code")), True)
            snap["report"] = [(t.key, t.rows) for t in stats.tables(stats.compute(stats.Month(2025, 5), area))]
            raise _Rollback
    except _Rollback:
        pass
    return snap


def test_synth_extension(districts):
    from jkda.synth import extensions

    assert "platform" in extensions.names()
    one, again, other = _synth(7), _synth(7), _synth(8)
    assert one == again
    assert one["events"] != other["events"]
    assert one["counts"]["platform usage events"] > 0 and one["counts"]["platform upload batches"] > 0
    report = dict(one["report"])
    # the last district never took up remote consultation
    consult = {row[0]: row for row in report["function-remote_consultation"]}
    assert consult["相城区"][-1] == "未开展"
    assert all(e[3] <= timezone.make_aware(dt.datetime(2025, 7, 1)) for e in one["events"])
    assert re.match(r"\d{4}-\d{2}-\d{2}", one["uploads"][0][2].isoformat())


# --- the system counts its own functions ------------------------------------------------------------------------

def test_the_system_counts_the_use_of_its_own_functions(city, establish):
    from jkda.services.actions import record_service
    from jkda.services.clinical.models import Encounter
    from jkda.services.exam.models import Exam

    before = UsageEvent.objects.count()
    rec = establish()  # by the centre's doctor
    today = timezone.localdate()
    record_service(Encounter, rec, city.doctor, {"service_date": today, "subjective": "头晕", "plan": "复诊"})
    record_service(Exam, rec, city.doctor, {"service_date": today})
    events = list(UsageEvent.objects.order_by("id")[before:])
    assert [(e.function.code, e.institution, e.doctor, e.source, e.count) for e in events] == [
        ("health_records", city.centre, city.doctor, "system", 1),
        ("clinic_encounter", city.centre, city.doctor, "system", 1),
        ("health_exam", city.centre, city.doctor, "system", 1)]
    # a function no longer counted is left out, the form is still written
    BusinessFunction.objects.filter(code="health_exam").update(active=False)
    exam = record_service(Exam, rec, city.doctor, {"service_date": today - dt.timedelta(days=1)})
    assert exam.pk and UsageEvent.objects.count() == before + 3
    # the month's report counts them for the centre's district: one use of the clinic encounter
    figures = stats.compute(stats.Month(today.year, today.month), stats.area_of(city.bureau_user))
    table = stats.function_table(figures, BusinessFunction.objects.get(code="clinic_encounter"))
    assert table.rows[0][0] == city.county.name and table.rows[0][3] == 1
