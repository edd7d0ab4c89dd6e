"""Synthetic services and programs, added by the apps that own them.

After the city, its residents and records are written, `generate()` calls every registered extension in order
with a `Context`. An extension reads what it needs from the database (set-based: values_list over residents and
records), draws from its own seeded random generator (`ctx.rng(label)`: the same seed gives the same data), writes
its rows with `ctx.writer(Model, columns)` (fast INSERT/COPY, no per-row save) in chunks, each in its own
transaction, and adds its counts to `ctx.counts` (printed by `jkda synth`).

Register in the app's AppConfig.ready:

    from jkda.synth.extensions import register
    register("chronic", generate_chronic, order=20)
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

_EXTENSIONS: list[tuple[int, str, Callable]] = []


@dataclass
class Context:
    seed: int
    scenario: str
    as_of: dt.date
    counts: dict[str, int] = field(default_factory=dict)

    def rng(self, label: str) -> random.Random:
        from .generator import _rng

        return _rng(self.seed, label)

    def writer(self, model, columns: list[str]):
        from .generator import TableWriter

        return TableWriter(model, columns)

    def add(self, name: str, n: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


def reset_sequences(models) -> None:
    """After rows were written with explicit ids: move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    from django.core.management.color import no_style
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(sql)


def register(name: str, fn: Callable[[Context], None], order: int = 100) -> None:
    if any(n == name for _o, n, _f in _EXTENSIONS):
        return
    _EXTENSIONS.append((order, name, fn))
    _EXTENSIONS.sort(key=lambda t: (t[0], t[1]))


def run(ctx: Context) -> None:
    for _order, _name, fn in list(_EXTENSIONS):
        fn(ctx)


def names() -> list[str]:
    return [n for _o, n, _f in _EXTENSIONS]
