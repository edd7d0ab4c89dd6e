"""The audit trail: what writes entries, who may read it, and that `jkda audit verify` finds tampering."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from jkda.access import audit
from jkda.access.models import AuditEntry
from jkda.regions.models import Staff

from .conftest import PASSWORD, login_verified


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def test_record_page_read_is_audited_with_user_and_address(client, city, establish):
    rec = establish()
    client.force_login(city.doctor)
    before = AuditEntry.objects.count()
    assert client.get(f"/records/{rec.number}/", REMOTE_ADDR="10.1.2.3").status_code == 200
    new = list(AuditEntry.objects.order_by("id"))[before:]
    assert [(e.action, e.object_type, e.object_id, e.actor_name, e.ip, e.outcome) for e in new] == [
        ("read", "records.record", rec.number, "doctor", "10.1.2.3", "ok")]


def test_api_read_search_card_and_writes_are_audited(client, city, establish):
    rec = establish()
    assert [e.action for e in entries(object_id=rec.number)] == ["create"]
    client.force_login(city.doctor)
    client.get(f"/api/records/{rec.number}")
    client.get(f"/api/records/{rec.number}/history")
    client.get("/api/records?q=zsf")
    client.get(f"/records/{rec.number}/card.pdf", {"purpose": "交给居民本人"})
    r = client.patch(f"/api/records/{rec.number}", {"version": 1, "changes": {"phone": "13800000000"}},
                     content_type="application/json")
    assert r.status_code == 200, r.content
    actions = [e.action for e in entries(object_id=rec.number)]
    assert actions == ["create", "read", "read", "export", "update"]
    update = entries(object_id=rec.number)[-1]
    assert json.loads(update.detail)["fields"] == ["phone"]
    assert "13800000000" not in update.detail  # the values stay in the record's own history
    search = entries(action="search")[-1]
    assert json.loads(search.detail)["q"] == "zsf" and search.actor_name == "doctor"


def test_logins_failures_logouts_and_permission_changes(client, city):
    client.post("/login/", {"username": "doctor", "password": "wrong"}, REMOTE_ADDR="10.9.9.9")
    failed = entries(action="login_failed")[-1]
    assert (failed.object_id, failed.outcome, failed.ip) == ("doctor", "failed", "10.9.9.9")
    client.post("/login/", {"username": "doctor", "password": PASSWORD})
    assert entries(action="login")[-1].actor_name == "doctor"
    client.post("/logout/")
    assert entries(action="logout")[-1].actor_name == "doctor"
    city.doctor.role = "record_manager"
    city.doctor.save()
    change = entries(action="permission", object_id="doctor")[-1]
    assert json.loads(change.detail) == {"role": ["doctor", "record_manager"]}
    city.doctor.full_name = "王医生2"
    city.doctor.save()  # not a permission: no new entry
    assert entries(action="permission", object_id="doctor")[-1].pk == change.pk


def test_only_the_audit_administrator_reads_and_exports(client, city, establish):
    establish()
    auditor = Staff.objects.create_user(username="auditor", password=PASSWORD, role="auditor", full_name="审计员")
    for user in (city.doctor, city.admin, city.bureau_user):
        login_verified(client, user)
        assert client.get("/audit/").status_code == 403
        assert client.get("/audit/export.csv").status_code == 403
    denied = entries(object_type="page", outcome="denied")
    assert {e.object_id for e in denied} == {"/audit/", "/audit/export.csv"}
    assert {e.actor_name for e in denied} == {"doctor", "admin", "bureau"}
    login_verified(client, auditor)
    page = client.get("/audit/?action=create").content.decode()
    assert "<h1>审计日志</h1>" in page and "records.record" in page and "新建" in page
    assert "登录" not in page.split('id="audit"')[1]  # filtered to creations
    assert client.get("/audit/export.csv").status_code == 400  # no purpose: a form asks for it
    csv_text = client.get("/audit/export.csv", {"purpose": "季度安全审计"}).content.decode("utf-8-sig")
    lines = csv_text.splitlines()
    assert "auditor" in lines[0] and "季度安全审计" in lines[0]  # the watermark row
    assert lines[1].startswith("id,time,user")
    export = entries(action="export", object_type="audit")[-1]
    assert export.actor_name == "auditor" and json.loads(export.detail)["purpose"] == "季度安全审计"


def test_verify_finds_a_changed_and_a_deleted_entry(city, establish):
    for _ in range(3):
        establish()
    assert audit.verify().ok
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "intact" in out.getvalue()
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    table = AuditEntry._meta.db_table
    original = AuditEntry.objects.get(id=ids[2]).actor_name
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET actor_name = 'nobody' WHERE id = %s", [ids[2]])
    result = audit.verify()
    assert not result.ok and any(f"entry {ids[2]}: its content was changed" in p for p in result.problems)
    with pytest.raises(SystemExit) as exit_:
        call_command("audit", "verify", stdout=io.StringIO(), stderr=io.StringIO())
    assert exit_.value.code == 1
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET actor_name = %s WHERE id = %s", [original, ids[2]])
    assert audit.verify().ok  # restoring the content restores the hash
    with connection.cursor() as c:
        c.execute(f"DELETE FROM {table} WHERE id = %s", [ids[3]])
    result = audit.verify()
    assert not result.ok and any(f"does not follow entry {ids[2]}" in p for p in result.problems)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_unbroken_chain(city):
    """Eight threads, each with its own connection, append at once (as page views do): every entry follows the one
    before it, each hash is what verify() computes in Python (on PostgreSQL the INSERT computes it), nothing lost."""
    import threading

    errors, returned = [], []
    barrier = threading.Barrier(8)

    def worker(k):
        try:
            barrier.wait()
            for i in range(6):
                entry = audit.log("read", user=city.doctor, object_type="records.record", object_id=f"{k}-{i}",
                                  detail={"k": k, "名": "张三丰"}, ip="10.0.0.1")
                returned.append((entry.pk, entry.prev_hash, entry.hash))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    before = AuditEntry.objects.count()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    stored = entries()
    assert len(stored) == before + 48
    assert sorted(returned) == sorted((e.pk, e.prev_hash, e.hash) for e in stored[before:])
    for prev, entry in zip(stored, stored[1:], strict=False):
        assert entry.prev_hash == prev.hash
        assert entry.hash == audit.entry_hash(prev.hash, entry)
    assert sorted(e.object_id for e in stored[before:]) == sorted(f"{k}-{i}" for k in range(8) for i in range(6))
    assert audit.verify().ok


def test_the_trail_refuses_edits_and_deletes_through_the_orm(city):
    e = audit.log("read", object_type="x", object_id="1")
    with pytest.raises(PermissionError):
        e.save()
    with pytest.raises(PermissionError):
        e.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(outcome="failed")


def test_purge_keeps_the_retention_period_and_the_chain(city, settings):
    old = timezone.now() - dt.timedelta(days=400)
    for i in range(3):
        audit.log("read", object_type="x", object_id=str(i))
    table = AuditEntry._meta.db_table
    first_ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))[:2]
    # age the first two entries (re-hashing the chain as if they had been written then)
    with connection.cursor() as c:
        c.execute(f"UPDATE {table} SET at = %s WHERE id IN (%s, %s)", [old, *first_ids])
    prev = ""
    for e in AuditEntry.objects.order_by("id"):
        h = audit.entry_hash(prev, e)
        with connection.cursor() as c:
            c.execute(f"UPDATE {table} SET prev_hash = %s, hash = %s WHERE id = %s", [prev, h, e.id])
        prev = h
    assert audit.verify().ok
    settings.JKDA_AUDIT_RETENTION_DAYS = 30  # below the floor: six months still apply
    with pytest.raises(audit.RetentionError):
        audit.purge(timezone.localdate() - dt.timedelta(days=100))
    n = audit.purge(timezone.localdate() - dt.timedelta(days=200))
    assert n == 2
    assert not AuditEntry.objects.filter(id__in=first_ids).exists()
    assert entries(action="purge")[-1].detail
    assert audit.verify().ok  # the purge entry explains the cut
