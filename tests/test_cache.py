"""The shared cache: settings parsed from CACHE_URL, and a real Redis behind them.

The Redis tests start Debian's redis-server on a unix socket in a temporary
folder (`make test` installs it when missing) and stop it afterwards.
"""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings
from django.urls import reverse

from config.cache import cache_settings, cache_url
from tests.conftest import PASSWORD

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
CACHED_DB = "django.contrib.sessions.backends.cached_db"


def test_no_url_keeps_a_local_memory_cache_and_database_sessions():
    chosen = cache_settings("")
    assert chosen.caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert chosen.session_engine == "django.contrib.sessions.backends.db"


def test_a_redis_url_selects_djangos_redis_cache_and_cached_db_sessions():
    chosen = cache_settings("redis://127.0.0.1:6379/0")
    assert chosen.caches["default"]["BACKEND"] == REDIS_CACHE
    assert chosen.caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/0"
    assert chosen.session_engine == CACHED_DB


def test_a_unix_socket_url_selects_redis():
    chosen = cache_settings("unix:///run/redis/redis.sock?db=2")
    assert chosen.caches["default"]["BACKEND"] == REDIS_CACHE
    assert chosen.caches["default"]["LOCATION"] == "unix:///run/redis/redis.sock?db=2"


def test_a_tls_url_selects_redis():
    assert cache_settings("rediss://:secret@cache.example.com:6380/0").session_engine == CACHED_DB


def test_an_unknown_scheme_is_refused_without_showing_the_password():
    with pytest.raises(ImproperlyConfigured, match="redis://") as refused:
        cache_settings("memcached://user:hunter2@cache:11211")
    assert "hunter2" not in str(refused.value)


def test_cache_url_wins_over_redis_url():
    environ = {"CACHE_URL": "redis://a:6379/0", "REDIS_URL": "redis://b:6379/0"}
    assert cache_url(environ) == "redis://a:6379/0"


def test_redis_url_is_read_when_cache_url_is_absent():
    assert cache_url({"REDIS_URL": "redis://b:6379/0"}) == "redis://b:6379/0"


@pytest.fixture(scope="module")
def redis_socket():
    """A private redis-server on a unix socket (no TCP port), stopped after the module."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian redis-server; `make test` installs it)")
    # A short folder of our own: a unix socket path must stay under 108 bytes.
    folder = Path(tempfile.mkdtemp(prefix="cp-redis-"))
    socket = folder / "redis.sock"
    process = subprocess.Popen(
        [server, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(folder), "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        client = redis.Redis(unix_socket_path=str(socket))
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        client.close()
        yield socket
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_socket):
    """Django's cache and sessions pointed at the private Redis, emptied after each test."""
    url = f"unix://{redis_socket}?db=0"
    chosen = cache_settings(url)
    with override_settings(CACHES=chosen.caches, SESSION_ENGINE=chosen.session_engine):
        yield url
        cache.clear()


def test_django_cache_stores_and_reads_values_in_redis(redis_url):
    cache.set("greeting", {"text": "hello"}, timeout=60)
    assert cache.get("greeting") == {"text": "hello"}
    # Django's own client wrote it: a plain Redis client sees the key on the server.
    assert redis.Redis.from_url(redis_url).keys("*greeting")


def test_a_session_written_by_one_client_is_read_by_another_through_redis(redis_url, learner):
    first, second = Client(), Client()
    response = first.post(reverse("login"), {"username": learner.username, "password": PASSWORD})
    assert response.status_code == 302
    session_key = first.cookies[settings.SESSION_COOKIE_NAME].value
    # cached_db put the session in Redis (as well as in the database).
    assert redis.Redis.from_url(redis_url).keys(f"*django.contrib.sessions.cached_db{session_key}")

    second.cookies[settings.SESSION_COOKIE_NAME] = session_key  # another server, the same cookie
    response = second.get(reverse("courses:my_learning"))
    assert response.status_code == 200
    assert response.wsgi_request.user == learner
