"""HTTP benchmark: `make bench-http` (and the second half of `make bench`).

The course player under gunicorn with production settings (DEBUG off, collected
static files, the repo's gunicorn.conf.py) and a bare `startproject` hello view
(bench/hello) under the same gunicorn and options, both started here on free
loopback ports and stopped at the end. Each page is measured with Debian's `wrk`
right next to the hello (hello then page, page then hello on the next round, so
drift on a shared machine hits both), for several rounds; the figures are the
median over rounds of page/hello throughput and page/hello p99 latency. The
dashboard and the CSV export also get the peak memory growth of the worker that
served them (VmHWM after one request minus VmRSS before, peaks reset first): on the
first, cold request, and the median of 3 warm ones ("mem MB" first/warm).

    .venv/bin/python bench/http_bench.py [--db sqlite|postgres|both] [--quick] [--json FILE]

Environment (defaults): BENCH_DB=sqlite, BENCH_HTTP_ROUNDS=3, BENCH_HTTP_SECONDS=4,
BENCH_CONNECTIONS=16 (wrk -t2 -c16), BENCH_WORKERS=2 (gunicorn workers; threads from
gunicorn.conf.py, GUNICORN_THREADS), BENCH_TEAM=2000, BENCH_EXPORT=10000.
--quick: 1 round of 1 s, a team of 100 and an export of 200, for a smoke run.
PostgreSQL comes from scripts/with-postgres (a throwaway server), SQLite is a file
in a temporary folder; the work tree's database is never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
HELLO = ROOT / "bench" / "hello"

# The targets (issue 14), per page: (least throughput ratio, most p99 ratio).
TARGETS = {
    "My learning": (0.25, 4.0),
    "course": (0.25, 4.0),
    "lesson": (0.25, 4.0),
    "quiz,": (0.15, None),
    "quiz result": (0.15, None),
}
MEMORY_TARGET_MB = 50

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(text: str) -> dict:
    """wrk --latency's report as numbers: requests/s, p50 and p99 in ms, requests,
    and errors (socket errors plus non-2xx/3xx answers)."""

    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
        return float(number) * _UNITS[unit]

    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if rps is None:
        raise ValueError(f"not a wrk report:\n{text}")
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)", text, re.M))
    done = re.search(r"^\s+(\d+) requests in", text, re.M)
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", text))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return {
        "rps": float(rps.group(1)),
        "p50": ms(percentiles["50"]) if "50" in percentiles else None,
        "p99": ms(percentiles["99"]) if "99" in percentiles else None,
        "requests": int(done.group(1)) if done else 0,
        "errors": errors + (int(bad.group(1)) if bad else 0),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, cookie: str = "", timeout: float = 120) -> tuple[int, int, float]:
    """One GET, the body read to the end, no redirects followed: (status, bytes, ms)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    start = time.perf_counter()
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=timeout) as response:
            size = len(response.read())
            status = response.status
    except urllib.error.HTTPError as error:
        status, size = error.code, 0
    return status, size, (time.perf_counter() - start) * 1000


