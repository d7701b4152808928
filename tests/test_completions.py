"""Course completions: recorded once, never taken away, and the same state everywhere."""

import csv
import datetime
import io
import re
import threading
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lessons.models import Certificate, CourseCompletion, LessonProgress, ProgressState
from lessons.services import start_lesson
from progress.rules import CourseState, course_progress
from progress.services import complete_lesson, record_course_completion
from quizzes.models import Attempt
from tests.factories import make_course, make_lesson, make_quiz, make_user, take_quiz
from training.assignments import assigned_courses
from training.dashboard import build_dashboard, export_rows
from training.models import ReminderNotice, ReminderSent
from training.services import assign_course

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


def finish_lessons(learner, course) -> None:
    for lesson in course.lessons.published():
        complete_lesson(learner, lesson)


@pytest.fixture
def final(course):
    return make_quiz(course=course, pass_mark=75)


def add_lesson(course):
    """What the admin does when publishing an eighth lesson."""
    return make_lesson(course, course.lessons.count() + 1, slug="new-lesson", title="New lesson")


# Recording ---------------------------------------------------------------------


def test_completing_the_last_lesson_records_the_completion_and_certificate(learner, course):
    finish_lessons(learner, course)
    completion = CourseCompletion.objects.get(learner=learner, course=course)
    assert completion.run == 1
    assert completion.final_attempt is None and completion.final_percent is None
    assert [item["slug"] for item in completion.lessons] == ["lesson-1", "lesson-2", "lesson-3"]
    assert completion.certificate.learner_name == "Alice Learner"
    assert completion.certificate.course_title == course.title
    assert completion.certificate.is_valid


def test_no_completion_before_the_last_step(learner, course):
    complete_lesson(learner, course.lessons.first())
    assert not CourseCompletion.objects.exists()


def test_completion_is_recorded_once(learner, course):
    finish_lessons(learner, course)
    finish_lessons(learner, course)  # a double click on every "Mark complete"
    record_course_completion(learner, course)
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_lessons_done_but_final_not_passed_is_not_a_completion(learner, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final, correct=1)
    assert not CourseCompletion.objects.exists()
    assert course_progress(learner, course).awaiting_final


def test_passing_the_final_records_the_completion_with_its_score(learner, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final, correct=1)
    passing = take_quiz(learner, final, correct=3)  # 3 of 4: 75%
    completion = CourseCompletion.objects.get()
    assert completion.final_attempt == passing
    assert completion.final_percent == 75


def test_certificate_name_is_the_username_when_the_name_is_empty(course):
    nameless = make_user("kira")
    finish_lessons(nameless, course)
    assert CourseCompletion.objects.get().certificate.learner_name == "kira"


# Never taken away ----------------------------------------------------------------


def test_a_lesson_added_later_keeps_the_learner_completed(learner, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final)
    add_lesson(course)
    progress = course_progress(learner, course)
    assert progress.state == ProgressState.COMPLETED
    assert progress.percent == 100
    assert progress.new_lessons == 1
    assert not progress.awaiting_final


def test_a_new_lesson_done_later_changes_nothing_recorded(learner, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final)
    recorded = CourseCompletion.objects.get()
    complete_lesson(learner, add_lesson(course))
    assert CourseCompletion.objects.get() == recorded
    assert CourseCompletion.objects.get().completed_at == recorded.completed_at
    assert course_progress(learner, course).new_lessons == 0


@pytest.fixture
def overdue_team_assignment(trainer, team, course):
    (assignment,) = assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    return assignment


def test_added_lesson_seen_as_the_issue_reported_it(
    client, learner, trainer, team, course, final, overdue_team_assignment, mailoutbox
):
    """Finished everything, then an eighth lesson was published: still Completed on
    the course page, My learning, the dashboard, the CSV, and no reminder."""
    finish_lessons(learner, course)
    take_quiz(learner, final)
    add_lesson(course)

    client.force_login(learner)
    page = text(client.get(course.get_absolute_url()))
    assert "Completed on" in page
    assert "1 new lesson since you finished" in page
    assert "Opens when every lesson is complete" not in page
    assert "In Progress" not in page
    assert "Completed on" in text(client.get(reverse("courses:my_learning")))
    assert "Overdue" not in text(client.get(reverse("courses:my_learning")))

    dashboard = build_dashboard(team, course)
    (row,) = dashboard.rows
    assert (row.state, row.overdue, row.percent) == (ProgressState.COMPLETED, False, 100)
    assert dashboard.counts["completed"] == 1 and dashboard.counts["overdue"] == 0

    header, *rows = list(export_rows(team, course))
    overdue = header.index("overdue")
    completed = header.index("course completed")
    assert {row[overdue] for row in rows} == {"no"}
    assert all(row[completed] for row in rows)

    call_command("send_reminders", stdout=StringIO())
    assert mailoutbox == []


def test_an_assignment_made_after_completion_is_already_complete(learner, trainer, team, course):
    finish_lessons(learner, course)
    assign_course(by=trainer, course=course, team=team, due_date=timezone.localdate())
    (item,) = assigned_courses(learner)
    assert item.is_complete
    assert item.due_label.startswith("Completed on")


