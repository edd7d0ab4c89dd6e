"""Secondary indexes suspended while a large import writes, and rebuilt when it ends.

Every resident an import writes is five rows (resident, record, their two historical rows, an event) in tables with
about thirty indexes; keeping each index in order row by row is a random B-tree insertion, and for a file as large
as what is already there that is most of the cost of writing. Building an index once over the finished table (a
sort) is several times cheaper, as the PostgreSQL manual says of populating a database ("Remove Indexes"). So a
large import (`ResidentImport`, `suspend_indexes`) drops the non-unique indexes of those tables while it writes and
rebuilds them when it ends:

- **What stays.** Unique indexes and primary keys (they refuse duplicates while the import writes: ID numbers,
  record numbers, one record per resident) and the indexes the import itself reads by (`keep()`).
- **Foreign keys too, on PostgreSQL.** Each row written is otherwise checked against its parents at commit (a
  look-up and a row lock per key: a third of the time of writing), which the manual's "Remove Foreign Key
  Constraints" advises against for bulk loads too. They are dropped with the indexes and added back at the end,
  NOT VALID first and then validated: one scan of the table, and writes elsewhere go on meanwhile. The import's rows
  point only at institutions, villages and staff it looked up and at rows it wrote itself. On SQLite a foreign key
  is part of the table's definition (dropping it means rebuilding the table) and a check is a look-up of the
  parent's primary key: they stay.
- **Two at a time on PostgreSQL.** `restore` rebuilds and validates on two connections, each taking the next item
  (a build sorts with a parallel worker but scans and writes alone; a key's validation is one scan on one core);
  inside a caller's transaction, and on SQLite, one by one.
- **Nothing lost on a kill.** The indexes are dropped in one transaction that also stores, in `SuspendedIndex`,
  the database's own statement for each; each is rebuilt in a transaction that deletes its row. A killed import
  leaves rows there: the next import, `jkda migrate`, `jkda serve` or `jkda restore_indexes` rebuilds them.
- **Never under a running import.** The import that suspended indexes holds `ImportLock` (PostgreSQL: a session
  advisory lock; SQLite: a lock on a file beside the database) until its indexes are back; a restore elsewhere only
  runs when it can take the lock, and a second large import that cannot take it writes with the indexes as they are.
"""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Callable

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

# SQLite's CREATE INDEX sorts the keys in memory up to the page cache's size and merges sorted runs beyond it; a small
# cache while rebuilding keeps the runs within the processor's caches. Measured on the 26 indexes of an import of a
# million residents: 11.3–13.4 s with 4 MB or less against 15.5–16.4 s with the import's 128 MB (docs/import.md).
SQLITE_SORT_CACHE_KIB = 4096
# ... and sorts those runs in helper threads meanwhile (PRAGMA threads): the same 26 indexes in 8.7–9.4 s with two
# against 10.0–10.4 s without, the second core otherwise idle at the end of an import (docs/import.md).
SQLITE_SORT_THREADS = 2
# PostgreSQL rebuilds on this many connections at once: each index build sorts with a parallel worker but scans and
# writes alone, and a foreign key's validation is one scan on one core (docs/import.md, 速度)
RESTORE_CONNECTIONS = 2
LOCK_KEY = 0x6A6B6461  # "jkda": the advisory lock of an import with suspended indexes (PostgreSQL)
_memory_lock = threading.Lock()  # a SQLite database in memory has no file to lock beside it


def tables() -> list[str]:
    """The tables a resident import writes."""
    from jkda.records.models import Record, RecordEvent, Resident

    return [m._meta.db_table for m in (Resident, Record, Resident.history.model, Record.history.model, RecordEvent)]


def keep() -> set[tuple[str, tuple[str, ...]]]:
    """(table, columns) of indexes the import reads by while it writes: duplicates without an ID number are found
    by the resident's name (ResidentImport.classify), through an index of the names of residents without an ID
    number only (resident_name_no_id: a row with an ID number, nearly every one, writes nothing to it)."""
    from jkda.records.models import Resident

    return {(Resident._meta.db_table, (Resident._meta.get_field("name").column,))}


