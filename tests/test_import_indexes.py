"""A large resident import suspends the secondary indexes of the tables it writes and rebuilds them exactly; a kill
leaves them recorded and the next import, migrate, serve or restore_indexes rebuilds them."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jkda.codes import idnumber
from jkda.exchange import indexes
from jkda.exchange import residents as module
from jkda.exchange.models import SuspendedIndex
from jkda.exchange.residents import ResidentImport
from jkda.records.models import Record, RecordEvent, Resident

from .test_import import counts, row, write_csv


def snapshot() -> dict[str, str]:
    """Every non-unique index of the import's tables (name → the statement that creates it) and, on PostgreSQL, every
    foreign key of them (name → its definition and whether it is validated)."""
    out = {name: sql for table in indexes.tables() for name, sql, _cols in indexes.secondary_indexes(table)}
    return out | foreign_keys()


def foreign_keys() -> dict[str, str]:
    """The foreign keys of the import's tables on PostgreSQL, as the catalogue states them (none on SQLite)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
                       "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])", [indexes.tables()])
        return {name: f"{definition} validated={ok}" for name, definition, ok in cursor.fetchall()}


def kept() -> set[str]:
    """The secondary indexes a suspension leaves in place (those the import reads by)."""
    return {name for table in indexes.tables() for name, _sql, cols in indexes.secondary_indexes(table)
            if (table, cols) in indexes.keep()}


def unique_constraints() -> set[str]:
    with connection.cursor() as cursor:
        return {name for table in indexes.tables()
                for name, c in connection.introspection.get_constraints(cursor, table).items()
                if c["unique"] or c["primary_key"]}


def people(n: int, prefix: str = "人") -> list[dict]:
    """n residents with ID numbers of their own (born on n different days)."""
    first = dt.date(1950, 1, 1) + dt.timedelta(days=n if prefix != "人" else 0)
    return [row(f"{prefix}{i}", idnumber.make("320506", first + dt.timedelta(days=i), 1)) for i in range(n)]


def spy_on_writes(monkeypatch) -> list[set[str]]:
    """The secondary indexes present while each chunk is written."""
    seen = []
    real = ResidentImport.write

    def write(self, rows):
        seen.append(set(snapshot()))
        return real(self, rows)

    monkeypatch.setattr(ResidentImport, "write", write)
    return seen


def test_a_suspended_import_writes_without_the_indexes_and_rebuilds_each_exactly(city, tmp_path, monkeypatch):
    before, uniques, name_index = snapshot(), unique_constraints(), kept()
    assert len(before) > 20 and len(name_index) == 1
    keys = foreign_keys()
    if connection.vendor == "postgresql":  # the record's resident, institution, village…; the event's record…
        assert len(keys) >= 10 and all(v.endswith("validated=True") for v in keys.values())
        assert any("REFERENCES records_resident(id)" in v for v in keys.values())
    seen = spy_on_writes(monkeypatch)
    s = ResidentImport(str(write_csv(tmp_path / "big.csv", people(20))), chunk_size=7, suspend_indexes=True).run()
    assert (s.imported, s.rejected, s.stopped) == (20, 0, "")
    assert len(seen) == 3
    for present in seen:  # while writing: only the index the import reads by (no foreign key); unique ones stay
        assert present == name_index
    assert snapshot() == before and unique_constraints() == uniques  # every foreign key back and validated
    assert not SuspendedIndex.objects.exists()
    assert counts() == (20, 20, 20, 20, 20)
    assert any("rebuilt at the end" in n or "重建" in n for n in s.notes), s.notes
    if keys:
        assert any(f"{len(keys)} foreign keys" in n or f"{len(keys)} 个外键" in n for n in s.notes), s.notes
    # the rebuilt indexes serve queries as before
    assert Record.objects.filter(institution=city.centre, resident_name="人7").count() == 1


