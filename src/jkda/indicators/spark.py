"""The indicator catalogue on Apache Spark: the same declarations, the same querysets, Spark SQL instead of the
database.

Nothing is declared twice. The engine builds, per family, the grouped querysets it would run on SQLite or
PostgreSQL (`engine.family_querysets`, plus the population base data); here each is compiled to SQL by Django's
PostgreSQL compiler (a PostgreSQL connection object that is configured but never opened), its parameters are put
in as SQL literals, and Spark SQL runs the text over the same tables exported from the database. Spark runs with
ANSI mode and double-quoted identifiers, so PostgreSQL's SQL needs only two spellings changed: `x::text` (a JSON
column read as text: the export already holds JSON as text) and the parameters' literal forms (dates, UTC
timestamps, day intervals). `engine.institution_figures(..., run=source.run)` then assembles exactly what the
engine assembles, so roll-ups, ranks, notices and exports work unchanged.

Export: one directory per table of JSON Lines files (pyarrow is not installed, so no Parquet here; JSON Lines
rather than CSV because free-text fields may hold line breaks and CSV would then need Spark's unsplittable
multi-line mode). Every value keeps its type through an explicit Spark schema taken from the Django model. The
tables of records, residents and forms are partitioned by the county (district) of the managing institution
(`county=<code>/`), the layout a provincial platform of tens of millions of residents keeps per county; Spark
reads the partitioned dataset whole, since a record transferred between counties must still be found.

Times are UTC inside Spark (session time zone UTC; timestamps exported and compared in UTC), as in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path

from django.apps import apps
from django.db import models
from django.db.models import QuerySet

from . import engine
from .periods import Period

SPARK_CONF = {
    "spark.sql.ansi.enabled": "true",
    "spark.sql.ansi.doubleQuotedIdentifiers": "true",  # PostgreSQL's "table"."column"
    "spark.sql.session.timeZone": "UTC",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",  # county=320505 stays a string
}
LOCAL_DRIVER_MEMORY = "2g"  # local mode (a conf given to session() wins); read when the JVM starts
TIMESTAMP_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
PARTITION = "county"
UNKNOWN_COUNTY = "none"


class SparkError(RuntimeError):
    pass


# --- Spark --------------------------------------------------------------------------------------------------------

def session(master: str = "local[2]", shuffle_partitions: int | None = None, app: str = "jkda-indicators",
            **conf: str):
    """A Spark session with the settings the compiled SQL needs (local mode by default; pass a cluster's master
    URL for a provincial platform). Quiet logging."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master(master).appName(app)
    settings = dict(SPARK_CONF)
    if master.startswith("local"):
        # the driver is the executor: Spark's default 1 GB heap left a sort-merge stage of the whole catalogue unable
        # to get memory once (SparkOutOfMemoryError UNABLE_TO_ACQUIRE_MEMORY, a CI run on PostgreSQL, 2026-12-07)
        settings["spark.driver.memory"] = LOCAL_DRIVER_MEMORY
    if shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(conf)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --- compiling the engine's querysets -----------------------------------------------------------------------------

@cache
def pg_connection():
    """A PostgreSQL connection object used only to compile SQL: configured, never connected."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    return DatabaseWrapper({
        "ENGINE": "django.db.backends.postgresql", "NAME": "jkda_spark_compiler", "USER": "", "PASSWORD": "",
        "HOST": "", "PORT": "", "OPTIONS": {}, "TIME_ZONE": None, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False,
        "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False, "TEST": {},
    }, alias="jkda_spark_compiler")


def literal(value) -> str:
    """A parameter as a Spark SQL literal (strings escaped for Spark's parser, which reads backslash escapes)."""
    from psycopg.types.json import Jsonb

    if value is None:
        return "NULL"
    if isinstance(value, Jsonb):
        return literal(json.dumps(value.obj, ensure_ascii=False))
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value}BD"
    if isinstance(value, float):
        return f"{value!r}D"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise SparkError(f"naive datetime parameter {value!r}")
        return f"TIMESTAMP '{value.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, dt.timedelta):
        if value.seconds or value.microseconds:
            raise SparkError(f"only whole-day intervals are supported, not {value!r}")
        return f"INTERVAL '{value.days}' DAY"
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
        return f"'{escaped}'"
    raise SparkError(f"no Spark literal for {type(value).__name__} {value!r}")


_PLACEHOLDER = re.compile(r"%[s%]")
# PostgreSQL spellings Spark does not know; JSON columns are text in the export, so a cast to text is a no-op.
_DIALECT = ((re.compile(r"::(?:text|jsonb)\b"), ""),)
_TABLE = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"')


