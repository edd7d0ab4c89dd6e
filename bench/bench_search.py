"""Benchmark: resident search over a synthetic city, as the city bureau and as a scoped doctor, alone and under load.

    .venv/bin/python bench/bench_synth.py --scenario L          # first: build bench/out/synth-L.sqlite3
    .venv/bin/python bench/bench_search.py --scenario L         # then: search it
    .venv/bin/python bench/bench_search.py --scenario L --queries 300 --threads 50 --processes 2 --think-ms 500
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_search.py

Each query goes through jkda.records.search.search_records (the function the web page and the API call) and
fetches the first page of 20 hits. Queries are built from records sampled with a fixed seed: the whole ID number,
its last six characters, the name, the pinyin initials, the full pinyin, the 17-digit record number, its last
eight digits and the phone number; and "record_page" opens the sampled record's whole page (GET /records/<number>/
through Django's test client, as the user, template rendering included: DESIGN's "opening a whole record").
The doctor's queries come from records in the doctor's jurisdiction; the city bureau's from the whole city.
Prints p50 / p95 in milliseconds per kind of query and user, and the ratio of each p50 to a baseline measured in
the same process: fetching one record with its resident by primary key.

Load run: --threads N (default 50) concurrent users share --processes P server processes (default 2, as a WSGI
server would run one worker per core); each user has its own connection and runs its share of the same queries
back to back, or with --think-ms between two searches. Think times are drawn from an exponential distribution with
that mean and each user starts at a random moment within the first one (--think fixed: every user pauses exactly
--think-ms and all start at once, so that the 50 searches arrive together, wave after wave). --switch-ms sets the
server processes' interpreter switch interval (sys.setswitchinterval; Python's default is 5 ms). --server-threads N
models a WSGI server's bounded pool (`jkda serve --threads 8`): each process runs the users' queries on N threads,
so a query may wait for a free thread (counted in its time) instead of every user's thread contending for the
interpreter at once. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from timing import open_synth_database, pct  # noqa: E402

KINDS = ("id_number", "id_last6", "name", "initials", "pinyin", "record_number", "last8", "phone", "record_page")
PAGE = 20



def _queries(records, rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for rec in records:
        r = rec.resident
        candidates = {
            "id_number": r.id_number, "id_last6": r.id_last6, "name": r.name, "initials": r.name_initials,
            "pinyin": r.name_pinyin, "record_number": rec.number, "last8": rec.number_last8,
            "phone": r.phone if r.phone and r.phone.startswith("1") else "",
            "record_page": rec.number,  # opening the whole record: GET /records/<number>/, template included
        }
        for kind in KINDS:
            if candidates[kind]:
                out.append((kind, candidates[kind]))
    rng.shuffle(out)
    return out


_clients = threading.local()
_handlers: dict[int, object] = {}  # per process: its request handler, shared by its clients as a WSGI server's
_handler_lock = threading.Lock()


def _shared_handler():
    """One handler per process with its middleware loaded once. A test client builds its own handler, which loads
    the whole middleware chain on its first request (WhiteNoise indexes every static file, about 2,700): with a
    client per user and thread that happened dozens of times during the load run and showed as its slowest pages."""
    from django.test.client import ClientHandler

    with _handler_lock:
        if os.getpid() not in _handlers:
            handler = ClientHandler()
            handler.load_middleware()
            _handlers[os.getpid()] = handler
        return _handlers[os.getpid()]


def _page_client(user):
    """This thread's test client logged in as `user` (a session of its own, as a browser has)."""
    from django.test import Client

    clients = _clients.__dict__.setdefault("by_user", {})
    if user.pk not in clients:
        client = Client()
        client.handler = _shared_handler()
        client.force_login(user)
        clients[user.pk] = client
    return clients[user.pk]


def _run_one(user, q: str, kind: str = "") -> tuple[float, int]:
    from jkda.records.search import search_records

    if kind == "record_page":
        client = _page_client(user)
        started = time.perf_counter()
        response = client.get(f"/records/{q}/")
        ms = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise SystemExit(f"record page {q} as {user.username}: HTTP {response.status_code}")
        return ms, 1
    started = time.perf_counter()
    hits = list(search_records(user, q)[:PAGE])
    return (time.perf_counter() - started) * 1000, len(hits)


