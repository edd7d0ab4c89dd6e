"""The audit trail: who did what to which object, when, from where, with what outcome.

Every read and write of personal data, every login and failed login, every permission change and every export
writes one `AuditEntry` through `log()`. Entries are chained: each stores the previous entry's hash and the
SHA-256 of that hash plus its own content, so `verify()` (and `jkda audit verify`) finds any entry that was
changed, and any gap where entries were deleted. Appending takes a lock (SQLite's single writer; a transaction
advisory lock on PostgreSQL) so the chain stays linear under concurrent requests.

Expired entries (older than JKDA_AUDIT_RETENTION_DAYS, never less than 183 days) may be purged by `purge()`; the
purge itself is an entry that records the hash it cut at, so the chain still verifies afterwards.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry

MIN_RETENTION_DAYS = 183
_LOCK_KEY = 7_351_208  # PostgreSQL advisory lock id of the audit chain

# The request's user and address, set by AuditContextMiddleware so that actions deep below a view can log
# without being handed the request.
_request_ctx: contextvars.ContextVar[object | None] = contextvars.ContextVar("jkda_audit", default=None)


class AuditContextMiddleware:
    """Remember the current request so that log() knows the user (read when logging: an API token sets it late)
    and the address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _request_ctx.set(request)
        try:
            return self.get_response(request)
        finally:
            _request_ctx.reset(token)


def client_ip(request) -> str:
    return (request.META.get("REMOTE_ADDR") or "")[:64]


def retention_days() -> int:
    return max(MIN_RETENTION_DAYS, int(getattr(settings, "JKDA_AUDIT_RETENTION_DAYS", MIN_RETENTION_DAYS)))


def _content(e: AuditEntry) -> str:
    at = e.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps([at, e.actor_id, e.actor_name, e.ip, e.action, e.object_type, e.object_id, e.detail,
                       e.outcome], ensure_ascii=False, separators=(",", ":"))


def entry_hash(prev_hash: str, e: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + "\n" + _content(e)).encode()).hexdigest()


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def log(action: str, *, user=None, obj=None, object_type: str = "", object_id: str = "", detail=None,
        outcome: str = "ok", ip: str | None = None) -> AuditEntry:
    """Append one entry. `user` and `ip` default to the current request's (see AuditContextMiddleware)."""
    request = _request_ctx.get()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if ip is None:
        ip = client_ip(request) if request is not None else ""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "number", None) or obj.pk)
    if detail is not None and not isinstance(detail, str):
        detail = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    entry = AuditEntry(
        at=timezone.now(), actor_id=user.pk if authenticated else None,
        actor_name=(user.get_username() if authenticated else "")[:150], ip=(ip or "")[:64], action=action,
        object_type=object_type[:40], object_id=str(object_id)[:64], detail=detail or "", outcome=outcome,
    )
    if connection.vendor == "postgresql":
        _append_postgresql(entry)
        return entry
    with transaction.atomic():  # on SQLite, BEGIN IMMEDIATE: the write lock is the chain's lock
        last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or ""
        entry.prev_hash = last
        entry.hash = entry_hash(last, entry)
        entry.save()
    return entry


def _append_postgresql(entry: AuditEntry) -> None:
    """On PostgreSQL the lock is held across round trips to the server, and every page view appends: so the chain
    hash (entry_hash: SHA-256 of the previous hash, a newline and the entry's content, in hex) is computed by the
    INSERT itself from the last entry, and the lock covers one statement and the commit, with no Python in between
    that could wait for the interpreter while the other requests queue behind the lock."""
    fields = [f for f in AuditEntry._meta.concrete_fields if f.attname not in ("id", "prev_hash", "hash")]
    qn = connection.ops.quote_name
    table = qn(AuditEntry._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {table} ({columns}, prev_hash, hash) "
           f"SELECT {values}, p.h, encode(sha256(convert_to(p.h || E'\\n' || %s, 'UTF8')), 'hex') "
           f"FROM (SELECT COALESCE((SELECT hash FROM {table} ORDER BY id DESC LIMIT 1), '') AS h) p "
           f"RETURNING id, prev_hash, hash")
    params = [f.get_db_prep_save(getattr(entry, f.attname), connection) for f in fields] + [_content(entry)]
    with transaction.atomic(), connection.cursor() as cursor:
        _lock()  # a statement of its own, before the INSERT's snapshot
        cursor.execute(sql, params)
        entry.id, entry.prev_hash, entry.hash = cursor.fetchone()
    entry._state.adding = False
    entry._state.db = connection.alias


@dataclass
class VerifyResult:
    checked: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in id order and report every changed entry and every break in the links."""
    problems: list[str] = []
    anchors = set()
    for detail in AuditEntry.objects.filter(action=AuditEntry.Action.PURGE).values_list("detail", flat=True):
        try:
            anchors.add(json.loads(detail).get("last_hash", ""))
        except ValueError:
            problems.append("a purge entry's detail is not readable")
    prev = None
    checked = 0
    last_id = 0
    while True:
        chunk = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch])
        if not chunk:
            break
        for e in chunk:
            checked += 1
            if prev is None:
                if e.prev_hash and e.prev_hash not in anchors:
                    problems.append(f"entry {e.id}: the entries before it are missing (no purge explains the gap)")
            elif e.prev_hash != prev.hash:
                problems.append(f"entry {e.id}: does not follow entry {prev.id} (an entry between them was "
                                f"deleted, or a link was changed)")
            if entry_hash(e.prev_hash, e) != e.hash:
                problems.append(f"entry {e.id}: its content was changed after it was written")
            prev = e
        last_id = chunk[-1].id
    return VerifyResult(checked, problems)


class RetentionError(Exception):
    pass


def purge(before: dt.date, *, user=None) -> int:
    """Delete entries written before `before` (local date), if all of them are past the retention period."""
    limit = timezone.localdate() - dt.timedelta(days=retention_days())
    if before > limit:
        raise RetentionError(
            f"审计记录至少保留 {retention_days()} 天：只能清理 {limit.isoformat()} 之前的记录。 / Audit entries are "
            f"kept at least {retention_days()} days: only entries before {limit.isoformat()} can be purged.")
    cutoff = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    with transaction.atomic():
        _lock()
        doomed = AuditEntry.objects.filter(at__lt=cutoff).order_by("-id")
        last = doomed.values_list("id", "hash").first()
        if last is None:
            return 0
        count = doomed.count()
        with connection.cursor() as c:
            c.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id <= %s", [last[0]])
    log(AuditEntry.Action.PURGE, user=user, detail={"before": before.isoformat(), "purged_through": last[0],
                                                     "last_hash": last[1], "count": count})
    return count
