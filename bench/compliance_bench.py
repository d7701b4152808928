"""Compliance benchmark: `make bench-compliance` (docs/benchmarks.md).

Builds 10,000 people in 10 teams of 1,000, 50 yearly courses each assigned to every
team, and about 250,000 completions (half the cells; a tenth of those expired), then
times in-process (Django test client, the admin's view of everyone):

- the matrix, first page (50 people x 50 courses), and its query count;
- the matrix filtered by a state (reads all 500,000 cells);
- the whole matrix as CSV (10,000 rows);
- the reports over time for the first course (10,000 people, 12 months, 26 weeks).

Each is given as a median in milliseconds and as a ratio to a baseline measured in the
same run (the anonymous login page), interleaved round by round. Meant for PostgreSQL
(`make bench-compliance` starts a throwaway server); BENCH_PEOPLE, BENCH_COURSES and
BENCH_ROUNDS change the size.
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_REQUEST_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_PEOPLE", "10000"))
COURSES = int(os.environ.get("BENCH_COURSES", "50"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
TEAM_SIZE = 1000


def build() -> object:
    from courses.models import Course
    from lessons.models import CourseCompletion, Lesson
    from training.models import Assignment, Team

    User = get_user_model()
    now = timezone.now()
    today = timezone.localdate()
    User.objects.bulk_create(
        (
            User(username=f"p{n:05d}", first_name=f"First{n}", last_name=f"Last{n % 997:03d}")
            for n in range(PEOPLE)
        ),
        batch_size=5000,
    )
    people = list(
        User.objects.filter(username__startswith="p").order_by("pk").values_list("pk", flat=True)
    )
    courses = Course.objects.bulk_create(
        Course(slug=f"c{n:02d}", title=f"Course {n:02d}", published_at=now, valid_for_months=12)
        for n in range(COURSES)
    )
    Lesson.objects.bulk_create(
        Lesson(course=c, slug="one", title="One", position=1, published_at=now) for c in courses
    )
    teams = []
    for start in range(0, len(people), TEAM_SIZE):
        team = Team.objects.create(name=f"Team {start // TEAM_SIZE}")
        team.members.add(*people[start : start + TEAM_SIZE])
        teams.append(team)
    Assignment.objects.bulk_create(
        Assignment(course=c, team=t, due_date=today + datetime.timedelta(days=(c.pk % 60) - 20))
        for t in teams
        for c in courses
    )
    completions = []
    for i, person in enumerate(people):
        for j, course in enumerate(courses):
            if (i + j) % 2:
                continue
            days_ago = 400 if (i + j) % 20 == 0 else (i * 7 + j) % 300
            moment = now - datetime.timedelta(days=days_ago)
            completions.append(
                CourseCompletion(
                    learner_id=person,
                    course=course,
                    completed_at=moment,
                    valid_until=(moment + datetime.timedelta(days=365)).date(),
                )
            )
    CourseCompletion.objects.bulk_create(completions, batch_size=5000)
    admin = User.objects.create_superuser("bench-admin", "admin@example.com", "pw")
    if connection.vendor == "postgresql":  # as autovacuum would after a bulk load
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return admin


def timed(client: Client, url: str) -> tuple[float, int]:
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            for _ in response.streaming_content:
                pass
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(queries)


def main() -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    admin = build()
    print(
        f"{PEOPLE:,} people x {COURSES} courses built on {connection.vendor} "
        f"in {time.perf_counter() - started:.0f} s"
    )
    client = Client()
    client.force_login(admin)
    anonymous = Client()
    cases = {
        "baseline: login page": (anonymous, reverse("login")),
        "matrix, first page (50 x 50)": (client, reverse("compliance:matrix")),
        "matrix, filtered: overdue": (client, reverse("compliance:matrix") + "?state=overdue"),
        "matrix, CSV, every row": (client, reverse("compliance:matrix_csv")),
    }
    cases["reports over time, one course"] = (client, reverse("compliance:reports"))
    times: dict[str, list[float]] = {name: [] for name in cases}
    counts: dict[str, int] = {}
    for name, (who, url) in cases.items():  # warm up (caches, first queries)
        _, counts[name] = timed(who, url)
    for _ in range(ROUNDS):
        for name, (who, url) in cases.items():
            times[name].append(timed(who, url)[0])
    base = statistics.median(times["baseline: login page"])
    print(f"{'case':34} {'median ms':>10} {'x login':>9} {'queries':>8}")
    for name in cases:
        median = statistics.median(times[name])
        print(f"{name:34} {median * 1000:10.0f} {median / base:9.1f} {counts[name]:8d}")


if __name__ == "__main__":
    main()