def _baseline(ids: list[int]) -> list[float]:
    from jkda.records.models import Record

    times = []
    for pk in ids:
        started = time.perf_counter()
        Record.objects.select_related("resident").get(pk=pk)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _load(users: dict[str, int], sessions: list[list[tuple[str, str, str]]], think_ms: float, think: str = "exp",
          switch_ms: float | None = None, seed: int = 1, server_threads: int = 0) -> list[tuple]:
    """One server process: a thread per concurrent user, each with its own connection, running its queries; or,
    with server_threads, the users' threads hand each query to a pool of that many threads (a WSGI server's, as
    `jkda serve --threads 8` runs) and wait for it: the time then includes the wait for a free thread."""
    from django.db import connection

    from jkda.regions.models import Staff

    if switch_ms:
        sys.setswitchinterval(switch_ms / 1000)
    staff = {name: Staff.objects.get(pk=pk) for name, pk in users.items()}
    connection.close()
    out, lock = [], threading.Lock()
    server = ThreadPoolExecutor(max_workers=server_threads) if server_threads else None

    def serve(user, q, kind):
        if server is None:
            return _run_one(user, q, kind)
        started = time.perf_counter()
        _ms, hits = server.submit(_run_one, user, q, kind).result()
        return (time.perf_counter() - started) * 1000, hits

    def session(numbered):
        from django.db import connection as conn

        k, jobs = numbered
        rng = random.Random(seed * 1000 + k)
        mine = []
        if think_ms and think == "exp":
            time.sleep(rng.uniform(0, think_ms) / 1000)  # users do not all start in the same instant
        for user_name, kind, q in jobs:
            at = time.monotonic()  # one clock for all processes (CLOCK_MONOTONIC)
            ms, hits = serve(staff[user_name], q, kind)
            mine.append((user_name, kind, ms, hits, at, (seed, k)))  # a user of this process
            if think_ms:
                time.sleep((rng.expovariate(1 / think_ms) if think == "exp" else think_ms) / 1000)
        conn.close()
        with lock:
            out.extend(mine)

    with ThreadPoolExecutor(max_workers=max(1, len(sessions))) as pool:
        list(pool.map(session, enumerate(sessions)))
    if server is not None:
        server.shutdown()  # its threads' connections close with them
    return out


