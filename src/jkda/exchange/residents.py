"""Bulk import of residents with their records: every row validated as the web form would, written fast.

The correctness reference is `records.actions.establish_record` (one resident: full_clean, duplicate check,
number, event). Doing that per row would take hours for a million residents, so this module does the same work
in bulk:

- **Validation, per row, with the same rules.** Each cell is parsed by the column derived from its model field,
  with the message the web form gives for the same wrong input; then `records.rules.check_resident` runs on an
  unsaved `Resident` (the model's own clean() rules), then the record's checks (institution, village, legacy
  number, date established) with the messages `establish_record` uses.
- **Identity and idempotence.** Each row has a key: its ID number; else its legacy record number; else a hash of
  name, birth date, sex, village and current address. A key already in the database is the same person imported
  before ("already present", not an error) — unless the ID number belongs to someone with another name, which is
  refused with the existing record's number. A key seen earlier in the file is refused, naming the first row.
  Into a database that held no resident when the import began, ID numbers and record numbers are not looked up:
  only this file's rows can hold them (those are in `seen`), or rows someone writes meanwhile, which the unique
  indexes refuse; the chunk is then classified again with the look-ups (`_fresh`).
- **Writing, per chunk, in one transaction.** Numbers are allocated per village by advancing each village's counter
  once per chunk. On SQLite residents and their records are inserted with `fastsql.Narrow`: a row carries only the
  columns the file and validation can change, the rest (the model's defaults, the import's user) are the same for
  every row and go into the statement once; the history rows django-simple-history would write and a RecordEvent
  "imported" per record are then written by the database itself, with `fastsql.insert_select` from those rows and
  a staged (row number, ids, reason) temporary table. On PostgreSQL the validation worker already makes each row's
  text in COPY's format (`fastsql.CopyRows`): the writer adds the ids, the number and the time and sends
  residents, records, their historical rows (which repeat the row's text) and events in one COPY each. A kill
  leaves whole chunks; a rerun finds them present and carries on.
- **Validation workers** (`workers=N`): forked processes that read the file themselves and validate every N-th
  block; this process only classifies and writes.
- **Bounded memory.** The file is streamed; keys seen in the file live in a temporary SQLite file, not in RAM.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import hashlib
import multiprocessing
import operator
import os
import queue
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import DateField, DateTimeField, F
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from jkda.access.scope import WRITE_ROLES, require_write
from jkda.pipeline import collect_young, collector_paused, widen_pipe
from jkda.records import numbering
from jkda.records.actions import DuplicateIdNumber, _user_name
from jkda.records.models import NAME_NO_ID_INDEX, NumberCounter, Record, RecordEvent, Resident
from jkda.records.names import pinyin_of
from jkda.records.rules import check_resident, today
from jkda.regions.models import Division, Institution, Staff

from . import indexes
from .columns import CellError, Columns, labels_of, resident_columns
from .fastsql import (
    BulkTable,
    CopyRows,
    Expr,
    Narrow,
    copy_escape,
    copy_line,
    copy_lines,
    insert_select,
    reserve_ids,
    take_write_lock,
)
from .report import REPORT_HEADERS, RejectReport, Summary, default_report_path
from .sources import ImportFileError, Table, map_headers, open_table

RECORD_COLUMNS = ("number", "institution_code", "village_code", "established_on", "responsible_doctor")
# resident fields that validation sets from other columns (records.rules.check_resident, fill_derived)
DERIVED_FIELDS = ("name", "name_pinyin", "name_initials", "id_number", "id_last6", "sex", "birth_date")
# the record's columns that differ from row to row in an import (ResidentImport.write); the rest are the same for all
RECORD_VARYING = ("number", "number_last8", "resident_id", "institution_id", "village_id",
                  "established_by_institution_id", "responsible_doctor_id", "responsible_doctor_name",
                  "established_on", *Record.SEARCH_KEYS)
COUNTER_BATCH = 400  # villages per counter UPDATE (each costs a few parameters)
RETURNING = sqlite3.sqlite_version_info >= (3, 35)  # UPDATE ... RETURNING (always on PostgreSQL)
# SQLite settings of the importing connection while it imports. cache_size (negative: KiB): a million residents mean
# ~40 random index insertions per row, and the default 2 MB cache sends most of them to the operating system.
# (A larger wal_autocheckpoint or larger chunks made no measurable difference at 100k rows.)
SQLITE_PRAGMAS = {"cache_size": -131072}
# workers=None (the default) picks the number of validation workers: some when this process may run on two cores or
# more and the file is large enough that forking and reading it twice pays (measured: docs/import.md, 速度).
AUTO_WORKERS_MIN_BYTES = 2_000_000  # about 10,000 rows of a typical CSV
# ... and how many: on SQLite the writing process keeps its core busy and a second worker only competes for it; on
# PostgreSQL the writing process mostly waits for the server, and a second worker takes that time (1M residents on
# two cores, three alternating pairs: 54.0 / 55.7 / 54.6 s with two against 55.3 / 58.5 / 56.5 s with one)
AUTO_WORKERS_BY_VENDOR = {"postgresql": 2}
# suspend_indexes=None (the default) suspends the secondary indexes of the tables written (exchange.indexes) when the
# file has at least this many rows and at least as many as there are residents already: then rebuilding each index
# once over the whole table costs less than keeping it in order row by row (measured: docs/import.md, 速度).
SUSPEND_INDEXES_MIN_ROWS = 50_000


def estimated_rows(table: Table) -> int:
    """About how many rows the file has: its line count for CSV (read in blocks, a second per GB), rows for XLSX."""
    if table.kind != "csv":
        return table.size
    n = 0
    with open(table.path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def auto_workers(path: str, *, dry_run: bool = False, vendor: str | None = None) -> int:
    """The validation workers `workers=None` means for this file: 0 for a dry run (nothing is written for validation
    to overlap with: a worker only added its overhead), a small file or one core; otherwise 1, or 2 on PostgreSQL
    (AUTO_WORKERS_BY_VENDOR)."""
    if dry_run:
        return 0
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        size = os.path.getsize(path)
    except OSError:
        return 0
    if cores < 2 or size < AUTO_WORKERS_MIN_BYTES:
        return 0
    return AUTO_WORKERS_BY_VENDOR.get(vendor or connection.vendor, 1)


# --- keys seen in this file --------------------------------------------------------------------------------------

class SeenKeys:
    """Keys of the rows taken so far (imported or already present) → their row number, on disk."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="jkda-import-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "seen.sqlite3"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE seen (k TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")

    def lookup(self, keys) -> dict[str, int]:
        out = {}
        keys = list(set(keys))
        for i in range(0, len(keys), 900):
            batch = keys[i:i + 900]
            out.update(self.db.execute(
                f"SELECT k, row FROM seen WHERE k IN ({','.join('?' * len(batch))})", batch).fetchall())
        return out

    def add(self, pairs) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", pairs)

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()


# --- village counters --------------------------------------------------------------------------------------------

def _counter_update(villages: list[str], amounts: dict[str, int], expr: str, twice: bool = False) -> dict[str, int]:
    """One UPDATE per batch of villages: last_serial = expr (with %s the village's amount), returning the new values.
    Plain SQL: a Case() of hundreds of When()s costs more to compile than to run."""
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    code = connection.ops.quote_name(NumberCounter._meta.get_field("village_code").column)
    serial = connection.ops.quote_name(NumberCounter._meta.get_field("last_serial").column)
    then = expr.format(serial=serial)
    tops: dict[str, int] = {}
    returning = RETURNING or connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        for i in range(0, len(villages), COUNTER_BATCH):
            batch = villages[i:i + COUNTER_BATCH]
            params: list = []
            whens = []
            for v in batch:
                whens.append(f"WHEN %s THEN {then}")
                params += [v, amounts[v], amounts[v]] if twice else [v, amounts[v]]
            params += batch
            where = f"WHERE {code} IN ({', '.join(['%s'] * len(batch))})"
            sql = f"UPDATE {table} SET {serial} = CASE {code} {' '.join(whens)} ELSE {serial} END {where}"
            if returning:
                cursor.execute(sql + f" RETURNING {code}, {serial}", params)
            else:
                cursor.execute(sql, params)
                cursor.execute(f"SELECT {code}, {serial} FROM {table} {where}", batch)
            tops.update(cursor.fetchall())
    return tops


IN_VALUES = "{in_values}"  # where `in_values_sql` puts the test of a column against a batch of values
IN_KEYS = "{in_keys}"  # the same for a column with a unique index, each value looked up in it (see in_values_sql)


def in_values_sql(sql: str, n: int) -> str:
    """`sql` with its IN_VALUES or IN_KEYS made the test against n text values: `IN (%s, ...)` on SQLite; on
    PostgreSQL one array parameter, `= ANY(%s)` for IN_VALUES and `IN (SELECT unnest(%s::text[]))` for IN_KEYS. The
    planner reads `= ANY(array)` of thousands of values with a scan of the whole table up to a few hundred thousand
    rows (10 µs a value when most are not there, as in an import), where IN (SELECT unnest(...)) becomes a look-up
    in the unique index per value (2.7 µs). The look-up of names among residents without an ID number stays with
    ANY: that form lets it use the partial index of those names (NAME_NO_ID_INDEX)."""
    if connection.vendor == "postgresql":
        return sql.replace(IN_VALUES, "= ANY(%s)").replace(IN_KEYS, "IN (SELECT unnest(%s::text[]))")
    test = f"IN ({', '.join(['%s'] * n)})"
    return sql.replace(IN_VALUES, test).replace(IN_KEYS, test)


def in_batches(sql: str, values: list, size: int = 2000) -> list[tuple]:
    """The rows of `sql` (a statement with IN_VALUES or IN_KEYS after a column) run for `values`, `size` at a time."""
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for i in range(0, len(values), size):
            batch = values[i:i + size]
            cursor.execute(in_values_sql(sql, len(batch)), [batch] if connection.vendor == "postgresql" else batch)
            out.extend(cursor.fetchall())
    return out


def _rows_where_in(model, key: str, columns: tuple[str, ...], values: list) -> list[tuple]:
    """SELECT columns FROM model's table WHERE key IN values, in plain SQL (a filter(key__in=...) prepares each of
    thousands of values through the field machinery: a few microseconds per row of the file)."""
    qn = connection.ops.quote_name
    meta = model._meta
    select = ", ".join(qn(meta.get_field(c).column) for c in columns)
    return in_batches(f"SELECT {select} FROM {qn(meta.db_table)} WHERE {qn(meta.get_field(key).column)} {IN_KEYS}",
                      values)


def numbers_in_ranges(ranges: list[tuple[str, str]], size: int = 400) -> set[str]:
    """The record numbers in use between each (first, last), both included: one range of the unique index read per
    village, where looking up each number allocated to a chunk costs a probe each (on PostgreSQL 1.2 s of 18 for
    200,000 rows)."""
    if not ranges:
        return set()
    qn = connection.ops.quote_name
    meta = Record._meta
    table, number = qn(meta.db_table), qn(meta.get_field("number").column)
    out: set[str] = set()
    with connection.cursor() as cursor:
        for i in range(0, len(ranges), size):
            batch = ranges[i:i + size]
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT r.{number} FROM unnest(%s::text[], %s::text[]) AS v(lo, hi) "
                               f"JOIN {table} r ON r.{number} BETWEEN v.lo AND v.hi",
                               [[lo for lo, _hi in batch], [hi for _lo, hi in batch]])
            else:
                values = ", ".join(["(%s, %s)"] * len(batch))
                cursor.execute(f"WITH v(lo, hi) AS (VALUES {values}) SELECT r.{number} FROM v "
                               f"JOIN {table} r ON r.{number} BETWEEN v.lo AND v.hi",
                               [x for pair in batch for x in pair])
            out.update(n for (n,) in cursor.fetchall())
    return out


