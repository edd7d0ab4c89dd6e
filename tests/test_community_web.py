"""Pages and API of the institution-level services: lists, derived forms, summaries, permissions, Chinese."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from jkda.services.community import actions
from jkda.services.community import codes as C
from jkda.services.community.models import EducationActivity, InfectiousReport, NoticeBoard, SupervisionVisit

from .conftest import make_id

Y = timezone.localdate().year - 1


def html(resp) -> str:
    return resp.content.decode()


def post_json(client, path, body):
    return client.post(path, json.dumps(body, default=str), content_type="application/json")


def talk(inst, **kw):
    data = {"activity_date": dt.date(Y, 4, 10), "place": "会议室", "activity_kind": C.TALK, "theme": "高血压防治",
            "organiser": "王医生", "participants": 30}
    data.update(kw)
    return actions.create(EducationActivity, None, inst, data)


# --- pages ------------------------------------------------------------------------------------------------------

def test_nav_link_and_index_in_chinese(client, city):
    client.force_login(city.doctor)
    page = html(client.get("/public-health/"))
    assert 'id="nav-community_index"' in page and "公共卫生服务" in page
    assert "健康教育活动记录表" in page and "传染病报告卡" in page and "卫生计生监督协管巡查登记表" in page


def test_create_education_activity_through_the_form(client, city):
    client.force_login(city.doctor)
    form = html(client.get("/public-health/education/new/?institution=C001"))
    assert "活动时间" in form and "活动形式" in form and "接受健康教育人数" in form
    assert 'name="materials-0-name"' in form
    resp = client.post("/public-health/education/new/", {
        "institution": "C001", "activity_date": f"{Y}-05-06", "place": "社区活动中心", "activity_kind": "5",
        "theme": "糖尿病防治", "organiser": "王医生", "audience": ["4", "8"], "participants": "45",
        "materials-0-name": "糖尿病折页", "materials-0-count": "40", "summary_evaluation": "效果良好",
    })
    assert resp.status_code == 302
    obj = EducationActivity.objects.get()
    assert obj.institution == city.centre and obj.audience == ["4", "8"] and obj.participants == 45
    assert obj.materials == [{"name": "糖尿病折页", "count": "40"}] and obj.created_by == city.doctor
    page = html(client.get(resp["Location"]))
    assert "健康知识讲座" in page and "糖尿病折页 40" in page and "老年人" in page
    listing = html(client.get(f"/public-health/education/?institution=C001&year={Y}&kind=5"))
    assert "糖尿病防治" in listing and 'id="new-link"' in listing
    assert "糖尿病防治" not in html(client.get(f"/public-health/education/?institution=C001&year={Y}&kind=4"))
    assert "糖尿病防治" not in html(client.get(f"/public-health/education/?institution=C001&year={Y - 1}"))


def test_form_errors_are_shown_in_chinese(client, city):
    client.force_login(city.doctor)
    resp = client.post("/public-health/education/new/", {
        "institution": "C001", "activity_date": f"{Y}-05-06", "place": "会议室", "activity_kind": "5",
        "theme": "控烟", "organiser": "王医生", "participants": "-3"})
    assert resp.status_code == 200
    assert "人数不能为负数。" in html(resp) and EducationActivity.objects.count() == 0
    resp = client.post("/public-health/infectious/new/", {
        "institution": "C001", "patient_name": "周明", "sex": "1", "age_years": "30", "disease": "B05",
        "case_type": "3", "onset_date": f"{Y}-03-01", "diagnosed_at": f"{Y}-03-05T10:00",
        "reported_at": f"{Y}-03-05T09:00", "reporting_doctor": "王医生"})
    assert "报告时间不能早于诊断时间。" in html(resp) and InfectiousReport.objects.count() == 0


def test_infectious_card_page_revise_and_cancel(client, city, establish):
    rec = establish(id_number=make_id(birth=dt.date(1980, 1, 1)), name="郑大勇")
    client.force_login(city.doctor)
    resp = client.post("/public-health/infectious/new/", {
        "institution": "C001", "patient_record": rec.number, "disease": "B01", "case_type": "1",
        "onset_date": f"{Y}-03-01", "diagnosed_at": f"{Y}-03-05T10:00", "reported_at": f"{Y}-03-05T12:01",
        "reporting_doctor": "王医生"})
    assert resp.status_code == 302, html(resp)
    card = InfectiousReport.objects.get()
    assert card.patient_record == rec and card.patient_name == "郑大勇" and card.urgent
    page = html(client.get(resp["Location"]))
    assert "迟报 1分钟" in page and "传染性非典型肺炎" in page and "乙类" in page and rec.number in page
    edit = html(client.get(f"/public-health/infectious/{card.pk}/edit/"))
    assert f'value="{rec.number}"' in edit and "原报告卡保持不变" in edit
    resp = client.post(f"/public-health/infectious/{card.pk}/edit/", {
        "patient_record": rec.number, "disease": "B01", "case_type": "3", "onset_date": f"{Y}-03-01",
        "diagnosed_at": f"{Y}-03-05T10:00", "reported_at": f"{Y}-03-05T12:01", "reporting_doctor": "王医生",
        "sex": "1", "birth_date": "1980-01-01", "patient_name": "郑大勇", "id_number": rec.resident.id_number,
        "phone": rec.resident.phone, "address": rec.resident.current_address, "version": "1"})
    assert resp.status_code == 302
    card.refresh_from_db()
    new = InfectiousReport.objects.get(revises=card)
    assert card.status == C.REVISED and card.case_type == "1" and new.case_type == "3"
    assert "已订正" in html(client.get(f"/public-health/infectious/{card.pk}/"))
    resp = client.post(f"/public-health/infectious/{new.pk}/cancel/", {"reason": "重复报告"})
    new.refresh_from_db()
    assert new.status == C.CANCELLED and "已删除" in html(client.get(resp["Location"]))
    listing = html(client.get(f"/public-health/infectious/?institution=C001&year={Y}"))
    assert "迟报 1分钟" in listing and "郑大勇" in listing


def test_record_number_outside_the_users_area_is_refused(client, city, establish):
    rec = establish(actor=city.town_doctor, institution=city.hospital, village=city.v3,
                    id_number=make_id(birth=dt.date(1975, 1, 1)))
    client.force_login(city.doctor)
    resp = client.post("/public-health/infectious/new/", {
        "institution": "C001", "patient_record": rec.number, "disease": "C01", "case_type": "2",
        "onset_date": f"{Y}-03-01", "diagnosed_at": f"{Y}-03-05T10:00", "reported_at": f"{Y}-03-05T11:00",
        "reporting_doctor": "王医生"})
    assert resp.status_code == 200 and "您的管辖范围内没有档案号为" in html(resp)


def test_other_institution_cannot_see_or_add(client, city):
    obj = talk(city.centre)
    client.force_login(city.town_doctor)
    assert client.get("/public-health/education/new/?institution=C001").status_code == 404
    assert client.post("/public-health/education/new/", {"institution": "C001"}).status_code == 404
    assert client.get(f"/public-health/education/{obj.pk}/").status_code == 404
    assert "高血压防治" not in html(client.get(f"/public-health/education/?year={Y}"))


def test_bureau_reads_summaries_but_cannot_write(client, city):
    talk(city.centre)
    client.force_login(city.bureau_user)
    page = html(client.get(f"/public-health/summary/education/?year={Y}"))
    assert "健康教育年度汇总" in page and "长桥社区卫生服务中心" in page and "金星村卫生室" in page
    assert "健康知识讲座" in page and "1 / 12" in page
    listing = html(client.get(f"/public-health/education/?institution=C001&year={Y}"))
    assert "高血压防治" in listing and 'id="new-link"' not in listing
    form = html(client.get("/public-health/education/new/?institution=C001"))
    assert "您可以查看这些记录，但不能新增。" in form
    resp = client.post("/public-health/education/new/", {
        "institution": "C001", "activity_date": f"{Y}-05-06", "place": "会议室", "activity_kind": "5",
        "theme": "控烟", "organiser": "孙科长", "participants": "10"})
    assert resp.status_code == 200 and "您的角色只能查看档案" in html(resp)
    assert EducationActivity.objects.count() == 1
    obj = EducationActivity.objects.get()
    assert 'id="edit-link"' not in html(client.get(f"/public-health/education/{obj.pk}/"))


def test_summary_pages(client, city):
    board = actions.create(NoticeBoard, None, city.station, {"name": "宣传栏1", "location": "门口", "area": 2,
                                                             "set_up_on": dt.date(Y - 1, 1, 1)})
    for k in range(6):
        talk(city.station, activity_date=dt.date(Y, 2 * k + 1, 3))
        talk(city.station, activity_kind=C.BOARD_UPDATE, board=board, participants=None,
             activity_date=dt.date(Y, 2 * k + 1, 4))
    actions.create(InfectiousReport, None, city.centre, {
        "patient_name": "周明", "sex": "1", "age_years": 30, "disease": "A02", "case_type": "3",
        "onset_date": dt.date(Y, 3, 1), "diagnosed_at": timezone.make_aware(dt.datetime(Y, 3, 5, 10)),
        "reported_at": timezone.make_aware(dt.datetime(Y, 3, 5, 13)), "reporting_doctor": "王医生"})
    actions.create(SupervisionVisit, None, city.centre, {"visit_date": dt.date(Y, 6, 1), "kind": "2",
                                                         "place": "供水站", "content": "水质巡查",
                                                         "inspector": "王医生"})
    client.force_login(city.doctor)
    page = html(client.get(f"/public-health/summary/education/?year={Y}"))
    assert 'id="inst-S001"' in page and "宣传栏按时更换" in page
    station_row = page.split('id="inst-S001"')[1].split("</tr>")[0]
    assert '<td class="met">是</td>' in station_row
    centre_row = page.split('id="inst-C001"')[1].split("</tr>")[0]
    assert '<td class="met">否</td>' in centre_row
    assert "金星村卫生室" not in page  # outside the centre's jurisdiction
    page = html(client.get(f"/public-health/summary/infectious/?year={Y}"))
    assert "报告及时率" in page and "迟报 1小时" in page and "0.0%" in page
    page = html(client.get(f"/public-health/summary/supervision/?start={Y}-01-01&end={Y}-12-31"))
    row = page.split('id="inst-C001"')[1].split("</tr>")[0]
    assert "饮用水卫生安全 0 / 1" in row


def test_english_on_request(client, city):
    client.force_login(city.doctor)
    client.post("/i18n/setlang/", {"language": "en", "next": "/public-health/"})
    page = html(client.get("/public-health/"))
    assert "Public health services" in page and "Health education activity records" in page


# --- API --------------------------------------------------------------------------------------------------------

def test_api_create_list_read_patch_education(client, city):
    client.force_login(city.doctor)
    resp = post_json(client, "/api/public-health/notice_board", {
        "institution": "C001", "name": "宣传栏1", "location": "大厅", "area": "2.5", "set_up_on": f"{Y}-01-01"})
    assert resp.status_code == 201, resp.content
    board = resp.json()["id"]
    resp = post_json(client, "/api/public-health/education", {
        "institution": "C001", "activity_date": f"{Y}-03-03", "place": "大厅", "activity_kind": "3",
        "board": board, "theme": "春季传染病预防", "organiser": "王医生"})
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["board"] == board and data["institution"] == "C001" and data["version"] == 1
    listed = client.get(f"/api/public-health/education?institution=C001&year={Y}&kind=3").json()
    assert [r["id"] for r in listed] == [data["id"]]
    resp = client.patch(f"/api/public-health/education/{data['id']}",
                        json.dumps({"theme": "夏季防溺水", "version": 1}), content_type="application/json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    resp = client.patch(f"/api/public-health/education/{data['id']}",
                        json.dumps({"theme": "x", "version": 1}), content_type="application/json")
    assert resp.status_code == 409
    resp = post_json(client, "/api/public-health/education", {
        "institution": "C001", "activity_date": f"{Y}-03-03", "place": "大厅", "activity_kind": "5",
        "theme": "讲座", "organiser": "王医生", "participants": -2})
    assert resp.status_code == 422 and resp.json()["errors"]["participants"] == ["人数不能为负数。"]


def test_api_infectious_cards_and_timeliness(client, city):
    client.force_login(city.doctor)
    body = {"institution": "C001", "patient_name": "周明", "sex": "1", "age_years": 30, "disease": "A01",
            "case_type": "3", "onset_date": f"{Y}-03-01", "diagnosed_at": f"{Y}-03-05T10:00:00+08:00",
            "reported_at": f"{Y}-03-05T12:00:00+08:00", "reporting_doctor": "王医生"}
    resp = post_json(client, "/api/public-health/infectious", body)
    assert resp.status_code == 201, resp.content
    first = resp.json()
    assert first["on_time"] is True and first["urgent"] is True and first["disease_class"] == "A"
    resp = post_json(client, "/api/public-health/infectious", {**body, "reported_at": f"{Y}-03-05T12:01:00+08:00"})
    second = resp.json()
    assert second["on_time"] is False and second["late_minutes"] == 1
    resp = post_json(client, "/api/public-health/infectious", {**body, "reported_at": f"{Y}-03-05T09:00:00+08:00"})
    assert resp.status_code == 422 and resp.json()["errors"]["reported_at"] == ["报告时间不能早于诊断时间。"]
    resp = post_json(client, f"/api/public-health/infectious/{second['id']}/revise", {"case_type": "2"})
    assert resp.status_code == 201 and resp.json()["revises"] == second["id"]
    assert client.get(f"/api/public-health/infectious/{second['id']}").json()["status"] == C.REVISED
    resp = post_json(client, f"/api/public-health/infectious/{first['id']}/cancel", {"reason": ""})
    assert resp.status_code == 422
    summary = client.get(f"/api/public-health/summary/infectious?start={Y}-01-01&end={Y}-12-31").json()
    centre = next(r for r in summary if r["institution"] == "C001")
    assert (centre["cards"], centre["on_time"], centre["late"], centre["urgent"]) == (2, 1, 1, 2)
    assert centre["rate"] == 50.0 and centre["revised"] == 1


def test_api_permissions(client, city):
    client.force_login(city.town_doctor)
    resp = post_json(client, "/api/public-health/supervision_visit", {
        "institution": "C001", "visit_date": f"{Y}-03-03", "kind": "1", "place": "饭店", "content": "巡查",
        "inspector": "赵医生"})
    assert resp.status_code == 422 and "unknown institution code" in resp.content.decode()
    client.force_login(city.bureau_user)
    resp = post_json(client, "/api/public-health/supervision_visit", {
        "institution": "C001", "visit_date": f"{Y}-03-03", "kind": "1", "place": "饭店", "content": "巡查",
        "inspector": "孙科长"})
    assert resp.status_code == 403
    talk(city.centre)
    summary = client.get(f"/api/public-health/summary/education?year={Y}").json()
    centre = next(r for r in summary if r["institution"] == "C001")
    talks = next(i for i in centre["items"] if i["key"] == "talks")
    assert talks == {"key": "talks", "label": "健康知识讲座", "done": 1, "minimum": 12, "met": False}
    assert centre["met"] is False
    sup = client.get(f"/api/public-health/summary/supervision?start={Y}-01-01").json()
    assert {r["institution"] for r in sup} == {"C001", "S001", "T101", "V101"}


def test_api_supervision_report_and_list(client, city):
    client.force_login(city.station_doctor)
    resp = post_json(client, "/api/public-health/supervision_report", {
        "institution": "S001", "found_on": f"{Y}-03-03", "kind": "4", "place": "某小区", "content": "无证诊所",
        "reported_to": "区卫生监督所", "reported_on": f"{Y}-03-02", "reporter": "李医生"})
    assert resp.status_code == 422 and resp.json()["errors"]["reported_on"] == ["报告日期不能早于发现日期。"]
    resp = post_json(client, "/api/public-health/supervision_report", {
        "institution": "S001", "found_on": f"{Y}-03-03", "kind": "4", "place": "某小区", "content": "无证诊所",
        "reported_to": "区卫生监督所", "reported_on": f"{Y}-03-03", "reporter": "李医生"})
    assert resp.status_code == 201
    assert len(client.get("/api/public-health/supervision_report").json()) == 1
    client.force_login(city.town_doctor)
    assert client.get("/api/public-health/supervision_report").json() == []
    assert client.get(f"/api/public-health/supervision_report/{resp.json()['id']}").status_code == 404


@pytest.mark.parametrize("path", ["/public-health/", "/public-health/summary/education/",
                                  "/public-health/summary/infectious/", "/api/public-health/summary/education"])
def test_login_required(client, db, path):
    resp = client.get(path)
    assert resp.status_code in (302, 401)


def test_registers_without_kind_of_their_own(client, city):
    from jkda.services.community.models import PrintedMaterial

    actions.create(PrintedMaterial, None, city.centre, {"title_text": "高血压防治折页", "material_form": "1",
                                                        "copies": 500, "provided_on": dt.date(Y, 1, 5)})
    actions.create(NoticeBoard, None, city.centre, {"name": "一号宣传栏", "location": "大厅", "area": 2,
                                                    "set_up_on": dt.date(Y - 1, 1, 1)})
    client.force_login(city.doctor)
    page = html(client.get(f"/public-health/printed_material/?institution=C001&year={Y}"))
    assert "高血压防治折页" in page and "健康教育折页" in page and "资料名称" in page
    page = html(client.get("/public-health/notice_board/?institution=C001"))
    assert "一号宣传栏" in page and "面积（m²）" in page
    form = html(client.get("/public-health/supervision_report/new/?institution=C001"))
    assert "发现的信息" in form and "报告及处理" in form and "信息类别" in form
    assert client.get("/public-health/unknown/").status_code == 404
