"""Benchmark: generate the synthetic city (`jkda synth`) into a fresh database and print how fast it went.

    .venv/bin/python bench/bench_synth.py                       # scenario L into bench/out/synth-L.sqlite3
    .venv/bin/python bench/bench_synth.py --scenario M --seed 2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_synth.py --recreate

SQLite: the file bench/out/synth-<scenario>.sqlite3 is deleted and rebuilt (bench_search.py reads it afterwards).
PostgreSQL: the database named in DATABASE_URL must be empty, or pass --recreate to drop and create it.
Prints scenario, sizes, seconds, rows per second (residents + records + households), peak memory (ru_maxrss of
this process and of the generating child process) and the ratio against a baseline measured in the same process
and database: a plain bulk insert of narrow rows (id, text) into a scratch table. Times are reported, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent / "src"))


def _prepare_database(args) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"synth-{args.scenario}.sqlite3"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
    elif args.recreate and url.startswith(("postgres://", "postgresql://")):
        import dj_database_url
        import psycopg

        cfg = dj_database_url.parse(url)
        with psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                             password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}"')
            conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')
    return url


def _baseline_rows_per_second(n: int = 200_000) -> float:
    """Narrow rows through the same path the generator uses (executemany on SQLite, COPY on PostgreSQL)."""
    from django.db import connection, transaction

    rows = [(i, f"行{i:08d}") for i in range(1, n + 1)]
    with connection.cursor() as c:
        c.execute("CREATE TABLE bench_baseline (id integer PRIMARY KEY, label varchar(20) NOT NULL)")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as c:
        if connection.vendor == "postgresql":
            with c.cursor.copy("COPY bench_baseline (id, label) FROM STDIN") as copy:
                copy.write("".join(f"{i}\t{label}\n" for i, label in rows))
        else:
            c.executemany("INSERT INTO bench_baseline (id, label) VALUES (%s, %s)", rows)
    seconds = time.perf_counter() - started
    with connection.cursor() as c:
        c.execute("DROP TABLE bench_baseline")
    return n / seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="L", choices=["S", "M", "L"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--residents", type=int, default=None, help="override the scenario's size")
    parser.add_argument("--recreate", action="store_true", help="PostgreSQL: drop and create the database first")
    parser.add_argument("--serial", action="store_true", help="generate and write in one process")
    args = parser.parse_args(argv)

    url = _prepare_database(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from jkda.synth.generator import SCENARIOS, generate

    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t
    baseline = _baseline_rows_per_second()

    size = args.residents if args.residents is not None else SCENARIOS[args.scenario].residents
    bar = None
    progress = None
    if sys.stdout.isatty():
        from tqdm import tqdm

        bar = tqdm(total=size, unit=" residents", unit_scale=True)
        progress = bar.update
    summary = generate(args.scenario, args.seed, residents=args.residents, progress=progress,
                       parallel=False if args.serial else None)
    if bar is not None:
        bar.close()

    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    rows = summary.rows()
    rate = rows / summary.seconds
    size_mb = ""
    if connection.vendor == "sqlite":
        db_file = Path(connection.settings_dict["NAME"])
        size_mb = f"{sum(p.stat().st_size for p in db_file.parent.glob(db_file.name + '*')) / 2**20:,.0f}"
    else:
        with connection.cursor() as c:
            c.execute("SELECT pg_database_size(current_database())")
            size_mb = f"{c.fetchone()[0] / 2**20:,.0f}"
        # What autovacuum does on a live database, at once (not timed): statistics for the planner and the
        # visibility map that lets the other benchmarks' queries read indexes only.
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as c:
            c.execute("VACUUM ANALYZE")

    print()
    print(f"bench_synth  database: {connection.vendor} ({url.split('@')[-1]})  cores: {os.cpu_count()}  "
          f"python {sys.version.split()[0]}  migrate {migrate_s:.1f} s")
    header = ("scenario", "seed", "residents", "records", "closed", "households", "institutions", "staff",
              "seconds", "rows/s", "peak MB", "child MB", "db MB", "baseline rows/s", "ratio")
    values = (summary.scenario, summary.seed, f"{summary.residents:,}", f"{summary.records:,}",
              f"{summary.closed_records:,}", f"{summary.households:,}", summary.institutions, summary.staff,
              f"{summary.seconds:.1f}", f"{rate:,.0f}", f"{self_mb:,.0f}", f"{child_mb:,.0f}", size_mb,
              f"{baseline:,.0f}", f"{rate / baseline:.2f}")
    widths = [max(len(str(h)), len(str(v))) for h, v in zip(header, values, strict=True)]
    print("  ".join(str(h).rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join(str(v).rjust(w) for v, w in zip(values, widths, strict=True)))
    print("rows = residents + records + households; ratio = rows/s of the generator ÷ rows/s of a plain narrow "
          "bulk insert in the same database")


if __name__ == "__main__":
    main()