def sample(queries: int, seed: int):
    """The two users (the city bureau and a doctor of the busiest community health service centre) and their
    queries, sampled with a fixed seed: (rng, total records, max id, doctor, visible ids, scope count, plans) where
    plans maps "city_bureau" / "doctor" to (Staff, [(kind, query), ...])."""
    from jkda.access.scope import visible_institution_ids
    from jkda.records.models import Record
    from jkda.regions.models import Institution, Staff

    total = Record.objects.count()
    if not total:
        sys.exit("the database holds no records: run bench/bench_synth.py first")
    rng = random.Random(seed)
    max_id = Record.objects.order_by("-id").values_list("id", flat=True).first()

    # users: the city bureau (masked, the whole city) and a doctor of the busiest community health service centre;
    # administrators read no records whatever is_superuser says (access.roles)
    admin = Staff.objects.filter(role="bureau", institution__division__level="city").order_by("id").first()
    if admin is None:
        sys.exit("no city bureau account: build the database with bench/bench_synth.py")
    centre_ids = list(Institution.objects.filter(kind="chc").values_list("id", flat=True))
    busiest = max(centre_ids, key=lambda i: Record.objects.filter(institution_id=i).count())
    doctor = Staff.objects.filter(institution_id=busiest, role="doctor").order_by("id").first()
    visible = visible_institution_ids(doctor)
    doctor_scope = Record.objects.filter(institution_id__in=visible)
    scope_count = doctor_scope.count()

    admin_records = list(Record.objects.select_related("resident").filter(
        id__in=rng.sample(range(1, max_id + 1), min(queries, max_id))))
    scope_ids = list(doctor_scope.order_by("id").values_list("id", flat=True))
    doctor_records = list(Record.objects.select_related("resident").filter(
        id__in=rng.sample(scope_ids, min(queries, len(scope_ids)))))
    plans = {"city_bureau": (admin, _queries(admin_records, rng)), "doctor": (doctor, _queries(doctor_records, rng))}
    return rng, total, max_id, doctor, visible, scope_count, plans


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="L", choices=["S", "M", "L"],
                        help="which bench/out/synth-<scenario>.sqlite3 to read (when DATABASE_URL is not set)")
    parser.add_argument("--queries", type=int, default=200, help="sampled records per user (8 queries each)")
    parser.add_argument("--threads", type=int, default=50, help="concurrent threads for the load run (0: skip)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--processes", type=int, default=2,
                        help="server processes sharing the concurrent users (like WSGI workers; default 2 = cores)")
    parser.add_argument("--think", choices=["exp", "fixed"], default="exp",
                        help="think time between a user's searches: exponential with mean --think-ms and a random "
                             "start (default), or exactly --think-ms with every user starting at once")
    parser.add_argument("--switch-ms", type=float, default=None,
                        help="sys.setswitchinterval of the server processes, in ms (default: Python's 5 ms)")
    parser.add_argument("--server-threads", type=int, default=0,
                        help="each server process runs the users' queries on a pool of this many threads (as "
                             "`jkda serve --threads 8` does) instead of one thread per user; times include the wait "
                             "for a free thread (0: a thread per user)")
    parser.add_argument("--think-ms", type=float, default=0,
                        help="pause of each concurrent user between two searches (0: back to back, the worst case)")
    args = parser.parse_args(argv)

    open_synth_database(args.scenario)
    from django.db import connection

    rng, total, max_id, doctor, visible, scope_count, plans = sample(args.queries, args.seed)
    admin = plans["city_bureau"][0]

    # warm up (page cache, statement cache), then the baseline
    for _user, queries in plans.values():
        for _kind, q in queries[:50]:
            _run_one(admin, q)
    base_ids = rng.sample(range(1, max_id + 1), min(500, max_id))
    baseline = _baseline(base_ids)
    base_p50 = statistics.median(baseline)

    def report(title: str, results: dict[tuple[str, str], list[tuple[float, int]]], extra: str = "") -> None:
        print()
        print(title + (f"  {extra}" if extra else ""))
        header = f"{'user':<10} {'query':<14} {'n':>5} {'hits':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} " \
                 f"{'p50/base':>9}"
        print(header)
        print("-" * len(header))
        for user_name in plans:
            for kind in KINDS:
                got = results.get((user_name, kind), [])
                if not got:
                    continue
                ms = [t for t, _h in got]
                hits = statistics.mean(h for _t, h in got)
                p50 = pct(ms, 0.5)
                print(f"{user_name:<10} {kind:<14} {len(ms):>5} {hits:>6.1f} {p50:>8.2f} {pct(ms, 0.95):>8.2f} "
                      f"{max(ms):>8.2f} {p50 / base_p50:>9.1f}")

    print(f"bench_search  database: {connection.vendor}  records: {total:,}  doctor {doctor.username} sees "
          f"{scope_count:,} records in {len(visible)} institutions  cores: {os.cpu_count()}")
    print(f"baseline (one record + resident by primary key): p50 {base_p50:.3f} ms, "
          f"p95 {pct(baseline, 0.95):.3f} ms over {len(baseline)} lookups")

    # one at a time
    single: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for user_name, (user, queries) in plans.items():
        for kind, q in queries:
            single[(user_name, kind)].append(_run_one(user, q, kind))
    report("sequential (one query at a time)", single)

    if args.threads:
        jobs = [(user_name, kind, q) for user_name, (_u, queries) in plans.items() for kind, q in queries]
        rng.shuffle(jobs)
        users = {name: user.pk for name, (user, _q) in plans.items()}
        procs = max(1, args.processes)
        # each concurrent user runs its share of the queries back to back (or with a pause): a closed loop
        sessions = [jobs[i::args.threads] for i in range(args.threads)]
        shares = [sessions[i::procs] for i in range(procs)]
        connection.close()  # the children open their own connections
        started = time.perf_counter()
        if procs == 1:
            rows = _load(users, shares[0], args.think_ms, args.think, args.switch_ms, args.seed, args.server_threads)
        else:
            import multiprocessing

            with multiprocessing.get_context("fork").Pool(procs) as pool:
                rows = [r for part in pool.starmap(_load, [(users, share, args.think_ms, args.think, args.switch_ms,
                                                            args.seed * 10 + i, args.server_threads)
                                                           for i, share in enumerate(shares)])
                        for r in part]
        wall = time.perf_counter() - started
        loaded: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
        for user_name, kind, ms, hits, _at, _k in rows:
            loaded[(user_name, kind)].append((ms, hits))
        every = [ms for _u, _k, ms, _h, _at, _s in rows]
        # the steady state: from the moment the last user started to the moment the first one finished, all of them
        # were active (arrivals taper off at the end of a run, when users with fewer or shorter pauses are done)
        firsts, lasts = defaultdict(lambda: float("inf")), defaultdict(float)
        for _u, _kd, ms, _h, at, k in rows:
            firsts[k] = min(firsts[k], at)
            lasts[k] = max(lasts[k], at + ms / 1000)
        lo, hi = max(firsts.values()), min(lasts.values())
        steady = [ms for _u, _kd, ms, _h, at, _k in rows if lo <= at and at + ms / 1000 <= hi]
        pause = (f", {'a mean' if args.think == 'exp' else 'exactly'} {args.think_ms:g} ms pause between a user's "
                 f"searches" if args.think_ms else ", back to back")
        if args.switch_ms:
            pause += f", switch interval {args.switch_ms:g} ms"
        if args.server_threads:
            pause += f", {args.server_threads} server threads per process"
        report(f"{args.threads} concurrent users in {procs} process(es){pause}", loaded,
               f"{len(rows)} queries in {wall:.1f} s = {len(rows) / wall:,.0f} queries/s; all queries: p50 "
               f"{pct(every, .5):.1f} ms, p95 {pct(every, .95):.1f} ms")
        if steady and hi > lo:
            print(f"while all {args.threads} users were active ({hi - lo:.1f} s): {len(steady)} queries = "
                  f"{len(steady) / (hi - lo):,.0f} queries/s, p50 {pct(steady, .5):.1f} ms, p95 "
                  f"{pct(steady, .95):.1f} ms")
    print()
    print("p50/base = median of the query ÷ median of a primary-key fetch of one record with its resident")


if __name__ == "__main__":
    main()
