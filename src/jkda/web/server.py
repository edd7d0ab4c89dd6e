"""`jkda serve`: waitress, in one process or in several forked from one that has loaded the app.

One Python process runs Python on one core at a time (the interpreter lock), however many threads it has; on a
two-core machine a second process doubles what the server can compute. `serve_forked` binds the listening socket,
loads the application (settings, URL configuration, middleware, WhiteNoise's index of static files) and freezes
the objects it made out of the garbage collector's sight (`gc.freeze`, as Python's documentation recommends before
forking), then forks `workers` processes that each run waitress with its own thread pool on that shared socket:
the kernel hands each new connection to whichever process accepts it first. The parent only supervises: a worker
that dies is replaced; Ctrl-C or SIGTERM stops them all, each finishing the requests it is serving first
(`serve_until_stopped`), and a supervisor killed outright takes its workers with it (PR_SET_PDEATHSIG). No
database connection crosses the fork (they are closed first; each worker opens its own).
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
GRACE = 30.0  # seconds a stopping worker gives the requests in progress


class ServerError(Exception):
    """The server cannot run; the message says why, in the user's language."""


def load_application():
    """The WSGI application with its middleware loaded, as every request will use it."""
    from jkda.wsgi import application

    return application


def serve_single(application, *, host: str, port: int, threads: int) -> None:
    sock = bind(host, port)  # a port in use is a clear message, not a traceback
    gc.freeze()  # the loaded app lives as long as the process: the collector need not walk it again and again
    serve_until_stopped(application, sock, threads, signals=(signal.SIGTERM, signal.SIGINT))
    sock.close()


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


def serve_until_stopped(application, sock: socket.socket, threads: int, grace: float = GRACE,
                        signals: tuple = (signal.SIGTERM,)) -> None:
    """waitress on `sock` until SIGTERM, then a graceful stop: accept nothing more (the other workers still do),
    close idle keep-alive connections, let the requests in progress finish and their answers go out (up to `grace`
    seconds), then return. A request cut in the middle would leave its user not knowing whether a form was saved."""
    from waitress.channel import HTTPChannel
    from waitress.server import create_server

    server = create_server(application, sockets=[sock], threads=threads)
    stop = []
    for signum in signals:
        signal.signal(signum, lambda *_args: stop.append(True))
    loop, poll, channels = server.asyncore.loop, server.adj.asyncore_use_poll, server._map
    while not stop:
        loop(timeout=0.5, map=channels, use_poll=poll, count=1)
    server.del_channel()  # the listening socket leaves this worker's loop
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        busy = False
        for channel in list(channels.values()):
            if not isinstance(channel, HTTPChannel):
                continue
            if channel.requests or channel.request is not None or channel.total_outbufs_len:
                busy = True
            else:
                channel.close()  # idle keep-alive: the client reconnects (to another worker)
        if not busy:
            break
        loop(timeout=0.1, map=channels, use_poll=poll, count=1)
    server.task_dispatcher.shutdown(timeout=1)


def _worker(application, sock: socket.socket, threads: int, parent: int) -> None:
    """In a forked child: serve until stopped. Never returns into the parent's code."""
    status = 0
    try:
        # Ctrl-C reaches the whole process group: the supervisor handles it and stops the workers itself (else it
        # might see a worker die of it first and start another)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)
        serve_until_stopped(application, sock, threads)
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
        deadline = time.monotonic() + GRACE + 5
        while children and time.monotonic() < deadline:  # each finishes its requests in progress (GRACE)
            try:
                pid, _code = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                children.pop(pid, None)
            else:
                time.sleep(0.05)
        for pid in children:  # still not done: no more waiting
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        sock.close()
    return status


def _describe(code: int) -> str:
    if os.WIFSIGNALED(code):
        return _("signal %(n)d") % {"n": os.WTERMSIG(code)}
    return _("exit code %(n)d") % {"n": os.waitstatus_to_exitcode(code)}
