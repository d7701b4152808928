"""The cache and the session engine, chosen from one URL (CACHE_URL or REDIS_URL).

Several app servers behind a load balancer share nothing but the database and
the cache, so anything kept in the cache (sessions, throttling counters, cached
pages) must live in one shared cache, Redis here. Without a URL each process
keeps its own local-memory cache, which is right for one server and for tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_SCHEMES = {"redis", "rediss", "unix"}  # TCP, TCP over TLS, a unix socket

LOCAL_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "course-player",
}


@dataclass(frozen=True)
class CacheSettings:
    caches: dict
    session_engine: str


def cache_url(environ: Mapping[str, str]) -> str:
    """CACHE_URL, else REDIS_URL (the name most Redis hosts set), else empty."""
    return (environ.get("CACHE_URL") or environ.get("REDIS_URL") or "").strip()


def cache_settings(url: str) -> CacheSettings:
    """CACHES and SESSION_ENGINE for ``url``: ``redis://host:6379/0``,
    ``rediss://…`` (TLS) or ``unix:///path/redis.sock?db=0`` give Django's own
    RedisCache with sessions in ``cached_db``; an empty URL gives local memory
    with sessions in the database."""
    if not url:
        # Sessions stay in the database alone: a per-process local-memory cache in
        # front of them would serve a stale session (a sign-out, a login) to the
        # other processes and servers, each holding its own copy.
        return CacheSettings(
            caches={"default": dict(LOCAL_CACHE)},
            session_engine="django.contrib.sessions.backends.db",
        )
    scheme = urlsplit(url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ImproperlyConfigured(
            "CACHE_URL must start with redis://, rediss:// or unix:// "
            f"(its scheme is {scheme!r}; the rest is not shown, it may hold a password)."
        )
    return CacheSettings(
        caches={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                # A Redis that stops answering fails a request within seconds
                # instead of holding a worker until the load balancer gives up.
                "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
            }
        },
        # Sessions are read from the shared cache and written through to the
        # database, so they survive a Redis restart and any app server reads them.
        session_engine="django.contrib.sessions.backends.cached_db",
    )