def test_chosen_lessons_stay_completed_when_lessons_are_added(learner, trainer, team, course):
    first, second, _third = course.lessons.all()
    assign_course(by=trainer, course=course, team=team, lessons=[first, second])
    complete_lesson(learner, first)
    complete_lesson(learner, second)
    add_lesson(course)
    (item,) = assigned_courses(learner)
    assert item.is_complete
    assert (item.completed, item.total) == (2, 2)


# A fresh completion ---------------------------------------------------------------


@pytest.fixture
def completed_then_asked_again(learner, trainer, team, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final)
    assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=2),
        require_fresh_completion=True,
    )


def test_a_fresh_completion_is_not_satisfied_by_the_earlier_one(
    learner, team, course, completed_then_asked_again
):
    (item,) = assigned_courses(learner)
    assert not item.is_complete
    assert item.needs_fresh_start
    assert item.due_label == "Due in 2 days"
    (row,) = build_dashboard(team, course).rows
    # The course stays Completed (the earlier completion stands until they start
    # again), the assignment does not: the dashboard shows it due, asked again.
    assert not row.due.is_complete and row.due.applies.needs_fresh_start
    assert row.due.due_date == item.due_date


def test_the_course_page_offers_to_start_again(client, learner, course, completed_then_asked_again):
    client.force_login(learner)
    page = text(client.get(course.get_absolute_url()))
    assert "Your trainer asks you to complete this course again" in page
    assert "Start the course again" in page


def test_starting_again_keeps_the_earlier_run(
    client, learner, course, final, completed_then_asked_again
):
    client.force_login(learner)
    response = client.post(reverse("courses:start_again", args=[course.slug]))
    assert response.status_code == 302
    first = CourseCompletion.objects.get()
    assert first.superseded_at is not None
    assert first.certificate.is_valid  # the earlier certificate still stands
    assert LessonProgress.objects.filter(learner=learner).count() == 0
    assert LessonProgress.all_runs.filter(learner=learner, archived_in=first).count() == 3
    assert Attempt.all_runs.filter(learner=learner, archived_in=first).count() == 1
    assert course_progress(learner, course).state == ProgressState.NOT_STARTED
    assert "Start the course" in text(client.get(course.get_absolute_url()))


def test_a_second_run_records_a_second_completion(
    client, learner, team, course, final, completed_then_asked_again
):
    client.force_login(learner)
    client.post(reverse("courses:start_again", args=[course.slug]))
    finish_lessons(learner, course)
    second_attempt = take_quiz(learner, final)
    assert second_attempt.number == 2  # numbers go on across runs
    assert list(CourseCompletion.objects.order_by("run").values_list("run", flat=True)) == [1, 2]
    (item,) = assigned_courses(learner)
    assert item.is_complete and not item.needs_fresh_start
    (row,) = build_dashboard(team, course).rows
    assert row.state == ProgressState.COMPLETED


def test_the_trainer_sees_every_runs_attempts(
    client, learner, trainer, course, final, completed_then_asked_again
):
    Client().force_login(learner)
    learner_client = Client()
    learner_client.force_login(learner)
    learner_client.post(reverse("courses:start_again", args=[course.slug]))
    finish_lessons(learner, course)
    take_quiz(learner, final)
    client.force_login(trainer)
    page = text(client.get(reverse("training:learner", args=[learner.pk])))
    assert "attempt 1" in page and "attempt 2" in page


def test_starting_again_without_being_asked_is_refused(client, learner, course):
    finish_lessons(learner, course)
    client.force_login(learner)
    response = client.post(reverse("courses:start_again", args=[course.slug]), follow=True)
    assert "Nothing asks you to complete this course again." in text(response)
    assert CourseCompletion.objects.get().superseded_at is None
    assert LessonProgress.objects.filter(learner=learner).count() == 3


def test_a_fresh_completion_cannot_be_for_chosen_lessons(trainer, team, course):
    from training.services import AssignmentError

    with pytest.raises(AssignmentError):
        assign_course(
            by=trainer,
            course=course,
            team=team,
            lessons=[course.lessons.first()],
            require_fresh_completion=True,
        )


# One state everywhere -------------------------------------------------------------


