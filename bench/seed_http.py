"""Seed the HTTP benchmark's database (bench/http_bench.py) and say what to fetch.

    DATABASE_URL=... DJANGO_SETTINGS_MODULE=... python bench/seed_http.py --out seed.json \
        [--team 2000] [--export 10000]

Run after `migrate`. Reuses the in-process benchmark's fixtures (bench/run.py): a
learner on 10 courses (7 and 70 lessons, half done, one lesson started), a 5-question
quiz with 1 submitted attempt. Adds a trainer of two teams on the 7-lesson course:
one of --team learners (the dashboard) and one of --export learners (the CSV export:
7 lessons + the course, 8 rows each), a third done and a third half done. Writes
JSON: the session cookie of the learner and of the trainer, and each page's path.
"""

import argparse
import json
import os
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))
if "DATABASE_URL" not in os.environ:
    raise SystemExit("Set DATABASE_URL: bench/http_bench.py runs this with a throwaway database.")

import run  # noqa: E402  (bench/run.py: sets Django up with the environment's settings)
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from lessons.models import LessonProgress  # noqa: E402
from training.models import Assignment, Team  # noqa: E402
from training.roles import ensure_trainers_group  # noqa: E402


def make_team(name: str, prefix: str, size: int, course, lessons) -> Team:
    """``size`` new learners on ``course``: a third not started, a third at 3 lessons,
    a third at 6 (bulk-created: nothing here is what is measured)."""
    User = get_user_model()
    User.objects.bulk_create(
        (
            User(username=f"{prefix}{n}", first_name=f"First{n}", last_name=f"Last{n % 97}")
            for n in range(size)
        ),
        batch_size=2000,
    )
    members = list(User.objects.filter(username__startswith=prefix))
    team = Team.objects.create(name=name)
    team.members.add(*members)
    Assignment.objects.create(course=course, team=team, due_date=timezone.localdate())
    now = timezone.now()
    LessonProgress.objects.bulk_create(
        (
            LessonProgress(
                learner=member, lesson=lesson, state="completed", started_at=now, completed_at=now
            )
            for index, member in enumerate(members)
            for lesson in lessons[: (index % 3) * 3]
        ),
        batch_size=5000,
    )
    return team


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@transaction.atomic
def seed(team_size: int, export_size: int) -> dict:
    learner, courses = run.build()
    quizzes = run.build_quizzes(learner, courses)
    course, lessons = courses[7]
    team = make_team(f"Team of {team_size}", "member-", team_size, course, lessons)
    export = make_team(f"Export of {export_size}", "exported-", export_size, course, lessons)
    trainer = get_user_model().objects.create_user("bench-trainer")
    trainer.groups.add(ensure_trainers_group())
    team.trainers.add(trainer)
    export.trainers.add(trainer)
    quiz, attempt = quizzes[5]
    dashboard = reverse("training:dashboard")
    return {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "learner": session_cookie(learner),
        "trainer": session_cookie(trainer),
        # (name, who, path, kind): kind "page" is compared with the hello, "stream" too
        # but also has its worker's memory measured, "floor" too but answers a redirect.
        "pages": [
            # Floors: what any signed-in page pays before it does anything. The
            # language switcher's GET is a bare redirect (middleware, the session and
            # the user, no template); the search page without a query is base.html
            # with a search box.
            ["floor: signed in, redirect", "learner", reverse("accounts:language"), "floor"],
            ["floor: signed in, base.html", "learner", reverse("search"), "page"],
            ["login (anonymous)", "", reverse("login"), "page"],
            ["My learning, 10 courses", "learner", reverse("courses:my_learning"), "page"],
            ["catalogue", "learner", reverse("courses:catalogue"), "page"],
            ["course, 7 lessons", "learner", course.get_absolute_url(), "page"],
            ["lesson, 7 lessons", "learner", lessons[3].get_absolute_url(), "page"],
            ["quiz, 5 questions", "learner", quiz.get_absolute_url(), "page"],
            ["quiz result, 5 questions", "learner", attempt.get_absolute_url(), "page"],
            ["My results", "learner", reverse("quizzes:my_results"), "page"],
            [
                f"dashboard, team of {team_size}",
                "trainer",
                f"{dashboard}?team={team.pk}&course={course.slug}",
                "stream",
            ],
            [
                f"CSV export, {export_size} x 8 rows",
                "trainer",
                f"{reverse('training:export')}?team={export.pk}&course={course.slug}",
                "stream",
            ],
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--team", type=int, default=2000)
    parser.add_argument("--export", type=int, default=10000)
    args = parser.parse_args()
    args.out.write_text(json.dumps(seed(args.team, args.export), indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
