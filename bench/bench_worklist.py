"""Benchmark: the institution work list and the record page of a long-followed patient, over a synthetic city.

    .venv/bin/python bench/bench_synth.py --scenario L          # first: build bench/out/synth-L.sqlite3
    .venv/bin/python bench/bench_worklist.py --scenario L       # then: measure
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_worklist.py

1. Work list: what /worklist/ computes for its first page (every due item of the institution, sorted, and the
   first page's rows with their residents and calls) for the head of the clinical institution with the most
   active records, every program, as of the synthetic city's reference date.
2. Record page: GET /records/<number>/ through Django's test client (template rendering included) for the
   patient with the most service forms, and for a record without any service (the baseline).
The baseline for (1) is fetching one record with its resident by primary key, in the same process. Prints
p50 / p95 in milliseconds and the ratio of each p50 to its baseline. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from timing import open_synth_database, pct, timed  # noqa: E402


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="L", help="which bench/out/synth-<scenario>.sqlite3 to read")
    parser.add_argument("--repeat", type=int, default=15, help="runs per measurement (default 15)")
    args = parser.parse_args(argv)
    os.environ.setdefault("JKDA_ALLOWED_HOSTS", "testserver")
    open_synth_database(args.scenario)
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from jkda.programs.views import PAGE_SIZE
    from jkda.programs.worklist import due_list, rows_for
    from jkda.records.models import Record
    from jkda.regions.models import Institution, Staff
    from jkda.services.base import service_models

    busiest = (Record.objects.filter(status="active", institution__kind__in=Institution.CLINICAL_KINDS)
               .values("institution").annotate(n=Count("id")).order_by("-n").first())
    if busiest is None:
        sys.exit("the database holds no records: build a synthetic city first")
    inst = Institution.objects.get(pk=busiest["institution"])
    head, _ = Staff.objects.get_or_create(username="bench_head", defaults={
        "institution": inst, "role": "head", "full_name": "基准测试"})
    if head.institution_id != inst.pk:
        head.institution = inst
        head.save()
    as_of = Record.objects.order_by("-established_on").values_list("established_on", flat=True).first()
    last_service = Record.objects.order_by("-last_service_on").values_list("last_service_on", flat=True).first()
    as_of = max(d for d in (as_of, last_service) if d)

    ids = list(Record.objects.filter(institution=inst).values_list("id", flat=True)[:args.repeat])
    base = timed(lambda: [Record.objects.select_related("resident").get(pk=pk) for pk in ids[:1]], args.repeat)
    items: list = []

    def first_page():
        items[:] = due_list(head, as_of)
        return rows_for(items[:PAGE_SIZE], as_of)

    wl = timed(first_page, args.repeat)
    overdue = sum(1 for i in items if i.overdue(as_of))

    # the patient with the most forms
    counts: dict[int, int] = {}
    for model in service_models():
        for rid, n in (model.objects.values("record_id").annotate(n=Count("id")).order_by("-n")[:50]
                       .values_list("record_id", "n")):
            counts[rid] = counts.get(rid, 0) + n
    heavy = Record.objects.get(pk=max(counts, key=counts.get)) if counts else None
    plain = Record.objects.filter(last_service_on__isnull=True).first()
    # the pages are read as a doctor of each record's institution (administrators read no records: access.roles)
    clients = {}
    for rec in (heavy, plain):
        if rec is None or rec.institution_id in clients:
            continue
        doctor, _ = Staff.objects.get_or_create(username=f"bench_doctor_{rec.institution_id}", defaults={
            "institution_id": rec.institution_id, "role": "doctor", "full_name": "基准测试"})
        clients[rec.institution_id] = Client()
        clients[rec.institution_id].force_login(doctor)

    def get(rec):
        response = clients[rec.institution_id].get(f"/records/{rec.number}/")
        assert response.status_code == 200, (rec.number, response.status_code)

    page_heavy = timed(lambda: get(heavy), args.repeat) if heavy else []
    page_plain = timed(lambda: get(plain), args.repeat) if plain else []

    print(f"database: {connection.vendor}, scenario {args.scenario}, {Record.objects.count():,} records, "
          f"reference date {as_of}")
    print(f"busiest institution: {inst.name} ({busiest['n']:,} active records)")
    print(f"{'measurement':<44} {'p50 ms':>9} {'p95 ms':>9} {'× baseline':>11}")
    b50 = statistics.median(base)
    print(f"{'baseline: one record by primary key':<44} {b50:9.2f} {pct(base, .95):9.2f} {1:11.1f}")
    print(f"{f'work list, first page ({len(items):,} items, {overdue:,} overdue)':<44} {statistics.median(wl):9.1f} "
          f"{pct(wl, .95):9.1f} {statistics.median(wl) / b50:11.0f}")
    if page_plain:
        p50 = statistics.median(page_plain)
        print(f"{'record page, no services (page baseline)':<44} {p50:9.1f} {pct(page_plain, .95):9.1f} "
              f"{p50 / b50:11.0f}")
    if page_heavy:
        h50 = statistics.median(page_heavy)
        ratio = f"{h50 / statistics.median(page_plain):.1f}× page" if page_plain else ""
        print(f"{f'record page, {counts[heavy.pk]} forms':<44} {h50:9.1f} {pct(page_heavy, .95):9.1f} "
              f"{h50 / b50:11.0f}  ({ratio})")


if __name__ == "__main__":
    main()
