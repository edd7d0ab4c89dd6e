"""Benchmark: the search page and the record page through the real server (`jkda serve`) under concurrent users.

    .venv/bin/python bench/bench_synth.py --scenario L        # first: build bench/out/synth-L.sqlite3
    .venv/bin/python bench/bench_http.py --scenario L --users 50 --think-ms 1000 --workers 2
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/jkda_bench_synth .venv/bin/python bench/bench_http.py

bench_search.py calls the search function and Django's test client inside its own processes; this one starts
`jkda serve --workers W --threads T` (waitress, as deployed) on a free port and sends it HTTP requests from a
separate process: every user is a thread with its own keep-alive connection and its own logged-in sessions (one as
the city bureau, one as a doctor of the busiest centre, the two users bench_search samples), and asks for
`/?q=<query>` (the resident list's search as its page asks for it with htmx while the user types or submits:
the results, the filters checked, the audit entry written; --full-pages: the whole page, as without scripts) or
`/records/<number>/` (the whole record). Queries are the same as bench_search's: for each sampled record its ID
number, last six of it, name, pinyin initials, full pinyin, record number, last eight of it, phone, and the
record's page. Think times between a user's requests are exponential with mean --think-ms; users start at random
moments within the first one. The time of a request is from sending it to having read the whole response.

Prints p50 / p95 / max in milliseconds per kind of request and user, one at a time and under load, the steady
state (while every user was active), the server processes' CPU seconds, and the ratio of each p50 to a baseline
measured in this process: fetching one record with its resident by primary key. Times are reported, never asserted.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent / "src"))

from bench_search import KINDS, _baseline, sample  # noqa: E402
from timing import open_synth_database, pct  # noqa: E402

HTMX = {"HX-Request": "true", "HX-Target": "results", "HX-Current-URL": "/"}
FULL_PAGES = False  # --full-pages: searches fetch the whole page, as without scripts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    cmd = [sys.executable, "-c", "from jkda.cli import main; main()", "serve", "--port", str(port),
           "--workers", str(workers), "--threads", str(threads)]
    env = dict(os.environ, PYTHONPATH=str(HERE.parent / "src"))
    log = OUT / "bench_http_server.log"  # a file, not a pipe: a pipe nobody reads would stall the server
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server stopped at once:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login/")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("the server did not answer within 120 s")


def server_cpu(proc: subprocess.Popen) -> float:
    """CPU seconds (user + system) of the server's processes so far: the supervisor and its workers."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [proc.pid]
    try:
        for task in os.listdir(f"/proc/{proc.pid}/task"):
            with open(f"/proc/{proc.pid}/task/{task}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def session_cookie(user) -> str:
    """A new logged-in session of `user`, as a browser holds it after logging in: the Cookie header."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def url_of(kind: str, q: str) -> str:
    return f"/records/{q}/" if kind == "record_page" else f"/?q={quote(q)}"


class Browser:
    """One user's keep-alive connection to the server."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port = port
        self.cookies = cookies
        self.conn = None

    def get(self, user_name: str, kind: str, q: str) -> float:
        path = url_of(kind, q)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                headers = {"Cookie": self.cookies[user_name]}
                if kind != "record_page" and not FULL_PAGES:
                    headers.update(HTMX)  # what the page's search box sends as the user types or submits
                self.conn.request("GET", path, headers=headers)
                response = self.conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()  # the server closed an idle keep-alive connection: open another, once
                self.conn = None
                if attempt == 2:
                    raise
                continue
            ms = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise SystemExit(f"GET {path} as {user_name}: HTTP {response.status}")
            if kind == "record_page" and q.encode() not in body:
                raise SystemExit(f"GET {path} as {user_name}: the page does not show the record number")
            return ms
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def report(title: str, plans: dict, results: dict, base_p50: float) -> None:
    print()
    print(title)
    header = f"{'user':<11} {'request':<14} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p50/base':>9}"
    print(header)
    print("-" * len(header))
    for user_name in plans:
        for kind in KINDS:
            ms = results.get((user_name, kind), [])
            if ms:
                p50 = pct(ms, 0.5)
                print(f"{user_name:<11} {kind:<14} {len(ms):>5} {p50:>8.2f} {pct(ms, 0.95):>8.2f} {max(ms):>8.2f} "
                      f"{p50 / base_p50:>9.1f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="L", choices=["S", "M", "L"],
                        help="which bench/out/synth-<scenario>.sqlite3 to read (when DATABASE_URL is not set)")
    parser.add_argument("--queries", type=int, default=100, help="sampled records per user (9 requests each)")
    parser.add_argument("--users", type=int, default=50, help="concurrent users of the load run (0: skip it)")
    parser.add_argument("--think-ms", type=float, default=1000, help="mean pause between a user's requests")
    parser.add_argument("--workers", type=int, default=2, help="server processes (jkda serve --workers)")
    parser.add_argument("--threads", type=int, default=8, help="threads per server process (jkda serve --threads)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--full-pages", action="store_true",
                        help="searches fetch the whole resident list page (as a browser without scripts does) "
                             "instead of the results that htmx swaps in as the user types or submits")
    args = parser.parse_args(argv)
    global FULL_PAGES
    FULL_PAGES = args.full_pages

    open_synth_database(args.scenario)
    from django.db import connection

    rng, total, max_id, doctor, visible, scope_count, plans = sample(args.queries, args.seed)
    base_ids = rng.sample(range(1, max_id + 1), min(500, max_id))
    _baseline(base_ids[:50])
    baseline = _baseline(base_ids)
    base_p50 = pct(baseline, 0.5)
    n_users = max(1, args.users)
    cookies = [{name: session_cookie(user) for name, (user, _q) in plans.items()} for _i in range(n_users)]
    connection.close()

    port = free_port()
    server = start_server(port, args.workers, args.threads)
    try:
        print(f"bench_http  database: {connection.vendor}  records: {total:,}  doctor {doctor.username} sees "
              f"{scope_count:,} records in {len(visible)} institutions  cores: {os.cpu_count()}  server: jkda serve "
              f"--workers {args.workers} --threads {args.threads}  searches: "
              f"{'whole pages' if FULL_PAGES else 'htmx results'}")
        print(f"baseline (one record + resident by primary key, in this process): p50 {base_p50:.3f} ms, "
              f"p95 {pct(baseline, 0.95):.3f} ms over {len(baseline)} lookups")
        jobs = [(name, kind, q) for name, (_u, queries) in plans.items() for kind, q in queries]

        # warm-up: each server process and its threads open their connections, the database's cache fills
        browser = Browser(port, cookies[0])
        for name, kind, q in jobs[:60]:
            browser.get(name, kind, q)

        # one request at a time
        single: dict[tuple[str, str], list[float]] = defaultdict(list)
        cpu0 = server_cpu(server)
        for name, kind, q in jobs:
            single[(name, kind)].append(browser.get(name, kind, q))
        browser.close()
        cpu_single = server_cpu(server) - cpu0
        report(f"one request at a time ({len(jobs)} requests, server CPU {1000 * cpu_single / len(jobs):.1f} ms "
               f"per request)", plans, single, base_p50)

        if args.users:
            rng.shuffle(jobs)
            shares = [jobs[i::n_users] for i in range(n_users)]
            rows, lock = [], threading.Lock()

            def user(k: int) -> None:
                r = random.Random(args.seed * 1000 + k)
                b = Browser(port, cookies[k])
                mine = []
                if args.think_ms:
                    time.sleep(r.uniform(0, args.think_ms) / 1000)
                for name, kind, q in shares[k]:
                    at = time.monotonic()
                    ms = b.get(name, kind, q)
                    mine.append((name, kind, ms, at, k))
                    if args.think_ms:
                        time.sleep(r.expovariate(1 / args.think_ms) / 1000)
                b.close()
                with lock:
                    rows.extend(mine)

            cpu0 = server_cpu(server)
            started = time.perf_counter()
            threads = [threading.Thread(target=user, args=(k,)) for k in range(n_users)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - started
            cpu_load = server_cpu(server) - cpu0
            if len(rows) != len(jobs):
                sys.exit(f"only {len(rows)} of {len(jobs)} requests were answered: see the messages above")
            loaded: dict[tuple[str, str], list[float]] = defaultdict(list)
            for name, kind, ms, _at, _k in rows:
                loaded[(name, kind)].append(ms)
            every = [ms for _n, _kd, ms, _at, _k in rows]
            firsts, lasts = defaultdict(lambda: float("inf")), defaultdict(float)
            for _n, _kd, ms, at, k in rows:
                firsts[k] = min(firsts[k], at)
                lasts[k] = max(lasts[k], at + ms / 1000)
            lo, hi = max(firsts.values()), min(lasts.values())
            steady = [ms for _n, _kd, ms, at, _k in rows if lo <= at and at + ms / 1000 <= hi]
            report(f"{n_users} concurrent users, a mean {args.think_ms:g} ms pause between a user's requests: "
                   f"{len(rows)} requests in {wall:.1f} s = {len(rows) / wall:,.0f} requests/s; all requests p50 "
                   f"{pct(every, .5):.1f} ms, p95 {pct(every, .95):.1f} ms; server CPU {cpu_load:.1f} s "
                   f"({100 * cpu_load / wall / (os.cpu_count() or 1):.0f} % of the machine's cores)",
                   plans, loaded, base_p50)
            if steady and hi > lo:
                print(f"while all {n_users} users were active ({hi - lo:.1f} s): {len(steady)} requests = "
                      f"{len(steady) / (hi - lo):,.0f} requests/s, p50 {pct(steady, .5):.1f} ms, p95 "
                      f"{pct(steady, .95):.1f} ms")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    print()
    print("p50/base = median of the request ÷ median of a primary-key fetch of one record with its resident")


if __name__ == "__main__":
    main()
