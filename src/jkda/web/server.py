"""`jkda serve`: waitress, in one process or in several forked from one that has loaded the app.

One Python process runs Python on one core at a time (the interpreter lock), however many threads it has; on a
two-core machine a second process doubles what the server can compute. `serve_forked` binds the listening socket,
loads the application (settings, URL configuration, middleware, WhiteNoise's index of static files) and freezes
the objects it made out of the garbage collector's sight (`gc.freeze`, as Python's documentation recommends before
forking), then forks `workers` processes that each run waitress with its own thread pool on that shared socket:
the kernel hands each new connection to whichever process accepts it first. The parent only supervises: a worker
that dies is replaced; Ctrl-C or SIGTERM stops them all, and a supervisor killed outright takes its workers with
it (PR_SET_PDEATHSIG). No database connection crosses the fork (they are closed
first; each worker opens its own).
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
import time
from collections import deque

from django.utils.translation import gettext as _

# a worker that keeps dying at once (a broken setting, a port it cannot use) must not be restarted forever
RESPAWN_WINDOW = 10.0  # seconds
RESPAWN_LIMIT = 5  # deaths within the window that stop the server


class ServerError(Exception):
    """The server cannot run; the message says why, in the user's language."""


def load_application():
    """The WSGI application with its middleware loaded, as every request will use it."""
    from jkda.wsgi import application

    return application


def serve_single(application, *, host: str, port: int, threads: int) -> None:
    from waitress import serve

    sock = bind(host, port)  # a port in use is a clear message, not a traceback
    gc.freeze()  # the loaded app lives as long as the process: the collector need not walk it again and again
    serve(application, sockets=[sock], threads=threads)


def bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        raise ServerError(_("Cannot listen on %(host)s:%(port)s: %(err)s") % {
            "host": host, "port": port, "err": exc.strerror or exc}) from exc


def _die_with(parent: int) -> None:
    """Have the kernel send this process SIGTERM when its parent dies, however it dies (kill -9 included), so that
    no worker keeps serving the port without its supervisor (Linux; elsewhere nothing happens)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(0)


def _worker(application, sock: socket.socket, threads: int, parent: int) -> None:
    """In a forked child: serve until killed. Never returns into the parent's code."""
    status = 0
    try:
        # Ctrl-C reaches the whole process group: the supervisor handles it and stops the workers itself (else it
        # might see a worker die of it first and start another)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with(parent)
        from waitress import serve

        serve(application, sockets=[sock], threads=threads, _quiet=True)
    except BaseException:  # noqa: BLE001 - whatever it was, it is printed and this child ends
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


class _Stop(Exception):
    pass


def serve_forked(application, *, host: str, port: int, threads: int, workers: int, say=print) -> int:
    """Run `workers` waitress processes on one socket until stopped; returns the exit status."""
    if not hasattr(os, "fork"):
        raise ServerError(_("--workers needs a system with fork (Linux); run one process instead."))
    from django.db import connections

    sock = bind(host, port)
    connections.close_all()  # no connection may be shared by two processes
    gc.freeze()  # the loaded app: shared by the workers' memory pages, never collected
    children: dict[int, float] = {}
    deaths: deque[float] = deque(maxlen=RESPAWN_LIMIT)

    parent = os.getpid()

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            _worker(application, sock, threads, parent)
        children[pid] = time.monotonic()
        say(_("worker %(pid)d started") % {"pid": pid})

    def stop(signum, _frame):
        raise _Stop(signum)

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    status = 0
    try:
        for _i in range(workers):
            spawn()
        while children:
            pid, code = os.wait()
            if pid not in children:
                continue
            children.pop(pid)
            now = time.monotonic()
            deaths.append(now)
            say(_("worker %(pid)d stopped (%(how)s); starting another") % {"pid": pid, "how": _describe(code)})
            if len(deaths) == RESPAWN_LIMIT and now - deaths[0] < RESPAWN_WINDOW:
                say(_("%(n)d workers stopped within %(s)d seconds: the server stops. See the messages above.") % {
                    "n": RESPAWN_LIMIT, "s": int(RESPAWN_WINDOW)})
                status = 1
                break
            spawn()
    except _Stop:
        pass
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for pid in list(children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        sock.close()
    return status


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return _("signal %(n)d") % {"n": os.WTERMSIG(code)}
    return _("exit code %(n)d") % {"n": os.waitstatus_to_exitcode(code)}
