"""Benchmark: bulk import of N synthetic residents from CSV with full validation.

    .venv/bin/python bench/bench_import.py                 # 1,000,000 rows into bench/out/bench_import.sqlite3
    .venv/bin/python bench/bench_import.py --rows 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench .venv/bin/python bench/bench_import.py --recreate

Writes a CSV of N residents (a small deterministic generator: valid ID numbers from jkda.codes.idnumber.make, a
fixed set of counties, townships, villages and institutions created in the bench database), imports it into a
fresh database through the same code as `jkda import residents`, and prints rows per second, peak memory
(ru_maxrss), the CPU seconds the import used (this process and its validation workers: on a shared machine the
wall time mostly says how busy the neighbours were) and the ratio against a baseline measured in the same process:
reading the same CSV with csv.reader. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

COUNTIES = [("320505", "虎丘区"), ("320506", "吴中区"), ("320507", "相城区"), ("320508", "姑苏区")]
TOWNSHIPS_PER_COUNTY = 5
VILLAGES_PER_TOWNSHIP = 10
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉力斌宇浩凯鹏飞"
    "鑫波宁晨欣怡婷雪琳佳颖梅莉燕琴云峰春"
)
STREETS = ["新家路", "龙西路", "宝带路", "东吴南路", "越溪街", "木渎大街", "金星路", "长桥街"]
HEADER = ["姓名", "性别", "出生日期", "身份证号", "现住址", "户籍地址", "本人电话", "常住类型", "民族", "血型",
          "医疗费用支付方式", "药物过敏史", "既往史", "管理机构编码", "村居编码", "建档日期"]
DAYS = 36500  # birth dates over a hundred years, from 1925 to 2024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--chunk-size", type=int, default=5000)
    p.add_argument("--seed", type=int, default=2017)
    p.add_argument("--workers", type=int, default=None,
                   help="validation worker processes (0: validate in the writing process; default: the import's "
                        "automatic choice)")
    p.add_argument("--indexes", choices=["auto", "suspend", "keep"], default="auto",
                   help="suspend the secondary indexes while writing (as `jkda import --indexes`; auto: the import's "
                        "own choice, which suspends them for 50,000 rows or more into an empty database)")
    p.add_argument("--recreate", action="store_true",
                   help="PostgreSQL: drop and create the DATABASE_URL database first (it must be a bench database)")
    p.add_argument("--keep-csv", action="store_true", help="keep the generated CSV in bench/out/")
    return p.parse_args()


def setup_database(args) -> str:
    OUT.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("DATABASE_URL")
    if not url:
        path = OUT / "bench_import.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        os.environ["DATABASE_URL"] = url
    elif url.startswith("postgres") and args.recreate:
        import dj_database_url
        import psycopg

        cfg = dj_database_url.parse(url)
        name = cfg["NAME"]
        if "bench" not in name and "import" not in name:
            sys.exit(f"refusing to drop database {name!r}: its name should contain 'bench'")
        with psycopg.connect(host=cfg["HOST"] or None, port=cfg["PORT"] or None, user=cfg["USER"] or None,
                             password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jkda.records.models import Record

    if Record.objects.exists():
        sys.exit("the bench database already holds records: use a fresh one (--recreate for PostgreSQL)")
    return url


def create_area():
    """Counties with their bureaus, townships with their centres, villages: returns [(institution code, village
    code, county code)]."""
    from jkda.regions.models import Division, Institution

    places = []
    for county_code, county_name in COUNTIES:
        county = Division.objects.create(code=county_code, name=county_name, level="county")
        bureau = Institution.objects.create(code=f"B{county_code}", name=f"{county_name}卫生健康局", kind="bureau",
                                            division=county)
        for t in range(1, TOWNSHIPS_PER_COUNTY + 1):
            town = Division.objects.create(code=f"{county_code}{t:03d}", name=f"{county_name}第{t}街道",
                                           level="township", parent=county)
            centre = Institution.objects.create(code=f"C{county_code}{t:03d}", name=f"{town.name}社区卫生服务中心",
                                                kind="chc", division=town, parent=bureau)
            for v in range(1, VILLAGES_PER_TOWNSHIP + 1):
                village = Division.objects.create(code=f"{town.code}{v:03d}", name=f"{town.name}第{v}社区",
                                                  level="village", parent=town)
                places.append((centre.code, village.code, county_code))
    return places


def write_csv(path: Path, n: int, places, seed: int) -> None:
    from jkda.codes import idnumber

    rng = random.Random(seed)
    base = dt.date(1925, 1, 1)
    n_counties = len(COUNTIES)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            inst, village, _county = places[rng.randrange(len(places))]
            county = COUNTIES[i % n_counties][0]
            day = (i // n_counties) % DAYS
            seq = (i // (n_counties * DAYS)) % 1000
            birth = base + dt.timedelta(days=day)
            id_number = idnumber.make(county, birth, seq)
            male = seq % 2 == 1
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
            street = rng.choice(STREETS)
            address = f"苏州市{street}{rng.randint(1, 300)}号{rng.randint(1, 30)}幢{rng.randint(101, 1802)}室"
            past = rng.random() if birth.year < 1990 else 1.0
            past_text = "高血压 2015-03" if past < 0.15 else ("糖尿病 2018-06、高血压 2016-01" if past < 0.2 else "")
            w.writerow([
                name, "男" if male else "女", birth.isoformat(), id_number, address,
                address if rng.random() < 0.8 else "", f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}",
                "户籍" if rng.random() < 0.8 else "2", "汉族" if rng.random() < 0.95 else "回族",
                rng.choice(["A型", "B型", "O型", "AB型", "不详"]),
                rng.choice(["城镇职工基本医疗保险", "城镇居民基本医疗保险", "2;4", "新型农村合作医疗"]),
                "无" if rng.random() < 0.9 else "青霉素", past_text, inst, village,
                (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(365))).isoformat(),
            ])


def baseline_parse(path: Path) -> float:
    """Reading the file with csv.reader, nothing else: the floor any import of it stands on."""
    started = time.perf_counter()
    rows = 0
    with open(path, encoding="utf-8-sig", newline="") as fh:
        for _row in csv.reader(fh):
            rows += 1
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (validation workers)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def main():
    args = parse_args()
    url = setup_database(args)
    from django.db import connection

    from jkda.exchange.residents import ResidentImport
    from jkda.records.models import NumberCounter, Record, RecordEvent, Resident

    places = create_area()
    csv_path = OUT / f"residents_{args.rows}.csv"
    t0 = time.perf_counter()
    write_csv(csv_path, args.rows, places, args.seed)
    t_write = time.perf_counter() - t0
    size_mb = csv_path.stat().st_size / 1e6
    t_parse = baseline_parse(csv_path)

    t0 = time.perf_counter()
    cpu0 = cpu_seconds()
    importer = ResidentImport(str(csv_path), chunk_size=args.chunk_size, workers=args.workers,
                              suspend_indexes={"auto": None, "suspend": True, "keep": False}[args.indexes])
    workers = importer.workers
    summary = importer.run()
    t_import = time.perf_counter() - t0
    cpu_import = cpu_seconds() - cpu0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    again = ResidentImport(str(csv_path), chunk_size=args.chunk_size, dry_run=True, workers=args.workers).run()
    t_rerun = time.perf_counter() - t0

    records = Record.objects.count()
    print()
    print(f"bench_import — {args.rows:,} residents, {connection.vendor} ({url.split('@')[-1]}), "
          f"chunk {args.chunk_size}, {workers} validation workers"
          f"{' (automatic)' if args.workers is None else ''}, {len(places)} villages, indexes {args.indexes}")
    for note in summary.notes:
        print(f"  {note}")
    print(f"{'step':<34}{'seconds':>10}{'rows/s':>12}")
    print(f"{'write CSV (' + format(size_mb, '.0f') + ' MB)':<34}{t_write:>10.1f}{args.rows / t_write:>12,.0f}")
    print(f"{'baseline: csv.reader only':<34}{t_parse:>10.2f}{args.rows / t_parse:>12,.0f}")
    print(f"{'import (validate + write)':<34}{t_import:>10.1f}{args.rows / t_import:>12,.0f}")
    print(f"{'dry run of the same file again':<34}{t_rerun:>10.1f}{args.rows / t_rerun:>12,.0f}")
    print(f"ratio import / baseline: {t_import / t_parse:.1f}×")
    print(f"import CPU (process + workers): {cpu_import:.1f} s, {args.rows / cpu_import:,.0f} rows per CPU-second")
    print(f"peak memory (ru_maxrss): {peak_mb:.0f} MB")
    print(f"imported {summary.imported:,}, already present {summary.present:,}, rejected {summary.rejected:,}; "
          f"dry rerun: {again.imported:,} new, {again.present:,} present")
    print(f"database: {Resident.objects.count():,} residents, {records:,} records, "
          f"{RecordEvent.objects.count():,} events, {NumberCounter.objects.count()} village counters")
    if summary.report_path:
        print(f"report: {summary.report_path}")
    if not args.keep_csv:
        csv_path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
