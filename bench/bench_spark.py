"""Benchmark: the whole indicator catalogue on Apache Spark (local mode) against the engine on the database.

    JKDA_VAR_DIR=/tmp/spark jkda migrate && JKDA_VAR_DIR=/tmp/spark jkda synth --scenario S --seed 1
    JKDA_VAR_DIR=/tmp/spark .venv/bin/python bench/bench_spark.py --period 2026H1
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_spark.py

Measures (1) exporting the tables the catalogue reads, partitioned by county, to bench/out/spark-export/;
(2) `spark.institution_figures` for every indicator (the engine's querysets compiled to SQL and run by Spark SQL),
first run (with JVM warm-up and query planning) and a repeat; (3) the baseline: `engine.institution_figures` on
the database itself, in the same process. Checks that both give the same figures and prints the times as a
table; times are reported, never asserted. The database is the one `DATABASE_URL` / `JKDA_VAR_DIR` name.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent / "src"))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--period", default=None, help="period code (default: this year)")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--shuffle-partitions", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4, help="Spark queries submitted at once")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the engine's direct computation")
    parser.add_argument("--no-partition", action="store_true", help="export without the county partitions")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    import django

    django.setup()
    from django.db import connection

    from jkda.indicators import engine, periods
    from jkda.indicators import spark as S
    from jkda.records.models import Record

    period = periods.parse(args.period or str(periods.today().year))
    indicators = engine.all_indicators()
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; records: {Record.objects.count():,}; "
          f"period {period.code}; {len(indicators)} indicators in {len({i.family.code for i in indicators})} "
          f"families; Spark {args.master}, {args.shuffle_partitions} shuffle partitions, {args.threads} threads")

    direct_times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        direct = engine.institution_figures(indicators, period)
        direct_times.append(time.perf_counter() - started)

    result = S.export(OUT / "spark-export", by_county=not args.no_partition)
    counties = {p.name for p in (OUT / "spark-export" / "records_record").glob("county=*")}

    started = time.perf_counter()
    spark = S.session(args.master, shuffle_partitions=args.shuffle_partitions)
    session_s = time.perf_counter() - started
    source = S.Source(OUT / "spark-export", spark)
    runs = []
    for _ in range(2):
        source.queries.clear()
        started = time.perf_counter()
        got = S.institution_figures(indicators, period, source, threads=args.threads)
        runs.append(time.perf_counter() - started)
    slowest = max(source.queries, key=lambda q: q[1])
    same = all(got[i.code] == direct[i.code] for i in indicators)
    spark.stop()

    base = statistics.median(direct_times)
    rows = [
        ("export (JSON Lines, by county)", result.seconds,
         f"{len(result.rows)} tables, {sum(result.rows.values()):,} rows, {len(counties)} county partitions"),
        ("Spark session start", session_s, ""),
        ("Spark, all indicators, first run", runs[0], f"{len(source.queries)} queries"),
        ("Spark, all indicators, repeat", runs[1], f"slowest query {slowest[1]:.1f} s"),
        ("engine on the database (median)", base, f"{args.repeat} runs"),
    ]
    print(f"\n{'step':<36} {'seconds':>9} {'× engine':>9}  notes")
    for name, seconds, note in rows:
        print(f"{name:<36} {seconds:>9.2f} {seconds / base if base else float('nan'):>9.1f}  {note}")
    print(f"\nSpark's figures equal the engine's for every indicator: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
