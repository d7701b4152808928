"""Load test with simulated learners: `make load`.

The course player under gunicorn with production settings (as bench/http_bench.py
starts it: DEBUG off, the repo's gunicorn.conf.py, a throwaway database), seeded with
LOAD_USERS learners and a few trainers (bench/cluster_seed.py), then headless Locust
on loopback (bench/learners.py: log in, My learning, read lessons 30-90 s, mark
complete, take quizzes; trainers open the dashboard) for LOAD_SECONDS, and a report:
the request rate held once everyone had started, p50/p95/p99, errors, sessions lost,
and the CPU the app servers and Locust itself used (they share the machine).

Environment (defaults): LOAD_USERS=1000 (several: "1000 10000"), LOAD_SECONDS=180,
LOAD_DB=sqlite (postgres, both), LOAD_TRAINERS=max(1, users/500), LOAD_SPAWN_RATE
(people started per second; default: all started by half-time), LOAD_THINK_MIN=30,
LOAD_THINK_MAX=90, WEB_CONCURRENCY (gunicorn workers; default gunicorn.conf.py's,
2 x cores + 1), LOAD_REAL_HASHER=0, LOAD_LOGS (a folder to keep gunicorn's and Locust's
logs in), GUNICORN_CMD_ARGS (gunicorn's own: options over gunicorn.conf.py's, to try one
setting, e.g. "--keep-alive 5").

Exits 1 when any request failed (Locust's count: errors, resets, and pages that did
not do what was asked), so a script or CI can rely on the status.

Logins: the seeded accounts' passwords use Django's MD5 hasher unless
LOAD_REAL_HASHER=1: one PBKDF2 check (1,000,000 iterations) costs about 0.2 s of
CPU here, so 10,000 real logins alone would take over half an hour of both cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from http_bench import PY, ROOT, Server, production_env, wait_ready  # noqa: E402

LOCUST = str(ROOT / ".venv" / "bin" / "locust")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and of its children that exited."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime are fields 14-17 of stat (1-based), 12-15 here.
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def gunicorn_cpu(master: int) -> float:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return cpu_seconds(master) + sum(cpu_seconds(int(pid)) for pid in children)


def aggregated(stats_csv: Path) -> dict:
    with stats_csv.open(newline="") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    return rows


def held_rate(events: Path, start: float, ramped: float, end: float) -> tuple[float, int]:
    """Requests per second from the moment every user had started to the end, and how
    many requests were made in all (from bench/locustfile.py's event log)."""
    held = total = 0
    with events.open(newline="") as f:
        for row in csv.reader(f):
            if row[1] != "request":
                continue
            total += 1
            if float(row[0]) >= ramped:
                held += 1
    return (held / (end - ramped) if end > ramped else 0.0), total


def run_one(db: str, users: int, seconds: int) -> dict:
    trainers = int(os.environ.get("LOAD_TRAINERS") or max(1, users // 500))
    # By default everyone has started (and logged in) by half-time; the second half is
    # the rate held with all of them reading.
    rate = float(os.environ.get("LOAD_SPAWN_RATE") or max(5.0, (users + trainers) * 2 / seconds))
    folder = Path(tempfile.mkdtemp(prefix="course-player-load."))
    app = None
    try:
        url = os.environ.get("DATABASE_URL", "") if db == "postgres" else ""
        env = production_env(folder, url or f"sqlite:///{folder}/load.sqlite3")
        env.pop("GUNICORN_MAX_REQUESTS")  # as in production: workers replaced now and then
        env.pop("WEB_CONCURRENCY")  # gunicorn.conf.py's own, unless the environment sets it
        if os.environ.get("WEB_CONCURRENCY"):
            env["WEB_CONCURRENCY"] = os.environ["WEB_CONCURRENCY"]
        if os.environ.get("LOAD_REAL_HASHER", "0") != "1":
            with (folder / "settings" / "bench_settings.py").open("a") as settings:
                settings.write(
                    "\n# bench/load.py: cheap password checks for throwaway accounts.\n"
                    'PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]\n'
                )
        password = secrets.token_urlsafe(12)
        for step in (
            ["manage.py", "migrate", "--no-input", "-v", "0"],
            ["manage.py", "collectstatic", "--no-input", "-v", "0"],
            ["manage.py", "import_content"],
            [
                "bench/cluster_seed.py",
                "--learners",
                str(users),
                "--trainers",
                str(trainers),
                f"--password={password}",  # one starting with '-' is no option
                "--content",
                str(folder / "c"),
            ],
        ):
            subprocess.run([PY, *step], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        app = Server("app", "config.wsgi:application", env, folder, ROOT)
        wait_ready(app.url + "/healthz", app.log)
        app_cpu = gunicorn_cpu(app.process.pid)

        events = folder / "events.csv"
        locust_env = {
            **os.environ,
            "CLUSTER_PASSWORD": password,
            "CLUSTER_LEARNERS": str(users),
            "CLUSTER_TRAINERS": str(trainers),
            "CLUSTER_EVENTS": str(events),
        }
        start = time.time()
        with (folder / "locust.log").open("w") as log:
            locust = subprocess.Popen(
                [
                    LOCUST,
                    "-f",
                    str(BENCH / "learners.py"),
                    "--headless",
                    "--host",
                    app.url,
                    "-u",
                    str(users + trainers),
                    "-r",
                    str(rate),
                    "-t",
                    f"{seconds}s",
                    "--stop-timeout",
                    "5",
                    "--only-summary",
                    "--csv",
                    str(folder / "locust"),
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=locust_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            # Sample the CPU both sides used just before Locust stops.
            time.sleep(max(0, seconds - 2))
            locust_cpu = cpu_seconds(locust.pid) if locust.poll() is None else None
            app_cpu = gunicorn_cpu(app.process.pid) - app_cpu
            measured = time.time() - start
            try:
                locust.wait(timeout=120)
            except subprocess.TimeoutExpired:
                locust.kill()
                locust.wait()
        end = time.time()
        ramped = start + (users + trainers) / rate
        rate_held, total = held_rate(events, start, ramped, min(end, start + seconds))
        stats = aggregated(folder / "locust_stats.csv")
        row = stats["Aggregated"]
        log_text = (folder / "locust.log").read_text(errors="replace")
        pid = app.process.pid
        workers = len(Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
        app.stop()
        app_log = app.log.read_text(errors="replace")
        if os.environ.get("LOAD_LOGS"):
            logs = Path(os.environ["LOAD_LOGS"]) / f"{db}-{users}"
            logs.mkdir(parents=True, exist_ok=True)
            for name in ("app.log", "locust.log", "locust_failures.csv", "events.csv"):
                if (folder / name).exists():
                    shutil.copy(folder / name, logs / name)
        relogins = sum(1 for r in csv.reader(events.open()) if r[1] == "login" and r[6] == "again")
        return {
            "db": db,
            "users": users,
            "trainers": trainers,
            "seconds": seconds,
            "spawn_rate": rate,
            "ramp_seconds": round((users + trainers) / rate),
            "workers": workers,
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rate_all": round(float(row["Requests/s"]), 1),
            "rate_held": round(rate_held, 1),
            "p50": float(row["50%"]),
            "p95": float(row["95%"]),
            "p99": float(row["99%"]),
            "events": total,
            "relogins": relogins,
            "app_cores": round(app_cpu / measured, 2),
            "locust_cores": round(locust_cpu / measured, 2) if locust_cpu is not None else None,
            "locust_cpu_warning": "CPU usage above" in log_text
            or "CPU usage was too high" in log_text,
            "pages": {
                name: {
                    "n": int(r["Request Count"]),
                    "fail": int(r["Failure Count"]),
                    "p50": float(r["50%"]),
                    "p95": float(r["95%"]),
                    "p99": float(r["99%"]),
                }
                for name, r in stats.items()
                if name != "Aggregated" and r["Request Count"] != "0"
            },
            "errors": (folder / "locust_failures.csv").read_text()[:2000],
            # Where a dropped request would come from, in gunicorn's log.
            "worker_replaced": app_log.count("Autorestarting worker"),
            "worker_timeouts": app_log.count("WORKER TIMEOUT"),
            "worker_gave_up": app_log.count("requests unanswered (graceful timeout)"),
        }
    finally:
        if app is not None:
            app.stop()
        shutil.rmtree(folder, ignore_errors=True)


def report(r: dict) -> str:
    lines = [
        f"{r['db']}, {r['users']} learners + {r['trainers']} trainers, {r['seconds']} s "
        f"(start-up {r['ramp_seconds']} s at {r['spawn_rate']:g}/s), gunicorn workers: "
        f"{r['workers']}",
        f"  requests {r['requests']}, failed {r['failures']}, sessions lost {r['relogins']}; "
        f"rate held after start-up {r['rate_held']} req/s (whole run {r['rate_all']})",
        f"  latency ms p50 {r['p50']:g}  p95 {r['p95']:g}  p99 {r['p99']:g}",
        f"  CPU cores used: app {r['app_cores']}, Locust {r['locust_cores']}"
        + ("  (Locust warned its CPU was saturated)" if r["locust_cpu_warning"] else ""),
    ]
    for name, p in sorted(r["pages"].items()):
        lines.append(
            f"    {name:<24} {p['n']:>7} fail {p['fail']:>5}  p50 {p['p50']:>6g} "
            f"p95 {p['p95']:>6g} p99 {p['p99']:>6g}"
        )
    lines.append(
        f"  gunicorn: {r['worker_replaced']} workers replaced (max_requests), "
        f"{r['worker_timeouts']} worker timeouts, "
        f"{r['worker_gave_up']} workers out of graceful time"
    )
    if r["failures"]:
        lines.append("  failures (Locust):\n" + r["errors"])
    return "\n".join(lines)


def verdict(results: list[dict]) -> tuple[str, int]:
    """The last line of the report and the exit status: 1 when any request failed."""
    requests = sum(r["requests"] for r in results)
    failed = sum(r["failures"] for r in results)
    runs = f"{len(results)} run{'s' if len(results) != 1 else ''}"
    return f"Failed requests: {failed} of {requests} ({runs})", 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # db users seconds
    args = parser.parse_args()
    if args.child:
        db, users, seconds = args.child
        args.json.write_text(json.dumps(run_one(db, int(users), int(seconds))))
        return
    dbs = os.environ.get("LOAD_DB", "sqlite")
    users_list = [int(n) for n in os.environ.get("LOAD_USERS", "1000").replace(",", " ").split()]
    seconds = int(os.environ.get("LOAD_SECONDS", "180"))
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(
        f"Load test, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
        f"load average before: {load}",
        flush=True,
    )
    results = []
    for db in ("sqlite", "postgres") if dbs == "both" else (dbs,):
        for users in users_list:
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                command = [
                    PY,
                    __file__,
                    "--child",
                    db,
                    str(users),
                    str(seconds),
                    "--json",
                    out.name,
                ]
                if db == "postgres":
                    command = [str(ROOT / "scripts" / "with-postgres"), *command]
                env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
                subprocess.run(command, cwd=ROOT, env=env, check=True)
                results.append(json.loads(Path(out.name).read_text()))
            print(report(results[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    line, status = verdict(results)
    print(line, flush=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
