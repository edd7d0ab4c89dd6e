"""Bulk inserts at the speed of the database, with the column list derived from the model.

`bulk_create` spends most of its time preparing each value of each object through the field machinery; for a
million residents written to five tables that is most of the import. `BulkTable` does the same preparation once
per column kind (text as is, dates and datetimes through the backend's adapters, JSON through json.dumps as
JSONField does) and hands whole chunks to `executemany` (SQLite) or `COPY` (PostgreSQL). The columns come from
the model's concrete fields, so a field added to a model is written (with its default) without touching this code.
`Narrow` writes rows of which only some columns vary (an import file has a few of the form's forty-odd columns):
on SQLite the others go into the INSERT as literals and each row binds only what varies (the time of writing, the
same for a whole statement, is a literal too).
`insert_select` writes rows the database can compute itself (historical rows repeating rows just inserted, events)
with one INSERT ... SELECT: nothing crosses from Python per row but what the SELECT cannot know.
`CopyRows` (PostgreSQL) makes a row's text in COPY's own format where the row is prepared (a validation worker),
so the writing process only puts ids in front and sends whole chunks (`copy_lines`); the text of the columns a
historical table repeats comes first, so the same text makes the historical row.

Primary keys of residents and records are reserved up front (`reserve_ids`) so that records can point at their
residents without reading anything back: on SQLite under the transaction's write lock (BEGIN IMMEDIATE), on
PostgreSQL from the table's sequence.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db import connection, models

AUTO = object()  # marks auto_now / auto_now_add columns: they get the time of writing, as Model.save() gives


def _json_converter(encoder) -> Callable:
    cache: dict = {}

    def conv(v):
        if v is None:
            return None
        if type(v) is list:  # code lists: a handful of distinct values, cached by their codes
            try:
                return cache[tuple(v)]
            except KeyError:
                if len(cache) > 10_000:
                    cache.clear()
                out = cache[tuple(v)] = json.dumps(v, cls=encoder)
                return out
            except TypeError:  # a list of dicts (repeatable items): not hashable, not cached
                return json.dumps(v, cls=encoder)
        if type(v) is dict and not v:
            return "{}"
        return json.dumps(v, cls=encoder)

    return conv


def converter_for(f: models.Field, vendor: str, ops) -> Callable | None:
    """How a Python value of field `f` goes to the database here; None when it goes as it is."""
    if isinstance(f, models.JSONField):
        return _json_converter(f.encoder)
    if isinstance(f, models.DateTimeField):
        if vendor == "sqlite":
            return lambda v: None if v is None else ops.adapt_datetimefield_value(v)
        return None
    if isinstance(f, models.DateField):
        if vendor == "sqlite":
            return lambda v: None if v is None else v.isoformat()
        return None
    return None


def _default(f: models.Field):
    if f.has_default():
        return f.get_default()
    return None if f.null or not f.empty_strings_allowed else ""


class _Inserter:
    table: str
    columns: list[str]
    attnames: list[str]  # what a row holds, in order
    auto: list[int]  # positions of auto_now / auto_now_add columns in a row
    _now: list  # their values at the time of writing (BulkTable.set_now)

    def index(self, attname: str) -> int:
        return self.attnames.index(attname)

    def stamp(self, row: list) -> list:
        """Put the time of writing (set_now) into a row prepared earlier."""
        for i, now in zip(self.auto, self._now, strict=True):
            row[i] = now
        return row

    def values_sql(self) -> str:
        """The VALUES list of the INSERT on SQLite (%s per parameter)."""
        return ", ".join(["%s"] * len(self.columns))

    def insert(self, rows: list) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        column_sql = ", ".join(qn(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Django's errors (IntegrityError ...), not psycopg's: COPY goes past Django's cursor wrapper
                with connection.wrap_database_errors, cursor.cursor.copy(
                        f"COPY {qn(self.table)} ({column_sql}) FROM STDIN") as copy:
                    write = copy.write_row
                    for r in rows:
                        write(r)
            else:
                cursor.executemany(f"INSERT INTO {qn(self.table)} ({column_sql}) VALUES ({self.values_sql()})", rows)


class BulkTable(_Inserter):
    """Rows of `model` from dicts holding every attname (start from `defaults` for partial ones)."""

    def __init__(self, model, *, with_pk: bool = True):
        self.model = model
        self.table = model._meta.db_table
        vendor, ops = connection.vendor, connection.ops
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = {f.attname: _default(f) for f in self.fields}
        self.converters: list[tuple[int, Callable]] = []
        self.auto: list[int] = []
        for i, f in enumerate(self.fields):
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.auto.append(i)
                continue
            conv = converter_for(f, vendor, ops)
            if conv is not None:
                self.converters.append((i, conv))
        self._auto_conv = [converter_for(self.fields[i], vendor, ops) for i in self.auto]
        self._get = operator.itemgetter(*self.attnames)
        self._now: list = [None] * len(self.auto)

    def set_now(self, now) -> None:
        self._now = [conv(now) if conv else now for conv in self._auto_conv]

    def row(self, values: dict) -> list:
        out = list(self._get(values))
        for i, conv in self.converters:
            out[i] = conv(out[i])
        for i, now in zip(self.auto, self._now, strict=True):
            out[i] = now
        return out

    def convert(self, attname: str, value):
        i = self.index(attname)
        for j, conv in self.converters:
            if j == i:
                return conv(value)
        return value


def sql_literal(v) -> str | None:
    """`v` (a value as it goes to the database) written as an SQL literal, or None when it is not safe to write one
    (a string holding NUL, a value of another type): such a value stays a bound parameter."""
    if v is None:
        return "NULL"
    if type(v) is bool:
        return "1" if v else "0"
    if type(v) is int:
        return str(v)
    if isinstance(v, str) and "\x00" not in v:
        return "'" + str(v).replace("'", "''") + "'"
    return None


def _tuple_getter(keys: list) -> Callable:
    """itemgetter that always returns a tuple (itemgetter of one key returns the item itself)."""
    if len(keys) == 1:
        key = keys[0]
        return lambda d: (d[key],)
    if not keys:
        return lambda d: ()
    return operator.itemgetter(*keys)


class Narrow(_Inserter):
    """Rows of a BulkTable that differ only in some of its columns (`varying`, attnames): every other column holds
    the same value in every row (a column the import file does not have, a default). On SQLite a row is then just
    the varying values, in the table's column order, and the same values are written as literals in the INSERT, so
    a row binds only what varies (binding is about half of what an insert costs, 0.12 µs per parameter). On
    PostgreSQL COPY takes every column (none has a default in the database) and widening rows again cost more than
    it saved, so there every column varies. `row()` returns None for a row whose "same" columns are not the same
    after all: write it with the BulkTable (`base`), so a wrong guess costs speed, never a wrong value.
    """

    def __init__(self, base: BulkTable, varying: Iterable[str], same: dict):
        """same: attname → the value (as models hold it, before conversion) every row is expected to have."""
        self.base = base
        self.table = base.table
        self.columns = base.columns
        sqlite = connection.vendor == "sqlite"
        auto = set(base.auto)
        want = set(varying) | {f.attname for f in base.fields if f.primary_key}
        expected = {a: same.get(a, base.defaults[a]) for a in base.attnames}
        literal: dict[int, str] = {}
        if sqlite:
            for i, a in enumerate(base.attnames):
                if i not in auto and a not in want and (text := sql_literal(base.convert(a, expected[a]))) is not None:
                    literal[i] = text
        else:
            want |= {base.attnames[i] for i in auto}
        # on SQLite the time of writing (auto_now columns) is the same for a whole statement: a literal in the
        # statement (values_sql), not two parameters of every row
        self._time_at = list(base.auto) if sqlite else []
        at = [i for i in range(len(base.attnames)) if i not in literal and i not in self._time_at]
        pos = {i: k for k, i in enumerate(at)}  # where each varying column sits in a row
        self.attnames = [base.attnames[i] for i in at]
        fixed = [base.attnames[i] for i in literal]
        self._same_get = _tuple_getter(fixed)
        self._same = tuple(expected[a] for a in fixed)
        self._get = _tuple_getter(self.attnames)
        self.converters = [(pos[i], conv) for i, conv in base.converters if i in pos]
        self.auto = [pos[i] for i in base.auto if i in pos]
        # a row of the expected values, to start one from and fill in what varies
        self.blank = [base.convert(a, expected[a]) for a in self.attnames]
        # per table column: "%s", a literal ("%" doubled: Django turns "%s" into SQLite's "?" and "%%" back into
        # "%"), or None for the time of writing
        self._parts = ["%s" if i in pos else None if i in auto else literal[i].replace("%", "%%")
                       for i in range(len(base.attnames))]

    def row(self, values: dict) -> list | None:
        if self._same_get(values) != self._same:
            return None
        out = list(self._get(values))
        for i, conv in self.converters:
            out[i] = conv(out[i])
        return out

    @property
    def _now(self) -> list:
        return self.base._now

    def stamp(self, row: list) -> list:
        if self.auto:  # PostgreSQL: the time of writing is in every row
            return super().stamp(row)
        return row

    def values_sql(self) -> str:
        if not self._time_at:
            return ", ".join(self._parts)
        parts = list(self._parts)
        for i, now in zip(self._time_at, self.base._now, strict=True):
            text = sql_literal(now)
            if text is None:  # not a text the way SQLite stores times: a programming error, never a silent NULL
                raise ValueError(f"the time of writing {now!r} cannot be written as an SQL literal")
            parts[i] = text.replace("%", "%%")
        return ", ".join(parts)


# --- COPY's text format (PostgreSQL) ---------------------------------------------------------------------------

def copy_escape(text: str) -> str:
    """A text value as COPY's text format writes it: backslash, tab, newline and carriage return escaped."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_text(v) -> str:
    """A value other than a str as COPY's text format writes it."""
    t = type(v)
    if v is None:
        return "\\N"
    if t is int or t is float or t is Decimal:
        return str(v)
    if t is dt.date or t is dt.datetime:
        return v.isoformat()
    if t is bool:
        return "t" if v else "f"
    if isinstance(v, str):  # a choice (TextChoices)
        return str(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(int(v))
    raise TypeError(f"no COPY text for a value of type {t.__name__}")


def copy_line(values: list | tuple) -> str:
    """Values (as they go to the database: text, numbers, dates, None) as one line of COPY's text format, without
    the newline: what psycopg's write_row sends for them, made once where the values are known (in a validation
    worker) instead of value by value in the writing process. TypeError for a value of another type."""
    out = [v if type(v) is str else str(v) if type(v) is int else _copy_text(v) for v in values]
    line = "\t".join(out)
    # the whole line checked at once: escaping is needed only if a value holds a tab, backslash or line break (each
    # NULL is one backslash)
    if line.count("\t") != len(out) - 1 or "\n" in line or "\r" in line or (
            "\\" in line and line.count("\\") != sum(1 for v in values if v is None)):
        line = "\t".join(copy_escape(text) if isinstance(v, str) else text
                         for v, text in zip(values, out, strict=True))
    return line


def copy_lines(table: str, columns: list[str], lines: list[str]) -> None:
    """COPY table (columns) FROM STDIN with lines already in COPY's text format (each ending in a newline)."""
    if not lines:
        return
    qn = connection.ops.quote_name
    # Django's errors (IntegrityError ...), not psycopg's: COPY goes past Django's cursor wrapper
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(
            f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN") as copy:
        copy.write("".join(lines))


# the columns of django-simple-history's own that follow a historical row's copy of its row (CopyRows)
HISTORY_OWN = ("history_date", "history_type", "history_user", "history_change_reason")


class CopyRows:
    """PostgreSQL: rows of a BulkTable as text for COPY, made where the row is prepared (a validation worker), for
    rows of which only the `varying` columns differ. The columns in `late` are left out: the writer knows them
    only when it writes (ids, numbers, the time of writing) and puts them in front. The rest follow in two parts:
    `body`, the columns the table's history repeats (`history`: the historical model), and `tail`, the columns it
    leaves out, so that one text serves the row and its historical row. The columns not in `varying` are written
    from one text made once; a row whose values there differ after all is written from its own values.
    """

    def __init__(self, base: BulkTable, *, late: Iterable[str], varying: Iterable[str], same: dict,
                 history=None):
        late = list(late)
        varying = set(varying)
        missing = [base.attnames[i] for i in base.auto if base.attnames[i] not in late]
        if missing:  # the time of writing is the writer's to give
            raise ValueError(f"auto_now columns {missing} of {base.table} must be among the late columns")
        kept = None if history is None else {f.attname for f in history._meta.concrete_fields}
        rest = [a for a in base.attnames if a not in late]
        in_body = [a for a in rest if kept is None or a in kept]
        in_tail = [a for a in rest if kept is not None and a not in kept]
        self.body_var = [a for a in in_body if a in varying]
        body_same = [a for a in in_body if a not in varying]
        self.tail_var = [a for a in in_tail if a in varying]
        tail_same = [a for a in in_tail if a not in varying]
        if not in_body:
            raise ValueError(f"{base.table}: no column left for the body of a COPY line")
        column_of = dict(zip(base.attnames, base.columns, strict=True))
        self.late = [column_of[a] for a in late]
        self.body = [column_of[a] for a in self.body_var + body_same]
        self.tail = [column_of[a] for a in self.tail_var + tail_same]
        self.columns = self.late + self.body + self.tail
        # a historical row as a writer puts it together: the late columns the history has, the body, then the
        # history's own columns in HISTORY_OWN's order
        self.history_columns = None
        if history is not None:
            meta = history._meta
            have = {f.column for f in meta.concrete_fields}
            self.history_columns = ([c for c in self.late if c in have] + self.body
                                    + [meta.get_field(a).column for a in HISTORY_OWN])
        conv_of = {base.attnames[i]: conv for i, conv in base.converters}
        variable = self.body_var + self.tail_var
        self._get = _tuple_getter(variable)
        self._get_names = variable
        self._convs = [(i, conv_of[a]) for i, a in enumerate(variable) if a in conv_of]
        self._n_body = len(self.body_var)
        self._body_convs = [(i, conv) for i, conv in self._convs if i < self._n_body]
        expected = {a: same.get(a, base.defaults[a]) for a in base.attnames}
        fixed = body_same + tail_same
        self._same_get = _tuple_getter(fixed)
        self._same = tuple(expected[a] for a in fixed)
        self._fixed_convs = [(i, conv_of[a]) for i, a in enumerate(fixed) if a in conv_of]
        self._n_body_same = len(body_same)
        same_body, same_tail = self._fixed_texts(list(self._same))
        # what follows the varying columns' text in a row that is `same` (see texts)
        self.body_suffix = self._cat("", len(self.body_var), same_body)
        self.tail_suffix = self._cat("", len(self.tail_var), same_tail)
        self.tail_tab = "\t" if self.tail else ""

    def _fixed_texts(self, values: list) -> tuple[str | None, str | None]:
        for i, conv in self._fixed_convs:
            values[i] = conv(values[i])
        k = self._n_body_same
        return (copy_line(values[:k]) if k else None), (copy_line(values[k:]) if len(values) > k else None)

    def line(self, values: tuple) -> str:
        """The text of the first len(values) varying columns of the body from their values in `body_var` order (all
        of them: what texts() gives as the body of a row that is `same`), without a dict to take them from."""
        if self._body_convs:
            values = list(values)
            for i, conv in self._body_convs:
                if i < len(values):
                    values[i] = conv(values[i])
        return copy_line(values)

    def converts(self, attname: str) -> bool:
        """Whether a value of this varying column is converted before it is written (see converter_for)."""
        return any(self._get_names[i] == attname for i, _conv in self._convs)

    def texts(self, values: dict) -> tuple[str, str, bool]:
        """(body, tail, same) of a row: whether the columns not in `varying` hold what was expected; the text of the
        body's varying columns, to be followed by `body_suffix` when `same` (a writer puts it in), or of every
        column of the body when not; the same for the tail (`tail_tab` before it, `tail_suffix` after it)."""
        vals = list(self._get(values))
        for i, conv in self._convs:
            vals[i] = conv(vals[i])
        same = self._same_get(values) == self._same
        k = self._n_body
        if not self.tail_var:  # (a resident: its history keeps every column)
            body, tail = copy_line(vals) if k else "", ""
        else:
            body = copy_line(vals[:k]) if k else ""
            tail = copy_line(vals[k:])
        if not same:  # the row's own values where the others have the expected ones
            body_same, tail_same = self._fixed_texts(list(self._same_get(values)))
            body, tail = self._cat(body, k, body_same), self._cat(tail, len(vals) - k, tail_same)
        return body, tail, same

    @staticmethod
    def _cat(text: str, n: int, more: str | None) -> str:
        """A text of n columns followed by `more` (the text of more columns, None for none)."""
        if more is None:
            return text
        return f"{text}\t{more}" if n else more


class Expr(str):
    """An SQL expression (not a value) for a column of `insert_select`."""


def insert_select(model, source: str, values: dict, *, copy: tuple[str, type] | None = None, order_by: str = "",
                  params: Iterable = ()) -> None:
    """INSERT INTO model's table SELECT ... FROM `source` (SQL with %s placeholders, filled from `params`).

    Each concrete column of `model` gets, in this order of preference: `values[attname]` (an `Expr`, or a Python
    value sent as a parameter), the same column of `copy` = (alias in source, model) — historical tables repeat
    their model's columns —, or the field's default. The primary key is left to the database unless given.
    """
    vendor, ops = connection.vendor, connection.ops
    qn = ops.quote_name
    alias, base = copy if copy else ("", None)
    base_columns = {f.attname: f.column for f in base._meta.concrete_fields} if base else {}
    names: list[str] = []
    select: list[str] = []
    head: list = []
    for f in model._meta.concrete_fields:
        if f.attname in values:
            v = values[f.attname]
        elif f.primary_key:
            continue
        elif f.attname in base_columns:
            names.append(qn(f.column))
            select.append(f"{alias}.{qn(base_columns[f.attname])}")
            continue
        else:
            v = _default(f)
        names.append(qn(f.column))
        if isinstance(v, Expr):
            select.append(v)
            continue
        conv = converter_for(f, vendor, ops)
        head.append(conv(v) if conv else v)
        if vendor == "postgresql" and not isinstance(f, (models.CharField, models.TextField)):
            # a parameter in a SELECT list has no type of its own: say which (NULL, jsonb, timestamptz ...)
            select.append(f"CAST(%s AS {f.db_type(connection)})")
        else:
            select.append("%s")
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(names)}) SELECT {', '.join(select)} FROM {source}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*head, *params])


def take_write_lock() -> None:
    """Make sure this transaction holds the database's write lock before ids are reserved (a no-op on PostgreSQL,
    where sequences hand out ids safely; on SQLite the transaction is BEGIN IMMEDIATE already, this makes sure)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("UPDATE records_numbercounter SET last_serial = last_serial WHERE 0")


def reserve_ids(model, n: int) -> list[int]:
    """n fresh primary keys for `model`, valid until the end of the current transaction."""
    if n <= 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # the sequence's name first: pg_get_serial_sequence in the same SELECT is called again for every row
            # (a catalogue look-up each: 29 ms for 5,000 ids against 1.4 ms)
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, n])
            return [r[0] for r in cursor.fetchall()]
        if connection.vendor == "sqlite":
            cursor.execute(f"SELECT MAX({qn(pk)}) FROM {qn(table)}")
            top = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            seq = cursor.fetchone()
            if seq and seq[0] and seq[0] > top:
                top = seq[0]
            return list(range(top + 1, top + 1 + n))
    raise NotImplementedError(f"bulk import supports SQLite and PostgreSQL, not {connection.vendor}")
