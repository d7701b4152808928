"""No request dropped between nginx and gunicorn (issue 21, point 7).

Two faults dropped requests under ordinary load: gunicorn's threaded worker exited with
connections it had accepted but not read (on every worker replacement, stop and reload),
and gunicorn closed idle keep-alive connections (5 s) just as a client sent its next
request on one. These tests start a real gunicorn with the shipped gunicorn.conf.py (a
tiny WSGI app below instead of the site, so no database is needed) and read the shipped
nginx configuration; `make cluster` and `make load` measure the same under load.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
NGINX_CONF = ROOT / "deploy" / "nginx" / "course-player.conf"
REQUEST = b"POST /answers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nok"


def hello(environ, start_response):
    """The app gunicorn serves here: reads the body, answers 200."""
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
    return [b"ok\n"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn.conf.py with one worker, serving ``hello`` on a free port."""

    def __init__(self, tmp_path: Path, **env: str):
        self.port = free_port()
        self.log = tmp_path / "gunicorn.log"
        environment = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_"))},
            "DJANGO_SECRET_KEY": "k" * 50,
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            "GUNICORN_GRACEFUL_TIMEOUT": "10",
            **env,
        }
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [str(GUNICORN), "tests.test_server_settings:hello"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.worker = self._wait_for_worker()

    def _wait_for_worker(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            booted = re.findall(r"Booting worker with pid: (\d+)", self.log.read_text())
            if booted:
                return int(booted[0])
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not start:\n{self.log.read_text()}")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def request(self) -> bytes:
        with self.connect() as sock:
            return exchange(sock)

    def wait_until_worker_exits(self, seconds: float) -> None:
        """Until the first worker has exited, or ``seconds`` have passed (it may not)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and Path(f"/proc/{self.worker}").exists():
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def exchange(sock: socket.socket) -> bytes:
    """Send REQUEST on ``sock`` and read until the server closes: the response, or b""
    (or a reset) when the request was dropped."""
    try:
        sock.sendall(REQUEST)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except ConnectionResetError:
        return b""


@pytest.fixture
def server(tmp_path, request):
    servers = []

    def start(**env):
        servers.append(Gunicorn(tmp_path, **env))
        return servers[-1]

    yield start
    for started in servers:
        started.stop()


# The worker: every accepted connection is answered ----------------------------------


def held_connection(gunicorn: Gunicorn) -> socket.socket:
    """A connection the worker has accepted and holds, with no request yet: connected
    before another request, which the worker answers after accepting the first (its
    listening socket's queue is first in, first out)."""
    held = gunicorn.connect()
    assert gunicorn.request().startswith(b"HTTP/1.1 200")
    return held


def test_a_worker_being_replaced_answers_the_connections_it_accepted(server):
    gunicorn = server(GUNICORN_MAX_REQUESTS="2")
    held = held_connection(gunicorn)  # request 1
    assert gunicorn.request().startswith(b"HTTP/1.1 200")  # request 2: it is replaced
    gunicorn.wait_until_worker_exits(3)
    with held:
        assert exchange(held).startswith(b"HTTP/1.1 200")


def test_a_stopping_server_answers_the_connections_it_accepted(server):
    gunicorn = server()
    held = held_connection(gunicorn)
    gunicorn.process.send_signal(signal.SIGTERM)  # a stop, as `make cluster` does
    gunicorn.wait_until_worker_exits(3)
    with held:
        assert exchange(held).startswith(b"HTTP/1.1 200")


def test_gunicorns_own_threaded_worker_drops_them(server):
    """Why config/gunicorn_worker.py exists (gunicorn issue #3038): when this fails,
    gunicorn's own worker answers too, and ours can go."""
    gunicorn = server(GUNICORN_MAX_REQUESTS="2", GUNICORN_CMD_ARGS="--worker-class gthread")
    held = held_connection(gunicorn)
    assert gunicorn.request().startswith(b"HTTP/1.1 200")
    gunicorn.wait_until_worker_exits(3)
    with held:
        assert exchange(held) == b""


# Keep-alive: gunicorn never closes a connection a client may be reusing --------------


def test_every_response_closes_its_connection(server):
    """No idle connection is left for gunicorn to close while a client reuses it."""
    response = server().request()
    assert re.search(rb"\r\nConnection: close\r\n", response)