def to_sql(qs: QuerySet) -> str:
    """The queryset as PostgreSQL compiles it, with its parameters as literals, in Spark's spelling."""
    sql, params = qs.query.get_compiler(connection=pg_connection()).as_sql()
    values = iter(params)

    def put(m: re.Match) -> str:
        if m.group(0) == "%%":
            return "%"
        try:
            return literal(next(values))
        except StopIteration:
            raise SparkError("more placeholders than parameters") from None

    # Placeholders are never inside the SQL's own literals: Django passes every value as a parameter.
    text = _PLACEHOLDER.sub(put, sql)
    if next(values, _PLACEHOLDER) is not _PLACEHOLDER:
        raise SparkError("more parameters than placeholders")
    for pattern, repl in _DIALECT:
        text = pattern.sub(repl, text)
    return text


def tables_of(sql: str) -> set[str]:
    return set(_TABLE.findall(sql))


def catalogue_querysets(indicators: Iterable[engine.Indicator], period: Period,
                        institutions: Iterable[int] | None = None) -> list[QuerySet]:
    """Every queryset `engine.institution_figures` evaluates for these indicators (collected by a dry run)."""
    seen: list[QuerySet] = []

    def collect(qs):
        seen.append(qs)
        return []

    engine.institution_figures(list(indicators), period, institutions, run=collect)
    return seen


def catalogue_tables(period: Period | None = None) -> list[str]:
    """The tables the catalogue's SQL reads (with the population base data)."""
    from .periods import parse, today

    period = period or parse(str(today().year))
    names = set()
    for qs in catalogue_querysets(engine.all_indicators(), period):
        names |= tables_of(to_sql(qs))
    names.add(_table_of_model("regions.PopulationBase"))
    return sorted(names)


def _table_of_model(label: str) -> str:
    return apps.get_model(label)._meta.db_table


# --- export -------------------------------------------------------------------------------------------------------

def _model_for(table: str) -> type[models.Model]:
    for model in apps.get_models():
        if model._meta.db_table == table:
            return model
    raise SparkError(f"no model for table {table}")


def _spark_type(f: models.Field):
    from pyspark.sql import types as T

    if f.is_relation:
        f = f.target_field
    kind = f.get_internal_type()
    if kind in ("AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
                "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
                "PositiveBigIntegerField"):
        return T.LongType()
    if kind == "BooleanField":
        return T.BooleanType()
    if kind == "DateField":
        return T.DateType()
    if kind == "DateTimeField":
        return T.TimestampType()
    if kind == "DecimalField":
        return T.DecimalType(f.max_digits, f.decimal_places)
    if kind == "FloatField":
        return T.DoubleType()
    return T.StringType()  # CharField, TextField, JSONField (as its JSON text), UUIDField ...


def schema_of(table: str):
    from pyspark.sql import types as T

    fields = _model_for(table)._meta.concrete_fields
    return T.StructType([T.StructField(f.column, _spark_type(f), nullable=True) for f in fields])


def _json_value(f: models.Field, value):
    if value is None:
        return None
    kind = (f.target_field if f.is_relation else f).get_internal_type()
    if kind == "JSONField":
        return json.dumps(value, ensure_ascii=False)  # compared as text, like PostgreSQL's jsonb::text
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if len(value.as_tuple().digits) <= 15 else str(value)
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def county_map() -> dict[int, str]:
    """Institution id → the code of its district / county (clinical institutions; others are left out)."""
    return {pk: unit.code for pk, unit in engine.unit_map("county").items()}


@dataclass
class Export:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    partitioned: list[str] = field(default_factory=list)
    seconds: float = 0.0


def export(path: str | os.PathLike, tables: Iterable[str] | None = None, by_county: bool = True,
           chunk: int = 5000) -> Export:
    """Write the tables the catalogue reads (or `tables`) from the default database under `path` (replacing what
    was there): `<table>/part-0.json`, or `<table>/county=<code>/part-0.json` for tables with an institution or a
    record when `by_county`."""
    from jkda.records.models import Record

    started = time.perf_counter()
    root = Path(path)
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    result = Export(root)
    counties: dict[int, str] = county_map() if by_county else {}
    record_county: dict[int, str] = {}
    resident_county: dict[int, str] = {}
    if by_county:
        for pk, inst, resident in Record._base_manager.values_list("pk", "institution_id", "resident_id").iterator(
                chunk_size=chunk):
            c = counties.get(inst, UNKNOWN_COUNTY)
            record_county[pk] = c
            resident_county.setdefault(resident, c)
    resident_table = _table_of_model("records.Resident")
    for table in sorted(tables if tables is not None else catalogue_tables()):
        model = _model_for(table)
        fields = list(model._meta.concrete_fields)
        columns = [f.column for f in fields]
        attnames = [f.attname for f in fields]
        key = None
        if by_county:
            if "institution_id" in attnames:
                i = attnames.index("institution_id")
                key = lambda row, i=i: counties.get(row[i], UNKNOWN_COUNTY)  # noqa: E731
            elif "record_id" in attnames:
                i = attnames.index("record_id")
                key = lambda row, i=i: record_county.get(row[i], UNKNOWN_COUNTY)  # noqa: E731
            elif table == resident_table:
                key = lambda row: resident_county.get(row[0], UNKNOWN_COUNTY)  # noqa: E731 (pk comes first)
                assert attnames[0] == model._meta.pk.attname
        files: dict[str, object] = {}
        n = 0
        try:
            for row in model._base_manager.order_by().values_list(*attnames).iterator(chunk_size=chunk):
                part = key(row) if key else ""
                out = files.get(part)
                if out is None:
                    folder = root / table / (f"{PARTITION}={part}" if key else "")
                    folder.mkdir(parents=True, exist_ok=True)
                    out = files[part] = open(folder / "part-0.json", "w", encoding="utf-8")  # noqa: SIM115
                out.write(json.dumps({c: _json_value(f, v) for c, f, v in zip(columns, fields, row, strict=True)},
                                     ensure_ascii=False))
                out.write("\n")
                n += 1
        finally:
            for out in files.values():
                out.close()
        if not files:  # an empty table still needs its directory
            (root / table).mkdir(parents=True, exist_ok=True)
        result.rows[table] = n
        if key:
            result.partitioned.append(table)
    (root / "_tables.json").write_text(json.dumps({"tables": result.rows, "partitioned": result.partitioned},
                                                  indent=1), encoding="utf-8")
    result.seconds = time.perf_counter() - started
    return result