def test_residents_without_an_id_number_are_found_while_the_indexes_are_suspended(city, tmp_path, monkeypatch):
    """A row without an ID number is matched by name among the residents without one: through the partial index
    resident_name_no_id, which a suspension keeps (a resident with an ID number is not in it)."""
    no_id = [row(f"无证{i}", "", 性别="男", 出生日期=f"1960-01-0{i + 1}") for i in range(3)]
    first = ResidentImport(str(write_csv(tmp_path / "a.csv", no_id + people(5))), suspend_indexes=True).run()
    assert (first.imported, first.rejected) == (8, 0)
    assert Resident.objects.filter(id_number__isnull=True).count() == 3
    partial = snapshot()["resident_name_no_id"]
    assert "WHERE" in partial.upper() and "id_number" in partial and "IS NULL" in partial.upper(), partial
    assert kept() == {"resident_name_no_id"}
    seen = spy_on_writes(monkeypatch)
    # new people first: the indexes are suspended from the first chunk on, then the three are looked up
    again = ResidentImport(str(write_csv(tmp_path / "b.csv", people(6, "乙") + no_id)), chunk_size=2,
                           suspend_indexes=True).run()
    assert (again.imported, again.present, again.rejected, again.stopped) == (6, 3, 0, "")
    assert seen and all(present == {"resident_name_no_id"} for present in seen)
    assert Resident.objects.filter(id_number__isnull=True).count() == 3
    with connection.cursor() as cursor:
        sql = module.in_values_sql(module.without_id_number_sql(), 1)
        if connection.vendor == "postgresql":  # a few rows make a sequential scan cheapest: the index must be usable
            cursor.execute("ANALYZE records_resident")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, [["无证1"]])
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, ["无证1"])
        plan = "\n".join(str(r) for r in cursor.fetchall())
    assert "resident_name_no_id" in plan, plan


def test_unique_constraints_still_refuse_duplicates_while_suspended(city, tmp_path):
    indexes.suspend("test")
    try:
        from django.db import IntegrityError, transaction

        info = idnumber.parse(row()["身份证号"])
        person = {"id_number": info.number, "birth_date": info.birth_date, "sex": info.sex, "current_address": "x",
                  "residence_type": "1"}
        Resident.objects.create(name="甲", **person)
        with pytest.raises(IntegrityError), transaction.atomic():
            Resident.objects.create(name="乙", **person)
    finally:
        indexes.restore()


def test_a_foreign_key_a_row_breaks_while_suspended_is_reported_and_kept_until_fixed(city, tmp_path):
    """PostgreSQL: while the foreign keys are suspended the database takes a row that points nowhere (here: an event
    by a staff id that does not exist). Adding the keys back refuses to validate that one with the database's
    message naming it; it is checked for new rows meanwhile (added NOT VALID) and stays listed until the row is
    fixed, when restore validates it. On SQLite the foreign keys are never suspended."""
    ResidentImport(str(write_csv(tmp_path / "a.csv", people(2))), suspend_indexes=False).run()
    keys = foreign_keys()
    indexes.suspend("test")
    if connection.vendor != "postgresql":
        assert not keys and not SuspendedIndex.objects.filter(kind=SuspendedIndex.Kind.FOREIGN_KEY).exists()
        indexes.restore()
        return
    suspended = set(SuspendedIndex.objects.filter(kind=SuspendedIndex.Kind.FOREIGN_KEY).values_list("name", flat=True))
    assert suspended == set(keys) and not foreign_keys()
    RecordEvent.objects.create(record=Record.objects.first(), kind="updated", actor_id=987654, reason="测试")
    from django.db import DatabaseError

    with pytest.raises(DatabaseError) as caught:
        indexes.restore()
    broken = [name for name in keys if "actor_id" in name and "recordevent" in name]
    assert len(broken) == 1 and broken[0] in str(caught.value) and "987654" in str(caught.value)
    assert set(SuspendedIndex.objects.values_list("name", flat=True)) <= suspended
    assert SuspendedIndex.objects.filter(name=broken[0]).exists()
    assert foreign_keys()[broken[0]].endswith("validated=False")
    RecordEvent.objects.filter(actor_id=987654).update(actor_id=None)
    assert indexes.restore()
    assert foreign_keys() == keys and not SuspendedIndex.objects.exists()


def test_indexes_are_rebuilt_with_a_small_sort_cache_and_the_connections_cache_comes_back(city, monkeypatch):
    """SQLite sorts an index's keys within the page cache: the rebuild runs with SQLITE_SORT_CACHE_KIB (quicker over
    a million rows than the import's 128 MB) and SQLITE_SORT_THREADS helper threads, and the connection's own
    settings are back afterwards. PostgreSQL's sorts follow maintenance_work_mem, untouched; on both the indexes
    come back exactly."""
    sqlite = connection.vendor == "sqlite"

    def settings_now():
        with connection.cursor() as cursor:
            if not sqlite:
                cursor.execute("SHOW maintenance_work_mem")
                return cursor.fetchone()[0]
            cursor.execute("PRAGMA cache_size")
            cache = cursor.fetchone()[0]
            cursor.execute("PRAGMA threads")
            return cache, cursor.fetchone()[0]

    before = snapshot()
    during = []
    real = indexes.index_exists

    def index_exists(name):
        during.append(settings_now())
        return real(name)

    monkeypatch.setattr(indexes, "index_exists", index_exists)
    original = settings_now()
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -12345")
            cursor.execute("PRAGMA threads = 0")
    try:
        indexes.suspend("test")
        assert len(indexes.restore()) == len(before) - len(kept())
        assert set(during) == ({(-indexes.SQLITE_SORT_CACHE_KIB, indexes.SQLITE_SORT_THREADS)} if sqlite
                               else {original})
        assert settings_now() == ((-12345, 0) if sqlite else original) and snapshot() == before
    finally:
        if sqlite:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(original[0])}")
                cursor.execute(f"PRAGMA threads = {int(original[1])}")


