import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from courses.models import Course
from lessons.services import start_lesson
from quizzes.services import open_attempt, questions_for, quiz_status, submit_attempt
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
# Colleagues of the demo learner, and how many lessons each has finished.
TEAM_MATES = [
    ("Amara", "Okafor", 7),
    ("Ben", "Carter", 7),
    ("Chloe", "Nguyen", 6),
    ("Dev", "Patel", 5),
    ("Elena", "Rossi", 4),
    ("Finn", "Murphy", 3),
    ("Grace", "Kim", 2),
    ("Hugo", "Silva", 1),
    ("Isla", "Brown", 1),
    ("Jonas", "Weber", 0),
    ("Kira", "Tanaka", 0),
    ("Liam", "Walsh", 0),
]


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
        for index, (first, last, finished) in enumerate(TEAM_MATES):
            mate = self._team_mate(first, last)
            team.members.add(mate)
            for lesson in lessons[:finished]:
                start_lesson(mate, lesson)
                if index % 3 == 1:  # some need a second try
                    _take(mate, lesson.quiz, all_correct=False)
                _take(mate, lesson.quiz, all_correct=True)
            if finished < len(lessons) and finished:
                start_lesson(mate, lessons[finished])
            if finished == len(lessons) and hasattr(course, "final_assessment"):
                _take(mate, course.final_assessment, all_correct=index != 1)
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


def _take(learner, quiz, all_correct: bool) -> None:
    """Answer a quiz through the real use case, every answer right or every one wrong."""
    attempt = open_attempt(learner, quiz, quiz_status(learner, quiz).used)
    if attempt is None:
        return
    data = QueryDict(mutable=True)
    for question in questions_for(quiz, attempt):
        field = f"question-{question.pk}"
        if question.type == "short":
            data[field] = question.accepted_answers[0] if all_correct else "not sure"
        else:
            chosen = [c.pk for c in question.ordered_choices if c.is_correct == all_correct]
            data.setlist(
                field, [str(pk) for pk in (chosen if question.allows_several else chosen[:1])]
            )
    submit_attempt(learner, quiz, attempt.pk, data)
