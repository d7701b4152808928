import datetime
import random
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from courses.models import Course
from lessons.services import start_lesson
from progress.services import submit_quiz
from quizzes.services import open_attempt, questions_for, quiz_status
from training.models import Assignment, Team
from training.roles import ensure_trainers_group

DEMO_PASSWORD = "demo"
DEMO_USERS = [
    # username, first name, last name, is superuser
    ("learner", "Lee", "Learner", False),
    ("trainer", "Tara", "Trainer", False),
    ("admin", "Ada", "Admin", True),
]
DEMO_TEAM = "Customer Service Team"
DEMO_COURSE = "who-is-your-customer"
# Colleagues of the demo learner: how many lessons each has finished, and how likely
# they are to get a question right (so the trainer's analytics have a spread to show).
TEAM_MATES = [
    ("Amara", "Okafor", 7, 0.95),
    ("Ben", "Carter", 7, 0.55),  # finished the lessons, failed the final: awaiting final
    ("Chloe", "Nguyen", 6, 0.85),
    ("Dev", "Patel", 5, 0.7),
    ("Elena", "Rossi", 4, 0.8),
    ("Finn", "Murphy", 3, 0.6),
    ("Grace", "Kim", 2, 0.75),
    ("Hugo", "Silva", 1, 0.5),
    ("Isla", "Brown", 1, 0.9),
    ("Jonas", "Weber", 0, 0.6),
    ("Kira", "Tanaka", 0, 0.6),  # assigned individually too, due three days ago: overdue
    ("Liam", "Walsh", 0, 0.6),
]
# Wrong answers people type to short questions (plausible, so analytics can list them).
WRONG_SHORT_ANSWERS = ["not sure", "the manager", "customer", "the boss"]


class Command(BaseCommand):
    help = (
        "Create the demo accounts learner, trainer and admin (password 'demo'), a demo team "
        "with the sample course assigned and varied progress. With DEBUG on or --demo only; "
        "safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="This site is a demo: create the accounts even with DEBUG off (make run).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        # Accounts with a published password belong on a laptop only: development (DEBUG
        # on), or a demo that says so (`make run` runs with DEBUG off, as users see it).
        if not (settings.DEBUG or options["demo"]):
            raise CommandError(
                "seed_demo creates accounts with a known password; it runs only with DEBUG on "
                "or with --demo."
            )
        users = {username: self._user(username, *rest) for username, *rest in DEMO_USERS}
        users["trainer"].groups.add(ensure_trainers_group())

        course = Course.objects.filter(slug=DEMO_COURSE).first()
        if Team.objects.filter(name=DEMO_TEAM).exists():
            self.stdout.write(f"{DEMO_TEAM} exists; left as it is")
            return
        if course is None:
            self.stdout.write(f"No course '{DEMO_COURSE}': run import_content first for demo data")
            return
        team = Team.objects.create(name=DEMO_TEAM)
        team.trainers.add(users["trainer"])
        team.members.add(users["learner"])
        Assignment.objects.create(
            course=course,
            team=team,
            due_date=timezone.localdate() + datetime.timedelta(days=10),
            note="Please finish this before the end of the month.",
            assigned_by=users["trainer"],
        )
        lessons = list(course.lessons.filter(retired_at__isnull=True).select_related("quiz"))
        for first, last, finished, skill in TEAM_MATES:
            mate = self._team_mate(first, last)
            team.members.add(mate)
            # Seeded by name: the same demo every time.
            rng = random.Random(mate.username)
            for lesson in lessons[:finished]:
                start_lesson(mate, lesson)
                if getattr(lesson, "quiz", None) is None:
                    continue
                # Answer as someone with this skill would, until passed (the lesson is
                # then complete); after two tries, they read the lesson again and pass.
                for _try in range(2):
                    if _take(mate, lesson.quiz, _answers_with(skill, rng), rng):
                        break
                else:
                    _take(mate, lesson.quiz, _answers_with(1.0, rng), rng)
            if finished < len(lessons) and finished:
                start_lesson(mate, lessons[finished])
            if finished == len(lessons) and hasattr(course, "final_assessment"):
                # The best pass the final; the others know too little yet.
                final_skill = 1.0 if skill > 0.9 else skill
                _take(mate, course.final_assessment, _answers_with(final_skill, rng), rng)
            if first == "Kira":
                Assignment.objects.create(
                    course=course,
                    learner=mate,
                    due_date=timezone.localdate() - datetime.timedelta(days=3),
                    note="Needed before you start on the help desk.",
                    assigned_by=users["trainer"],
                )
        self.stdout.write(
            f"Created {DEMO_TEAM} ({len(TEAM_MATES) + 1} learners, managed by trainer) "
            f"with “{course}” assigned"
        )

    def _user(self, username, first_name, last_name, is_superuser):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@example.com",
                "is_staff": is_superuser,
                "is_superuser": is_superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
            self.stdout.write(f"Created {username} (password: {DEMO_PASSWORD})")
        else:
            self.stdout.write(f"{username} exists; left as it is")
        return user

    def _team_mate(self, first_name, last_name):
        User = get_user_model()
        user = User.objects.create(
            username=f"{first_name}.{last_name}".lower(),
            first_name=first_name,
            last_name=last_name,
            email=f"{first_name}.{last_name}@example.com".lower(),
        )
        user.set_unusable_password()  # demo data only: nobody logs in as them
        user.save(update_fields=["password"])
        return user


def _answers_with(skill: float, rng: random.Random) -> Callable[[object], bool]:
    """Right with probability ``skill``, question by question."""
    return lambda _question: rng.random() < skill


def _take(learner, quiz, knows: Callable[[object], bool], rng: random.Random) -> bool:
    """Answer a quiz through the real use case: each question right when ``knows``
    says so, otherwise a wrong choice or a plausible wrong answer. Whether it passed."""
    attempt = open_attempt(learner, quiz, quiz_status(learner, quiz).used)
    if attempt is None:
        return False
    data: dict[str, list[str]] = {}
    for question in questions_for(quiz, attempt):
        field = f"question-{question.pk}"
        right = knows(question)
        if question.type == "short":
            data[field] = [
                question.accepted_answers[0] if right else rng.choice(WRONG_SHORT_ANSWERS)
            ]
            continue
        choices = question.ordered_choices
        correct = [c.pk for c in choices if c.is_correct]
        wrong = [c.pk for c in choices if not c.is_correct]
        if right or not wrong:
            chosen = correct if question.allows_several else correct[:1]
        else:
            chosen = [rng.choice(wrong)]
        data[field] = [str(pk) for pk in chosen]
    return submit_quiz(learner, quiz, attempt.pk, data).passed
