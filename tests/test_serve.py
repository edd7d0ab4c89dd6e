"""`jkda serve`: the real server in a subprocess, one process or several sharing the port."""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True)  # the server's processes read what the test committed


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, *args: str, new_session: bool = False):
        self.port = _free_port()
        env = dict(os.environ, DATABASE_URL=_database_url(), JKDA_SECRET_KEY=settings.SECRET_KEY)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jkda.cli", "serve", "--port", str(self.port), *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=new_session)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            seen.append(line)
            m = re.search(pattern, line)
            if m:
                return m
        raise AssertionError(f"no line matching {pattern!r}; the server said: {seen}")

    def get(self, path: str, cookie: str = "") -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


def _state(pid: int) -> str:
    """The process's state letter from /proc ("R", "S", "Z" …), or "gone"."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return "gone"
    except OSError:  # no /proc: ask the kernel whether the pid exists at all
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "gone"
        return "?"


def _alive(pid: int) -> bool:
    """Running, not merely unreaped: a worker whose supervisor was killed is reparented to init, which reaps its
    exit when it gets round to it; until then the pid exists as a zombie that holds no socket and runs nothing."""
    return _state(pid) not in ("gone", "Z", "X")


def test_workers_share_the_port_a_dead_one_is_replaced_and_all_stop_together(city):
    client = Client()
    client.force_login(city.doctor)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    server = Server("--workers", "2", "--threads", "2")
    try:
        first = int(server.wait_for(r"工作进程 (\d+) 已启动").group(1))
        second = int(server.wait_for(r"工作进程 (\d+) 已启动").group(1))
        assert first != second and _alive(first) and _alive(second)
        for _i in range(6):  # each on a new connection: whichever worker accepts it answers the same
            status, body = server.get("/login/")
            assert status == 200 and "登录" in body
            status, body = server.get("/", cookie)  # a logged-in page: each worker has its own database connection
            assert status == 200 and "居民" in body and city.doctor.full_name in body

        os.kill(first, signal.SIGKILL)
        m = server.wait_for(r"工作进程 (\d+) 已停止（信号 9），正在启动新的工作进程")
        assert int(m.group(1)) == first
        third = int(server.wait_for(r"工作进程 (\d+) 已启动").group(1))
        assert third not in (first, second)
        for _i in range(4):
            assert server.get("/", cookie)[0] == 200

        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        deadline = time.monotonic() + 10
        while (_alive(second) or _alive(third)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(second) and not _alive(third)
        with pytest.raises(OSError):
            server.get("/login/")
    finally:
        server.stop()


def test_workers_do_not_outlive_a_supervisor_killed_outright():
    server = Server("--workers", "2", "--threads", "1")
    try:
        pids = [int(server.wait_for(r"工作进程 (\d+) 已启动").group(1)) for _i in range(2)]
        server.proc.kill()  # SIGKILL: no chance to stop its workers itself
        server.proc.wait(timeout=30)
        deadline = time.monotonic() + 30  # a loaded machine: each worker ends within a second or two of SIGTERM
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(p) for p in pids), {p: _state(p) for p in pids}
        with pytest.raises(OSError):
            server.get("/login/")
    finally:
        server.stop()


def test_ctrl_c_stops_every_worker_and_starts_none():
    """Ctrl-C in a terminal signals the whole process group: the supervisor stops its workers, none is replaced."""
    server = Server("--workers", "2", "--threads", "1", new_session=True)
    try:
        pids = [int(server.wait_for(r"工作进程 (\d+) 已启动").group(1)) for _i in range(2)]
        assert server.get("/login/")[0] == 200
        os.killpg(server.proc.pid, signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0
        time.sleep(0.5)
        said = []
        while not server.lines.empty():
            said.append(server.lines.get())
        assert not any("已启动" in line or "已停止" in line for line in said), said
        assert not any(_alive(p) for p in pids)
    finally:
        server.stop()


def test_a_stopping_server_finishes_the_request_in_progress():
    """SIGTERM while a request is being served: its answer still goes out whole, then the process ends; a new
    connection is no longer accepted by it."""
    import select

    from jkda.web import server as web_server

    entered_r, entered_w = os.pipe()

    def slow_app(environ, start_response):
        os.write(entered_w, b"x")
        time.sleep(2.5)  # an export being written: longer than waitress waits for its threads when it stops
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"saved"]

    sock = web_server.bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    pid = os.fork()
    if pid == 0:  # the server
        try:
            web_server.serve_until_stopped(slow_app, sock, threads=2, grace=10)
        finally:
            os._exit(0)
    sock.close()  # only the server listens
    answer = {}

    def ask():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("POST", "/", body=b"form")
        response = conn.getresponse()
        answer["status"], answer["body"] = response.status, response.read()

    try:
        client = threading.Thread(target=ask)
        client.start()
        assert select.select([entered_r], [], [], 20)[0], "the request never reached the app"
        os.kill(pid, signal.SIGTERM)  # while the app is still working on it
        client.join(30)
        assert answer == {"status": 200, "body": b"saved"}
        _pid, code = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(code) == 0
        with pytest.raises(OSError):
            http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/")
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(entered_r)
        os.close(entered_w)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_a_message_not_a_traceback(workers):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = dict(os.environ, DATABASE_URL=_database_url())
        out = subprocess.run([sys.executable, "-m", "jkda.cli", "serve", "--port", str(port), "--workers", workers],
                             env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert f"无法监听 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr + out.stdout


def test_bad_worker_counts_are_refused():
    out = subprocess.run([sys.executable, "-m", "jkda.cli", "serve", "--workers", "0"],
                         env=dict(os.environ, DATABASE_URL=_database_url()), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 1 and "--workers 和 --threads 至少为 1" in out.stderr