# --- one valid row -----------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Row:
    """A valid row: the resident's prepared database row (id and times filled at write time) and the record's."""

    number: int
    cells: list | str | None  # the file's cells (for the report, should the row be refused when written): see cells_of
    # SQLite: the varying columns only (ResidentImport._n_res), or every column when `res_full`; PostgreSQL: the
    # text of the row for COPY (ResidentImport._copy_res: the body, without the id and the time of writing)
    res_row: list | str
    id_number: str | None
    name: str
    record_number: str  # a legacy number from the file, or ""
    institution_id: int
    village_id: int | None  # None on PostgreSQL: in rec_text
    village_code: str
    established_on: dt.date | None  # None on PostgreSQL: in rec_text
    doctor_id: int | None
    doctor_name: str
    key: str
    key_column: str
    assigned: str = ""  # the number allocated at write time (reset when a chunk is retried)
    res_full: bool = False
    rec_text: tuple[str, str] | None = None  # PostgreSQL: the record's body and tail for COPY (_copy_rec)

    def __reduce__(self):
        # to and from validation workers as a plain tuple: half the pickling cost of the slots' state dict
        return Row, (self.number, self.cells, self.res_row, self.id_number, self.name, self.record_number,
                     self.institution_id, self.village_id, self.village_code, self.established_on, self.doctor_id,
                     self.doctor_name, self.key, self.key_column, self.assigned, self.res_full, self.rec_text)

    def file_cells(self) -> list:
        return cells_of(self.cells)


_KEEP = object()  # validation: the field keeps the model's default (see ResidentImport._settler)
CELL_SEP = "\x1f"  # joins a valid row's cells for the trip from a validation worker (see pack_cells)


def pack_cells(cells: list) -> list | str:
    """A valid row's cells as one string when they are all text without CELL_SEP (one string pickles in a tenth of
    the time of a list of sixteen); they are needed again only if the row is refused when written."""
    if not cells:
        return cells
    try:
        packed = CELL_SEP.join(cells)
    except TypeError:  # an XLSX cell: a number, a date
        return cells
    return packed if packed.count(CELL_SEP) == len(cells) - 1 else cells  # no cell holds the separator itself


def cells_of(packed: list | str | None) -> list:
    if isinstance(packed, str):
        return packed.split(CELL_SEP)
    return packed if packed is not None else []


@dataclass
class Outcome:
    new: list
    present: list
    rejected: list  # (row number, cells, problems)
    register: list  # (key, row number)


def fill_derived(r: Resident) -> None:
    """Resident.fill_derived without the import inside it (pinyin_of caches by name and by character)."""
    r.name = (r.name or "").strip()
    r.name_pinyin, r.name_initials = pinyin_of(r.name)
    r.id_last6 = (r.id_number or "")[-6:]


def without_id_number_sql() -> str:
    """The look-up of `without_id_number`, with IN_VALUES for the names. SQLite is told the index (INDEXED BY): left
    to itself its planner reads every resident without an ID number through the unique index on the ID number (IS
    NULL), however many there are, with or without statistics; PostgreSQL's planner weighs the two by the share of
    NULLs."""
    qn = connection.ops.quote_name
    res, rec, div = Resident._meta, Record._meta, Division._meta
    col = {f: qn(res.get_field(f).column) for f in ("id", "name", "birth_date", "sex", "id_number", "current_address")}
    hint = f" INDEXED BY {qn(NAME_NO_ID_INDEX)}" if connection.vendor == "sqlite" else ""
    return (f"SELECT r.{col['name']}, r.{col['birth_date']}, r.{col['sex']}, d.{qn(div.get_field('code').column)}, "
            f"r.{col['current_address']} FROM {qn(res.db_table)} r{hint} "
            f"JOIN {qn(rec.db_table)} c ON c.{qn(rec.get_field('resident').column)} = r.{col['id']} "
            f"LEFT JOIN {qn(div.db_table)} d ON d.{qn(div.pk.column)} = c.{qn(rec.get_field('village').column)} "
            f"WHERE r.{col['id_number']} IS NULL AND r.{col['name']} {IN_VALUES}")


def without_id_number(names: list[str]) -> list[tuple]:
    """(name, birth date, sex, village code, current address) of the residents without an ID number who bear one of
    these names: what a row without an ID number is matched by (person_hash). Read through the index of the names
    of residents without an ID number (NAME_NO_ID_INDEX), which an import never suspends."""
    return [(name, born if born is None or isinstance(born, dt.date) else dt.date.fromisoformat(born), *rest)
            for name, born, *rest in in_batches(without_id_number_sql(), names)]


def person_hash(name, birth_date, sex, village_code, address) -> str:
    text = "\x1f".join([
        " ".join(str(name or "").split()), birth_date.isoformat() if birth_date else "", str(sex or ""),
        str(village_code or ""), " ".join(str(address or "").split()),
    ])
    return "h:" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:24]


