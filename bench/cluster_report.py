"""The cluster run's figures (scripts/cluster-run), from what the load test saw.

    DATABASE_URL=... python bench/cluster_report.py --events EVENTS.csv \
        --nginx-log access.log --stopped T --back T

Reads the events bench/locustfile.py wrote and nginx's access log, then asks the
database whether every completion and quiz attempt the load test saw succeed is
recorded. Times are Unix seconds; the failover window runs from the moment one
app server was stopped (--stopped) to the moment it answered again (--back).
Exits 1 when any request failed or anything seen is missing from the database.
"""

import argparse
import csv
import math
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def read_events(path: Path) -> list[dict]:
    names = ["t", "kind", "user", "name", "ok", "ms", "detail"]
    with path.open(newline="", encoding="utf-8") as events:
        rows = [dict(zip(names, row, strict=True)) for row in csv.reader(events)]
    for row in rows:
        row["t"], row["ok"], row["ms"] = float(row["t"]), row["ok"] == "1", float(row["ms"])
    return rows


def missing_from_database(completions: set, attempts: set) -> tuple[set, set]:
    """The (user, course/lesson) completions and (user, attempt id) attempts not recorded."""
    import django

    django.setup()
    from lessons.models import LessonProgress, ProgressState
    from quizzes.models import Attempt

    recorded = {
        (user, f"{course}/{lesson}")
        for user, course, lesson in LessonProgress.objects.filter(
            state=ProgressState.COMPLETED
        ).values_list("learner__username", "lesson__course__slug", "lesson__slug")
    }
    graded = {
        (user, str(pk))
        for user, pk in Attempt.all_runs.filter(
            pk__in=[int(pk) for _user, pk in attempts], submitted_at__isnull=False
        ).values_list("learner__username", "pk")
    }
    return completions - recorded, attempts - graded


def upstreams(path: Path) -> list[list[str]]:
    """The app servers nginx tried for each request, from the quoted $upstream_addr
    field (the first quoted one in log format "cluster" of scripts/cluster-run)."""
    with path.open(encoding="utf-8") as log:
        return [
            [address.strip() for address in line.split('"')[1].split(",")]
            for line in log
            if line.count('"') >= 2
        ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=Path, required=True)
    parser.add_argument("--nginx-log", type=Path, required=True)
    parser.add_argument("--stopped", type=float, required=True)
    parser.add_argument("--back", type=float, required=True)
    args = parser.parse_args()

    events = read_events(args.events)
    requests = [e for e in events if e["kind"] == "request"]
    if not requests:
        print("No requests were recorded.")
        return 1
    start = min(e["t"] for e in requests)
    seconds = max(e["t"] + e["ms"] / 1000 for e in requests) - start
    times = [e["ms"] for e in requests]
    errors = [e for e in requests if not e["ok"]]
    during = [e for e in errors if args.stopped <= e["t"] <= args.back]

    completions = {(e["user"], e["detail"]) for e in events if e["kind"] == "completion"}
    attempts = {(e["user"], e["detail"]) for e in events if e["kind"] == "attempt"}
    lost_completions, lost_attempts = missing_from_database(completions, attempts)

    logins = [e for e in events if e["kind"] == "login" and e["ok"]]
    before = {e["user"] for e in logins if e["detail"] == "first" and e["t"] < args.stopped}
    again = {e["user"] for e in events if e["kind"] == "login" and e["detail"] == "again"}
    again_after_stop = {
        e["user"]
        for e in events
        if e["kind"] == "login" and e["detail"] == "again" and e["t"] >= args.stopped
    }

    print(f"Requests: {len(requests)} in {seconds:.0f} s ({len(requests) / seconds:.1f}/s)")
    print(
        "Response times: p50 {:.0f} ms, p95 {:.0f} ms, p99 {:.0f} ms".format(
            *(percentile(times, share) for share in (0.50, 0.95, 0.99))
        )
    )
    by_name: dict[str, list[float]] = {}
    for e in requests:
        by_name.setdefault(e["name"], []).append(e["ms"])
    for name, values in sorted(by_name.items(), key=lambda item: -len(item[1])):
        print(
            f"  {name:<24} {len(values):>6}  p50 {percentile(values, 0.5):>6.0f} ms"
            f"  p95 {percentile(values, 0.95):>6.0f} ms"
        )
    print(
        f"Failover: app server 1 stopped at {args.stopped - start:.1f} s, "
        f"answering again at {args.back - start:.1f} s ({args.back - args.stopped:.1f} s window)"
    )
    print(f"Errors: {len(errors)} in total, {len(during)} during the failover")
    for (name, detail), count in Counter((e["name"], e["detail"]) for e in errors).most_common(8):
        print(f"  {count} x {name}: {detail}")
    tried = upstreams(args.nginx_log)
    served = Counter(servers[-1] for servers in tried)
    print(
        "nginx: "
        + ", ".join(f"{count} answered by {server}" for server, count in sorted(served.items()))
        + f"; {sum(len(servers) > 1 for servers in tried)} retried on the other app server"
    )
    print(
        f"Lost completions: {len(lost_completions)} of {len(completions)} "
        "seen by the load test missing from the database"
    )
    print(
        f"Lost quiz attempts: {len(lost_attempts)} of {len(attempts)} "
        "seen by the load test missing from the database"
    )
    print(
        f"Sessions through the failover: {len(before - again_after_stop)} of {len(before)} "
        f"learners and trainers logged in before the stop kept their session; "
        f"{len(before & again_after_stop)} had to log in again "
        f"({len(again)} logins again in the whole run)"
    )
    for user, item in sorted(lost_completions | lost_attempts)[:10]:
        print(f"  missing: {user} {item}")
    print(f"Failed requests: {len(errors)} of {len(requests)}")
    return 1 if errors or lost_completions or lost_attempts else 0


if __name__ == "__main__":
    sys.exit(main())
