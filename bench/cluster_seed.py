"""Seed a load run's database (scripts/cluster-run, bench/load.py): learners, trainers, a team.

    DATABASE_URL=... python bench/cluster_seed.py --learners 50 --trainers 2 \
        --password PW --content /tmp/some/folder

Creates learner-001 ... learner-NNN and trainer-1 ... trainer-T with one known
password, the "Cluster" team (every learner; the trainers train it), and a
short course without quizzes ("cluster-drill", imported from files written to
--content) assigned to the team, so learners have lessons to mark complete as
well as the sample course's quizzes. Run after `migrate` and `import_content`.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import transaction  # noqa: E402

from authoring.importing import import_content  # noqa: E402
from courses.models import Course  # noqa: E402
from training.models import Team  # noqa: E402
from training.roles import ensure_trainers_group  # noqa: E402
from training.services import assign_course  # noqa: E402

DRILL = "cluster-drill"
DRILL_LESSONS = 8


def write_drill_course(folder: Path) -> Path:
    """A course in the content format: lessons without quizzes, marked complete."""
    course = folder / DRILL
    course.mkdir(parents=True, exist_ok=True)
    (course / "course.md").write_text(
        "---\ntitle: Cluster drill\nvisibility: assigned\n"
        "description: Short lessons to mark complete during the load test.\n---\n"
        "Lessons without quizzes.\n",
        encoding="utf-8",
    )
    for number in range(1, DRILL_LESSONS + 1):
        (course / f"{number:02d}-step-{number}.md").write_text(
            f"---\ntitle: Step {number}\nminutes: 1\n---\n## Step {number}\n\n"
            + "A paragraph to read before marking the lesson complete.\n" * 5,
            encoding="utf-8",
        )
    return folder


@transaction.atomic
def seed(learners: int, trainers: int, password: str, content: Path) -> None:
    User = get_user_model()
    # One hash for everyone: PBKDF2 takes a good part of a second by design, and
    # these throwaway accounts share their password anyway.
    hashed = make_password(password)
    User.objects.bulk_create(
        batch_size=2000,  # 10,000 learners in one INSERT is too many variables for SQLite
        objs=[
            User(
                username=f"learner-{n:03d}",
                first_name="Learner",
                last_name=f"{n:03d}",
                email=f"learner-{n:03d}@example.com",
                password=hashed,
            )
            for n in range(1, learners + 1)
        ]
        + [
            User(
                username=f"trainer-{n}",
                first_name="Trainer",
                last_name=str(n),
                email=f"trainer-{n}@example.com",
                password=hashed,
            )
            for n in range(1, trainers + 1)
        ],
    )
    group = ensure_trainers_group()
    team = Team.objects.create(name="Cluster")
    team.members.add(*User.objects.filter(username__startswith="learner-"))
    coaches = list(User.objects.filter(username__startswith="trainer-"))
    team.trainers.add(*coaches)
    for coach in coaches:
        coach.groups.add(group)
    import_content(write_drill_course(content))
    for slug in (DRILL, "who-is-your-customer"):
        assign_course(by=coaches[0], course=Course.objects.get(slug=slug), team=team)
    print(f"Seeded {learners} learners, {trainers} trainers, team Cluster, course {DRILL}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--trainers", type=int, default=2)
    parser.add_argument("--password", required=True)
    parser.add_argument("--content", type=Path, required=True)
    args = parser.parse_args()
    if args.trainers < 1:
        parser.error("--trainers must be at least 1 (a trainer assigns the courses)")
    seed(args.learners, args.trainers, args.password, args.content)


if __name__ == "__main__":
    main()