@pytest.mark.parametrize("how, rows_in_db, expect", [
    ("keep", 0, False), ("auto-small", 0, False), ("auto", 0, True), ("auto", 30, False),
])
def test_when_the_indexes_are_suspended(city, tmp_path, monkeypatch, how, rows_in_db, expect):
    monkeypatch.setattr(module, "SUSPEND_INDEXES_MIN_ROWS", 1000 if how == "auto-small" else 10)
    if rows_in_db:
        ResidentImport(str(write_csv(tmp_path / "first.csv", people(rows_in_db, "甲"))), suspend_indexes=False).run()
    before = snapshot()
    seen = spy_on_writes(monkeypatch)
    s = ResidentImport(str(write_csv(tmp_path / "f.csv", people(20))),
                       suspend_indexes=False if how == "keep" else None).run()
    assert s.imported == 20
    assert (seen[0] != set(before)) is expect
    assert snapshot() == before


def test_a_large_file_suspends_at_its_first_new_rows_and_a_reimport_never(city, tmp_path, monkeypatch):
    """Resuming a file half imported suspends when the rows not yet there begin; importing it once more (all present)
    leaves the indexes alone."""
    monkeypatch.setattr(module, "SUSPEND_INDEXES_MIN_ROWS", 10)
    before = snapshot()
    rows = people(20)
    ResidentImport(str(write_csv(tmp_path / "first.csv", rows[:8])), suspend_indexes=False).run()
    suspended = []
    real = indexes.suspend
    monkeypatch.setattr(indexes, "suspend", lambda source="": suspended.append(source) or real(source))
    seen = spy_on_writes(monkeypatch)
    classified = []  # each chunk is classified once, also while the suspension waits for new rows
    real_classify = ResidentImport.classify
    monkeypatch.setattr(ResidentImport, "classify", lambda self, r: classified.append(len(r)) or real_classify(self, r))
    path = write_csv(tmp_path / "all.csv", rows)
    s = ResidentImport(str(path), chunk_size=8).run()
    assert (s.imported, s.present) == (12, 8) and suspended == ["all.csv"]
    assert seen[0] == set(before) and seen[1] == kept() and seen[2] == kept()
    assert classified == [8, 8, 4]
    classified.clear()
    again = ResidentImport(str(path), chunk_size=8).run()
    assert (again.imported, again.present) == (0, 20) and suspended == ["all.csv"]
    assert classified == [8, 8, 4]
    assert snapshot() == before and not SuspendedIndex.objects.exists()


def interrupt_second_chunk(monkeypatch) -> None:
    """Ctrl-C while the second chunk is being written."""
    calls = {"n": 0}
    real = ResidentImport.write

    def dying(self, rows):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, rows)

    monkeypatch.setattr(ResidentImport, "write", dying)


def test_an_import_stopped_by_an_error_or_ctrl_c_still_rebuilds(city, tmp_path, monkeypatch):
    before = snapshot()
    interrupt_second_chunk(monkeypatch)
    said = []
    with pytest.raises(KeyboardInterrupt):
        ResidentImport(str(write_csv(tmp_path / "f.csv", people(10))), chunk_size=4, suspend_indexes=True,
                       say=said.append).run()
    assert snapshot() == before and not SuspendedIndex.objects.exists()
    assert counts() == (4, 4, 4, 4, 4)
    assert said and ("Rebuilding" in said[0] or "重建" in said[0])