# --- validation workers ------------------------------------------------------------------------------------------
#
# Workers are forked after the importer is prepared, so they inherit its columns and lookups and never touch the
# database. Each worker reads the file itself and validates every n-th block of rows (worker k: blocks k, k+n, ...);
# the writing process only reads the validated blocks back, in file order, from the workers' queues. So the writer
# neither parses the file nor waits to hand rows over: it classifies and writes. Each worker runs at most `depth`
# blocks ahead of the writer (a semaphore of credits), so memory stays bounded however fast validation is.

_WORKER: ResidentImport | None = None  # set before forking: workers inherit the prepared importer
# blocks between a worker's collections of its young objects: a collection goes through what is alive at that moment
# (about a block), so collecting after every block cost a worker 1.5 µs per row (docs/import.md, 速度)
COLLECT_EVERY = 16


def _worker_main(k: int, n: int, path: str, encoding: str | None, size: int, results, credits) -> None:
    """In worker k of n: ("rows", [(row number, cells, Row or problems)], progress) for its blocks in order, then
    ("end", None), ("end", why the file breaks off) or ("failed", what went wrong)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the writer's to handle: it stops the workers
    imp = _WORKER
    table = None
    mine: list = []
    sent = [0]

    def send(block):
        credits.acquire()
        out = []
        for number, cells in block:
            result = imp.validate(number, cells)
            if type(result) is Row:  # the writer needs a valid row's cells only if it refuses the row
                result.cells = pack_cells(cells)
                cells = None
            out.append((number, cells, result))
        results.put(("rows", out, table.progress))
        sent[0] += 1
        if sent[0] % COLLECT_EVERY == 0:
            collect_young()

    try:
        table = open_table(path, encoding)
        i = 0
        for item in table.rows():
            if (i // size) % n == k:
                mine.append(item)
                if len(mine) == size:
                    send(mine)
                    mine = []  # a new list: the queue pickles the old one later, in its own thread
            i += 1
        if mine:
            send(mine)
        results.put(("end", None))
    except ImportFileError as exc:
        if mine:
            send(mine)  # the rows of this block before the break
        results.put(("end", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - whatever it is, the writer must hear of it, not wait forever
        results.put(("failed", f"{exc.__class__.__name__}: {exc}"))
    finally:
        if table is not None:
            table.close()
        results.close()
        results.join_thread()


class _Workers:
    """n forked validation workers, each reading the file; blocks() yields their validated blocks in file order."""

    def __init__(self, importer: ResidentImport, n: int, path: str, encoding: str | None, depth: int):
        global _WORKER
        _WORKER = importer
        ctx = multiprocessing.get_context("fork")
        self.procs, self.results, self.credits = [], [], []
        self.progress = 0
        try:
            for k in range(n):
                results, credits = ctx.Queue(), ctx.Semaphore(depth)
                widen_pipe(results)
                proc = ctx.Process(target=_worker_main, args=(k, n, path, encoding, importer.BLOCK, results, credits),
                                   daemon=True)
                proc.start()
                self.procs.append(proc)
                self.results.append(results)
                self.credits.append(credits)
        finally:
            _WORKER = None

    def _get(self, k: int):
        while True:
            try:
                return self.results[k].get(timeout=2)
            except queue.Empty:
                if not self.procs[k].is_alive():
                    try:  # everything it sent before it stopped is in the pipe already
                        return self.results[k].get(timeout=0.5)
                    except queue.Empty:
                        return ("failed", f"exit code {self.procs[k].exitcode}")

    def blocks(self):
        b = 0
        while True:
            k = b % len(self.procs)
            message = self._get(k)
            if message[0] == "rows":
                self.credits[k].release()
                self.progress = message[2]
                yield message[1]
            elif message[0] == "end":
                if message[1]:
                    raise ImportFileError(message[1])
                return
            else:
                raise ImportFileError(_("A validation worker stopped (%(err)s). Whole chunks were kept; run the "
                                        "import again to continue.") % {"err": message[1]})
            b += 1

    def close(self, *, wait: bool) -> None:
        for proc in self.procs:
            if wait:
                proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        for q in self.results:
            q.close()
            q.cancel_join_thread()


class Checkpointer:
    """On a SQLite file in WAL mode: copies the write-ahead log into the database file from a thread with its own
    connection, woken after each committed chunk, while the import goes on with the next one. Otherwise the
    committing connection does it itself every 1000 pages (wal_autocheckpoint), about half the commit's time, on the
    writer's core. PASSIVE: it never waits for nor blocks a reader or writer; what it leaves, the next one copies.
    The import turns its own connection's automatic checkpoints off only while this runs (`_sqlite_pragmas`)."""

    def __init__(self, path: str):
        self.path = path
        self.failed: str | None = None
        self._wake = threading.Event()
        self._stop = False
        # started at the first chunk, after the validation workers are forked: no fork from a threaded process
        self._thread: threading.Thread | None = None

    @classmethod
    def start(cls) -> Checkpointer | None:
        """A checkpointer for the default connection's database, or None when it is not a SQLite file in WAL mode
        (PostgreSQL, an in-memory test database)."""
        if connection.vendor != "sqlite":
            return None
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            if cursor.fetchone()[0].lower() != "wal":
                return None
        return cls(str(connection.settings_dict["NAME"]))

    def poke(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="jkda-import-checkpoint", daemon=True)
            self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            self.failed = str(exc)
            return
        try:
            while True:
                self._wake.wait()
                self._wake.clear()
                stop = self._stop
                con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()  # the last chunk's too
                if stop:
                    return
        except sqlite3.Error as exc:  # the import goes on; its connection's automatic checkpoints come back after
            self.failed = str(exc)
        finally:
            con.close()

    def close(self) -> None:
        if self._thread is not None:
            self._stop = True
            self._wake.set()
            self._thread.join()


class Stage:
    """The chunk's new rows as the database needs them to write their history and events itself: (row number,
    resident id, record id, institution id, reason). A temporary table of the importing connection: created in the
    chunk's transaction when missing (a rolled-back chunk takes it along), emptied before each chunk."""

    TABLE = "jkda_import_stage"
    COLUMNS = ("row_number", "resident_id", "record_id", "institution_id", "why")

    def fill(self, rows: list[tuple]) -> None:
        """SQLite (on PostgreSQL the history and events go by COPY: ResidentImport._write_copy)."""
        columns = ", ".join(self.COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.TABLE} (row_number INTEGER, "
                           "resident_id INTEGER, record_id INTEGER, institution_id INTEGER, why TEXT)")
            cursor.execute(f"DELETE FROM {self.TABLE}")
            cursor.executemany(f"INSERT INTO {self.TABLE} ({columns}) VALUES (%s, %s, %s, %s, %s)", rows)

    def drop(self) -> None:
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")