def secondary_indexes(table: str, conn=None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, the statement that creates it, columns) of the table's non-unique indexes that are not a
    constraint's, as the database itself states them."""
    conn = conn or connection
    qn = conn.ops.quote_name
    out = []
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute(f"PRAGMA index_list({qn(table)})")
            for _seq, name, unique, origin, *_rest in cursor.fetchall():
                if unique or origin != "c":
                    continue
                cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
                sql = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA index_info({qn(name)})")
                columns = tuple(r[2] for r in sorted(cursor.fetchall()))
                out.append((name, sql, columns))
        elif conn.vendor == "postgresql":
            cursor.execute("""
                SELECT c.relname, pg_get_indexdef(x.indexrelid),
                       ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                             JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n)
                FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
                WHERE x.indrelid = to_regclass(%s) AND NOT x.indisunique AND NOT x.indisprimary
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
                ORDER BY c.relname""", [qn(table)])
            out = [(name, sql, tuple(cols)) for name, sql, cols in cursor.fetchall()]
        else:
            raise NotImplementedError(f"bulk import supports SQLite and PostgreSQL, not {conn.vendor}")
    return out


def foreign_keys(table: str, conn=None) -> list[tuple[str, str]]:
    """(name, the statement that adds it) of the table's foreign keys on PostgreSQL, as the database itself states
    them; none on SQLite (see the module's docstring)."""
    conn = conn or connection
    if conn.vendor != "postgresql":
        return []
    qn = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                       "WHERE contype = 'f' AND conrelid = to_regclass(%s) ORDER BY conname", [qn(table)])
        return [(name, f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
                for name, definition in cursor.fetchall()]


def constraint_exists(table: str, name: str, conn=None) -> bool:
    conn = conn or connection
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_constraint WHERE conrelid = to_regclass(%s) AND conname = %s",
                       [conn.ops.quote_name(table), name])
        return cursor.fetchone() is not None


def index_exists(name: str, conn=None) -> bool:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "sqlite":
            cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
            return cursor.fetchone() is not None
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [conn.ops.quote_name(name)])
        return bool(cursor.fetchone()[0])


