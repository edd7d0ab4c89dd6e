"""For bulk loads that hand blocks of rows from forked processes to a writing one through multiprocessing queues
(`exchange.residents`: validation workers and the writer): the garbage collector paused while they run, and pipes
wide enough for their blocks.

`jkda synth` hands its chunks over the same way, but neither helps it (scenario M, three runs each, alternating:
30.3 / 31.2 / 31.7 s before, 30.0 / 31.7 / 31.9 s with both), so it does not use them.
"""

from __future__ import annotations

import contextlib
import gc

PIPE_BYTES = 1 << 20  # Linux's largest pipe an unprivileged process may ask for (/proc/sys/fs/pipe-max-size)


@contextlib.contextmanager
def collector_paused():
    """The cyclic garbage collector's automatic runs off, and every object that exists now frozen out of its reach,
    while a bulk load runs; call `collect_young` between chunks.

    A bulk load allocates a few dozen objects per row (cells, parsed values, prepared database rows, the rows
    unpickled from the other process) and keeps a chunk of them alive at a time, so the automatic collector ran
    every 700 allocations and, every tenth of those, went through everything Django had loaded as well: unpickling
    a validated row cost the import's writer 15.8 µs with it, 4.2 µs without (docs/import.md, 速度). Nothing these
    loads build holds a cycle worth waiting for, and what might is collected between chunks. Freezing before the
    other process forks also keeps its inherited pages shared (the gc module's advice for forking servers).

    The collector is process-wide: this is meant for a process that imports (`jkda import`), not for a thread of the
    web server. Nested or overlapping uses leave it as the first one found it."""
    was_enabled = gc.isenabled()
    gc.disable()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def collect_young() -> None:
    """Between chunks (or blocks, in a forked process): what the two young generations hold that is garbage."""
    gc.collect(1)


def widen_pipe(q) -> None:
    """Let a multiprocessing queue's pipe hold a whole block (an import's validated block is about 250 KB pickled)
    instead of 64 KB. Through a narrow pipe the sending process's queue thread writes a block in pieces, and before
    each piece it waits for the GIL that the process's working thread holds for up to 5 ms at a time, while the
    receiver waits on the pipe. Measured on the import at 100,000 rows: its wall time over the writing process's CPU
    time 1.31 → 1.20 (docs/import.md, 速度). Where the pipe cannot be widened (not Linux, a lower limit), nothing
    changes but the speed."""
    try:
        import fcntl

        fcntl.fcntl(q._writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass
