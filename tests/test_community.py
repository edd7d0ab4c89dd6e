"""Institution-level services: rules (deadlines, minimums), actions (permission, validation, revision),
set-based summaries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from jkda.regions.models import Institution, Staff
from jkda.services.community import actions, rules, summaries
from jkda.services.community import codes as C
from jkda.services.community.models import (
    EducationActivity,
    InfectiousReport,
    NoticeBoard,
    PrintedMaterial,
    SupervisionReport,
    SupervisionVisit,
)

from .conftest import make_id

Y = timezone.localdate().year - 1


def at(month, day, hour=9, minute=0, year=Y):
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute))


def card_data(**kw):
    data = {"patient_name": "周小明", "sex": "1", "age_years": 34, "disease": "B05", "case_type": "3",
            "onset_date": dt.date(Y, 3, 1), "diagnosed_at": at(3, 5, 10), "reported_at": at(3, 5, 11),
            "reporting_doctor": "王医生"}
    data.update(kw)
    return data


def activity(city, inst=None, **kw):
    data = {"activity_date": dt.date(Y, 4, 10), "place": "会议室", "activity_kind": C.TALK, "theme": "高血压防治",
            "organiser": "王医生", "participants": 30}
    data.update(kw)
    return actions.create(EducationActivity, None, inst or city.centre, data)


# --- rules ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("code,cls,urgent,hours", [
    ("A01", "A", True, 2),      # plague
    ("A02", "A", True, 2),      # cholera
    ("B01", "B", True, 2),      # SARS, managed as class A
    ("B02", "B", True, 2),      # pulmonary anthrax, managed as class A
    ("B16", "B", False, 24),    # cutaneous anthrax: class B
    ("B05", "B", False, 24),
    ("C01", "C", False, 24),
])
def test_disease_class_and_deadline(code, cls, urgent, hours):
    assert rules.disease_class(code) == cls
    assert rules.is_urgent(code) is urgent
    assert rules.deadline_hours(urgent) == hours


@pytest.mark.parametrize("urgent,minutes,on_time,late_minutes", [
    (True, 0, True, 0),
    (True, 119, True, 0),
    (True, 120, True, 0),        # exactly 2 h: on time
    (True, 121, False, 1),       # 2 h 1 min: late by 1 min
    (True, 24 * 60, False, 22 * 60),
    (False, 24 * 60, True, 0),   # exactly 24 h: on time
    (False, 24 * 60 + 1, False, 1),
    (False, 3 * 24 * 60, False, 48 * 60),
])
def test_timeliness_boundaries(urgent, minutes, on_time, late_minutes):
    d = at(5, 1, 8)
    ok, late = rules.timeliness(d, d + dt.timedelta(minutes=minutes), urgent)
    assert ok is on_time and late == dt.timedelta(minutes=late_minutes)


def test_deadline_hours_are_settings(settings):
    settings.JKDA_IDR_DEADLINE_HOURS_A = 1
    settings.JKDA_IDR_DEADLINE_HOURS_OTHER = 12
    assert rules.timeliness(at(1, 1), at(1, 1, 10, 1), True) == (False, dt.timedelta(minutes=1))
    assert rules.timeliness(at(1, 1), at(1, 1, 21), False) == (True, dt.timedelta(0))


@given(st.integers(0, 5000), st.integers(0, 5000), st.booleans())
def test_later_report_is_never_more_timely(a, b, urgent):
    d = dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC)
    first, second = sorted((a, b))
    ok1, late1 = rules.timeliness(d, d + dt.timedelta(minutes=first), urgent)
    ok2, late2 = rules.timeliness(d, d + dt.timedelta(minutes=second), urgent)
    assert late1 <= late2 and (ok1 or not ok2)


@pytest.mark.parametrize("kind,expected", [
    ("chc", {"material_kinds": 12, "av_kinds": 6, "consultations": 9, "talks": 12, "boards": 2,
             "board_updates": 6}),
    ("thc", {"material_kinds": 12, "av_kinds": 6, "consultations": 9, "talks": 12, "boards": 2,
             "board_updates": 6}),
    ("chs", {"material_kinds": None, "av_kinds": None, "consultations": None, "talks": 6, "boards": 1,
             "board_updates": 6}),
    ("vc", {"material_kinds": None, "av_kinds": None, "consultations": None, "talks": 6, "boards": 1,
            "board_updates": 6}),
    ("bureau", dict.fromkeys(rules.ITEMS)),
])
def test_minimums_by_level(kind, expected):
    assert rules.minimums(kind) == expected


def test_minimums_are_settings(settings):
    settings.JKDA_HE_MIN_TALKS = 10
    settings.JKDA_HE_MIN_MATERIAL_KINDS = 14
    m = rules.minimums("chc")
    assert m["talks"] == 10 and m["material_kinds"] == 14


@pytest.mark.parametrize("set_up,retired,months,due", [
    (None, None, 12, 6),
    (dt.date(Y - 3, 5, 1), None, 12, 6),
    (dt.date(Y, 1, 15), None, 12, 6),
    (dt.date(Y, 7, 1), None, 6, 3),
    (dt.date(Y, 8, 20), None, 5, 3),
    (dt.date(Y, 12, 1), None, 1, 1),
    (dt.date(Y - 1, 1, 1), dt.date(Y, 2, 28), 2, 1),
    (dt.date(Y - 1, 1, 1), dt.date(Y - 1, 6, 1), 0, 0),
    (dt.date(Y + 1, 1, 1), None, 0, 0),
])
def test_board_months_and_updates_due(set_up, retired, months, due):
    assert rules.months_in_service(Y, set_up, retired) == months
    assert rules.board_updates_due(months, 6) == due


@given(st.integers(0, 12), st.integers(0, 12))
def test_updates_due_grow_with_months(a, b):
    lo, hi = sorted((a, b))
    assert rules.board_updates_due(lo, 6) <= rules.board_updates_due(hi, 6) <= 6


@pytest.mark.parametrize("done,minimum,met", [(11, 12, False), (12, 12, True), (13, 12, True), (0, None, None)])
def test_met(done, minimum, met):
    assert rules.met(done, minimum) is met


# --- infectious report cards: actions and validation -------------------------------------------------------------

def test_card_class_a_at_two_hours_is_on_time_and_one_minute_more_is_late(city):
    ok = actions.create(InfectiousReport, city.doctor, city.centre,
                        card_data(disease="A02", reported_at=at(3, 5, 12)))
    late = actions.create(InfectiousReport, city.doctor, city.centre,
                          card_data(disease="B02", reported_at=at(3, 5, 12, 1)))
    assert ok.disease_class == "A" and ok.urgent and ok.on_time
    assert late.disease_class == "B" and late.urgent and not late.on_time
    assert late.timeliness[1] == dt.timedelta(minutes=1)
    assert late.timeliness_text() == "迟报 1分钟"
    b_ok = actions.create(InfectiousReport, city.doctor, city.centre, card_data(reported_at=at(3, 6, 10)))
    b_late = actions.create(InfectiousReport, city.doctor, city.centre, card_data(reported_at=at(3, 6, 11, 30)))
    assert b_ok.on_time and not b_ok.urgent
    assert not b_late.on_time and b_late.timeliness_text() == "迟报 1小时 30分钟"
    assert ok.created_by == city.doctor and ok.form_version == "2017-3" and ok.history.count() == 1


@pytest.mark.parametrize("changes,field,message", [
    ({"reported_at": at(3, 5, 9)}, "reported_at", "报告时间不能早于诊断时间。"),
    ({"onset_date": dt.date(Y, 3, 6)}, "onset_date", "发病日期不能晚于诊断时间。"),
    ({"age_years": None}, "birth_date", "请填写出生日期，不详时填写年龄。"),
    ({"patient_name": ""}, "patient_name", "请填写患者姓名。"),
    ({"disease": "Z99"}, "disease", None),
    ({"case_type": "7"}, "case_type", None),
    ({"id_number": "320506196005171234"}, "id_number", None),
    ({"diagnosed_at": at(1, 1, year=Y + 3), "reported_at": at(1, 1, year=Y + 3)}, "diagnosed_at",
     "时间不能是将来。"),
])
def test_card_validation(city, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        actions.create(InfectiousReport, city.doctor, city.centre, card_data(**changes))
    assert field in exc.value.error_dict
    if message:
        assert message in exc.value.message_dict[field]
    assert InfectiousReport.objects.count() == 0


def test_card_linked_to_a_record_takes_the_patient_from_it(city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1970, 2, 3), male=False), name="林小红")
    card = actions.create(InfectiousReport, city.doctor, city.centre,
                          card_data(patient_name="", sex="", age_years=None, patient_record=rec))
    assert card.patient_name == "林小红" and card.sex == "2" and card.birth_date == dt.date(1970, 2, 3)
    assert card.id_number == rec.resident.id_number and card.address == rec.resident.current_address


def test_revision_keeps_the_original_and_cancel_keeps_the_card(city):
    card = actions.create(InfectiousReport, city.doctor, city.centre, card_data())
    new = actions.revise_report(card, city.doctor, {"disease": "B06", "case_type": "3"})
    card.refresh_from_db()
    assert card.status == C.REVISED and card.disease == "B05" and card.version == 2
    assert new.revises == card and new.status == C.VALID and new.disease == "B06"
    assert new.reported_at == card.reported_at
    with pytest.raises(ValidationError):
        actions.revise_report(card, city.doctor, {"disease": "B07"})
    with pytest.raises(ValidationError):
        actions.update(card, city.doctor, {"note": "x"})
    with pytest.raises(ValidationError) as exc:
        actions.cancel_report(new, city.doctor, " ")
    assert "请填写删除报告卡的原因。" in exc.value.message_dict["cancel_reason"]
    actions.cancel_report(new, city.doctor, "重复报告")
    new.refresh_from_db()
    assert new.status == C.CANCELLED and new.cancel_reason == "重复报告"
    assert InfectiousReport.objects.count() == 2
    with pytest.raises(ValidationError):
        new.delete()
    with pytest.raises(ValidationError):
        InfectiousReport.objects.all().delete()


# --- permission -------------------------------------------------------------------------------------------------

def test_other_institutions_staff_cannot_add_to_yours(city):
    with pytest.raises(PermissionDenied) as exc:
        actions.create(InfectiousReport, city.town_doctor, city.centre, card_data())
    assert "不在您的管辖范围内" in str(exc.value)
    with pytest.raises(PermissionDenied):
        actions.create(SupervisionVisit, city.station_doctor, city.centre, {})
    # the centre's staff may write for its station; the station's for itself
    assert actions.create(InfectiousReport, city.doctor, city.station, card_data()).institution == city.station
    assert actions.create(InfectiousReport, city.station_doctor, city.station, card_data()).pk


def test_bureau_reads_the_summary_but_cannot_write(city):
    with pytest.raises(PermissionDenied):
        actions.create(EducationActivity, city.bureau_user, city.centre, {})
    with pytest.raises(ValidationError):  # not a clinical institution
        head = Staff.objects.create_user(username="district_head", institution=city.bureau, role="head")
        actions.create(EducationActivity, head, city.bureau, {})
    activity(city)
    from jkda.services.community.views import institutions_for

    rows = summaries.education_summary(institutions_for(city.bureau_user), Y)
    assert {r.institution.code for r in rows} == {"C001", "S001", "T101", "V101"}
    obj = EducationActivity.objects.get()
    with pytest.raises(PermissionDenied):
        actions.update(obj, city.bureau_user, {"theme": "改"})
    with pytest.raises(PermissionDenied):
        actions.update(obj, city.town_doctor, {"theme": "改"})


def test_stale_edit_is_refused(city):
    from jkda.records.actions import StaleEdit

    obj = activity(city)
    actions.update(obj, city.doctor, {"theme": "糖尿病防治"}, expected_version=1)
    with pytest.raises(StaleEdit):
        actions.update(obj, city.doctor, {"theme": "控烟"}, expected_version=1)
    obj.refresh_from_db()
    assert obj.theme == "糖尿病防治" and obj.version == 2 and obj.history.count() == 2


def test_system_fields_are_refused(city):
    with pytest.raises(ValidationError) as exc:
        actions.create(InfectiousReport, city.doctor, city.centre, card_data(status="3"))
    assert "status" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        actions.create(InfectiousReport, city.doctor, city.centre, card_data(colour="red"))
    assert "colour" in exc.value.error_dict


# --- education: validation ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,field,message", [
    ({"participants": -1}, "participants", "人数不能为负数。"),
    ({"participants": None}, "participants", "请填写参加人数。"),
    ({"activity_date": dt.date(Y + 3, 1, 1)}, "activity_date", "日期不能晚于今天。"),
    ({"activity_kind": C.BOARD_UPDATE}, "board", "请填写更换的是哪个宣传栏。"),
    ({"materials": [{"name": "折页", "count": "-5"}]}, "materials", "第1行：数量应为0或正整数。"),
    ({"materials": [{"name": "", "count": "5"}]}, "materials", "第1行：请填写资料名称。"),
    ({"activity_kind": "8"}, "activity_kind", None),
    ({"audience": ["1", "42"]}, "audience", None),
])
def test_activity_validation(city, changes, field, message):
    with pytest.raises(ValidationError) as exc:
        activity(city, **changes)
    assert field in exc.value.error_dict
    if message:
        assert message in exc.value.message_dict[field]


def test_board_update_needs_a_board_of_the_same_institution_standing_on_the_day(city):
    own = actions.create(NoticeBoard, city.doctor, city.centre, {"name": "宣传栏1", "location": "大厅", "area": 2,
                                                                 "set_up_on": dt.date(Y, 3, 1)})
    other = actions.create(NoticeBoard, None, city.hospital, {"name": "宣传栏1", "location": "门口", "area": 3,
                                                              "set_up_on": dt.date(Y - 2, 1, 1)})
    with pytest.raises(ValidationError) as exc:
        activity(city, activity_kind=C.BOARD_UPDATE, board=other)
    assert "宣传栏属于其他机构。" in exc.value.message_dict["board"]
    with pytest.raises(ValidationError) as exc:
        activity(city, activity_kind=C.BOARD_UPDATE, board=own, activity_date=dt.date(Y, 2, 1))
    assert "该日期宣传栏尚未设置或已撤除。" in exc.value.message_dict["board"]
    with pytest.raises(ValidationError):
        activity(city, activity_kind=C.TALK, board=own)
    assert activity(city, activity_kind=C.BOARD_UPDATE, board=own, participants=None).board == own
    with pytest.raises(ValidationError) as exc:
        actions.update(own, city.doctor, {"retired_on": dt.date(Y, 2, 1)})
    assert "retired_on" in exc.value.error_dict


def test_supervision_report_validation(city):
    data = {"found_on": dt.date(Y, 5, 2), "kind": "4", "place": "某村", "content": "无证行医",
            "reported_to": "区卫生监督所", "reported_on": dt.date(Y, 5, 1), "reporter": "王医生"}
    with pytest.raises(ValidationError) as exc:
        actions.create(SupervisionReport, city.doctor, city.centre, data)
    assert "报告日期不能早于发现日期。" in exc.value.message_dict["reported_on"]
    data["reported_on"] = dt.date(Y, 5, 2)
    obj = actions.create(SupervisionReport, city.doctor, city.centre, data)
    assert obj.get_kind_display() == "非法行医和非法采供血"


# --- summaries --------------------------------------------------------------------------------------------------

def _fill_centre(city, *, talks=12, consultations=9, materials=12, av=6, updates=(6, 6)):
    for i in range(talks):
        activity(city, activity_date=dt.date(Y, i % 12 + 1, 10), theme=f"讲座{i}")
    for i in range(consultations):
        activity(city, activity_kind=C.CONSULTATION, activity_date=dt.date(Y, i % 12 + 1, 12), participants=100)
    for i in range(av):
        activity(city, activity_kind=C.AUDIO_VISUAL, activity_date=dt.date(Y, 2, 1), theme=f"视频{i}")
    for i in range(materials):
        actions.create(PrintedMaterial, None, city.centre, {"title_text": f"折页{i}", "material_form": "1",
                                                            "copies": 500, "provided_on": dt.date(Y, 1, 5)})
    for b, n in enumerate(updates):
        board = actions.create(NoticeBoard, None, city.centre, {"name": f"宣传栏{b}", "location": "大厅", "area": 2,
                                                                "set_up_on": dt.date(Y - 2, 1, 1)})
        for k in range(n):
            activity(city, activity_kind=C.BOARD_UPDATE, board=board, activity_date=dt.date(Y, 2 * k + 1, 3),
                     participants=None)


def _row(city, year=Y):
    rows = summaries.education_summary(Institution.objects.filter(pk=city.centre.pk), year)
    return rows[0]


def test_yearly_minimums_met_at_the_boundary(city):
    _fill_centre(city)
    activity(city, activity_date=dt.date(Y - 1, 6, 1))  # another year does not count
    row = _row(city)
    assert row.met
    assert {i.key: (i.done, i.minimum, i.met) for i in row.items} == {
        "material_kinds": (12, 12, True), "av_kinds": (6, 6, True), "consultations": (9, 9, True),
        "talks": (12, 12, True), "boards": (2, 2, True), "board_updates": (2, 2, True)}
    assert row.participants == 12 * 30 + 9 * 100 + 6 * 30


@pytest.mark.parametrize("short", ["talks", "consultations", "materials", "av", "updates"])
def test_yearly_minimum_not_met_one_below(city, short):
    kw = {"talks": 12, "consultations": 9, "materials": 12, "av": 6, "updates": (6, 6)}
    kw[short] = (6, 5) if short == "updates" else kw[short] - 1
    _fill_centre(city, **kw)
    row = _row(city)
    assert not row.met
    key = {"materials": "material_kinds", "av": "av_kinds", "updates": "board_updates"}.get(short, short)
    assert row.item(key).met is False
    assert [i.key for i in row.items if i.met is False] == [key]


def test_station_minimums_and_a_mid_year_board(city):
    board = actions.create(NoticeBoard, None, city.station, {"name": "宣传栏", "location": "门口", "area": 2,
                                                             "set_up_on": dt.date(Y, 7, 1)})
    for k in range(3):
        activity(city, city.station, activity_kind=C.BOARD_UPDATE, board=board,
                 activity_date=dt.date(Y, 7 + 2 * k, 5), participants=None)
    for k in range(6):
        activity(city, city.station, activity_date=dt.date(Y, 2 * k + 1, 5))
    row = summaries.education_summary(Institution.objects.filter(pk=city.station.pk), Y)[0]
    assert row.met
    assert row.item("material_kinds").minimum is None and row.item("material_kinds").met is None
    assert row.item("board_updates").met and row.item("talks").done == 6


def test_education_summary_is_set_based(city):
    _fill_centre(city, talks=2, consultations=1, materials=1, av=1, updates=(1,))
    activity(city, city.station)
    with CaptureQueriesContext(connection) as ctx:
        rows = summaries.education_summary(Institution.objects.all(), Y)
    assert len(rows) == 4 and len(ctx.captured_queries) <= 5
    with CaptureQueriesContext(connection) as ctx:
        summaries.infectious_timeliness(Institution.objects.all(), dt.date(Y, 1, 1), dt.date(Y, 12, 31))
    assert len(ctx.captured_queries) <= 2
    with CaptureQueriesContext(connection) as ctx:
        summaries.supervision_counts(Institution.objects.all(), dt.date(Y, 1, 1), dt.date(Y, 12, 31))
    assert len(ctx.captured_queries) <= 3


def test_timeliness_summary(city):
    mk = actions.create
    mk(InfectiousReport, None, city.centre, card_data(disease="A01", reported_at=at(3, 5, 12)))      # on time
    mk(InfectiousReport, None, city.centre, card_data(disease="B01", reported_at=at(3, 5, 12, 1)))   # late
    mk(InfectiousReport, None, city.centre, card_data(reported_at=at(3, 6, 10)))                     # on time
    late = mk(InfectiousReport, None, city.centre, card_data(reported_at=at(3, 6, 10, 1)))           # late
    gone = mk(InfectiousReport, None, city.centre, card_data(reported_at=at(3, 9, 10)))              # cancelled
    actions.cancel_report(gone, None, "误报")
    actions.revise_report(late, None, {"reported_at": at(3, 5, 11)})  # the revision does not count
    mk(InfectiousReport, None, city.hospital, card_data(reported_at=at(3, 5, 11)))
    mk(InfectiousReport, None, city.hospital, card_data(reported_at=at(2, 5, 11), diagnosed_at=at(2, 5, 10),
                                                         onset_date=dt.date(Y, 2, 1)))  # outside the period
    rows = {r.institution.code: r for r in summaries.infectious_timeliness(
        Institution.objects.all(), dt.date(Y, 3, 1), dt.date(Y, 3, 31))}
    c = rows["C001"]
    assert (c.cards, c.on_time, c.late, c.urgent, c.urgent_on_time, c.revised, c.cancelled) == (4, 2, 2, 2, 1, 1, 1)
    assert c.rate == 50.0
    assert (rows["T101"].cards, rows["T101"].rate) == (1, 100.0)
    assert rows["S001"].cards == 0 and rows["S001"].rate is None


def test_supervision_counts(city):
    for day, kind in [(dt.date(Y, 1, 3), "1"), (dt.date(Y, 2, 3), "1"), (dt.date(Y, 2, 5), "3")]:
        actions.create(SupervisionVisit, None, city.centre, {"visit_date": day, "kind": kind, "place": "小学",
                                                             "content": "巡查", "inspector": "王医生"})
    actions.create(SupervisionReport, None, city.centre, {
        "found_on": dt.date(Y, 2, 1), "kind": "1", "place": "饭店", "content": "疑似食源性疾病",
        "reported_to": "区卫生监督所", "reported_on": dt.date(Y, 2, 1), "reporter": "王医生"})
    rows = {r.institution.code: r for r in summaries.supervision_counts(
        Institution.objects.all(), dt.date(Y, 2, 1), dt.date(Y, 2, 28))}
    c = rows["C001"]
    assert (c.reports, c.visits) == (1, 2) and c.by_kind == {"1": (1, 1), "3": (0, 1)}
    assert rows["T101"].visits == 0
