"""gunicorn's settings for the course player.

gunicorn reads this file by itself when started from this folder (``make serve``,
``.venv/bin/gunicorn``); options given on its command line win. Everything can be
set from the environment:

    WEB_CONCURRENCY            worker processes (default 2 x CPU cores + 1, at most 12)
    GUNICORN_THREADS           threads per worker (default 2)
    HOST, PORT                 where to listen (default 127.0.0.1:8000; HOST=0.0.0.0 in a container)
    GUNICORN_TIMEOUT           seconds a request may run before its worker is replaced (30)
    GUNICORN_GRACEFUL_TIMEOUT  seconds to finish the requests in hand on a stop or reload (60)
    GUNICORN_MAX_REQUESTS      requests a worker serves before it is replaced (1000; 0: never)
    GUNICORN_KEEPALIVE         seconds an idle connection is kept for a next request (0: none)

Access log: one JSON line per request on stdout (the app's own request log, also JSON,
joins it by ``request_id``); errors on stderr.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


wsgi_app = "config.wsgi:application"
bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{_int('PORT', 8000)}"]

# The usual rule for a CPU-light app that waits on its database: 2 x cores + 1; capped,
# since each worker holds a database connection per thread and its own memory.
MAX_WORKERS = 12
workers = _int("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, MAX_WORKERS))
# Threads: a slow request (a PDF, a big CSV) does not hold a whole process. gunicorn's
# threaded worker (gthread), changed to answer every connection it accepted before it
# exits (a replacement below, a stop or a reload): gunicorn's own resets them, and nginx
# answers a 502 for a POST it cannot retry (config/gunicorn_worker.py).
threads = _int("GUNICORN_THREADS", 2)
worker_class = "config.gunicorn_worker.DrainingThreadWorker"
timeout = _int("GUNICORN_TIMEOUT", 30)
# A stopped or reloaded server answers what it has accepted for as long as nginx waits
# for an answer (proxy_read_timeout 60 s, deploy/nginx/course-player.conf): a shorter
# wait would drop requests nginx still waits for, on a server that is behind.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 60)
# One request per connection (every response says "Connection: close"). A server that
# closes an idle connection races the client that sends its next request on it at that
# moment: the request is reset unread, a 502 behind nginx, a dropped request for a
# client without a proxy. nginx as shipped (deploy/nginx/course-player.conf) opens a
# connection per request anyway. Keep-alive only pays for a proxy that holds idle
# connections to us (nginx's upstream `keepalive`): then set this above the proxy's
# idle timeout (nginx's keepalive_timeout, 60 s by default), so the proxy closes first.
keepalive = _int("GUNICORN_KEEPALIVE", 0)
# Replace workers now and then (at different times), so a slow leak cannot grow forever;
# the worker above answers what it holds first.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = max_requests // 10

accesslog = "-"
errorlog = "-"


class JsonAccessLog(Logger):
    """The access log as JSON built by json.dumps: gunicorn's own format string would
    let a quote in a path or a user agent break the line."""

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        line = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "logger": "gunicorn.access",
            "remote_addr": environ.get("REMOTE_ADDR"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": resp.status_code,
            "bytes": getattr(resp, "sent", None),
            # Until the last byte was sent: a streamed CSV included.
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": headers.get("x-request-id"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
        }
        self.access_log.info(json.dumps(line))


logger_class = JsonAccessLog


def on_starting(server) -> None:
    # Without a key each worker would sign sessions and forms with a random key of its
    # own (config/settings.py): sign-ins and form posts would fail at random.
    if not os.environ.get("DJANGO_SECRET_KEY") and not _on("DJANGO_DEBUG"):
        raise SystemExit(
            "Set DJANGO_SECRET_KEY (the same on every server) before starting gunicorn; "
            "`make serve` passes the key in .secret_key."
        )