def wait_ready(url: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if fetch(url, timeout=2)[0] < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(
        f"no answer from {url} within {seconds} s; the end of {log}:\n"
        + log.read_text(errors="replace")[-3000:]
    )


def workers_of(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def status_kb(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def memory_growth_mb(master: int, url: str, cookie: str) -> tuple[int, float]:
    """One request to ``url`` and the peak RSS growth of the worker that served it, in
    MB: every worker's peak is reset (clear_refs 5), then the largest VmHWM - VmRSS
    before. Returns (status, growth)."""
    before = {}
    for pid in workers_of(master):
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        before[pid] = status_kb(pid, "VmRSS")
    status = fetch(url, cookie)[0]
    return status, max(status_kb(pid, "VmHWM") - rss for pid, rss in before.items()) / 1024


class Server:
    """One gunicorn (the repo's gunicorn.conf.py) on a free loopback port."""

    def __init__(self, name: str, app: str, env: dict, folder: Path, cwd: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{name}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    GUNICORN,
                    "--config",
                    str(ROOT / "gunicorn.conf.py"),
                    app,
                    "--bind",
                    f"127.0.0.1:{self.port}",
                ],
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk(url: str, cookie: str, seconds: float, connections: int) -> dict:
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "60s",
    ]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    result = subprocess.run(
        command + [url], capture_output=True, text=True, timeout=seconds + 90, check=True
    )
    return parse_wrk(result.stdout)


def production_env(folder: Path, database_url: str) -> dict:
    """The environment of `make serve` on loopback: DEBUG off, collected static files
    (in ``folder``, not the work tree), plain http, local-memory cache."""
    (folder / "settings").mkdir()
    (folder / "settings" / "bench_settings.py").write_text(
        f'from config.settings import *  # noqa: F403\n\nSTATIC_ROOT = "{folder}/static"\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CACHE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=str(folder / "settings"),
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_HSTS_SECONDS="0",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_MANIFEST="true",
        DJANGO_MEDIA_ROOT=str(folder / "media"),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        DJANGO_REQUEST_LOG_LEVEL=os.environ.get("DJANGO_REQUEST_LOG_LEVEL", "INFO"),
        WEB_CONCURRENCY=os.environ.get("BENCH_WORKERS", "2"),
        # Workers are not replaced during a run: the memory figures follow one process.
        GUNICORN_MAX_REQUESTS="0",
    )
    return env


def run_one(db: str, quick: bool) -> dict:
    """Seed a fresh database, start both servers, measure every page; the figures."""
    rounds = 1 if quick else int(os.environ.get("BENCH_HTTP_ROUNDS", "3"))
    seconds = 1 if quick else int(os.environ.get("BENCH_HTTP_SECONDS", "4"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "16"))
    team = 100 if quick else int(os.environ.get("BENCH_TEAM", "2000"))
    export = 200 if quick else int(os.environ.get("BENCH_EXPORT", "10000"))
    folder = Path(tempfile.mkdtemp(prefix="course-player-http."))
    servers: list[Server] = []
    try:
        url = os.environ.get("DATABASE_URL", "") if db == "postgres" else ""
        env = production_env(folder, url or f"sqlite:///{folder}/bench.sqlite3")
        started = time.monotonic()
        for step in (
            ["manage.py", "migrate", "--no-input", "-v", "0"],
            ["manage.py", "collectstatic", "--no-input", "-v", "0"],
            [
                "bench/seed_http.py",
                "--out",
                str(folder / "seed.json"),
                "--team",
                str(team),
                "--export",
                str(export),
            ],
        ):
            subprocess.run([PY, *step], cwd=ROOT, env=env, check=True)
        seed = json.loads((folder / "seed.json").read_text())
        seeded = time.monotonic() - started

        app = Server("app", "config.wsgi:application", env, folder, ROOT)
        servers.append(app)
        hello_env = {**env, "DJANGO_SETTINGS_MODULE": "hello.settings", "PYTHONPATH": str(HELLO)}
        hello = Server("hello", "hello.wsgi:application", hello_env, folder, HELLO)
        servers.append(hello)
        wait_ready(app.url + "/healthz", app.log)
        wait_ready(hello.url + "/", hello.log)

        cookies = {who: f"{seed['cookie_name']}={seed[who]}" for who in ("learner", "trainer")}
        cookies[""] = ""
        pages = []
        # BENCH_PAGES="lesson;course;My learning": only pages whose names start so (a
        # quick before/after of one change).
        chosen = [n.strip() for n in os.environ.get("BENCH_PAGES", "").split(";") if n.strip()]
        for name, who, path, kind in seed["pages"]:
            if chosen and not name.startswith(tuple(chosen)):
                continue
            # The first request also shows what a cold worker grows by: a worker's
            # allocator keeps what it freed, so later requests may grow it less.
            status, first_mb = memory_growth_mb(app.process.pid, app.url + path, cookies[who])
            # A redirect to the login page would measure the wrong thing (a floor's
            # redirect is not checked so: the learner's other pages use its cookie).
            expected = 302 if kind == "floor" else 200
            if status != expected:
                raise SystemExit(f"{name}: {path} answered {status}, not {expected}; see {app.log}")
            fetch(app.url + path, cookies[who])  # warm: the first request imports code
            status, size, ms = fetch(app.url + path, cookies[who])
            page = {
                "name": name,
                "path": path,
                "who": who,
                "kind": kind,
                "bytes": size,
                "single_ms": round(ms, 1),
                "runs": [],
            }
            # A page that takes seconds gets fewer connections and more time, so that
            # wrk completes enough requests; its hello gets the same.
            page["connections"] = connections if ms < 200 else 2
            page["seconds"] = seconds if ms < 200 else max(seconds, min(60, round(5 * ms / 1000)))
            if kind == "stream":
                growth = [
                    memory_growth_mb(app.process.pid, app.url + path, cookies[who])[1]
                    for _ in range(1 if quick else 3)
                ]
                page["memory_mb"] = round(max(first_mb, statistics.median(growth)), 1)
                page["memory_first_mb"] = round(first_mb, 1)
                page["memory_warm_mb"] = round(statistics.median(growth), 1)
            pages.append(page)

        for number in range(rounds):
            for page in pages:
                order = ["hello", "page"] if number % 2 == 0 else ["page", "hello"]
                run = {}
                for which in order:
                    if which == "hello":
                        run["hello"] = wrk(
                            hello.url + "/", "", page["seconds"], page["connections"]
                        )
                    else:
                        run["page"] = wrk(
                            app.url + page["path"],
                            cookies[page["who"]],
                            page["seconds"],
                            page["connections"],
                        )
                page["runs"].append(run)

        for page in pages:
            rps = [r["page"]["rps"] / r["hello"]["rps"] for r in page["runs"] if r["hello"]["rps"]]
            p99 = [
                r["page"]["p99"] / r["hello"]["p99"]
                for r in page["runs"]
                if r["page"]["p99"] and r["hello"]["p99"]
            ]
            page["rps_ratio"] = round(statistics.median(rps), 4) if rps else None
            page["p99_ratio"] = round(statistics.median(p99), 2) if p99 else None
            page["rps"] = round(statistics.median(r["page"]["rps"] for r in page["runs"]), 1)
            page["hello_rps"] = round(statistics.median(r["hello"]["rps"] for r in page["runs"]))
            page["p99_ms"] = round(
                statistics.median(r["page"]["p99"] or 0 for r in page["runs"]), 1
            )
            page["errors"] = sum(r["page"]["errors"] for r in page["runs"])
        return {
            "db": db,
            "rounds": rounds,
            "seconds": seconds,
            "connections": connections,
            "workers": env["WEB_CONCURRENCY"],
            "seed_seconds": round(seeded),
            "pages": pages,
        }
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def verdict(page: dict) -> str:
    """Which of the issue's targets the page meets: '' when it has none."""
    if page.get("memory_mb") is not None:
        return "met" if page["memory_mb"] <= MEMORY_TARGET_MB else f"> {MEMORY_TARGET_MB} MB"
    for prefix, (least, most) in TARGETS.items():
        if page["name"].startswith(prefix):
            misses = []
            if page["rps_ratio"] is None or page["rps_ratio"] < least:
                misses.append(f"rps < {least}")
            if most is not None and (page["p99_ratio"] is None or page["p99_ratio"] > most):
                misses.append(f"p99 > {most}x")
            return "met" if not misses else "not met: " + ", ".join(misses)
    return ""


def table(result: dict) -> str:
    lines = [
        f"{result['db']}: {result['rounds']} rounds x {result['seconds']} s per run, wrk -c"
        f"{result['connections']} (2 for pages over 200 ms), gunicorn {result['workers']} workers;"
        " medians of rounds",
        f"{'page':<30} {'rps/hello':>9} {'p99/hello':>9} {'rps':>7} {'hello':>6} {'p99 ms':>7} "
        f"{'1 req ms':>8} {'mem MB':>7} {'err':>4}  target",
    ]
    for p in result["pages"]:
        memory = (
            f"{p['memory_first_mb']:.0f}/{p['memory_warm_mb']:.0f}"
            if p.get("memory_mb") is not None
            else ""
        )
        lines.append(
            f"{p['name']:<30} {p['rps_ratio'] or 0:>9.3f} {p['p99_ratio'] or 0:>9.1f} "
            f"{p['rps']:>7.1f} {p['hello_rps']:>6} {p['p99_ms']:>7.1f} {p['single_ms']:>8.1f} "
            f"{memory:>7} {p['errors']:>4}  {verdict(p)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", choices=["sqlite", "postgres", "both"], default=os.environ.get("BENCH_DB", "sqlite")
    )
    parser.add_argument("--quick", action="store_true", help="1 round of 1 s, small teams")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench-http` installs Debian's wrk.")
    if args.child:  # one database, inside scripts/with-postgres for PostgreSQL
        args.json.write_text(json.dumps(run_one(args.db, args.quick)))
        return
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"HTTP benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"load average before: {load}",
        flush=True,
    )
    results, failed = [], []
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [PY, __file__, "--child", "--db", db, "--json", out.name]
            if args.quick:
                command.append("--quick")
            if db == "postgres":
                command = [str(ROOT / "scripts" / "with-postgres"), *command]
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            if subprocess.run(command, cwd=ROOT, env=env).returncode:
                failed.append(db)  # the reason is printed above; go on with the other one
                continue
            results.append(json.loads(Path(out.name).read_text()))
        print(table(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if failed:
        raise SystemExit(f"The benchmark failed on {', '.join(failed)}.")


if __name__ == "__main__":
    main()