# --- running ------------------------------------------------------------------------------------------------------

class Source:
    """Exported tables read by a Spark session; `run(qs)` evaluates one of the engine's values() querysets."""

    def __init__(self, path: str | os.PathLike, spark=None):
        self.path = Path(path)
        meta = self.path / "_tables.json"
        if not meta.exists():
            raise SparkError(f"{self.path} holds no export (no _tables.json): run the export first")
        self.tables = set(json.loads(meta.read_text(encoding="utf-8"))["tables"])
        self.spark = spark or session()
        self._views: set[str] = set()
        self.queries: list[tuple[str, float]] = []  # the SQL run and its seconds, in order (for inspection)

    def view(self, table: str) -> None:
        if table in self._views:
            return
        if table not in self.tables:
            raise SparkError(f"table {table} was not exported to {self.path}")
        folder = self.path / table
        reader = self.spark.read.schema(schema_of(table)).option("timestampFormat", TIMESTAMP_FORMAT).option(
            "mode", "FAILFAST")
        if any(folder.iterdir()):
            df = reader.json(str(folder))
        else:
            df = self.spark.createDataFrame([], schema_of(table))
        df.createOrReplaceTempView(table)
        self._views.add(table)

    def sql(self, qs: QuerySet) -> str:
        text = to_sql(qs)
        for table in tables_of(text):
            self.view(table)
        return text

    def run_sql(self, text: str) -> list[dict]:
        started = time.perf_counter()
        rows = [row.asDict() for row in self.spark.sql(text).collect()]
        self.queries.append((text, time.perf_counter() - started))
        return rows

    def run(self, qs: QuerySet) -> list[dict]:
        return self.run_sql(self.sql(qs))

    def run_all(self, querysets: Iterable[QuerySet], threads: int = 4) -> dict[str, list[dict]]:
        """SQL text → rows for several querysets, submitted to Spark together (Spark runs jobs from several
        threads at once; small queries spend most of their time waiting on the scheduler)."""
        texts = list(dict.fromkeys(self.sql(qs) for qs in querysets))
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            return dict(zip(texts, pool.map(self.run_sql, texts), strict=True))


def institution_figures(indicators: Iterable[engine.Indicator], period: Period, source: Source,
                        institutions: Iterable[int] | None = None,
                        threads: int = 4) -> dict[str, dict[int, tuple[int, int]]]:
    """`engine.institution_figures` computed by Spark: code → institution id → (numerator, denominator). The
    engine's querysets are collected by a dry run, run by Spark together, then handed to the engine in its
    own order."""
    indicators = list(indicators)
    institutions = None if institutions is None else sorted(set(institutions))
    results = source.run_all(catalogue_querysets(indicators, period, institutions), threads)
    return engine.institution_figures(indicators, period, institutions, run=lambda qs: results[source.sql(qs)])


def compute_levels(codes: Iterable[str], period: Period, levels: Iterable[str], source: Source,
                   within=None) -> dict[str, dict[str, engine.Table]]:
    """level → code → Table as `engine.compute_levels`, the counting done by Spark (units and roll-up as usual)."""
    indicators = [engine.get(c) for c in codes]
    inside = engine.institutions_within(within)
    units = {level: engine._units(level, inside) for level in levels}
    every = set().union(*(set(u) for u in units.values())) if units else set()
    per_inst = institution_figures(indicators, period, source, every)
    return {level: {ind.code: engine.roll_up(ind, per_inst[ind.code], period, level, units[level])
                    for ind in indicators} for level in levels}

