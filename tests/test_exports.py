"""Exports of personal data: only roles allowed to export, always with a stated purpose, watermarked with the user
and the time, and audited (action "export"). Also: the assessor's time-limited assignment, the three
administrators who read no health data, and the audit entries of reads through the pages and the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jkda.access import actions
from jkda.access.models import ApiToken, AuditEntry
from jkda.access.roles import ADMIN_ROLES, ROLE_PERMISSIONS, Perm, has
from jkda.access.scope import visible_institution_ids
from jkda.programs import actions as program_actions
from jkda.regions.models import Staff

from .conftest import login_verified


def entries(**kw):
    return list(AuditEntry.objects.filter(**kw).order_by("id"))


@pytest.fixture
def due(city, establish, settings):
    """A record with a hypertension follow-up due (enrolled long ago)."""
    rec = establish(name="钱多多", phone="13955556666", past_diseases=[{"code": "2", "date": "2015-03"}])
    program_actions.enrol(city.doctor, rec, "hypertension", on=dt.date.today() - dt.timedelta(days=120))
    return rec


# --- the work list ----------------------------------------------------------------------------------------------

def test_worklist_csv_needs_a_purpose_and_carries_the_watermark(client, city, due):
    client.force_login(city.doctor)
    asked = client.get("/worklist/export/", {"scope": "institution"})
    assert asked.status_code == 400 and 'id="export-purpose"' in asked.content.decode()
    assert 'name="scope" value="institution"' in asked.content.decode()  # the filters are kept
    assert not entries(action="export")
    resp = client.get("/worklist/export/", {"scope": "institution", "purpose": "随访电话", "format": "csv"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    lines = resp.content.decode("utf-8-sig").splitlines()
    assert "doctor" in lines[0] and "王医生" in lines[0] and "随访电话" in lines[0]
    assert dt.date.today().isoformat() in lines[0]
    assert any("钱多多" in line and "13955556666" in line for line in lines[2:])
    export = entries(action="export")[-1]
    detail = json.loads(export.detail)
    assert export.actor_name == "doctor" and detail["purpose"] == "随访电话" and detail["rows"] >= 1
    assert due.number in detail["records"]


def test_worklist_print_is_watermarked_and_audited(client, city, due):
    client.force_login(city.doctor)
    page = client.get("/worklist/export/", {"scope": "institution", "purpose": "入户随访", "format": "print"})
    body = page.content.decode()
    assert page.status_code == 200 and 'id="watermark"' in body and "入户随访" in body and "钱多多" in body
    assert json.loads(entries(action="export")[-1].detail)["what"] == "work list print"


def test_roles_without_export_cannot_export(client, city, due):
    client.force_login(city.bureau_user)
    assert client.get("/worklist/export/", {"purpose": "看看"}).status_code == 403
    assert client.get(f"/records/{due.number}/card.pdf", {"purpose": "看看"}).status_code == 403
    assert not entries(action="export")
    # the work list page itself shows the bureau masked phones and no export form
    page = client.get("/worklist/", {"scope": "institution"}).content.decode()
    assert "13955556666" not in page and "139****6666" in page and 'id="worklist-export-form"' not in page


def test_card_needs_a_purpose(client, city, due):
    client.force_login(city.doctor)
    resp = client.get(f"/records/{due.number}/card.pdf")
    assert resp.status_code == 400 and "用途" in resp.content.decode()
    page = client.get(f"/records/{due.number}/").content.decode()
    assert f"/records/{due.number}/card.pdf?purpose=" in page


def test_audit_export_purpose_and_watermark(client, city):
    auditor = Staff.objects.create_user(username="aud", role="auditor", full_name="审计员")
    login_verified(client, auditor)
    assert client.get("/audit/export.csv", {"purpose": "  "}).status_code == 400
    text = client.get("/audit/export.csv", {"purpose": "等保测评"}).content.decode("utf-8-sig")
    assert "aud" in text.splitlines()[0] and "等保测评" in text.splitlines()[0]


# --- the three administrators ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(ADMIN_ROLES))
def test_administrators_read_no_health_data(client, city, establish, role):
    rec = establish()
    admin = Staff.objects.create_user(username=f"x_{role}", role=role, institution=city.centre, is_staff=True,
                                      is_superuser=True)
    assert visible_institution_ids(admin) == []
    assert not any(has(admin, p) for p in (Perm.READ, Perm.WRITE, Perm.REVEAL, Perm.EXPORT))
    login_verified(client, admin)
    for url in ("/", f"/records/{rec.number}/", "/worklist/", "/public-health/", "/referrals/"):
        resp = client.get(url)
        assert resp.status_code in (403, 404), url
        assert rec.resident.name not in resp.content.decode()
    token = ApiToken.issue(admin)
    resp = client.get(f"/api/records/{rec.number}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 403 and rec.resident.name not in resp.content.decode()


def test_each_administrator_does_one_job():
    jobs = {r: ROLE_PERMISSIONS[r] for r in ADMIN_ROLES}
    assert jobs == {"sysadmin": {Perm.ADMIN_USERS}, "secadmin": {Perm.ADMIN_SECURITY},
                    "auditor": {Perm.READ_AUDIT}}


# --- assessors ----------------------------------------------------------------------------------------------------

@pytest.fixture
def assessor(city):
    return Staff.objects.create_user(username="kao", role="assessor", institution=city.bureau, full_name="考核员")


def test_assessor_reads_only_during_the_assignment(client, city, establish, assessor):
    rec = establish()
    town = establish(institution=city.hospital, village=city.v3, actor=city.town_doctor, name="赵镇上")
    client.force_login(assessor)
    assert client.get(f"/records/{rec.number}/").status_code == 404  # no assignment yet
    today = dt.date.today()
    a = actions.assign_assessor(city.bureau_user, assessor, [city.centre], starts_on=today - dt.timedelta(days=1),
                                ends_on=today + dt.timedelta(days=10), purpose="2026年度绩效考核")
    granted = entries(action="permission", object_type="access.assessmentassignment")[-1]
    assert granted.actor_name == "bureau" and json.loads(granted.detail)["institutions"] == ["C001"]
    page = client.get(f"/records/{rec.number}/")
    assert page.status_code == 200 and rec.resident.id_number not in page.content.decode()  # masked
    assert 'id="edit-link"' not in page.content.decode()
    assert entries(action="read", actor_name="kao")[-1].object_id == rec.number  # logged
    assert client.get(f"/records/{town.number}/").status_code == 404  # not assigned
    assert client.get(f"/records/{rec.number}/?reveal=1").status_code == 200
    assert entries(action="reveal", actor_name="kao")[-1].outcome == "denied"
    # read-only
    with pytest.raises(PermissionDenied):
        from jkda.records import actions as record_actions

        record_actions.update_resident(assessor, rec, {"phone": "13800000000"}, expected_version=1)
    # expiry: the assignment ended yesterday
    type(a).objects.filter(pk=a.pk).update(starts_on=today - dt.timedelta(days=30),
                                           ends_on=today - dt.timedelta(days=1))
    assert visible_institution_ids(assessor) == []
    assert client.get(f"/records/{rec.number}/").status_code == 404
    # and a revoked one
    b = actions.assign_assessor(city.bureau_user, assessor, [city.centre], starts_on=today, ends_on=today,
                                purpose="复核")
    assert client.get(f"/records/{rec.number}/").status_code == 200
    actions.revoke_assignment(city.bureau_user, b)
    assert client.get(f"/records/{rec.number}/").status_code == 404


def test_assignment_rules(city, assessor):
    today = dt.date.today()
    with pytest.raises(PermissionDenied):
        actions.assign_assessor(city.doctor, assessor, [city.centre], starts_on=today, ends_on=today, purpose="x")
    with pytest.raises(ValidationError) as exc:
        actions.assign_assessor(city.bureau_user, city.doctor, [], starts_on=today,
                                ends_on=today - dt.timedelta(days=1), purpose=" ")
    assert set(exc.value.message_dict) == {"assessor", "institutions", "purpose", "ends_on"}


def test_assignment_page(client, city, assessor):
    client.force_login(city.bureau_user)
    today = dt.date.today()
    resp = client.post("/assessors/", {"assessor": assessor.pk, "institutions": [city.centre.pk],
                                       "starts_on": today.isoformat(), "ends_on": today.isoformat(),
                                       "purpose": "专项考核"})
    assert resp.status_code == 302
    page = client.get("/assessors/").content.decode()
    assert "考核员" in page and "专项考核" in page and "长桥社区卫生服务中心" in page
    client.force_login(city.doctor)
    assert client.get("/assessors/").status_code == 403


# --- audit entries of reads -------------------------------------------------------------------------------------

def test_api_reads_lists_and_reveals_are_audited(client, city, due):
    client.force_login(city.doctor)
    before = AuditEntry.objects.count()
    client.get("/api/worklist")
    client.get(f"/api/records/{due.number}/enrollments")
    client.get(f"/api/records/{due.number}?reveal=1")
    client.get("/worklist/")
    new = list(AuditEntry.objects.order_by("id"))[before:]
    assert [(e.action, e.object_type) for e in new] == [
        ("search", "programs.worklist"), ("read", "records.record"), ("read", "records.record"),
        ("reveal", "records.record"), ("search", "programs.worklist")]
    client.force_login(city.bureau_user)
    resp = client.get(f"/api/records/{due.number}?reveal=1").json()
    assert resp["resident"]["id_number"] != due.resident.id_number  # still masked
    assert entries(action="reveal")[-1].outcome == "denied"