class ImportLock:
    """Held by the import whose indexes are suspended, from before it drops them until they are rebuilt."""

    def __init__(self, conn=None):
        self.conn = conn or connection
        self._file = None
        self._memory = False
        self.held = False

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; False (at once) when another import does."""
        if self.conn.vendor == "postgresql":
            with self.conn.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                self.held = bool(cursor.fetchone()[0])
            return self.held
        name = str(self.conn.settings_dict["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            self._memory = self.held = _memory_lock.acquire(blocking=False)
            return self.held
        fh = open(name + ".import-lock", "a")  # noqa: SIM115 - held open for as long as the lock is
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._file, self.held = fh, True
        return True

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        if self.conn.vendor == "postgresql":
            with contextlib.suppress(DatabaseError), self.conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        elif self._memory:
            self._memory = False
            _memory_lock.release()
        elif self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def _no_pending_checks(cursor) -> None:
    """PostgreSQL refuses to create or drop an index of a table with foreign-key checks still deferred in this
    transaction (only when called inside a larger one, as in tests): run them now."""
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def suspend(source: str = "") -> list[str]:
    """Drop the secondary indexes of the import's tables (but `keep()`) and, on PostgreSQL, their foreign keys,
    storing how to rebuild each, in one transaction; the names dropped. Call with ImportLock held."""
    from .models import SuspendedIndex

    kept = keep()
    found = [(SuspendedIndex.Kind.INDEX, table, name, sql) for table in tables()
             for name, sql, columns in secondary_indexes(table) if (table, columns) not in kept]
    found += [(SuspendedIndex.Kind.FOREIGN_KEY, table, name, sql) for table in tables()
              for name, sql in foreign_keys(table)]
    qn = connection.ops.quote_name
    with transaction.atomic():
        SuspendedIndex.objects.bulk_create([SuspendedIndex(kind=kind, name=name, table=table, definition=sql,
                                                           source=source[:200]) for kind, table, name, sql in found])
        with connection.cursor() as cursor:
            _no_pending_checks(cursor)
            for kind, table, name, _sql in found:
                if kind == SuspendedIndex.Kind.FOREIGN_KEY:
                    cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
                else:
                    cursor.execute(f"DROP INDEX {qn(name)}")
    return [name for _kind, _table, name, _sql in found]


def suspended() -> list:
    """The indexes suspended now (SuspendedIndex rows); empty when the table is not there yet."""
    from .models import SuspendedIndex

    if SuspendedIndex._meta.db_table not in connection.introspection.table_names():
        return []
    return list(SuspendedIndex.objects.all())


def counted(items: list) -> tuple[int, int]:
    """(indexes, foreign keys) among SuspendedIndex rows, e.g. what `restore` returns."""
    from .models import SuspendedIndex

    keys = sum(1 for item in items if item.kind == SuspendedIndex.Kind.FOREIGN_KEY)
    return len(items) - keys, keys


def restore(say: Callable[[str], object] | None = None) -> list:
    """Rebuild every suspended index, each in its own transaction with its row removed, then add back and validate
    the foreign keys; the SuspendedIndex rows restored (`counted` tells indexes from keys). Call with ImportLock
    held."""
    from .models import SuspendedIndex

    pending = sorted(suspended(), key=lambda item: item.kind == SuspendedIndex.Kind.FOREIGN_KEY)
    n, keys = counted(pending)
    if pending and say:
        say(_("Rebuilding %(n)d indexes and validating %(k)d foreign keys suspended during an import…") % {
            "n": n, "k": keys} if keys else _("Rebuilding %(n)d indexes suspended during an import…") % {"n": n})
    if connection.vendor == "postgresql" and not connection.in_atomic_block and len(pending) > 1:
        return _restore_in_parallel(pending)
    done = []
    with _sort_cache():
        for item in pending:
            _restore_one(item)
            done.append(item)
    return done


def _restore_one(item) -> None:
    from .models import SuspendedIndex

    if item.kind == SuspendedIndex.Kind.FOREIGN_KEY:
        _restore_foreign_key(item)
        return
    with transaction.atomic():
        if not index_exists(item.name):
            with connection.cursor() as cursor:
                _no_pending_checks(cursor)
                cursor.execute(item.definition)
        item.delete()


def _restore_in_parallel(pending: list) -> list:
    """PostgreSQL: `pending` restored by RESTORE_CONNECTIONS threads, each on a connection of its own, taking the
    next item as it finishes one (each in its own transactions, as one by one). A build only waits for a lock the
    other holds on the same table, one table at a time. The first failure stops both from taking more and is raised
    once both have stopped; what was restored until then stays restored."""
    items = list(pending)
    done: list = []
    failed: list[BaseException] = []
    take = threading.Lock()

    def work() -> None:
        try:
            while not failed:
                with take:
                    if not items:
                        return
                    item = items.pop(0)
                try:
                    _restore_one(item)
                except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                    failed.append(exc)
                    return
                done.append(item)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, name=f"jkda-restore-{i}", daemon=True)
               for i in range(min(RESTORE_CONNECTIONS, len(items)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed:
        raise failed[0]
    return done


def _restore_foreign_key(item) -> None:
    """Add the foreign key back NOT VALID (checked for rows written from now on; a moment's lock), then validate it
    in a transaction of its own: one scan of the table under a lock that lets others read and write meanwhile. Rows
    that point nowhere make the validation fail with the database's message naming the key: the constraint stays,
    unvalidated, and so does its SuspendedIndex row, so jkda restore_indexes says so again until they are fixed."""
    qn = connection.ops.quote_name
    with transaction.atomic():
        if not constraint_exists(item.table, item.name):
            with connection.cursor() as cursor:
                _no_pending_checks(cursor)
                cursor.execute(f"{item.definition} NOT VALID")
    with transaction.atomic():
        with connection.cursor() as cursor:
            _no_pending_checks(cursor)
            cursor.execute(f"ALTER TABLE {qn(item.table)} VALIDATE CONSTRAINT {qn(item.name)}")
        item.delete()


@contextlib.contextmanager
def _sort_cache():
    """On SQLite, the page cache at SQLITE_SORT_CACHE_KIB and SQLITE_SORT_THREADS helper threads while indexes are
    built, both as they were after."""
    if connection.vendor != "sqlite":
        yield
        return
    wanted = {"cache_size": -SQLITE_SORT_CACHE_KIB, "threads": SQLITE_SORT_THREADS}
    before = {}
    with connection.cursor() as cursor:
        for name, value in wanted.items():
            cursor.execute(f"PRAGMA {name}")
            before[name] = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            for name, value in before.items():
                cursor.execute(f"PRAGMA {name} = {value}")


def restore_if_idle(say: Callable[[str], object] | None = None) -> list | None:
    """Rebuild what an import that was killed left suspended, unless an import with suspended indexes is running
    (then None: that import rebuilds them when it ends)."""
    try:
        if not suspended():
            return []
    except DatabaseError:  # not migrated yet
        return []
    lock = ImportLock()
    if not lock.acquire():
        if say:
            say(_("An import is running with its indexes suspended; it rebuilds them when it ends."))
        return None
    try:
        started = time.perf_counter()
        done = restore(say)
        if say and done:
            took = time.perf_counter() - started
            n, keys = counted(done)
            say(_("%(n)d indexes rebuilt and %(k)d foreign keys validated in %(s).1f seconds.") % {
                "n": n, "k": keys, "s": took} if keys else
                _("%(n)d indexes rebuilt in %(s).1f seconds.") % {"n": n, "s": took})
        return done
    finally:
        lock.release()
