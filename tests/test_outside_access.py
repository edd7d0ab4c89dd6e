"""Outside access: application, decision, consent, the time-boxed read-only grant, expiry and revocation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from jkda.access import grants
from jkda.access.models import AccessRequest, AccessRequestItem, AuditEntry
from jkda.records import actions as record_actions
from jkda.services.actions import record_service
from jkda.services.base import model_for

from .conftest import make_id

S = AccessRequest.Status


def _messages(exc) -> str:
    return " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.fixture
def setup(city, establish):
    rec = establish(name="张三丰", id_number=make_id(dt.date(1950, 1, 2)))
    other = establish(name="李四", id_number=make_id(dt.date(1960, 3, 4)))
    return rec, other


def submit(city, records, **kw):
    today = timezone.localdate()
    data = {"organisation": "苏州大学公共卫生学院", "purpose": "高血压队列研究，核对随访数据",
            "period_start": today, "period_end": today + dt.timedelta(days=29)}
    data.update(kw)
    return grants.submit_request(city.town_doctor, record_numbers=[r.number for r in records], **data)


def active_grant(city, rec):
    req = submit(city, [rec])
    grants.approve(city.manager, req)
    item = req.items.get()
    return grants.decide_consent(item, by=rec.resident, agree=True)


def entries(req) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="access.request", object_id=str(req.pk)).order_by("id"))


def test_every_step_moves_the_state_and_writes_an_audit_entry(city, setup):
    rec, _other = setup
    req = submit(city, [rec])
    assert req.status == S.SUBMITTED and req.institution == city.centre
    assert req.items.get().record == rec
    req = grants.approve(city.manager, req, reason="用途正当")
    assert req.status == S.APPROVED
    assert grants.open_grants(city.town_doctor) == {}  # no consent yet: nothing is open
    req = grants.decide_consent(req.items.get(), by=rec.resident, agree=True)
    assert req.status == S.ACTIVE and req.starts_at <= timezone.now() < req.ends_at
    assert timezone.localtime(req.ends_at).date() == req.period_end + dt.timedelta(days=1)
    assert grants.open_grants(city.town_doctor) == {rec.pk: req.pk}
    steps = [json.loads(e.detail).get("status") for e in entries(req)]
    assert steps == [[None, "submitted"], ["submitted", "approved"], None, ["approved", "consented"],
                     ["consented", "active"]]
    log = entries(req)
    assert log[0].actor_name == "town_doctor" and log[1].actor_name == "manager"
    assert log[2].actor_name == f"resident:{rec.number}" and json.loads(log[2].detail)["consent"] == "consented"
    assert [e.status for e in req.events.all()] == ["submitted", "approved", "consented", "active"]
    req = grants.revoke(city.manager, req, reason="研究已结束")
    assert req.status == S.REVOKED and grants.open_grants(city.town_doctor) == {}
    assert json.loads(entries(req)[-1].detail)["status"] == ["active", "revoked"]


def test_refusal_needs_reasons_and_ends_the_request(city, setup):
    rec, _ = setup
    req = submit(city, [rec])
    with pytest.raises(ValidationError) as exc:
        grants.refuse(city.manager, req, reason=" ")
    assert "理由" in _messages(exc.value)
    req = grants.refuse(city.manager, req, reason="用途与档案管理无关")
    assert req.status == S.REFUSED and req.decision_reason == "用途与档案管理无关"
    assert json.loads(entries(req)[-1].detail) == {"reason": "用途与档案管理无关", "status": ["submitted", "refused"]}


def test_illegal_transitions_are_refused_in_chinese(city, setup):
    rec, _ = setup
    req = submit(city, [rec])
    item = req.items.get()
    with pytest.raises(ValidationError) as exc:  # consent before approval
        grants.decide_consent(item, by=rec.resident, agree=True)
    assert _has_chinese(_messages(exc.value))
    with pytest.raises(ValidationError):  # revoke before it is active
        grants.revoke(city.manager, req, reason="提前撤销")
    with pytest.raises(ValidationError):
        grants.open_grant(req)
    with pytest.raises(PermissionDenied) as exc:  # a doctor is not the record manager or head
        grants.approve(city.doctor, req)
    assert _has_chinese(str(exc.value))
    with pytest.raises(PermissionDenied):  # the manager of another institution
        grants.approve(city.town_doctor, req)
    grants.approve(city.manager, req)
    for attempt in (lambda: grants.approve(city.manager, req), lambda: grants.refuse(city.manager, req,
                                                                                     reason="再次拒绝")):
        with pytest.raises(ValidationError) as exc:
            attempt()
        assert "不能" in _messages(exc.value)
    with pytest.raises(PermissionDenied) as exc:  # somebody else than the resident
        other = record_actions.establish_record(city.doctor, type(rec.resident)(
            name="王五", current_address="苏州", residence_type="1", id_number=make_id(dt.date(1970, 1, 1))),
            institution=city.centre, village=city.v1).resident
        grants.decide_consent(item, by=other, agree=True)
    assert "居民本人" in str(exc.value)
    grants.decide_consent(item, by=rec.resident, agree=False, reason="不愿意")
    req.refresh_from_db()
    assert req.status == S.DECLINED and grants.open_grants(city.town_doctor) == {}
    with pytest.raises(ValidationError):  # decided already
        grants.decide_consent(item, by=rec.resident, agree=True)
    assert AccessRequestItem.objects.get(pk=item.pk).consent_reason == "不愿意"


def test_an_application_is_checked(city, setup, establish):
    rec, other = setup
    today = timezone.localdate()

    def errors(**kw):
        with pytest.raises(ValidationError) as exc:
            submit(city, **kw)
        return exc.value.message_dict

    assert "records" in errors(records=[])
    with pytest.raises(ValidationError) as exc:
        grants.submit_request(city.town_doctor, record_numbers=["99999999999999999"], organisation="某大学",
                              purpose="队列研究核对随访数据", period_start=today, period_end=today)
    assert "99999999999999999" in exc.value.message_dict["records"][0]
    town = establish(name="赵六", institution=city.hospital, village=city.v3, actor=city.town_doctor,
                     id_number=make_id(dt.date(1955, 1, 1)))
    assert "已可查看" in errors(records=[town])["records"][0]  # inside the applicant's own scope
    station_rec = establish(name="钱七", institution=city.station, actor=city.station_doctor,
                            id_number=make_id(dt.date(1956, 1, 1)))
    assert "不同机构" in errors(records=[rec, station_rec])["records"][0]
    assert "period_start" in errors(records=[rec], period_start=today - dt.timedelta(days=1))
    assert "period_end" in errors(records=[rec], period_end=today + dt.timedelta(days=90))
    assert "period_end" in errors(records=[rec], period_start=today + dt.timedelta(days=3),
                                  period_end=today + dt.timedelta(days=2))
    assert "purpose" in errors(records=[rec], purpose="研究")
    city.town_doctor.role = "auditor"
    with pytest.raises(PermissionDenied):
        submit(city, [rec])
    assert AccessRequest.objects.count() == 0


def test_a_child_under_14_is_consented_for_by_the_household_head(city, establish):
    parent = establish(name="周父", id_number=make_id(dt.date(1980, 1, 1)))
    child = establish(name="周小", id_number=make_id(dt.date(timezone.localdate().year - 8, 2, 3)))
    req = submit(city, [child])
    grants.approve(city.manager, req)
    item = req.items.get()
    with pytest.raises(PermissionDenied) as exc:  # no household head recorded yet
        grants.decide_consent(item, by=parent.resident, agree=True)
    assert "户主" in str(exc.value)
    household = record_actions.create_household(city.doctor, institution=city.centre, village=city.v1,
                                                address="苏州市吴中区新家路1号", head=parent)
    record_actions.add_member(city.doctor, household, child, relation="20")
    with pytest.raises(PermissionDenied) as exc:
        grants.decide_consent(item, by=child.resident, agree=True)
    assert "监护人" in str(exc.value)
    req = grants.decide_consent(item, by=parent.resident, agree=True)
    item.refresh_from_db()
    assert req.status == S.ACTIVE and item.by_guardian and item.consent_by == parent.resident
    assert json.loads(entries(req)[2].detail)["by_guardian"] is True


def test_all_residents_must_consent(city, setup):
    rec, other = setup
    req = submit(city, [rec, other])
    grants.approve(city.manager, req)
    a, b = req.items.order_by("id")
    assert grants.decide_consent(a, by=rec.resident, agree=True).status == S.APPROVED
    assert grants.open_grants(city.town_doctor) == {}
    assert grants.decide_consent(b, by=other.resident, agree=True).status == S.ACTIVE
    assert set(grants.open_grants(city.town_doctor)) == {rec.pk, other.pk}


def test_the_grant_expires_by_itself(city, setup):
    rec, _ = setup
    req = active_grant(city, rec)
    assert grants.open_grants(city.town_doctor, now=req.ends_at - dt.timedelta(seconds=1)) == {rec.pk: req.pk}
    assert grants.effective_status(req, now=req.ends_at) == S.EXPIRED
    assert grants.open_grants(city.town_doctor, now=req.ends_at) == {}
    req.refresh_from_db()
    assert req.status == S.EXPIRED
    assert json.loads(entries(req)[-1].detail)["status"] == ["active", "expired"]
    with pytest.raises(ValidationError):
        grants.revoke(city.manager, req, reason="已过期再撤销")


def test_a_grant_for_a_later_period_opens_on_its_first_day(city, setup):
    rec, _ = setup
    start = timezone.localdate() + dt.timedelta(days=5)
    req = submit(city, [rec], period_start=start, period_end=start + dt.timedelta(days=2))
    grants.approve(city.manager, req)
    req = grants.decide_consent(req.items.get(), by=rec.resident, agree=True)
    assert req.status == S.ACTIVE and grants.open_grants(city.town_doctor) == {}
    assert grants.open_grants(city.town_doctor, now=req.starts_at) == {rec.pk: req.pk}


# --- through the web ---------------------------------------------------------------------------------------------


def _reads(rec) -> list[dict]:
    return [json.loads(e.detail or "{}") for e in AuditEntry.objects.filter(
        object_type="records.record", object_id=rec.number, action="read", actor_name="town_doctor")]


def test_a_grantee_reads_exactly_those_records_and_only_reads(city, setup, client):
    rec, other = setup
    client.force_login(city.town_doctor)
    assert client.get(f"/records/{rec.number}/").status_code == 404
    req = active_grant(city, rec)
    page = client.get(f"/records/{rec.number}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "张三丰" in html and f"#{req.pk}" in html
    assert rec.resident.id_number not in html  # masked: the grantee is not clinical staff of the record
    assert 'id="edit-link"' not in html
    assert _reads(rec) == [{"grant": req.pk}]
    assert client.get(f"/records/{other.number}/").status_code == 404  # exactly those records
    # services: the form pages open too, and each read names the grant
    exam = record_service(model_for("exam"), rec, city.doctor, {"service_date": timezone.localdate()})
    assert client.get(f"/services/exam/{exam.pk}/").status_code == 200
    read = AuditEntry.objects.filter(object_type="service:exam", object_id=str(exam.pk), actor_name="town_doctor")
    assert json.loads(read.get().detail)["grant"] == req.pk
    # anything else is refused: edits, lifecycle, services, the card PDF, the API, the search list
    version = rec.resident.version
    assert client.get(f"/records/{rec.number}/edit/").status_code == 404
    assert client.post(f"/records/{rec.number}/edit/", {"name": "篡改"}).status_code == 404
    assert client.post(f"/records/{rec.number}/close/", {"reason": "1"}).status_code == 404
    assert client.post(f"/records/{rec.number}/services/encounter/new/", {}).status_code == 404
    assert client.get(f"/records/{rec.number}/card.pdf").status_code == 404
    assert client.get(f"/api/records/{rec.number}").status_code == 404
    assert "张三丰" not in client.get("/?q=" + rec.number).content.decode()
    rec.resident.refresh_from_db()
    assert rec.resident.version == version and rec.resident.name == "张三丰"
    assert not rec.events.exclude(kind="established").exists()


def test_after_expiry_or_revocation_the_grantee_is_refused(city, setup, client):
    rec, _ = setup
    req = active_grant(city, rec)
    client.force_login(city.town_doctor)
    assert client.get(f"/records/{rec.number}/").status_code == 200
    AccessRequest.objects.filter(pk=req.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    assert client.get(f"/records/{rec.number}/").status_code == 404
    req.refresh_from_db()
    assert req.status == S.EXPIRED
    req2 = active_grant(city, rec)
    assert client.get(f"/records/{rec.number}/").status_code == 200
    grants.revoke(city.manager, req2, reason="研究方违规")
    assert client.get(f"/records/{rec.number}/").status_code == 404


def test_the_request_pages(city, setup, client):
    rec, _ = setup
    today = timezone.localdate()
    client.force_login(city.town_doctor)
    assert "外部查阅" in client.get("/access-requests/").content.decode()
    bad = client.post("/access-requests/new/", {"organisation": "某大学", "purpose": "短", "records": rec.number,
                                                "period_start": today, "period_end": today})
    assert bad.status_code == 200 and "至少 10" in bad.content.decode()
    resp = client.post("/access-requests/new/", {
        "organisation": "某大学", "purpose": "高血压队列研究，核对随访数据", "records": f"{rec.number}\n",
        "period_start": today, "period_end": today + dt.timedelta(days=7)})
    req = AccessRequest.objects.get()
    assert resp.status_code == 302 and resp.url == f"/access-requests/{req.pk}/"
    page = client.get(resp.url).content.decode()
    assert rec.number in page and "张三丰" not in page  # the applicant sees numbers, not names
    assert client.post(f"/access-requests/{req.pk}/decide/", {"verdict": "approve"}).status_code == 400
    client.force_login(city.manager)
    page = client.get(f"/access-requests/{req.pk}/").content.decode()
    assert "张三丰" in page and 'id="approve"' in page
    refused = client.post(f"/access-requests/{req.pk}/decide/", {"verdict": "refuse", "reason": ""})
    assert refused.status_code == 400 and "理由" in refused.content.decode()
    assert client.post(f"/access-requests/{req.pk}/decide/", {"verdict": "approve"}).status_code == 302
    req.refresh_from_db()
    assert req.status == S.APPROVED
    client.force_login(city.station_doctor)  # neither applicant nor decider
    assert client.get(f"/access-requests/{req.pk}/").status_code == 404


def test_the_mental_disorder_management_consent_is_shown_beside_the_request(city, establish, client):
    from jkda.programs import actions as program_actions
    from jkda.programs.mental.models import SmiProfile

    rec = establish(id_number=make_id(dt.date(1980, 3, 4)), past_diseases=[{"code": "8", "date": "2010-05"}])
    day = timezone.localdate() - dt.timedelta(days=10)
    from jkda.records.models import Record

    Record.objects.filter(pk=rec.pk).update(established_on=day - dt.timedelta(days=30))
    rec.refresh_from_db()
    program_actions.enrol(city.doctor, rec, "smi", on=day, source="1")
    profile = record_service(SmiProfile, rec, city.doctor, {
        "service_date": day, "consent": "1", "consent_signer": "2", "guardian_name": "张母", "guardian_relation": "2",
        "consent_date": day, "diagnosis": "1", "past_symptoms": ["1"]})
    req = submit(city, [rec])
    assert grants.mental_consents([rec.pk]) == {rec.pk: profile}
    client.force_login(city.manager)
    page = client.get(f"/access-requests/{req.pk}/").content.decode()
    assert f"/services/smi_profile/{profile.pk}/" in page and day.isoformat() in page
    client.force_login(city.town_doctor)  # the applicant does not see it
    assert "smi_profile" not in client.get(f"/access-requests/{req.pk}/").content.decode()
