"""One learner walks through every state of a course, and every place that shows
where they stand says the same state and percent: My learning, the course page,
the lesson page, the trainer's learner page, the dashboard (page and row), both
CSV exports, the reminder email and the admin's list of completions.

Each place asks progress.rules (and quizzes.scores); this test is what shows it."""

from __future__ import annotations

import csv
import datetime
import io
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.services import start_lesson
from progress.rules import CourseState, course_progress
from progress.services import complete_lesson
from tests.factories import make_lesson, make_quiz, take_quiz
from training.assignments import assigned_courses
from training.dashboard import build_dashboard
from training.models import ReminderNotice, ReminderSent
from training.services import assign_course

pytestmark = pytest.mark.django_db

BADGE = re.compile(r'badge rounded-pill [^"]*">([^<]+)</span>')
BAR = re.compile(r'role="progressbar" aria-label="[^"]*" aria-valuenow="(\d+)"')


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return " ".join(response.content.decode().split())


def first(pattern: re.Pattern, html: str) -> str:
    found = pattern.search(html)
    return found[1] if found else "?"


def csv_of(client: Client, url: str) -> list[dict[str, str]]:
    body = b"".join(client.get(url).streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def one(values: set[str]) -> str:
    return values.pop() if len(values) == 1 else f"? {sorted(values)}"


def everywhere(learner, trainer, admin_user, team, course, mailoutbox) -> dict[str, tuple]:
    """(state, percent, overdue) as each place shows it; None where a place does not
    show that figure."""
    rule = course_progress(learner, course)
    (item,) = assigned_courses(learner)
    learner_client, trainer_client, admin_client = Client(), Client(), Client()
    learner_client.force_login(learner)
    trainer_client.force_login(trainer)
    admin_client.force_login(admin_user)

    my_learning = page(learner_client, reverse("courses:my_learning"))
    course_page = page(learner_client, course.get_absolute_url())
    lesson_page = page(
        learner_client, course.lessons.order_by("position").first().get_absolute_url()
    )
    learner_page = page(trainer_client, reverse("training:learner", args=[learner.pk]))
    query = f"?team={team.pk}&course={course.slug}"
    dashboard = page(trainer_client, reverse("training:dashboard") + query)
    (row,) = build_dashboard(team, course).rows
    export = csv_of(trainer_client, reverse("training:export") + query)
    (summary,) = csv_of(trainer_client, reverse("training:summary") + f"?team={team.pk}")
    completions = page(admin_client, reverse("admin:lessons_coursecompletion_changelist"))
    ReminderSent.objects.all().delete()  # so each step's run emails again
    ReminderNotice.objects.all().delete()
    mailoutbox.clear()
    call_command("send_reminders", stdout=StringIO())
    email = mailoutbox[0].body if mailoutbox else ""

    # The course page's badge says In Progress while the final is awaited, and its
    # text says "Final assessment next" (the learner's words for the same state).
    course_badge = first(BADGE, course_page)
    if course_badge == "In Progress" and "Final assessment next" in course_page:
        course_badge = CourseState.AWAITING_FINAL.label
    dashboard_cell = re.search(r"(\d+)% <span class=\"" + BADGE.pattern, dashboard)
    return {
        "rule": (rule.course_state.label, rule.percent, item.is_overdue),
        "My learning": (
            first(BADGE, my_learning),
            int(first(BAR, my_learning)),
            "Overdue by" in my_learning,
        ),
        "course page": (course_badge, int(first(BAR, course_page)), item.is_overdue),
        "lesson page": (
            first(re.compile(r'id="course-progress-text">.*?' + BADGE.pattern), lesson_page),
            int(first(BAR, lesson_page)),
            item.is_overdue,
        ),
        "learner page": (
            first(BADGE, learner_page),
            int(first(BAR, learner_page)),
            "Overdue by" in learner_page,
        ),
        "dashboard": (
            dashboard_cell[2] if dashboard_cell else "?",
            int(dashboard_cell[1]) if dashboard_cell else -1,
            'badge text-bg-danger">Overdue<' in dashboard,
        ),
        "dashboard row": (row.state.label, row.percent, row.overdue),
        "CSV": (
            one({line["state"] for line in export}),
            rule.percent,  # the per-lesson CSV has no percent column
            one({line["overdue"] for line in export}) == "yes",
        ),
        "summary CSV": (summary["state"], int(summary["percent"]), summary["overdue"] == "yes"),
        "reminder email": (
            # Nothing is owed once completed: no email.
            next((s.label for s in CourseState if f" · {s.label} · " in email), "Completed"),
            rule.percent,
            "Overdue by" in email,
        ),
        "admin completions": (
            "Completed"
            if "1 course completion" in completions
            else rule.course_state.label
            if "0 course completions" in completions
            else "?",
            rule.percent,
            item.is_overdue,
        ),
    }


def test_every_place_shows_the_same_state_and_percent_at_every_step(
    learner, trainer, admin_user, team, course, mailoutbox
):
    final = make_quiz(course=course, pass_mark=75)
    assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    first_lesson, second_lesson, third_lesson = course.lessons.order_by("position")
    steps = [
        ("not started", lambda: None),
        ("started", lambda: start_lesson(learner, first_lesson)),
        ("one lesson done", lambda: complete_lesson(learner, first_lesson)),
        ("two lessons done", lambda: complete_lesson(learner, second_lesson)),
        ("awaiting final", lambda: complete_lesson(learner, third_lesson)),
        ("failed final", lambda: take_quiz(learner, final, correct=1)),
        ("completed", lambda: take_quiz(learner, final)),
        ("lesson added", lambda: make_lesson(course, 4, slug="new", title="New lesson")),
    ]
    seen = []
    for name, step in steps:
        step()
        shown = everywhere(learner, trainer, admin_user, team, course, mailoutbox)
        assert len(set(shown.values())) == 1, (name, list(shown.items()))
        seen.append((name, shown["rule"]))
    assert seen == [
        ("not started", ("Not started", 0, True)),
        ("started", ("In Progress", 0, True)),
        ("one lesson done", ("In Progress", 33, True)),
        ("two lessons done", ("In Progress", 66, True)),
        ("awaiting final", ("Awaiting final", 100, True)),
        ("failed final", ("Awaiting final", 100, True)),
        ("completed", ("Completed", 100, False)),
        ("lesson added", ("Completed", 100, False)),
    ]
