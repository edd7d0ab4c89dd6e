"""Timing helpers the benchmarks share (each script runs as `python bench/<script>.py`, so this directory is on
the import path)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0–1) of the values, nearest rank (NaN for none)."""
    if not values:
        return float("nan")
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[k]


def timed(fn, n: int) -> list[float]:
    """Milliseconds of n calls of fn."""
    out = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def open_synth_database(scenario: str) -> None:
    """Point Django at bench/out/synth-<scenario>.sqlite3 (unless DATABASE_URL names a database) and set it up;
    exits with a message when that file has not been built yet."""
    if not os.environ.get("DATABASE_URL"):
        path = Path(__file__).resolve().parent / "out" / f"synth-{scenario}.sqlite3"
        if not path.exists():
            sys.exit(f"{path} does not exist: run bench/bench_synth.py --scenario {scenario} first")
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jkda.settings")
    import django

    django.setup()
