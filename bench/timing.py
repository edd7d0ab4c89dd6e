"""Timing helpers the benchmarks share (each script runs as `python bench/<script>.py`, so this directory is on
the import path)."""

from __future__ import annotations

import time


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
