"""Benchmark: the indicator engine, the facts refresh and the dashboard pages over a synthetic city.

    .venv/bin/python bench/bench_synth.py --scenario L            # first: build bench/out/synth-L.sqlite3
    .venv/bin/python bench/bench_indicators.py                    # synth-L if present, else synth-S (built if missing)
    .venv/bin/python bench/bench_indicators.py --scenario M
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_indicators.py
    pip install -e '.[bench]'                                      # pandas, for the baseline

1. engine.compute: every indicator of the catalogue for the current year, at each level (institution, township,
   district, city), cold (the first run in the process) and the median of the repeats.
   The whole monthly round: a notice for every indicator with a city target (the month's milestone as the target
   line), by district, each rendered as docx and xlsx, and the summary (`jkda notice --all`).
2. Facts: the full rebuild (`jkda indicators refresh --full`: every month of the kept years), then an incremental
   refresh after one write (one institution marked from this month).
3. Dashboard pages through Django's test client (template rendering included): the city, the biggest district
   and the biggest institution, p50 / p95, as their bureau / head would open them.
4. Baseline, in the same process: every indicator of the catalogue per institution for the year, computed by
   pandas over the tables exported from the database (bench/pandas_baseline.py; the export timed apart), cold and
   p50, and with the roll-up to all four levels; against engine.institution_figures for the same indicators. The
   figures are compared indicator by indicator (institutions with 0 / 0 left out) and any that differ printed.
Prints the scenario, sizes, times in milliseconds and ratios. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent / "src"))

from timing import pct, timed  # noqa: E402


def _database(scenario: str | None) -> str:
    if os.environ.get("DATABASE_URL"):
        return scenario or "?"
    if scenario is None:
        scenario = "L" if (OUT / "synth-L.sqlite3").exists() else "S"
    path = OUT / f"synth-{scenario}.sqlite3"
    if not path.exists():
        if scenario != "S":
            sys.exit(f"{path} does not exist: run bench/bench_synth.py --scenario {scenario} first")
        print(f"building {path} (bench/bench_synth.py --scenario S) ...", flush=True)
        subprocess.run([sys.executable, str(HERE / "bench_synth.py"), "--scenario", "S"], check=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return scenario


# --- main ---------------------------------------------------------------------------------------------------------

def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", help="bench/out/synth-<scenario>.sqlite3 (default: L if built, else S)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of the engine measurements (default 3)")
    parser.add_argument("--pages", type=int, default=15, help="requests per dashboard page (default 15)")
    parser.add_argument("--skip-full", action="store_true", help="skip the full facts rebuild (use the stored)")
    args = parser.parse_args(argv)
    scenario = _database(args.scenario)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    os.environ.setdefault("JKDA_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    call_command("migrate", verbosity=0)  # the facts tables, on a database built before them
    from jkda.indicators import engine, facts, periods
    from jkda.indicators.dashboards import board
    from jkda.records.models import Record
    from jkda.regions.models import Division, Institution, Staff
    from jkda.services.base import service_models

    today = periods.today()
    year = periods.parse(str(today.year))
    codes = [i.code for i in engine.all_indicators()]
    n_records = Record.objects.count()
    n_forms = sum(m.objects.count() for m in service_models())
    n_inst = Institution.objects.filter(kind__in=Institution.CLINICAL_KINDS).count()
    print(f"database: {connection.vendor}, scenario {scenario}, {n_records:,} records, {n_forms:,} service forms, "
          f"{n_inst} clinical institutions, {len(codes)} indicators, period {year.code} (as of {year.as_of})",
          flush=True)
    rows: list[tuple[str, float | None, float | None, str]] = []

    # 1. the engine at every level
    for level in engine.LEVELS:
        times = timed(lambda lv=level: engine.compute(codes, year, lv), args.repeat)
        rows.append((f"engine.compute, all indicators, {level}", times[0], statistics.median(times),
                     f"cold / p50 of {args.repeat}"))
        print(f"  {rows[-1][0]}: cold {times[0]:.0f} ms", flush=True)

    times = timed(lambda: engine.compute_levels(codes, year), args.repeat)
    rows.append(("engine.compute_levels, all indicators, all four levels at once", times[0],
                 statistics.median(times), f"cold / p50 of {args.repeat}"))
    print(f"  {rows[-1][0]}: {times[0]:.0f} ms", flush=True)
    from jkda.indicators.notices import notice as notice_mod
    from jkda.indicators.notices import render as notice_render

    def whole_notice():
        doc = notice_mod.build_notice("electronic_record_rate", year, "county", 60, 30)
        notice_render.render_docx(doc), notice_render.render_xlsx(doc)

    times = timed(whole_notice, args.repeat)
    rows.append(("notice: electronic record rate by district, docx + xlsx + json", times[0],
                 statistics.median(times), f"cold / p50 of {args.repeat}"))
    print(f"  {rows[-1][0]}: {times[0]:.0f} ms", flush=True)

    from jkda.indicators.notices.monthly import monthly_notices

    month = periods.parse(f"{today.year}-{today.month:02d}-ytd")
    made = {}

    def monthly_round():
        done = monthly_notices(month, "county")
        for n in done.notices:
            notice_render.render_docx(n), notice_render.render_xlsx(n)
        notice_render.render_summary_xlsx(done.summary())
        made["n"] = len(done.notices)

    times = timed(monthly_round, args.repeat)
    rows.append((f"monthly round {month.code}: {made['n']} notices by district, docx + xlsx", times[0],
                 statistics.median(times), f"cold / p50 of {args.repeat}"))
    print(f"  {rows[-1][0]}: {times[0]:.0f} ms", flush=True)

    # 2. facts
    months = len([m for y in facts.kept_years(today) for m in range(1, 13) if facts.month_started(y, m, today)])
    if not args.skip_full:
        started = time.perf_counter()
        result = facts.refresh(full=True)
        full_ms = (time.perf_counter() - started) * 1000
        rows.append((f"facts: full rebuild ({months} months, {result.facts:,} facts)", full_ms, None, "once"))
        print(f"  {rows[-1][0]}: {full_ms:.0f} ms", flush=True)
    busiest = (Record.objects.filter(institution__kind__in=Institution.CLINICAL_KINDS).values("institution")
               .annotate(n=Count("id")).order_by("-n").first())
    inst = Institution.objects.get(pk=busiest["institution"])
    facts.mark([inst.pk], today)
    started = time.perf_counter()
    result = facts.refresh()
    incr_ms = (time.perf_counter() - started) * 1000
    rows.append((f"facts: incremental, 1 institution × {result.cells} month(s)", incr_ms, None, "once"))

    # 3. dashboard pages
    def user(name, institution, role):
        u, _ = Staff.objects.get_or_create(username=name, defaults={"institution": institution, "role": role,
                                                                    "full_name": "基准测试"})
        if u.institution_id != institution.pk or u.role != role:
            u.institution, u.role = institution, role
            u.save()
        return u

    city = Division.objects.filter(level="city").order_by("code").first()
    county_counts = {}
    for unit in engine.unit_map("county").values():
        county_counts[unit.code] = county_counts.get(unit.code, 0) + 1
    county = Division.objects.get(code=max(county_counts, key=county_counts.get), level="county")
    pages = []
    bureau_city = Institution.objects.filter(kind="bureau", division=city).first() if city else None
    bureau_county = Institution.objects.filter(kind="bureau", division=county).first()
    if city and bureau_city:
        pages.append(("city", f"/dashboards/city/{city.code}/", user("bench_city", bureau_city, "bureau")))
    if bureau_county:
        pages.append((f"district ({county_counts[county.code]} institutions)", f"/dashboards/county/{county.code}/",
                      user("bench_district", bureau_county, "bureau")))
    pages.append(("institution (busiest)", f"/dashboards/institution/{inst.code}/", user("bench_head", inst, "head")))
    client = Client()
    for label, url, u in pages:
        client.force_login(u)

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        times = timed(get, args.pages)
        rows.append((f"dashboard page: {label}", statistics.median(times), pct(times, .95),
                     f"p50 / p95 of {args.pages}"))
    area = board.resolve("institution", inst.code)
    live = timed(lambda: board.build(area, board.Month(today.year, today.month), live=True), 3)
    rows.append(("dashboard data, institution, live (engine)", statistics.median(live), None, "p50 of 3"))

    # 4. baseline: pandas over exported tables vs the engine, every indicator per institution
    indicators = engine.all_indicators()
    eng_times = timed(lambda: engine.institution_figures(indicators, year), args.repeat)
    engine_figs = engine.institution_figures(indicators, year)
    try:
        import pandas_baseline
    except ImportError:
        print("pandas is not installed (pip install -e '.[bench]'): no baseline")
        base_ms = None
    else:
        started = time.perf_counter()
        tables = pandas_baseline.export_tables(year.year)
        export_ms = (time.perf_counter() - started) * 1000
        pd_times = timed(lambda: pandas_baseline.pandas_figures(tables, year), args.repeat)
        base_ms = statistics.median(pd_times)
        differ = pandas_baseline.differences(pandas_baseline.pandas_figures(tables, year), engine_figs)
        for code, (inst, ours, theirs) in differ.items():
            print(f"  pandas and the engine differ: {code}, e.g. institution {inst}: pandas {ours}, engine {theirs}",
                  flush=True)

        def pandas_levels():
            figs = pandas_baseline.pandas_figures(tables, year)
            units = {level: engine.unit_map(level) for level in engine.LEVELS}
            return {level: {ind.code: engine.roll_up(ind, figs[ind.code], year, level, units[level])
                            for ind in indicators} for level in engine.LEVELS}

        level_times = timed(pandas_levels, args.repeat)
        same = "yes" if not differ else f"NO for {len(differ)} of {len(indicators)}"
        rows.append((f"baseline: export tables for pandas ({sum(len(t) for t in tables.values()):,} rows)",
                     export_ms, None, "once"))
        rows.append((f"baseline: pandas, all {len(indicators)} indicators per institution", pd_times[0], base_ms,
                     f"cold / p50 of {args.repeat}; same figures as the engine: {same}"))
        rows.append(("baseline: pandas + roll-up, all indicators, all four levels", level_times[0],
                     statistics.median(level_times), f"cold / p50 of {args.repeat}"))
    rows.append((f"engine.institution_figures, the same {len(indicators)} indicators", eng_times[0],
                 statistics.median(eng_times), f"cold / p50 of {args.repeat}"))

    print()
    print(f"{'measurement':<62} {'ms':>10} {'ms (2)':>10} {'× baseline':>11}  note")
    for label, a, b, note in rows:
        ref = b if note.startswith("cold") else a  # the p50 where there are repeats, else the single run
        ratio = f"{ref / base_ms:11.1f}" if base_ms else f"{'—':>11}"
        print(f"{label:<62} {a:10.1f} {'' if b is None else f'{b:10.1f}':>10} {ratio}  {note}")
    print("ms / ms (2): as the note says; × baseline: the p50 (or the single run) over the pandas p50 for every "
          "indicator per institution")

if __name__ == "__main__":
    main()
