"""The resident portal: sign-in with a one-time code, the pages, guardians, consent and correction requests."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from jkda.access import grants
from jkda.access.models import AccessRequest, AuditEntry
from jkda.portal import otp
from jkda.portal.models import CorrectionRequest, SignInCode
from jkda.records import actions as record_actions

from .conftest import make_id

PHONE = "13912345678"
NEUTRAL = "如果证件号码和手机号码与健康档案一致"


@pytest.fixture(autouse=True)
def memory_sender(settings):
    settings.JKDA_OTP_SENDER = "jkda.portal.otp.MemorySender"
    otp.MemorySender.outbox.clear()
    yield otp.MemorySender
    otp.MemorySender.outbox.clear()


@pytest.fixture
def rec(establish):
    return establish(name="张三丰", id_number=make_id(dt.date(1950, 1, 2)), phone=PHONE)


def ask_code(client, id_number, phone=PHONE):
    return client.post("/portal/login/", {"id_number": id_number, "phone": phone})


def sign_in(client, rec, phone=PHONE):
    resp = ask_code(client, rec.resident.id_number, phone)
    assert resp.status_code == 302 and resp.url == "/portal/login/code/"
    code = otp.MemorySender.last_code(phone)
    resp = client.post("/portal/login/code/", {"code": code})
    assert resp.status_code == 302 and resp.url == "/portal/", resp.content.decode()
    return client


def test_sign_in_with_a_code_sent_to_the_phone_on_the_record(client, rec):
    assert client.get("/portal/").url == "/portal/login/"
    page = client.get("/portal/login/").content.decode()
    assert "身份证号码" in page and "获取验证码" in page
    resp = ask_code(client, rec.resident.id_number.lower())
    assert resp.status_code == 302
    assert client.get(resp.url).content.decode().count(NEUTRAL) == 1
    phone, text = otp.MemorySender.outbox[-1]
    assert phone == PHONE and "验证码" in text and "5 分钟" in text
    code = otp.MemorySender.last_code()
    assert SignInCode.objects.get().code_hash != code  # only an HMAC is stored
    resp = client.post("/portal/login/code/", {"code": code})
    assert resp.url == "/portal/"
    home = client.get("/portal/").content.decode()
    assert "张三丰" in home and rec.number in home
    # the portal session is not a staff session
    assert client.get("/").status_code == 302 and "/login/" in client.get("/").url
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login", actor_name=f"resident:{rec.number}").exists()
    # signing out ends the portal session; a used code does not work twice
    client.post("/portal/logout/")
    assert client.get("/portal/").status_code == 302
    with pytest.raises(otp.SignInError):
        otp.verify_code(SignInCode.objects.get().pk, code)


def test_unknown_id_and_wrong_phone_get_the_same_neutral_answer(client, rec, city):
    answers = []
    for idn, phone in ((make_id(dt.date(1990, 1, 1)), PHONE), (rec.resident.id_number, "13800000000")):
        resp = ask_code(client, idn, phone)
        assert resp.status_code == 302 and resp.url == "/portal/login/code/"
        answers.append(client.get(resp.url).content.decode().count(NEUTRAL))
        wrong = client.post("/portal/login/code/", {"code": "123456"}).content.decode()
        assert "验证码错误" in wrong
    assert answers == [1, 1]
    assert otp.MemorySender.outbox == []  # nothing was sent
    assert SignInCode.objects.filter(resident=None).count() == 2


def test_wrong_code_then_too_many_attempts(client, rec, settings):
    ask_code(client, rec.resident.id_number)
    code = otp.MemorySender.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        page = client.post("/portal/login/code/", {"code": wrong}).content.decode()
        assert f"还可尝试 {left} 次" in page
    page = client.post("/portal/login/code/", {"code": wrong}).content.decode()
    assert "错误次数过多" in page
    page = client.post("/portal/login/code/", {"code": code}).content.decode()  # even the right code now
    assert "错误次数过多" in page and "portal_resident" not in client.session
    assert client.post("/portal/login/code/", {"code": "12ab"}).status_code == 200  # malformed: a form error
    assert AuditEntry.objects.filter(action="login_failed", object_type="portal").count() == 6


def test_an_expired_code_is_refused(client, rec):
    ask_code(client, rec.resident.id_number)
    code = otp.MemorySender.last_code()
    challenge = SignInCode.objects.get()
    with pytest.raises(otp.SignInError) as exc:
        otp.verify_code(challenge.pk, code, now=challenge.expires_at)
    assert "已过期" in str(exc.value)
    SignInCode.objects.filter(pk=challenge.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    page = client.post("/portal/login/code/", {"code": code}).content.decode()
    assert "验证码已过期" in page and "portal_resident" not in client.session


def test_codes_are_rate_limited_per_id_number(client, rec):
    for _ in range(3):
        assert ask_code(client, rec.resident.id_number).status_code == 302
    page = ask_code(client, rec.resident.id_number).content.decode()
    assert "过于频繁" in page and len(otp.MemorySender.outbox) == 3
    unknown = make_id(dt.date(1991, 1, 1))  # unknown numbers are limited alike
    for _ in range(3):
        ask_code(client, unknown)
    assert "过于频繁" in ask_code(client, unknown).content.decode()
    later = timezone.now() + dt.timedelta(minutes=16)
    assert otp.request_code(rec.resident.id_number, PHONE, now=later).resident == rec.resident


def test_the_portal_session_times_out_when_idle(client, rec, settings):
    sign_in(client, rec)
    session = client.session
    session["portal_seen"] = time.time() - 601
    session.save()
    resp = client.get("/portal/record/")
    assert resp.status_code == 302 and resp.url == "/portal/login/?timeout=1"
    assert "自动退出" in client.get(resp.url).content.decode()
    assert client.get("/portal/").url == "/portal/login/"


def test_the_resident_sees_their_record_services_and_who_read_it(client, rec, city):
    from jkda.services.actions import record_service
    from jkda.services.base import model_for

    record_service(model_for("exam"), rec, city.doctor, {"service_date": timezone.localdate()})
    staff = client.__class__()
    staff.force_login(city.doctor)
    assert staff.get(f"/records/{rec.number}/").status_code == 200
    sign_in(client, rec)
    page = client.get("/portal/record/").content.decode()
    assert rec.resident.id_number not in page and rec.resident.id_number[:4] in page and "139****5678" in page
    services = client.get("/portal/services/").content.decode()
    assert "健康体检表" in services and 'id="services-exams"' in services and "待做的服务" in services
    log = client.get("/portal/access-log/").content.decode()
    assert "长桥社区卫生服务中心" in log and "医生" in log and "查看" in log
    assert "王医生" not in log and "doctor" not in log  # institution and role, no names
    assert log.count('class="access-entry"') == AuditEntry.objects.filter(
        object_type="records.record", object_id=rec.number, outcome="ok").exclude(
        actor_name__startswith="resident:").count()


def test_consent_in_the_portal_opens_the_grant(client, rec, city):
    today = timezone.localdate()
    req = grants.submit_request(city.town_doctor, record_numbers=[rec.number], organisation="苏州大学",
                                purpose="高血压队列研究，核对随访数据", period_start=today,
                                period_end=today + dt.timedelta(days=6))
    sign_in(client, rec)
    assert 'class="card consent-request"' not in client.get("/portal/consents/").content.decode()  # not approved
    grants.approve(city.manager, req)
    page = client.get("/portal/consents/").content.decode()
    assert "苏州大学" in page and "高血压队列研究" in page and "查阅申请 (1)" in page
    item = req.items.get()
    resp = client.post(f"/portal/consents/{item.pk}/", {"verdict": "agree", "reason": ""})
    assert resp.status_code == 302
    req.refresh_from_db()
    assert req.status == AccessRequest.Status.ACTIVE
    assert "已同意" in client.get("/portal/consents/").content.decode()
    # after the grantee reads, the resident sees it with the request number
    staff = client.__class__()
    staff.force_login(city.town_doctor)
    assert staff.get(f"/records/{rec.number}/").status_code == 200
    assert f"申请 #{req.pk}" in client.get("/portal/access-log/").content.decode()


def test_a_guardian_switches_to_a_child_and_consents(client, rec, city, establish):
    child = establish(name="张小宝", id_number=make_id(dt.date(timezone.localdate().year - 6, 4, 5)))
    teen = establish(name="张大宝", id_number=make_id(dt.date(timezone.localdate().year - 15, 4, 5)))
    household = record_actions.create_household(city.doctor, institution=city.centre, village=city.v1,
                                                address="苏州市吴中区新家路1号", head=rec)
    record_actions.add_member(city.doctor, household, child, relation="20")
    record_actions.add_member(city.doctor, household, teen, relation="20")
    sign_in(client, rec)
    home = client.get("/portal/").content.decode()
    assert "张小宝" in home and "张大宝" not in home  # only children under 14
    client.post("/portal/switch/", {"record": str(teen.pk)})  # not a choice: ignored
    assert "张三丰" in client.get("/portal/").content.decode().split('id="portal-name"')[1][:40]
    client.post("/portal/switch/", {"record": str(child.pk)})
    home = client.get("/portal/").content.decode()
    assert child.number in home and "监护人身份" in home
    today = timezone.localdate()
    req = grants.submit_request(city.town_doctor, record_numbers=[child.number], organisation="儿童医院",
                                purpose="儿童生长发育研究核对体检数据", period_start=today, period_end=today)
    grants.approve(city.manager, req)
    item = req.items.get()
    assert client.post(f"/portal/consents/{item.pk}/", {"verdict": "decline", "reason": "不需要"}).status_code == 302
    item.refresh_from_db()
    req.refresh_from_db()
    assert item.by_guardian and item.consent_by == rec.resident and req.status == AccessRequest.Status.DECLINED
    entry = AuditEntry.objects.filter(object_type="access.request", object_id=str(req.pk),
                                      actor_name=f"resident:{rec.number}").first()
    assert entry is not None and '"by_guardian": true' in entry.detail


def test_a_correction_request_reaches_the_work_list(client, rec, city):
    sign_in(client, rec)
    bad = client.post("/portal/corrections/", {"field": "phone", "text": ""})
    assert bad.status_code == 400 and "请说明" in bad.content.decode()
    resp = client.post("/portal/corrections/", {"field": "phone", "text": "手机号已换成13800001111"})
    assert resp.status_code == 302
    c = CorrectionRequest.objects.get()
    assert c.record == rec and c.status == "open" and not c.by_guardian
    assert AuditEntry.objects.filter(object_type="portal.correction", object_id=str(c.pk), action="create").exists()
    staff = client.__class__()
    staff.force_login(city.doctor)
    page = staff.get("/worklist/").content.decode()
    assert 'id="section-corrections"' in page and "手机号已换成13800001111" in page and "本人电话" in page
    other = client.__class__()
    other.force_login(city.town_doctor)
    assert "手机号已换成" not in other.get("/worklist/").content.decode()  # another institution
    assert other.post(f"/corrections/{c.pk}/answer/", {"corrected": "1"}).status_code == 404
    staff.post(f"/corrections/{c.pk}/answer/", {"corrected": "0", "answer": ""})
    c.refresh_from_db()
    assert c.status == "open"  # a refusal needs reasons
    staff.post(f"/corrections/{c.pk}/answer/", {"corrected": "1", "answer": "已更新电话"})
    c.refresh_from_db()
    assert c.status == "done" and c.resolved_by == city.doctor
    assert "section-corrections" not in staff.get("/worklist/").content.decode()
    page = client.get("/portal/corrections/").content.decode()
    assert "已更正" in page and "已更新电话" in page