def kill_after_suspending(path, monkeypatch) -> ResidentImport:
    """An import killed while writing its second chunk, its indexes suspended: nothing after the kill runs (no
    rebuild) and its lock goes with the process, as when the process is killed."""
    monkeypatch.setattr(ResidentImport, "_restore_indexes", lambda self: None)
    interrupt_second_chunk(monkeypatch)
    imp = ResidentImport(str(path), chunk_size=4, suspend_indexes=True)
    with pytest.raises(KeyboardInterrupt):
        imp.run()
    imp.index_lock.release()  # the operating system does this for a killed process
    monkeypatch.undo()
    return imp


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("then", ["import again", "restore_indexes", "migrate"])
def test_a_killed_import_leaves_its_indexes_recorded_and_they_come_back(city, tmp_path, monkeypatch, then):
    before = snapshot()
    path = write_csv(tmp_path / "f.csv", people(10))
    kill_after_suspending(path, monkeypatch)
    assert counts() == (4, 4, 4, 4, 4)
    left = {s.name: s.definition for s in SuspendedIndex.objects.all()}
    assert left and set(snapshot()) | set(left) == set(before) and not set(left) & set(snapshot())
    for name, statement in left.items():  # each as the database stated it: an index's CREATE, a key's definition
        assert statement == before[name] or statement.endswith(" " + before[name].removesuffix(" validated=True"))
    assert SuspendedIndex.objects.first().source == "f.csv"
    if then == "import again":
        s = ResidentImport(str(path), chunk_size=4).run()  # small: not suspended again; the rest imported
        assert (s.imported, s.present) == (6, 4)
        assert any("earlier import" in n or "之前" in n or "先前" in n for n in s.notes), s.notes
    elif then == "restore_indexes":
        import io

        listed, said = io.StringIO(), io.StringIO()
        call_command("restore_indexes", "--list", stdout=listed)
        assert all(name in listed.getvalue() for name in left), listed.getvalue()
        call_command("restore_indexes", stdout=said)
        keys = len(foreign_keys())
        if keys:  # PostgreSQL: the keys are listed as such and said to be validated
            assert ("外键约束" in listed.getvalue() or "foreign key" in listed.getvalue())
            assert f"{keys} 个外键约束" in said.getvalue() or f"{keys} foreign keys validated" in said.getvalue()
        assert "已重建" in said.getvalue() or "indexes rebuilt" in said.getvalue(), said.getvalue()
    else:
        call_command("migrate", verbosity=0)
    assert snapshot() == before and not SuspendedIndex.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_nothing_is_rebuilt_under_an_import_that_is_running(city, tmp_path):
    """While an import holds the lock (here: this test), a restore elsewhere (another connection) and a second large
    import leave the indexes to it."""
    before = snapshot()
    lock = indexes.ImportLock()
    assert lock.acquire()
    try:
        indexes.suspend("running.csv")
        out = {}

        def elsewhere():
            from django.db import connection as other

            try:
                out["restore"] = indexes.restore_if_idle()
                try:
                    call_command("restore_indexes")
                except CommandError as exc:
                    out["command"] = str(exc)
                s = ResidentImport(str(write_csv(tmp_path / "second.csv", people(5))), suspend_indexes=True).run()
                out["second"] = (s.imported, s.notes, SuspendedIndex.objects.count())
            finally:
                other.close()

        t = threading.Thread(target=elsewhere)
        t.start()
        t.join(60)
        assert out["restore"] is None
        assert "running" in out["command"] or "正在" in out["command"]
        imported, notes, still = out["second"]
        assert imported == 5 and still == len(before) - len(kept())
        assert any("Another import" in n or "另一个导入" in n for n in notes), notes
    finally:
        assert len(indexes.restore()) == len(before) - len(kept())
        lock.release()
    assert snapshot() == before


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_sigkill_while_writing_with_indexes_suspended_then_rerun(city, tmp_path):
    """The real thing: `jkda import` in a process killed with SIGKILL once it has written a chunk; whole chunks
    only, the indexes recorded as suspended; the same command again imports the rest and rebuilds them."""
    before = snapshot()
    path = write_csv(tmp_path / "kill.csv", people(3000))
    env = dict(os.environ, DATABASE_URL=_database_url())
    argv = [sys.executable, "-m", "jkda.cli", "import", "residents", str(path), "--indexes", "suspend",
            "--chunk-size", "50", "--workers", "0", "--no-progress"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if Resident.objects.exists():
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL, proc.communicate()
    n = Resident.objects.count()
    assert 0 < n < 3000 and n % 50 == 0
    assert counts() == (n, n, n, n, n)
    assert not Resident.objects.filter(record__isnull=True).exists()
    assert SuspendedIndex.objects.count() == len(before) - len(kept())
    again = subprocess.run(argv[:-7] + ["--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert counts() == (3000, 3000, 3000, 3000, 3000)
    assert RecordEvent.objects.filter(kind="imported").count() == 3000
    assert snapshot() == before and not SuspendedIndex.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_jkda_serve_rebuilds_what_a_killed_import_left_suspended(city, tmp_path):
    from .test_serve import Server

    before = snapshot()
    indexes.suspend("killed.csv")
    assert SuspendedIndex.objects.count() == len(before) - len(kept())
    server = Server("--workers", "2")
    try:
        server.wait_for(r"已重建|indexes rebuilt")
        server.wait_for(r"工作进程 \d+ 已启动|worker \d+ started")  # the port is open before workers start
        assert server.get("/login/")[0] == 200
    finally:
        server.stop()
    assert snapshot() == before and not SuspendedIndex.objects.exists()