class ResidentImport:
    """`jkda import residents FILE`: see the module docstring. Use `run()`; it returns a Summary.

    workers > 0 validates rows in that many forked processes while this one writes (POSIX only; validation needs
    no database, the lookups are loaded before the fork); workers=None (the default) chooses (`auto_workers`).
    """

    kind = "residents"
    BLOCK = 500  # rows per task sent to a validation worker
    AHEAD_CHUNKS = 2  # how many chunks the workers may validate ahead of the writer
    MEMO_SIZE = 2000  # distinct texts remembered per column
    # per date column: birth dates are spread over a century (36,525 days) but repeat in a large file, and a date
    # costs two microseconds to parse, a remembered one a tenth of that
    DATE_MEMO_SIZE = 40_000

    def __init__(self, path: str, *, actor=None, dry_run: bool = False, chunk_size: int = 5000,
                 report_path: str | None = None, encoding: str | None = None,
                 progress: Callable[[Table], object] | None = None, workers: int | None = None,
                 suspend_indexes: bool | None = None, say: Callable[[str], object] | None = None):
        self.path = path
        self.actor = actor
        self.dry_run = dry_run
        self.checkpointer: Checkpointer | None = None
        self.chunk_size = max(1, int(chunk_size))
        self.report_path = report_path or default_report_path(path)
        self.encoding = encoding
        self.progress_factory = progress
        self.workers = auto_workers(path, dry_run=dry_run) if workers is None else max(0, int(workers))
        self.summary = Summary(kind=self.kind, path=path, dry_run=dry_run)
        self.source_name = os.path.basename(path)[:60]
        self.stage = Stage()
        self.suspend_indexes = suspend_indexes
        self.say = say
        self.index_lock: indexes.ImportLock | None = None  # held while this import's indexes are suspended
        self._suspend_pending = False  # a large file: suspend them at the first chunk with new rows
        # no resident or record was in the database when the import began (`_note_fresh`): see classify
        self._fresh = False

    # --- setup ---------------------------------------------------------------------------------------------------

    def _prepare(self, table: Table) -> None:
        self.columns: Columns = resident_columns()
        hm = map_headers(table.header, self.columns.lookup, ignore=set(REPORT_HEADERS))
        self.headers = hm
        self.width = len(table.header)
        missing = [c for c in self.columns if c.required and c.name not in hm.positions]
        if "id_number" not in hm.positions:
            missing += [self.columns[n] for n in ("sex", "birth_date") if n not in hm.positions]
        if missing:
            raise ImportFileError(
                _("Required columns are missing: %(cols)s. The first row must name the columns; see docs/import.md "
                  "for the names accepted.") % {"cols": "、".join(f"{c.label}（{c.name}）" for c in missing)})
        self.summary.ignored_columns = hm.ignored
        self.present = [(pos, self.columns[name]) for name, pos in sorted(hm.positions.items(), key=lambda x: x[1])]
        self.resident_fields = [c.name for _p, c in self.present if c.name not in RECORD_COLUMNS]
        self.required_message = str(forms.Field().error_messages["required"])
        self.form_required = {name for name in self.resident_fields
                              if (f := Resident._meta.get_field(name)) and not f.blank and not f.has_default()
                              and name not in ("sex", "birth_date")}
        self.keep_default_when_empty = {
            name for name in self.resident_fields
            if Resident._meta.get_field(name).has_default() and not Resident._meta.get_field(name).blank}
        # per column: [position, name, parser, memo, settle, memo size]. The memo: the parsed value (or problem) per
        # distinct text (codes, dates, institutions repeat row after row), None once the column proved mostly
        # distinct texts; settle turns a resident field's parsed value into what the resident gets (_KEEP: its
        # default) or raises for a required one left empty, None for the record's columns (they go to `values`)
        self._plan = [[pos, c.name, c.parse, {}, self._settler(c.name) if c.name not in RECORD_COLUMNS else None,
                       self.DATE_MEMO_SIZE if self._is_date(c.name) else self.MEMO_SIZE] for pos, c in self.present]
        proto = Resident()
        self._template = {k: v for k, v in proto.__dict__.items() if k != "_state"}
        self._mutable = [k for k, v in self._template.items() if isinstance(v, (list, dict))]
        self.form_version = settings.JKDA_FORM_VERSION
        self.sex_blank = str(Resident._meta.get_field("sex").error_messages["blank"])
        self.birth_null = str(Resident._meta.get_field("birth_date").error_messages["null"])
        self.today = today()
        t_res, _t_rec = self._tables()
        # the resident's columns a row can change: the file's, what validation derives from them and the search keys
        # the writer copies to the record; every other column holds the model's default (Narrow checks, row by row)
        varying = {*self.resident_fields, *DERIVED_FIELDS, *Record.SEARCH_KEYS.values()}
        self._n_res = Narrow(t_res, varying, {**self._template, "form_version": self.form_version})
        self._copy_res = self._copy_rec = None
        if connection.vendor == "postgresql" and not self.dry_run:  # (a dry run writes nothing)
            # the resident's text leaves out its id and time of writing (`updated_at`, which its history does not
            # repeat); the record's its id, number and resident, known only when written
            self._copy_res = CopyRows(t_res, late=("id", "updated_at"), varying=varying,
                                      same={**self._template, "form_version": self.form_version},
                                      history=Resident.history.model)
            if self._copy_res.tail:  # _write_copy writes the resident's body only
                raise ValueError("the resident's history is expected to keep every column but updated_at")
            self._copy_rec = CopyRows(_t_rec, late=("id", "number", "number_last8", "resident_id"),
                                      varying=RECORD_VARYING, same=self._record_same(),
                                      history=Record.history.model)
            if self._copy_rec.tail_var != list(Record.SEARCH_KEYS):  # validate makes the tail from just those
                raise ValueError("the record's history is expected to leave out its copies of the search keys")
            # validate gives the record's varying body columns but the date in this order (line() takes them in
            # the body's) and puts the date after them: the body's last varying column
            cover = ("institution_id", "village_id", "established_by_institution_id", "responsible_doctor_id",
                     "responsible_doctor_name")
            body_var = self._copy_rec.body_var
            if sorted(body_var) != sorted((*cover, "established_on")) or body_var[-1] != "established_on" \
                    or self._copy_rec.converts("established_on"):
                raise ValueError(f"the record's varying columns {body_var} are not {cover} and then established_on")
            self._record_order = operator.itemgetter(*(cover.index(a) for a in body_var[:-1]))
            self._record_heads: dict[tuple, str] = {}
            self._date_texts: dict = {}
            self._search_key_fields = list(Record.SEARCH_KEYS.values())
            self._copy_event = CopyRows(BulkTable(RecordEvent, with_pk=False), varying=(), same={},
                                        late=("record_id", "kind", "at", "actor_id", "to_institution_id", "reason"))
        self._preload()

    def _preload(self) -> None:
        """Everything validation looks up, read once: institutions, divisions, doctors, the actor's reach."""
        self._institutions: dict[str, Institution | str] = {}
        self._denied: dict[int, str | None] = {}
        for inst in Institution.objects.all():
            if not inst.is_clinical:
                self._institutions[inst.code] = _("Records are managed by clinical institutions only.")
            elif not inst.active:
                self._institutions[inst.code] = _("%(inst)s is closed.") % {"inst": inst.name}
            else:
                self._institutions[inst.code] = inst
                if self.actor is not None:
                    try:
                        require_write(self.actor, inst)
                        self._denied[inst.pk] = None
                    except PermissionDenied as exc:
                        self._denied[inst.pk] = str(exc)
        self._divisions: dict[str, tuple[int, str]] = {
            code: (pk, level) for pk, code, level in Division.objects.values_list("id", "code", "level")}
        self._by_username: dict[tuple[int, str], tuple[int, str]] = {}
        self._by_full_name: dict[tuple[int, str], list[tuple[int, str]]] = collections.defaultdict(list)
        for staff in Staff.objects.filter(is_active=True, role__in=WRITE_ROLES, institution__isnull=False):
            entry = (staff.pk, _user_name(staff))
            self._by_username[(staff.institution_id, staff.username)] = entry
            if staff.full_name:
                self._by_full_name[(staff.institution_id, staff.full_name)].append(entry)

    @staticmethod
    def _is_date(name: str) -> bool:
        try:  # the record's cover columns are named like Record's fields where they are one (established_on)
            f = (Record if name in RECORD_COLUMNS else Resident)._meta.get_field(name)
        except FieldDoesNotExist:  # institution_code, village_code
            return False
        return isinstance(f, DateField) and not isinstance(f, DateTimeField)

    def _settler(self, name: str) -> Callable[[object], object]:
        """What the resident gets for a parsed value of field `name`: the value, or _KEEP (the model's default: an
        empty cell of a field that has one), or CellError (a required field left empty). Worked out with the parse,
        so a column's memo remembers the outcome."""
        keep_empty = name in self.keep_default_when_empty
        required = name in self.form_required
        message = self.required_message

        def settle(v):
            if v is None or (keep_empty and v == ""):
                return _KEEP
            if required and v == "":
                raise CellError(message)
            return v

        return settle

    def label(self, name: str) -> str:
        """A column as the file names it; for fields without a column, the field's Chinese label."""
        if name in self.headers.labels:
            return self.headers.labels[name]
        if name in self.columns.by_name:
            return self.columns[name].label
        try:
            return labels_of(Resident._meta.get_field(name))[0]
        except Exception:  # noqa: BLE001 - a non-field error
            return ""

    def new_resident(self) -> Resident:
        """An unsaved Resident with the model's defaults (what Resident() gives, without its per-field cost)."""
        r = Resident.__new__(Resident)
        d = r.__dict__
        d.update(self._template)
        for k in self._mutable:
            d[k] = type(d[k])()
        d["_state"] = ModelState()
        return r

    # --- lookups (in memory: validation workers have no database) ------------------------------------------------

    def institution(self, code: str) -> Institution | str:
        hit = self._institutions.get(code)
        if hit is None:
            return _("No institution has the code %(code)s.") % {"code": code}
        if isinstance(hit, str):
            return hit
        denied = self._denied.get(hit.pk) if self.actor is not None else None
        return denied or hit

    def village(self, code: str) -> tuple[int, str] | str:
        if len(code) != 12 or not code.isdigit():
            return _("A village code has 12 digits (county 6 + township 3 + village 3).")
        hit = self._divisions.get(code)
        if hit is None:
            return _("No village or residents' committee has the code %(code)s.") % {"code": code}
        if hit[1] != Division.Level.VILLAGE:
            return _("Choose a village or residents' committee.")
        return hit[0], code

    def doctor(self, inst: Institution, text: str) -> tuple[int | None, str]:
        """A staff member of the institution (or the one it reports to) by user name or unique full name; other
        names are kept as text."""
        ids = [inst.pk] + ([inst.parent_id] if inst.parent_id else [])
        for i in ids:
            hit = self._by_username.get((i, text))
            if hit:
                return hit
        found = [e for i in ids for e in self._by_full_name.get((i, text), ())]
        return found[0] if len(found) == 1 else (None, text)

    # --- one row -------------------------------------------------------------------------------------------------

    def validate(self, number: int, cells: list) -> Row | list[tuple[str, str]]:
        """A Row, or the problems as [(column as named in the file, message)]. Touches no database."""
        errors: dict[str, list[str]] = {}
        values: dict[str, object] = {}  # the record's columns
        r = self.new_resident()
        d = r.__dict__  # the resident's fields are set directly
        n = len(cells)
        if n > self.width and any(c not in (None, "") for c in cells[self.width:]):
            errors[""] = [_("This row has %(n)d cells but the header has %(m)d: a value probably contains the "
                            "delimiter; put such values in quotes.") % {"n": n, "m": self.width}]
        for entry in self._plan:
            pos, name, parse, memo, settle, limit = entry
            raw = cells[pos] if pos < n else ""
            if memo is not None and type(raw) is str:
                hit = memo.get(raw)
                if hit is not None:  # the same text in this column before: the same value or the same problem
                    ok, v = hit
                    if not ok:
                        errors[name] = list(v)
                    elif v is not _KEEP:
                        (values if settle is None else d)[name] = v.copy() if type(v) is list else v
                    continue
            elif raw is None:
                raw = ""
            try:
                v = parse(raw)
                if settle is not None:
                    v = settle(v)
            except Exception as exc:  # CellError, or anything a parser did not foresee  # noqa: BLE001
                messages = list(getattr(exc, "messages", None) or [str(exc)])
                errors[name] = messages
                hit = (False, tuple(messages))
            else:
                if v is not _KEEP:
                    (values if settle is None else d)[name] = v
                hit = (True, v)
                if not (v is None or v is _KEEP or type(v) in (str, int, dt.date)
                        or (type(v) is list and all(type(c) is str for c in v))):
                    continue  # nested values (repeatable items, family history) are not shared between rows
            if memo is not None and type(raw) is str:
                if len(memo) < limit:
                    memo[raw] = hit
                else:  # a column of mostly distinct texts (names, ID numbers, addresses): stop remembering
                    entry[3] = None

        if not r.id_number:
            r.id_number = None
        r.form_version = self.form_version

        try:
            rule_errors = check_resident(r, self.today)
        except Exception as exc:  # a value shape the rules did not foresee (JSON cells): refuse the row, go on  # noqa: BLE001
            rule_errors = {"": [str(exc) or exc.__class__.__name__]}
        for name, messages in rule_errors.items():
            have = errors.setdefault(name, [])
            have.extend(m for m in messages if m not in have)
        if not r.sex and "sex" not in errors:
            errors["sex"] = [self.sex_blank]
        if r.birth_date is None and "birth_date" not in errors:
            errors["birth_date"] = [self.birth_null]

        # the record's cover: the institution and the village the code columns name, or their messages in errors
        inst = village = None
        for column, lookup in (("institution_code", self.institution), ("village_code", self.village)):
            if column in errors:
                continue
            code = values.get(column) or ""
            hit = lookup(code) if code else self.required_message
            if type(hit) is str:
                errors[column] = [hit]
            elif column == "village_code":
                village = hit
            else:
                inst = hit
        legacy = values.get("number") or ""
        if legacy and "number" not in errors:
            try:
                legacy = numbering.check_legacy_number(legacy)
            except ValidationError as exc:
                errors["number"] = exc.messages
        established_on = values.get("established_on") or self.today
        if "established_on" not in errors and established_on > self.today:
            errors["established_on"] = [_("The date established cannot be in the future.")]

        if errors:
            return [(self.label(name), msg) for name, messages in errors.items() for msg in messages]

        doctor_id, doctor_name = None, ""
        text = values.get("responsible_doctor") or ""
        if text:
            doctor_id, doctor_name = self.doctor(inst, text)
        fill_derived(r)
        if r.id_number:
            key, key_column = "i:" + r.id_number, "id_number"
        elif legacy:
            key, key_column = "n:" + legacy, "number"
        else:
            key, key_column = person_hash(r.name, r.birth_date, r.sex, village[1], r.current_address), "name"
        if self._copy_res is not None:  # PostgreSQL: the texts COPY takes, made here rather than in the writer
            res_row, _tail, same = self._copy_res.texts(d)
            full = not same
            # the record's body: institution, village and doctor repeat from row to row (their text made once per
            # kind), then the date established (its text made once per date)
            cover = (inst.pk, village[0], doctor_id, doctor_name)
            head = self._record_heads.get(cover)
            if head is None:
                if len(self._record_heads) >= self.MEMO_SIZE:
                    self._record_heads.clear()
                head = self._record_heads[cover] = self._copy_rec.line(self._record_order(
                    (inst.pk, village[0], inst.pk, doctor_id, doctor_name)))
            day = self._date_texts.get(established_on)
            if day is None:
                if len(self._date_texts) >= self.DATE_MEMO_SIZE:
                    self._date_texts.clear()
                day = self._date_texts[established_on] = copy_line([established_on])
            body = f"{head}\t{day}"
            tail = copy_line([d[own] for own in self._search_key_fields])  # the record's copies of them
            # the village's id, the date and the doctor are in the text: not sent again (less to pickle)
            return Row(number, cells, res_row, r.id_number, r.name, legacy, inst.pk, None, village[1],
                       None, None, "", key, key_column, "", full, (body, tail))
        res_row = self._n_res.row(d)
        full = res_row is None
        if full:  # a column expected to hold its default does not: the whole row
            res_row = self._t_res.row(d)
        # positional, in the order of Row's fields (as in Row.__reduce__)
        return Row(number, cells, res_row, r.id_number, r.name, legacy, inst.pk, village[0], village[1],
                   established_on, doctor_id, doctor_name, key, key_column, "", full)

    # --- one chunk -----------------------------------------------------------------------------------------------

    def classify(self, rows: list[Row]) -> Outcome:
        """Sort the chunk's valid rows into new, already present and refused (duplicates in file or database)."""
        out = Outcome(new=[], present=[], rejected=[], register=[])
        keys = [p.key for p in rows] + ["n:" + p.record_number for p in rows if p.record_number]
        earlier = self.seen.lookup(keys)

        # Into a database that held no resident when the import began, an ID number or record number can only be
        # in use by a row of this file (`seen` has those) or by a row someone else wrote since: the unique index
        # refuses the chunk then, and flush classifies it again, looking up every key from then on. So those
        # look-ups are left out (on PostgreSQL 3.7 s of a 1M import). People without an ID number are looked up
        # always: no unique index stands behind them.
        ids = [p.id_number for p in rows if p.id_number] if not self._fresh else []
        by_id: dict[str, str] = dict(_rows_where_in(Resident, "id_number", ("id_number", "name"), ids))
        numbers = [p.record_number for p in rows if p.record_number] if not self._fresh else []
        by_number: dict[str, str] = {}
        for i in range(0, len(numbers), 2000):
            by_number.update(Record.objects.filter(number__in=numbers[i:i + 2000])
                             .values_list("number", "resident__name"))
        hashed_names = {p.name for p in rows if p.key.startswith("h:")}
        known_hashes: set[str] = set()
        if hashed_names:
            known_hashes.update(person_hash(*row) for row in without_id_number(list(hashed_names)))

        taken: dict[str, int] = {}
        for p in rows:
            first = earlier.get(p.key) or taken.get(p.key)
            if first:
                out.rejected.append((p.number, p.file_cells(), [(self.label(p.key_column), _(
                    "The same person as row %(row)d of this file (a duplicate row).") % {"row": first})]))
                continue
            nkey = "n:" + p.record_number if p.record_number else None
            if nkey and nkey != p.key:
                first = earlier.get(nkey) or taken.get(nkey)
                if first:
                    out.rejected.append((p.number, p.file_cells(), [(self.label("number"), _(
                        "Record number %(n)s is also given on row %(row)d of this file.") % {
                            "n": p.record_number, "row": first})]))
                    continue
            status = "new"
            problem = None
            if p.id_number and p.id_number in by_id:
                if by_id[p.id_number] == p.name:
                    status = "present"
                else:
                    existing = (Resident.objects.select_related("record__institution")
                                .filter(id_number=p.id_number).first())
                    problem = ("id_number", DuplicateIdNumber(existing).messages[0])
            elif p.record_number and p.record_number in by_number:
                if p.key_column == "number" and by_number[p.record_number] == p.name:
                    status = "present"
                else:
                    problem = ("number", _("Record number %(n)s is already in use.") % {"n": p.record_number})
            elif p.key in known_hashes:
                status = "present"
            if problem:
                out.rejected.append((p.number, p.file_cells(), [(self.label(problem[0]), problem[1])]))
                continue
            taken[p.key] = p.number
            out.register.append((p.key, p.number))
            if nkey and nkey != p.key:
                taken[nkey] = p.number
                out.register.append((nkey, p.number))
            (out.present if status == "present" else out.new).append(p)
        return out

    def _tables(self):
        if not hasattr(self, "_t_res"):
            self._t_res = BulkTable(Resident)
            self._t_rec = BulkTable(Record)
        return self._t_res, self._t_rec

    def note_legacy(self, top_by_village: dict[str, int]) -> None:
        """Advance village counters past legacy serials (numbering.note_used_number for many at once)."""
        villages = sorted(top_by_village)
        self._ensure_counters(villages)
        _counter_update(villages, top_by_village, "CASE WHEN {serial} < %s THEN %s ELSE {serial} END", twice=True)

    @staticmethod
    def _ensure_counters(villages: list[str]) -> None:
        have = set()
        for i in range(0, len(villages), 2000):
            have.update(NumberCounter.objects.filter(pk__in=villages[i:i + 2000]).values_list("pk", flat=True))
        missing = [NumberCounter(village_code=v) for v in villages if v not in have]
        if missing:
            NumberCounter.objects.bulk_create(missing, ignore_conflicts=True)

    def allocate(self, rows: list[Row]) -> list[tuple[Row, str]]:
        """Give every row without a legacy number the next numbers of its village; returns rows refused because a
        village has no numbers left, with the message."""
        width = numbering.serial_width()
        digits = 12 + width
        legacy_top: dict[str, int] = {}
        for p in rows:
            if p.record_number and len(p.record_number) == digits:
                v, s = p.record_number[:12], int(p.record_number[12:])
                if s > legacy_top.get(v, -1):
                    legacy_top[v] = s
        need = collections.Counter(p.village_code for p in rows if not p.record_number)
        villages = sorted(set(legacy_top) | set(need))
        if not villages:
            return []
        self._ensure_counters(villages)
        if connection.vendor == "postgresql":  # lock the counters in one order: two imports never deadlock
            for i in range(0, len(villages), 2000):
                list(NumberCounter.objects.select_for_update().filter(pk__in=villages[i:i + 2000])
                     .order_by("pk").values_list("pk", flat=True))
        if legacy_top:
            self.note_legacy(legacy_top)
        wanted = sorted(need)
        tops = _counter_update(wanted, need, "{serial} + %s")
        limit = 10 ** width
        refused = []
        pools: dict[str, list[str]] = {}
        for v in wanted:
            top, n = tops[v], need[v]
            if top >= limit:
                NumberCounter.objects.filter(pk=v).update(last_serial=F("last_serial") - n)
                pools[v] = []
                continue
            pools[v] = [f"{v}{s:0{width}d}" for s in range(top - n + 1, top + 1)]
        # legacy numbers imported earlier may already hold some of these (numbering.allocate_number skips them too);
        # each village's pool is a run of serials of one width, so whatever else sorts between its ends is not in it.
        # Into a database empty when the import began there are none but this file's, which prescan_legacy put
        # below the counters, or someone else's since, which the unique index refuses (see classify)
        used = numbers_in_ranges([(pool[0], pool[-1]) for pool in pools.values() if pool]) if not self._fresh \
            else set()
        for v in wanted:
            pool = [num for num in pools[v] if num not in used]
            while len(pool) < need[v] and pools[v]:
                try:  # one at a time past the clash (rare); allocate_number skips numbers in use
                    pool.append(numbering.allocate_number(v))
                except ValidationError:  # the village's numbers are used up: the rest of its rows are refused
                    break
            pools[v] = pool
        queues = {v: collections.deque(pool) for v, pool in pools.items()}
        for p in rows:  # in file order: numbers follow the order of the rows within each village
            if p.record_number:
                p.assigned = p.record_number
                continue
            queue = queues[p.village_code]
            if queue:
                p.assigned = queue.popleft()
            else:
                refused.append((p, _("All %(n)d record numbers of village %(code)s are used up.") % {
                    "n": limit - 1, "code": p.village_code}))
        return refused

    def write(self, rows: list[Row]) -> list[tuple[Row, str]]:
        """Insert the chunk's new residents and records (inside the caller's transaction); the database itself then
        writes their historical rows and events from them (`write_history`)."""
        t_res, t_rec = self._tables()
        take_write_lock()
        refused = self.allocate(rows)
        if refused:
            bad = {id(p) for p, _msg in refused}
            rows = [p for p in rows if id(p) not in bad]
        if not rows:
            return refused
        now = timezone.now()
        for t in (t_res, t_rec):
            t.set_now(now)
        res_ids = reserve_ids(Resident, len(rows))
        rec_ids = reserve_ids(Record, len(rows))
        actor = self.actor
        actor_id = actor.pk if actor is not None else None
        reason = _("Imported from %(file)s, row %(row)d")
        if self._copy_res is not None:
            self._write_copy(rows, res_ids, rec_ids, now, actor_id, reason)
            return refused
        n_res, n_rec = self._n_res, self._record_rows(actor)
        (r_id, r_number, r_last8, r_resident, r_inst, r_village, r_by_inst, r_doctor, r_doctor_name,
         r_established) = (n_rec.index(a) for a in (
             "id", "number", "number_last8", "resident_id", "institution_id", "village_id",
             "established_by_institution_id", "responsible_doctor_id", "responsible_doctor_name", "established_on"))
        # the record's copies of the resident's search keys (Record.SEARCH_KEYS), from a narrow or a whole row
        key_at = [(n_rec.index(copy), n_res.index(own), t_res.index(own)) for copy, own in Record.SEARCH_KEYS.items()]
        res_rows, full_rows, rec_rows, staged = [], [], [], []
        id_at, full_id_at = n_res.index("id"), t_res.index("id")
        blank = n_rec.blank
        dates: dict = {}
        for p, rid, cid in zip(rows, res_ids, rec_ids, strict=True):
            res_row = p.res_row
            full = p.res_full
            if full:
                res_row[full_id_at] = rid
                t_res.stamp(res_row)
                full_rows.append(res_row)
            else:
                res_row[id_at] = rid
                n_res.stamp(res_row)
                res_rows.append(res_row)
            number = p.assigned
            inst_id = p.institution_id
            established = dates.get(p.established_on)
            if established is None:
                established = dates[p.established_on] = t_rec.convert("established_on", p.established_on)
            rec_row = blank.copy()
            rec_row[r_id] = cid
            rec_row[r_number] = number
            rec_row[r_last8] = number[-8:]
            rec_row[r_resident] = rid
            rec_row[r_inst] = rec_row[r_by_inst] = inst_id
            rec_row[r_village] = p.village_id
            rec_row[r_doctor] = p.doctor_id
            rec_row[r_doctor_name] = p.doctor_name
            rec_row[r_established] = established
            for copy_at, own_at, full_at in key_at:
                rec_row[copy_at] = res_row[full_at if full else own_at]
            n_rec.stamp(rec_row)
            rec_rows.append(rec_row)
            why = reason % {"file": self.source_name, "row": p.number}
            staged.append((p.number, rid, cid, inst_id, why[:200]))
        n_res.insert(res_rows)
        if full_rows:
            t_res.insert(full_rows)
        n_rec.insert(rec_rows)
        self.stage.fill(staged)
        self.write_history(now, actor_id, (min(res_ids), max(res_ids)), (min(rec_ids), max(rec_ids)))
        return refused

    def _write_copy(self, rows: list[Row], res_ids: list[int], rec_ids: list[int], now, actor_id: int | None,
                    reason: str) -> None:
        """PostgreSQL: the chunk's residents, records, their historical rows and "imported" events, each table in
        one COPY of lines put together from the texts validation made (Row.res_row, Row.rec_text) and what only the
        writer knows (ids, numbers, the time). A historical row (what django-simple-history writes on creation: a
        copy of the row, "+", the time, the user, the reason) repeats its row's body: nothing is formatted twice,
        nothing read back."""
        cr, cc, ce = self._copy_res, self._copy_rec, self._copy_event
        now_text = copy_line([now])
        actor_text = "\\N" if actor_id is None else str(actor_id)
        history = f"{now_text}\t+\t{actor_text}\t"  # fastsql.HISTORY_OWN: the time, "+", the user, then the reason
        event = f"\t{RecordEvent.Kind.IMPORTED.value}\t{now_text}\t{actor_text}\t"  # kind, at, actor_id
        event_rest = f"\t{ce.body_suffix}" if ce.body else ""  # (no varying column: the body is the same text)
        res_suffix = cr.body_suffix
        rec_suffix, rec_tail_tab, rec_tail_suffix = cc.body_suffix, cc.tail_tab, cc.tail_suffix
        file = self.source_name
        res, res_hist, rec, rec_hist, events = [], [], [], [], []
        for p, rid, cid in zip(rows, res_ids, rec_ids, strict=True):
            body = p.res_row if p.res_full else p.res_row + res_suffix  # (the resident's history keeps every column)
            res.append(f"{rid}\t{now_text}\t{body}\n")
            why = reason % {"file": file, "row": p.number}
            short = copy_escape(why[:100])  # history_change_reason holds 100 characters, the event's reason 200
            res_hist.append(f"{rid}\t{body}\t{history}{short}\n")
            number = p.assigned
            head = f"{cid}\t{number}\t{number[-8:]}\t{rid}\t{p.rec_text[0]}{rec_suffix}"
            rec.append(f"{head}{rec_tail_tab}{p.rec_text[1]}{rec_tail_suffix}\n")
            rec_hist.append(f"{head}\t{history}{short}\n")
            events.append(f"{cid}{event}{p.institution_id}\t{copy_escape(why[:200])}{event_rest}\n")
        for model, copy, lines, history_lines in ((Resident, cr, res, res_hist), (Record, cc, rec, rec_hist)):
            copy_lines(model._meta.db_table, copy.columns, lines)
            copy_lines(model.history.model._meta.db_table, copy.history_columns, history_lines)
        copy_lines(RecordEvent._meta.db_table, ce.columns, events)

    def _record_same(self) -> dict:
        """The record's columns that are the same for every record of this import (besides the model's defaults)."""
        actor = self.actor
        return {"established_by_id": actor.pk if actor is not None else None,
                "established_by_name": _user_name(actor), "form_version": self.form_version}

    def _record_rows(self, actor) -> Narrow:
        """The record's varying columns (RECORD_VARYING); the rest are the same for every record of this import."""
        if getattr(self, "_n_rec", None) is None:
            _t_res, t_rec = self._tables()
            self._n_rec = Narrow(t_rec, RECORD_VARYING, self._record_same())
        return self._n_rec

    def write_history(self, now, actor_id, res_range: tuple[int, int], rec_range: tuple[int, int]) -> None:
        """The chunk's historical rows (what django-simple-history writes on creation: a copy of the row, "+", the
        time, the user, the reason) and one "imported" RecordEvent per record, each in one INSERT ... SELECT from the
        rows just written and the staged (row number, ids, reason): nothing built per row in Python."""
        qn = connection.ops.quote_name
        history = {"history_date": now, "history_type": "+", "history_user_id": actor_id,
                   "history_change_reason": Expr("SUBSTR(s.why, 1, 100)")}
        stage = Stage.TABLE
        for model, key, ids in ((Resident, "resident_id", res_range), (Record, "record_id", rec_range)):
            pk = qn(model._meta.pk.column)
            # the range on the table's own key lets the planner read just this chunk's rows, whatever it makes of
            # a temporary table it has no statistics for
            source = (f"{stage} s JOIN {qn(model._meta.db_table)} b ON b.{pk} = s.{key} "
                      f"WHERE b.{pk} BETWEEN %s AND %s")
            insert_select(model.history.model, source, history, copy=("b", model), order_by="s.row_number",
                          params=ids)
        insert_select(RecordEvent, f"{stage} s", {
            "record_id": Expr("s.record_id"), "kind": RecordEvent.Kind.IMPORTED.value, "at": now, "actor_id": actor_id,
            "to_institution_id": Expr("s.institution_id"), "reason": Expr("s.why")}, order_by="s.row_number")

    def flush(self, rows: list[Row], rejected: list) -> None:
        """Classify and write one chunk in one transaction, then account for it."""
        if self.checkpointer is not None and self.checkpointer.failed:
            # its thread stopped: this connection makes its automatic checkpoints again
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {int(self._wal_autocheckpoint)}")
            self.checkpointer = None
        looked = None  # the chunk classified before its transaction, to decide on suspending: used once, not redone
        if self._suspend_pending:
            looked = None if self.suspend_indexes else self.classify(rows)
            if looked is None or looked.new:
                self._suspend_pending = False
                self._suspend()
        outcome = None
        for attempt in range(4):
            try:
                if self.dry_run:
                    outcome = self.classify(rows)
                else:
                    with transaction.atomic():
                        # a retry looks again: someone may have established one of these people meanwhile
                        outcome = looked if looked is not None and attempt == 0 else self.classify(rows)
                        refused = self.write(outcome.new)
                        if refused:
                            bad = {id(p) for p, _msg in refused}
                            outcome.new = [p for p in outcome.new if id(p) not in bad]
                            outcome.register = [(k, n) for k, n in outcome.register
                                                if n not in {p.number for p, _m in refused}]
                            outcome.rejected += [(p.number, p.file_cells(), [(self.label("village_code"), msg)])
                                                 for p, msg in refused]
                break
            except (IntegrityError, OperationalError):
                # someone established one of these people, or held the lock, meanwhile: look again, and from now
                # on look up every key (the database is not this import's alone)
                self._fresh = False
                if attempt == 3:
                    raise
                for p in rows:
                    p.assigned = ""
                time.sleep(0.2 * (attempt + 1))
        if self.checkpointer is not None:
            self.checkpointer.poke()
        self.seen.add(outcome.register)
        self.summary.imported += len(outcome.new)
        self.summary.present += len(outcome.present)
        for item in sorted(rejected + outcome.rejected, key=lambda x: x[0]):
            self.report.add(*item)
        self.summary.rejected += len(rejected) + len(outcome.rejected)

    # --- the whole file ------------------------------------------------------------------------------------------

    def prescan_legacy(self) -> None:
        """Raise village counters past every legacy number in the file before any number is allocated, so that a
        legacy number further down the file never finds its serial handed out already."""
        pos = self.headers.positions.get("number")
        if pos is None or self.dry_run:
            return
        digits = 12 + numbering.serial_width()
        tops: dict[str, int] = {}
        table = open_table(self.path, self.table.encoding or self.encoding)
        try:
            for _n, cells in table.rows():
                if pos < len(cells) and cells[pos] not in (None, ""):
                    text = str(cells[pos]).strip() if isinstance(cells[pos], str) else str(cells[pos])
                    if len(text) == digits and text.isdigit():
                        v, s = text[:12], int(text[12:])
                        if s > tops.get(v, -1):
                            tops[v] = s
        finally:
            table.close()
        if tops:
            with transaction.atomic():
                self.note_legacy(tops)

    def _note_fresh(self) -> None:
        """Whether the database holds no resident and no record as the import begins (see classify)."""
        self._fresh = not self.dry_run and not Resident.objects.exists() and not Record.objects.exists()

    def _plan_indexes(self, table: Table) -> None:
        """Before the first chunk: a large file (`suspend_indexes`) suspends the indexes when the first chunk with new
        rows is written (re-importing a file already imported never does); otherwise the indexes a killed import
        left suspended are rebuilt now."""
        if self.dry_run:
            return
        wanted = self.suspend_indexes
        if wanted is None:
            rows = estimated_rows(table)
            wanted = rows >= SUSPEND_INDEXES_MIN_ROWS and rows >= Resident.objects.count()
        if wanted:
            self._suspend_pending = True
        else:
            self._rebuild_left_suspended()

    def _note_another_import(self) -> None:
        self.summary.notes.append(_("Another import is running with the indexes suspended: this one writes with "
                                    "them as they are."))

    def _suspend(self) -> None:
        """Suspend the indexes, keeping the lock until they are rebuilt (not while another import holds it)."""
        lock = indexes.ImportLock()
        if not lock.acquire():
            self._note_another_import()
            return
        try:
            indexes.suspend(self.source_name)
        except BaseException:
            lock.release()
            raise
        self.index_lock = lock

    def _rebuild_left_suspended(self) -> None:
        """Rebuild the indexes a killed import left suspended, as `jkda serve` and `jkda migrate` do."""
        started = time.perf_counter()
        done = indexes.restore_if_idle(self.say)
        if done is None:
            self._note_another_import()
        elif done:
            took = time.perf_counter() - started
            n, keys = indexes.counted(done)
            self.summary.notes.append(_(
                "%(n)d indexes and %(k)d foreign keys suspended by an earlier import were restored (%(s).1f s).") % {
                    "n": n, "k": keys, "s": took} if keys else
                _("%(n)d indexes suspended by an earlier import were rebuilt (%(s).1f s).") % {"n": n, "s": took})

    def _restore_indexes(self) -> None:
        """After the last chunk (or when the import stops for any reason but a kill): rebuild the suspended indexes."""
        if self._suspend_pending:  # no chunk had new rows: nothing was suspended
            self._suspend_pending = False
            self._rebuild_left_suspended()
        lock, self.index_lock = self.index_lock, None
        if lock is None:
            return
        started = time.perf_counter()
        try:
            n, keys = indexes.counted(indexes.restore(self.say))
            took = time.perf_counter() - started
            if keys:
                self.summary.notes.append(_(
                    "%(n)d indexes and %(k)d foreign keys were suspended while writing; the indexes were rebuilt "
                    "and the foreign keys validated at the end (%(s).1f s).") % {"n": n, "k": keys, "s": took})
            else:
                self.summary.notes.append(_("%(n)d indexes were suspended while writing and rebuilt at the end "
                                            "(%(s).1f s).") % {"n": n, "s": took})
        except DatabaseError as exc:
            self.summary.stopped = self.summary.stopped or _(
                "The indexes suspended during the import could not be rebuilt (%(err)s); the imported rows are "
                "kept. Run jkda restore_indexes.") % {"err": exc}
        finally:
            lock.release()

    def _pool(self) -> _Workers | None:
        """Forked validation workers, or None to validate here."""
        if self.workers <= 0 or "fork" not in multiprocessing.get_all_start_methods():
            return None
        # enough blocks ahead that the workers keep going while a whole chunk is being written
        depth = -(-(self.AHEAD_CHUNKS * self.chunk_size // self.BLOCK + 2) // self.workers)
        return _Workers(self, self.workers, self.path, self.table.encoding or self.encoding, depth)

    def _validated(self, table: Table, pool: _Workers | None):
        """(row number, cells, Row or problems) for every row of the file, in order."""
        if pool is None:
            for number, cells in table.rows():
                yield number, cells, self.validate(number, cells)
            return
        for block in pool.blocks():
            yield from block

    def _position(self, table: Table, pool: _Workers | None) -> int:
        """How far the rows taken so far reach into the file (bytes for CSV, rows for XLSX), for the progress bar."""
        return pool.progress if pool is not None else table.progress

    @contextlib.contextmanager
    def _sqlite_pragmas(self):
        """This SQLite connection's settings for the import (SQLITE_PRAGMAS), the previous values restored after.
        Durability is untouched: synchronous stays as the settings give it (NORMAL under WAL)."""
        if connection.vendor != "sqlite" or self.dry_run:
            yield
            return
        pragmas = dict(SQLITE_PRAGMAS)
        with contextlib.suppress(DatabaseError):
            self.checkpointer = Checkpointer.start()
        if self.checkpointer is not None:
            pragmas["wal_autocheckpoint"] = 0  # the checkpointer's thread does it
        before = {}
        try:
            with connection.cursor() as cursor:
                for name, value in pragmas.items():
                    cursor.execute(f"PRAGMA {name}")
                    before[name] = cursor.fetchone()[0]
                    cursor.execute(f"PRAGMA {name} = {int(value)}")
        except DatabaseError:  # the import itself will say what is wrong with the database
            pass
        self._wal_autocheckpoint = before.get("wal_autocheckpoint", 1000)
        try:
            yield
        finally:
            if self.checkpointer is not None:
                self.checkpointer.close()
                self.checkpointer = None
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                for name, value in before.items():
                    cursor.execute(f"PRAGMA {name} = {int(value)}")

    def run(self) -> Summary:
        with collector_paused(), self._sqlite_pragmas():
            return self._run()

    def _run(self) -> Summary:
        started = time.perf_counter()
        self.seen = SeenKeys()
        table = pool = bar = None
        finished = False
        try:
            try:
                table = open_table(self.path, self.encoding)
                self.table = table
                self.summary.encoding = table.encoding
                self._prepare(table)
                self.report = RejectReport(self.report_path, table.header)
                self.prescan_legacy()
                self._note_fresh()
                self._plan_indexes(table)
                pool = self._pool()
                if self.progress_factory is not None:
                    bar = self.progress_factory(table)
                pending: list[Row] = []
                rejected: list = []
                done = 0
                self._unflushed = (pending, rejected)
                for number, cells, result in self._validated(table, pool):
                    self.summary.rows += 1
                    if isinstance(result, Row):
                        pending.append(result)
                    else:
                        rejected.append((number, cells, result))
                    if len(pending) + len(rejected) >= self.chunk_size:
                        self.flush(pending, rejected)
                        pending, rejected = [], []
                        self._unflushed = (pending, rejected)
                        collect_young()
                        if bar is not None:
                            at = self._position(table, pool)
                            bar.update(at - done)
                            done = at
                            bar.set_postfix(imported=self.summary.imported, rejected=self.summary.rejected,
                                            refresh=False)
                self.flush(pending, rejected)
                finished = True
                if bar is not None:
                    bar.update(max(self._position(table, pool), table.size) - done)
            except ImportFileError as exc:
                # the file breaks off: the rows read before the break are still taken
                self.summary.stopped = str(exc)
                unflushed = getattr(self, "_unflushed", None)
                if unflushed and (unflushed[0] or unflushed[1]):
                    self.flush(*unflushed)
            except DatabaseError as exc:
                self.summary.stopped = _("The database refused the import (%(err)s). Whole chunks were kept; run "
                                         "the import again to continue.") % {"err": exc}
        except DatabaseError as exc:
            self.summary.stopped = _("The database refused the import (%(err)s). Whole chunks were kept; run "
                                     "the import again to continue.") % {"err": exc}
        finally:
            if pool is not None:
                pool.close(wait=finished)
            if bar is not None:
                bar.close()
            if table is not None:
                table.close()
            self.seen.close()
            if not self.dry_run:
                self.stage.drop()
            self._restore_indexes()
            report = getattr(self, "report", None)
            if report is not None:
                self.summary.report_path = report.close()
            self.summary.seconds = time.perf_counter() - started
        if self.summary.report_path is None and self.report_path == default_report_path(self.path) \
                and os.path.exists(self.report_path) and not self.summary.stopped:
            os.remove(self.report_path)  # an old report of this file no longer describes it
            self.summary.notes.append(_("No rows were rejected; the old report %(path)s was removed.") % {
                "path": self.report_path})
        return self.summary