def states_everywhere(client, learner, trainer, team, course, mailoutbox) -> dict:
    """(course state, overdue) for the learner as the rule, every page, the CSV and
    the reminder email say it."""
    (item,) = assigned_courses(learner)
    label = course_progress(learner, course).course_state.label
    client.force_login(learner)
    course_page = text(client.get(course.get_absolute_url()))
    my_learning = text(client.get(reverse("courses:my_learning")))
    client.force_login(trainer)
    learner_page = text(client.get(reverse("training:learner", args=[learner.pk])))
    query = f"?team={team.pk}&course={course.slug}"
    dashboard_page = text(client.get(reverse("training:dashboard") + query))
    export = b"".join(client.get(reverse("training:export") + query).streaming_content)
    header, *rows = list(csv.reader(io.StringIO(export.decode())))
    (row,) = build_dashboard(team, course).rows
    ReminderSent.objects.all().delete()  # so each check's run emails again
    ReminderNotice.objects.all().delete()
    mailoutbox.clear()
    call_command("send_reminders", stdout=StringIO())
    email = mailoutbox[0].body if mailoutbox else ""

    def badge(page: str) -> str:
        # The first state badge (includes/state_badge.html) on the page: the course's.
        found = re.search(r'badge rounded-pill [^"]*">([^<]+)</span>', page)
        return found[1] if found else "?"

    def one(values: set) -> str:
        return values.pop() if len(values) == 1 else f"? {values}"

    # The course page is not the trainers': its badge says In Progress while the
    # final is awaited, and its text says "Final assessment next".
    course_label = badge(course_page)
    if "Final assessment next" in course_page and course_label == "In Progress":
        course_label = "Awaiting final"
    return {
        "rule": (label, item.is_overdue),
        "course page": (course_label, item.is_overdue),
        "My learning": (badge(my_learning), "Overdue by" in my_learning),
        "learner page": (badge(learner_page), "Overdue by" in learner_page),
        "dashboard": (badge(dashboard_page), 'badge text-bg-danger">Overdue<' in dashboard_page),
        "dashboard rows": (row.state.label, row.overdue),
        "CSV": (
            one({r[header.index("state")] for r in rows}),
            one({r[header.index("overdue")] for r in rows}) == "yes",
        ),
        # Nothing pending once completed: no email.
        "email": (
            next((s.label for s in CourseState if f" · {s.label} · " in email), "Completed"),
            "Overdue by" in email,
        ),
    }


def test_every_page_the_csv_and_the_email_agree_on_the_state(
    client, learner, trainer, team, course, mailoutbox
):
    final = make_quiz(course=course)
    assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() - datetime.timedelta(days=2),
    )
    steps = [
        ("not started", lambda: None),
        ("in progress", lambda: start_lesson(learner, course.lessons.first())),
        ("awaiting final", lambda: finish_lessons(learner, course)),
        ("failed final", lambda: take_quiz(learner, final, correct=1)),
        ("completed", lambda: take_quiz(learner, final)),
        ("lesson added", lambda: add_lesson(course)),
    ]
    seen = []
    for name, step in steps:
        step()
        states = states_everywhere(client, learner, trainer, team, course, mailoutbox)
        assert len(set(states.values())) == 1, (name, states)
        seen.append(states["rule"])
    assert seen == [
        ("Not started", True),
        ("In Progress", True),
        ("Awaiting final", True),
        ("Awaiting final", True),
        ("Completed", False),
        ("Completed", False),
    ]


def test_the_dashboard_shows_the_best_final_score_beside_awaiting_final(
    client, learner, trainer, team, course
):
    final = make_quiz(course=course)
    assign_course(by=trainer, course=course, team=team)
    finish_lessons(learner, course)
    take_quiz(learner, final, correct=1)
    client.force_login(trainer)
    page = text(client.get(reverse("training:dashboard") + f"?team={team.pk}&course={course.slug}"))
    assert 'Awaiting final</span> <span class="small">best 25%</span>' in page
    (row,) = build_dashboard(team, course).rows
    assert (row.state, row.final_best, row.percent) == (CourseState.AWAITING_FINAL, 25, 100)


def test_the_dashboard_asks_the_same_rule_as_the_course_page(learner, team, trainer, course):
    """The dashboard counts in SQL and asks CourseProgress; the counts agree with
    the learner's own (progress.rules) at every step."""
    final = make_quiz(course=course)
    assign_course(by=trainer, course=course, team=team)
    for step in (
        lambda: None,
        lambda: start_lesson(learner, course.lessons.first()),
        lambda: finish_lessons(learner, course),
        lambda: take_quiz(learner, final, correct=1),
        lambda: take_quiz(learner, final),
    ):
        step()
        (row,) = build_dashboard(team, course).rows
        assert row.progress == course_progress(learner, course)


# Races and the backfill ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_finishing_the_last_two_lessons_at_once_records_one_completion():
    learner = make_user("racer", password="pw")
    course = make_course(lessons=2)
    lessons = list(course.lessons.all())
    barrier = threading.Barrier(2)
    errors = []

    def finish(lesson):
        client = Client()
        client.force_login(learner)
        try:
            barrier.wait()
            response = client.post(reverse("lessons:complete", args=[course.slug, lesson.slug]))
            if response.status_code != 302:
                errors.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish, args=(lesson,)) for lesson in lessons]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert LessonProgress.objects.filter(state=ProgressState.COMPLETED).count() == 2
    assert CourseCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_the_backfill_records_completions_made_before_records_existed(learner, course, final):
    finish_lessons(learner, course)
    take_quiz(learner, final)
    last_step = Attempt.objects.get().submitted_at
    Certificate.objects.all().delete()
    CourseCompletion.objects.all().delete()  # as before the migration
    import_module("lessons.migrations.0004_backfill_completions").backfill(apps, None)
    completion = CourseCompletion.objects.get()
    assert completion.completed_at == last_step
    assert completion.final_percent == 100
    assert completion.certificate.learner_name == "Alice Learner"
