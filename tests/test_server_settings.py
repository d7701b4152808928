"""No request dropped between nginx and gunicorn (issue 21, point 7).

Two faults dropped requests under ordinary load: gunicorn's threaded worker exited with
connections it had accepted but not read (on every worker replacement, stop and reload),
and gunicorn closed idle keep-alive connections (5 s) just as a client sent its next
request on one. These tests start a real gunicorn with the shipped gunicorn.conf.py (a
tiny WSGI app below instead of the site, so no database is needed) and read the shipped
nginx configuration; `make cluster` and `make load` measure the same under load.
"""

from __future__ import annotations

import io
import os
import re
import runpy
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
NGINX_CONF = ROOT / "deploy" / "nginx" / "course-player.conf"
NGINX = "/usr/sbin/nginx"
REQUEST = b"POST /answers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\nok"


def hello(environ, start_response):
    """The app gunicorn serves here: reads the body, answers 200 (/slow: after 1 s)."""
    environ["wsgi.input"].read()
    if environ["PATH_INFO"] == "/slow":
        time.sleep(1)
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


def test_a_stopping_server_answers_the_connections_still_waiting_to_be_accepted(server):
    """A worker holding all it may (--worker-connections 2, two slow requests) leaves
    the next connection in the kernel's queue; closing the last listening socket would
    reset it."""
    gunicorn = server(GUNICORN_CMD_ARGS="--worker-connections 2")
    assert gunicorn.request().startswith(b"HTTP/1.1 200")  # the worker is serving
    slow = REQUEST.replace(b"/answers", b"/slow")
    with gunicorn.connect() as first, gunicorn.connect() as second:
        first.sendall(slow)
        second.sendall(slow)
        with gunicorn.connect() as queued:
            gunicorn.process.send_signal(signal.SIGTERM)
            assert exchange(queued).startswith(b"HTTP/1.1 200")


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


# The shipped nginx configuration ------------------------------------------------------


def directives(name: str) -> list[list[str]]:
    """Each ``name ...;`` directive of deploy/nginx/course-player.conf, as its words."""
    text = re.sub(r"#.*", "", NGINX_CONF.read_text())
    return [line.split()[1:] for line in re.findall(rf"(?m)^\s*{name}\s[^;]*", text)]


def test_nginx_never_sends_a_post_on_to_another_server():
    """A POST that reached an app server may have been recorded: sending it to the other
    one could record it twice. nginx does so only with `non_idempotent`."""
    [tried] = directives("proxy_next_upstream")
    assert "non_idempotent" not in tried
    assert {"error", "timeout"} <= set(tried)


def test_nginx_keeps_no_idle_connection_gunicorn_could_close(monkeypatch):
    """The keep-alive race needs an idle connection on both sides: nginx opens one
    connection per request, or else gunicorn keeps its own longer than nginx does."""
    keepalive = gunicorn_settings(monkeypatch)["keepalive"]
    upstream_keepalive = directives("keepalive")
    if upstream_keepalive or directives("proxy_http_version") != [["1.0"]]:
        [timeout] = directives("keepalive_timeout") or [["60s"]]
        assert keepalive > int(timeout[0].rstrip("s"))


def test_a_stopping_server_answers_for_as_long_as_nginx_waits(monkeypatch):
    """A stopped server that gave up before nginx does would drop requests nginx still
    waits for (a server that is behind holds many)."""
    [[read_timeout]] = directives("proxy_read_timeout")
    graceful_timeout = gunicorn_settings(monkeypatch)["graceful_timeout"]
    assert graceful_timeout >= int(read_timeout.rstrip("s"))


def gunicorn_settings(monkeypatch) -> dict:
    for name in ("GUNICORN_KEEPALIVE", "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


# nginx with the shipped configuration, live ------------------------------------------


class Upstream(threading.Thread):
    """A one-connection-at-a-time server on a free port that reads each request and
    either answers 200 or closes the connection without a word (a dropped request)."""

    def __init__(self, answer: bool):
        super().__init__(daemon=True)
        self.answer, self.requests = answer, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self.requests.append(conn.recv(65536).split(b" ", 1)[0].decode())
                if self.answer:
                    conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n")


@pytest.fixture
def nginx(tmp_path):
    """nginx with deploy/nginx/course-player.conf in front of an app server that drops
    every request and a backup that answers: nginx tries the backup only after the
    first dropped a request (whichever it may send there)."""
    if not Path(NGINX).exists():
        pytest.skip("needs Debian's nginx (make cluster installs it)")
    from django.core.management import call_command

    # Where nginx's workers (nobody, under root) can read: not under pytest's private folder.
    pages = Path(tempfile.mkdtemp(prefix="course-player-pages."))
    pages.chmod(0o755)
    call_command("render_error_pages", str(pages), stdout=io.StringIO())
    dropping, answering = Upstream(answer=False), Upstream(answer=True)
    port = free_port()
    (tmp_path / "nginx.conf").write_text(
        f"""
        worker_processes 1;
        error_log {tmp_path}/error.log warn;
        pid {tmp_path}/nginx.pid;
        events {{ worker_connections 64; }}
        http {{
          access_log off;
          client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
          fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi;
          scgi_temp_path {tmp_path}/scgi;
          upstream course_player {{
            server 127.0.0.1:{dropping.port} max_fails=0;
            server 127.0.0.1:{answering.port} backup;
          }}
          server {{
            listen 127.0.0.1:{port};
            set $course_player_pages {pages};
            include {NGINX_CONF};
          }}
        }}
        """
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", dropping, answering
    process.terminate()
    process.wait(10)
    dropping.sock.close()
    answering.sock.close()
    shutil.rmtree(pages)


def test_nginx_sends_a_dropped_get_on_to_the_other_server(nginx):
    url, dropping, answering = nginx
    with urllib.request.urlopen(url + "/courses/", timeout=10) as response:
        assert response.status == 200
    assert (dropping.requests, answering.requests) == (["GET"], ["GET"])


def test_nginx_never_sends_a_dropped_post_on(nginx):
    url, dropping, answering = nginx
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url + "/quizzes/1/", data=b"answer=1", timeout=10)
    assert error.value.code == 502
    assert (dropping.requests, answering.requests) == (["POST"], [])


def test_nginx_answers_its_502_with_the_sites_page(nginx):
    url, _, _ = nginx
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url + "/quizzes/1/", data=b"answer=1", timeout=10)
    page = error.value.read().decode()
    assert error.value.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Security-Policy" in error.value.headers
    assert "it may have been saved" in page
    assert "Open your course from My learning" in page
    assert "Bad Gateway" not in page


# The page nginx serves: manage.py render_error_pages ----------------------------------


def test_the_page_is_in_every_language_of_the_site_its_own_first(tmp_path):
    from django.core.management import call_command

    call_command("render_error_pages", str(tmp_path), stdout=io.StringIO())
    page = (tmp_path / "502.html").read_text()
    sections = re.findall(r'<section lang="([^"]+)"', page)
    assert sections == ["en-gb", "de"]
    assert page.startswith('<!doctype html>\n\n<html lang="en-gb">')
    assert "Zurück zu Mein Lernen" in page.split('<section lang="de"')[1]


def test_a_folder_the_page_cannot_be_written_to_is_a_clear_error(tmp_path):
    from django.core.management import CommandError, call_command

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.raises(CommandError, match=r"Could not write .*a-file/502\.html"):
        call_command("render_error_pages", str(blocked), stdout=io.StringIO())
