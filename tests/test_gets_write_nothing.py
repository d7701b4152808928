"""GETs write nothing (issue 22): a learner's pages only read, whatever the learner's
state in the course. A lesson's start is recorded by the lesson page's POST
(``lessons:start``, sent by its script on load) or, without JavaScript, by its first
completion or its quiz's first submit; a quiz attempt is opened by the quiz page's
Start button (``quizzes:start``) and a timed attempt whose time is up is graded by
its button (``quizzes:close``); a course completion is recorded by the step that met the last
requirement, which in the admin is retiring, unpublishing or deleting a lesson or
the final assessment (courses.signals.content_changed, received by progress)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from unittest import mock

import pytest
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, Visibility
from lessons.models import Certificate, CourseCompletion, Lesson, LessonProgress, ProgressState
from lessons.services import start_lesson
from progress.rules import course_progress
from progress.services import complete_lesson
from quizzes.models import Attempt, Quiz
from quizzes.services import open_attempt, quiz_status
from tests.factories import (
    answer_sheet,
    make_course,
    make_lesson,
    make_quiz,
    make_user,
    press_start,
    take_quiz,
)
from tests.test_permissions import changed_tables, form_data, snapshot
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course

pytestmark = pytest.mark.django_db

START = "lessons:start"


def start_url(lesson: Lesson) -> str:
    return reverse(START, args=[lesson.course.slug, lesson.slug])


def completion_of(learner, course) -> CourseCompletion | None:
    return CourseCompletion.objects.filter(learner=learner, course=course).first()


# One true/false question: a wrong answer sheet is one of a kind.
ONE_QUESTION = [
    {"type": "true_false", "prompt": "Is it so?", "choices": [("True", True), ("False", False)]}
]


@pytest.fixture
def course_with_quizzes(db):
    """Three lessons, a quiz on the first, and a final assessment."""
    course = make_course(lessons=3)
    make_quiz(lesson=course.lessons.get(position=1), questions=ONE_QUESTION)
    make_quiz(course=course, questions=ONE_QUESTION)
    return course


def lessons_of(course) -> list[Lesson]:
    return list(course.lessons.order_by("position"))


def finish_lessons(learner, course) -> None:
    first, *rest = lessons_of(course)
    take_quiz(learner, first.quiz)
    for lesson in rest:
        complete_lesson(learner, lesson)


# The learner's states: each leaves the course as a learner can find it ------------


def nothing_yet(learner, course) -> None:
    pass


def opened_the_second_lesson(learner, course) -> None:
    start_lesson(learner, lessons_of(course)[1])


def finished_the_second_lesson(learner, course) -> None:
    complete_lesson(learner, lessons_of(course)[1])


def opened_the_first_quiz(learner, course) -> None:
    quiz = lessons_of(course)[0].quiz
    open_attempt(learner, quiz, quiz_status(learner, quiz).used)


def failed_the_first_quiz(learner, course) -> None:
    take_quiz(learner, lessons_of(course)[0].quiz, correct=False)


def awaiting_the_final(learner, course) -> None:
    finish_lessons(learner, course)


def failed_the_final(learner, course) -> None:
    finish_lessons(learner, course)
    take_quiz(learner, course.final_assessment, correct=False)


def completed(learner, course) -> None:
    finish_lessons(learner, course)
    take_quiz(learner, course.final_assessment)


def completed_then_a_lesson_added(learner, course) -> None:
    completed(learner, course)
    make_lesson(course, 4, slug="new-lesson", title="New lesson")


def completed_then_asked_again(learner, course) -> None:
    completed(learner, course)
    trainer = make_user("tess")
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Again")
    team.members.add(learner)
    team.trainers.add(trainer)
    assign_course(
        by=trainer,
        course=course,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
        require_fresh_completion=True,
    )


def complete_by_the_rule_but_not_recorded(learner, course) -> None:
    """Every lesson done, and the final assessment retired behind the use cases' back
    (a queryset update: no admin, no import): complete by the rule, no record."""
    finish_lessons(learner, course)
    Quiz.objects.filter(pk=course.final_assessment.pk).update(retired_at=timezone.now())
    Course.objects.filter(pk=course.pk).content_changed()  # as a save would (progress.structure)


STATES: list[Callable] = [
    nothing_yet,
    opened_the_second_lesson,
    finished_the_second_lesson,
    opened_the_first_quiz,
    failed_the_first_quiz,
    awaiting_the_final,
    failed_the_final,
    completed,
    completed_then_a_lesson_added,
    completed_then_asked_again,
    complete_by_the_rule_but_not_recorded,
]


def learner_pages(course) -> dict[str, str]:
    """Every page a learner reads about a course, each lesson's included."""
    pages = {
        "home": reverse("courses:home"),
        "my learning": reverse("courses:my_learning"),
        "catalogue": reverse("courses:catalogue"),
        "course page": course.get_absolute_url(),
        "continue": reverse("courses:continue", args=[course.slug]),
        "course complete": reverse("courses:complete", args=[course.slug]),
    }
    for lesson in Lesson.objects.published().filter(course=course).order_by("position"):
        pages[f"lesson {lesson.position}"] = lesson.get_absolute_url()
    quizzes = Quiz.objects.published().filter(Q(lesson__course=course) | Q(course=course))
    for quiz in quizzes.order_by("pk"):
        pages[f"quiz {quiz.pk}"] = quiz.get_absolute_url()  # locked, intro, open, or used up
    return pages


@pytest.mark.parametrize("state", STATES, ids=[state.__name__ for state in STATES])
def test_reading_a_learners_pages_changes_no_table(
    learner_client, learner, course_with_quizzes, state
):
    course = course_with_quizzes
    state(learner, course)
    course.refresh_from_db()
    problems = []
    for name, url in learner_pages(course).items():
        before = snapshot()
        response = learner_client.get(url)
        if response.status_code not in (200, 302):
            problems.append(f"{name}: {response.status_code}")
        if tables := changed_tables(before, snapshot()):
            problems.append(f"{name} ({url}) changed {tables}")
    assert not problems, "\n".join(problems)


def test_a_lesson_never_opened_is_shown_not_started(learner_client, learner, course):
    second = course.lessons.get(position=2)
    html = learner_client.get(second.get_absolute_url()).content.decode()
    assert "Lesson 2 of 3 · Not started" in " ".join(html.split())
    assert not LessonProgress.objects.filter(learner=learner).exists()


# Course complete: read only -----------------------------------------------------------


def test_course_complete_without_a_record_shows_no_certificate_and_records_none(
    learner_client, learner, course_with_quizzes
):
    course = course_with_quizzes
    complete_by_the_rule_but_not_recorded(learner, course)
    response = learner_client.get(reverse("courses:complete", args=[course.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Course complete" in page
    assert "View your certificate" not in page
    assert not CourseCompletion.objects.exists() and not Certificate.objects.exists()


def test_course_complete_shows_the_recorded_completion(
    learner_client, learner, course_with_quizzes
):
    completed(learner, course_with_quizzes)
    completion = completion_of(learner, course_with_quizzes)
    page = learner_client.get(
        reverse("courses:complete", args=[course_with_quizzes.slug])
    ).content.decode()
    assert "View your certificate" in page
    assert completion.certificate.get_absolute_url() in page


# The start POST ------------------------------------------------------------------------


@pytest.fixture
def clock():
    """Django's clock, moved by the test."""
    now = [timezone.now().replace(microsecond=0)]
    with mock.patch("django.utils.timezone.now", side_effect=lambda: now[0]):
        yield now


def test_the_start_post_records_the_lesson_started(learner_client, learner, course, clock):
    lesson = course.lessons.get(position=2)
    response = learner_client.post(start_url(lesson))
    assert response.status_code == 204
    progress = LessonProgress.objects.get(learner=learner)
    assert (progress.lesson, progress.state) == (lesson, ProgressState.IN_PROGRESS)
    assert progress.started_at == clock[0]


def test_a_second_start_post_changes_nothing(learner_client, learner, course, clock):
    lesson = course.lessons.get(position=2)
    learner_client.post(start_url(lesson))
    first = LessonProgress.objects.get(learner=learner)
    clock[0] += datetime.timedelta(hours=1)
    before = snapshot()
    assert learner_client.post(start_url(lesson)).status_code == 204
    assert changed_tables(before, snapshot()) == []
    assert LessonProgress.objects.get(learner=learner).started_at == first.started_at


def test_a_start_post_leaves_a_completed_lesson_completed(learner_client, learner, course):
    lesson = course.lessons.get(position=1)
    complete_lesson(learner, lesson)
    before = snapshot()
    assert learner_client.post(start_url(lesson)).status_code == 204
    assert changed_tables(before, snapshot()) == []


def test_the_start_address_refuses_a_get(learner_client, learner, course):
    lesson = course.lessons.get(position=1)
    before = snapshot()
    assert learner_client.get(start_url(lesson)).status_code == 405
    assert changed_tables(before, snapshot()) == []


def test_the_start_post_needs_a_login(client, course):
    lesson = course.lessons.get(position=1)
    response = client.post(start_url(lesson))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not LessonProgress.objects.exists()


@pytest.mark.parametrize("which", ["assigned to others", "draft", "retired", "no such lesson"])
def test_a_start_post_for_a_lesson_the_learner_may_not_see_is_a_404(
    learner_client, learner, other_team, which
):
    course = make_course(lessons=2, slug="hidden")
    lesson = course.lessons.get(position=1)
    url = start_url(lesson)
    if which == "assigned to others":
        course.visibility = Visibility.ASSIGNED
        course.save()
        assign_course(by=other_team.trainers.get(), course=course, team=other_team)
    elif which == "draft":
        Lesson.objects.filter(pk=lesson.pk).update(published_at=None)
    elif which == "retired":
        Lesson.objects.filter(pk=lesson.pk).update(retired_at=timezone.now())
    else:
        url = reverse(START, args=[course.slug, "no-such-lesson"])
    assert learner_client.post(url).status_code == 404
    assert not LessonProgress.objects.exists()


def test_the_start_post_costs_a_few_queries(learner_client, course, django_assert_max_num_queries):
    from tests.test_queries import warm_caches

    lesson = course.lessons.get(position=2)
    warm_caches(learner_client)
    # session, user, the lesson with its course, then start_lesson's get_or_create:
    # SELECT and INSERT inside two savepoints (6 statements)
    with django_assert_max_num_queries(9):
        assert learner_client.post(start_url(lesson)).status_code == 204


def test_the_lesson_page_offers_the_start_post_until_the_lesson_is_started(
    learner_client, learner, course
):
    lesson = course.lessons.get(position=2)
    html = learner_client.get(lesson.get_absolute_url()).content.decode()
    assert f'action="{start_url(lesson)}"' in html
    assert "js/lesson-start.js" in html
    learner_client.post(start_url(lesson))
    html = learner_client.get(lesson.get_absolute_url()).content.decode()
    assert f'action="{start_url(lesson)}"' not in html
    assert "Lesson 2 of 3 · In Progress" in " ".join(html.split())


def test_the_preview_offers_no_start_post(client, admin_user, course):
    client.force_login(admin_user)
    lesson = course.lessons.get(position=2)
    html = client.get(reverse("preview_lesson", args=[lesson.pk])).content.decode()
    assert start_url(lesson) not in html


def test_without_javascript_the_first_completion_records_the_start(
    learner_client, learner, course, clock
):
    lesson = course.lessons.get(position=1)
    learner_client.get(lesson.get_absolute_url())  # no script ran: nothing recorded
    assert not LessonProgress.objects.exists()
    learner_client.post(reverse("lessons:complete", args=[course.slug, lesson.slug]))
    progress = LessonProgress.objects.get(learner=learner)
    assert progress.state == ProgressState.COMPLETED
    assert progress.started_at == progress.completed_at == clock[0]


def test_the_start_post_puts_the_course_in_progress(learner_client, learner, course):
    assert course_progress(learner, course).state == ProgressState.NOT_STARTED
    learner_client.get(course.lessons.get(position=1).get_absolute_url())
    assert course_progress(learner, course).state == ProgressState.NOT_STARTED
    learner_client.post(start_url(course.lessons.get(position=1)))
    assert course_progress(learner, course).state == ProgressState.IN_PROGRESS


def test_continue_goes_to_the_lesson_last_started_through_the_post(
    learner_client, learner, course, clock
):
    first, second, third = course.lessons.order_by("position")
    complete_lesson(learner, first)
    learner_client.post(start_url(third))
    clock[0] += datetime.timedelta(minutes=5)
    learner_client.post(start_url(second))
    clock[0] += datetime.timedelta(minutes=5)
    learner_client.get(third.get_absolute_url())  # reading the third again moves nothing
    response = learner_client.get(reverse("courses:continue", args=[course.slug]))
    assert response["Location"] == second.get_absolute_url()


# The quiz page: its GET opens no attempt and grades none --------------------------


QUIZ_START = "quizzes:start"


def quiz_start_url(quiz: Quiz) -> str:
    return reverse(QUIZ_START, args=[quiz.pk])


@pytest.fixture
def lesson_quiz(course):
    return make_quiz(lesson=course.lessons.get(position=1), questions=ONE_QUESTION, max_attempts=2)


def test_the_quiz_page_without_an_open_attempt_offers_start_and_opens_nothing(
    learner_client, lesson_quiz
):
    before = snapshot()
    response = learner_client.get(lesson_quiz.get_absolute_url())
    assert response.status_code == 200
    assert changed_tables(before, snapshot()) == []
    html = response.content.decode()
    page = " ".join(html.split())
    assert f'action="{quiz_start_url(lesson_quiz)}"' in html
    assert "Start quiz" in page and "Pass mark 80%" in page and "0 of 2 attempts used" in page
    assert 'name="attempt"' not in html  # no questions before Start
    assert not Attempt.objects.exists()


def test_start_opens_the_attempt_and_the_page_then_shows_its_questions(
    learner_client, learner, lesson_quiz
):
    response = learner_client.post(quiz_start_url(lesson_quiz))
    assert response.status_code == 302
    assert response["Location"] == lesson_quiz.get_absolute_url()
    attempt = Attempt.objects.get(learner=learner, quiz=lesson_quiz)
    assert attempt.number == 1 and not attempt.is_submitted
    before = snapshot()
    html = learner_client.get(lesson_quiz.get_absolute_url()).content.decode()
    assert changed_tables(before, snapshot()) == []
    assert f'name="attempt" value="{attempt.pk}"' in html and "Is it so?" in html


def test_a_second_start_opens_no_second_attempt(learner_client, learner, lesson_quiz):
    learner_client.post(quiz_start_url(lesson_quiz))
    before = snapshot()
    assert learner_client.post(quiz_start_url(lesson_quiz)).status_code == 302
    assert changed_tables(before, snapshot()) == []
    assert Attempt.objects.filter(learner=learner).count() == 1


def test_after_an_attempt_the_button_names_the_next_one(learner_client, learner, lesson_quiz):
    take_quiz(learner, lesson_quiz, correct=False)
    page = " ".join(learner_client.get(lesson_quiz.get_absolute_url()).content.decode().split())
    assert "Start attempt 2" in page and "1 of 2 attempts used" in page


def test_start_with_no_attempts_left_opens_none(learner_client, learner, lesson_quiz):
    take_quiz(learner, lesson_quiz, correct=False)
    take_quiz(learner, lesson_quiz, correct=False)
    before = snapshot()
    response = learner_client.post(quiz_start_url(lesson_quiz))
    assert response["Location"] == lesson_quiz.get_absolute_url()
    assert changed_tables(before, snapshot()) == []
    page = " ".join(learner_client.get(response["Location"]).content.decode().split())
    assert "2 of 2 attempts used: no attempts left." in page
    assert quiz_start_url(lesson_quiz) not in page


def test_start_of_a_locked_final_opens_none_and_the_page_says_why(learner_client, course):
    final = make_quiz(course=course, questions=ONE_QUESTION)
    response = learner_client.post(quiz_start_url(final))
    assert response["Location"] == final.get_absolute_url()
    assert not Attempt.objects.exists()
    page = " ".join(learner_client.get(final.get_absolute_url()).content.decode().split())
    assert "opens when every lesson is complete: 3 lessons to go" in page
    assert quiz_start_url(final) not in page


def test_the_quiz_start_address_refuses_a_get(learner_client, lesson_quiz):
    before = snapshot()
    assert learner_client.get(quiz_start_url(lesson_quiz)).status_code == 405
    assert changed_tables(before, snapshot()) == []


def test_the_quiz_start_needs_a_login(client, lesson_quiz):
    response = client.post(quiz_start_url(lesson_quiz))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Attempt.objects.exists()


def test_a_start_of_a_quiz_the_learner_may_not_see_is_a_404(learner_client, other_team):
    course = make_course(lessons=1, slug="hidden")
    course.visibility = Visibility.ASSIGNED
    course.save()
    assign_course(by=other_team.trainers.get(), course=course, team=other_team)
    quiz = make_quiz(lesson=course.lessons.get(), questions=ONE_QUESTION)
    assert learner_client.post(quiz_start_url(quiz)).status_code == 404
    assert not Attempt.objects.exists()


@pytest.fixture
def timed_quiz(course):
    return make_quiz(lesson=course.lessons.get(position=1), questions=ONE_QUESTION, time_limit=5)


def test_a_timed_attempt_gets_its_deadline_from_start_not_from_the_page(
    learner_client, learner, timed_quiz, clock
):
    learner_client.get(timed_quiz.get_absolute_url())
    assert not Attempt.objects.exists()
    page = " ".join(learner_client.get(timed_quiz.get_absolute_url()).content.decode().split())
    assert "Time limit: 5 minutes. The time starts when you press Start" in page
    clock[0] += datetime.timedelta(minutes=3)
    learner_client.post(quiz_start_url(timed_quiz))
    attempt = Attempt.objects.get(learner=learner)
    assert attempt.deadline == clock[0] + datetime.timedelta(minutes=5)


def test_after_the_deadline_the_page_grades_nothing_and_offers_the_result(
    learner_client, learner, timed_quiz, clock
):
    learner_client.post(quiz_start_url(timed_quiz))
    attempt = Attempt.objects.get(learner=learner)
    clock[0] += datetime.timedelta(minutes=6)
    before = snapshot()
    response = learner_client.get(timed_quiz.get_absolute_url())
    assert changed_tables(before, snapshot()) == []
    assert response.status_code == 200
    html = response.content.decode()
    assert "Time is up." in html
    assert f'action="{reverse("quizzes:close", args=[timed_quiz.pk])}"' in html
    assert 'name="attempt"' not in html  # no form to answer into any more
    assert not Attempt.objects.get(pk=attempt.pk).is_submitted


def test_the_time_is_up_button_grades_the_saved_answers_once(
    learner_client, learner, timed_quiz, clock
):
    learner_client.post(quiz_start_url(timed_quiz))
    attempt = Attempt.objects.get(learner=learner)
    sheet = answer_sheet(timed_quiz, attempt)
    learner_client.post(reverse("quizzes:save", args=[attempt.pk]), sheet)
    clock[0] += datetime.timedelta(minutes=6)
    close = reverse("quizzes:close", args=[timed_quiz.pk])
    response = learner_client.post(close)
    assert response["Location"] == attempt.get_absolute_url()
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.score == 1 and attempt.passed
    before = snapshot()
    assert learner_client.post(close)["Location"] == timed_quiz.get_absolute_url()
    assert changed_tables(before, snapshot()) == []


def test_the_time_is_up_button_before_the_deadline_grades_nothing(
    learner_client, learner, timed_quiz, clock
):
    learner_client.post(quiz_start_url(timed_quiz))
    before = snapshot()
    response = learner_client.post(reverse("quizzes:close", args=[timed_quiz.pk]))
    assert response["Location"] == timed_quiz.get_absolute_url()
    assert changed_tables(before, snapshot()) == []


def test_without_javascript_a_failed_lesson_quiz_records_the_lesson_started(
    learner_client, learner, course, lesson_quiz, clock
):
    lesson = lesson_quiz.lesson
    learner_client.get(lesson.get_absolute_url())  # no script ran: nothing recorded
    press_start(learner_client, lesson_quiz)
    attempt = Attempt.objects.get(learner=learner)
    assert not LessonProgress.objects.exists()
    sheet = answer_sheet(lesson_quiz, attempt, correct=False)
    learner_client.post(lesson_quiz.get_absolute_url(), sheet)
    assert Attempt.objects.get(pk=attempt.pk).passed is False
    progress = LessonProgress.objects.get(learner=learner, lesson=lesson)
    assert (progress.state, progress.started_at) == (ProgressState.IN_PROGRESS, clock[0])
    assert course_progress(learner, course).state == ProgressState.IN_PROGRESS


def test_a_quiz_submit_keeps_the_start_already_recorded(
    learner_client, learner, lesson_quiz, clock
):
    learner_client.post(start_url(lesson_quiz.lesson))
    started = LessonProgress.objects.get(learner=learner).started_at
    clock[0] += datetime.timedelta(minutes=10)
    take_quiz(learner, lesson_quiz, correct=False)
    assert LessonProgress.objects.get(learner=learner).started_at == started


# The admin records the completions its changes make due ---------------------------


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def run_action(admin_client: Client, model, action: str, objects) -> None:
    response = admin_client.post(
        changelist(model),
        {"action": action, "_selected_action": [obj.pk for obj in objects], "index": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def two_of_three(learner, second_learner, course):
    """The learner has done lessons 1 and 2 of 3 (lesson 3 never opened); the second
    learner only lesson 1."""
    first, second, _third = course.lessons.order_by("position")
    complete_lesson(learner, first)
    complete_lesson(learner, second)
    complete_lesson(second_learner, first)
    return course


@pytest.mark.parametrize("action", ["retire", "unpublish"])
def test_withdrawing_the_last_lesson_left_in_the_admin_records_the_completion(
    admin_client, learner, second_learner, two_of_three, action
):
    course = two_of_three
    run_action(admin_client, Lesson, action, [course.lessons.get(position=3)])
    completion = completion_of(learner, course)
    assert completion is not None and completion.certificate.is_valid
    assert [item["slug"] for item in completion.lessons] == ["lesson-1", "lesson-2"]
    assert completion_of(second_learner, course) is None


def test_retiring_a_lesson_in_the_course_form_records_the_completion(
    admin_client, learner, second_learner, two_of_three
):
    course = two_of_three
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = form_data(admin_client, url, {})
    third = course.lessons.get(position=3)
    (prefix,) = [
        key.removesuffix("-id")
        for key, value in data.items()
        if key.startswith("lessons-") and key.endswith("-id") and value == [str(third.pk)]
    ]
    now = timezone.localtime()
    data[f"{prefix}-retired_at_0"] = [now.date().isoformat()]
    data[f"{prefix}-retired_at_1"] = [now.time().replace(microsecond=0).isoformat()]
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    third.refresh_from_db()
    assert third.retired_at is not None
    assert completion_of(learner, course) is not None
    assert completion_of(second_learner, course) is None


def test_deleting_a_lesson_no_one_opened_records_the_completion(
    admin_client, learner, two_of_three
):
    third = two_of_three.lessons.get(position=3)
    response = admin_client.post(
        reverse("admin:lessons_lesson_delete", args=[third.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=third.pk).exists()
    assert completion_of(learner, two_of_three) is not None


def test_deleting_lessons_from_the_list_records_the_completion(admin_client, learner, two_of_three):
    third = two_of_three.lessons.get(position=3)
    response = admin_client.post(
        changelist(Lesson),
        {"action": "delete_selected", "_selected_action": [third.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=third.pk).exists()
    assert completion_of(learner, two_of_three) is not None


def test_moving_the_last_lesson_left_to_another_course_records_the_completion(
    admin_client, learner, two_of_three
):
    other = make_course(lessons=0)
    third = two_of_three.lessons.get(position=3)
    url = reverse("admin:lessons_lesson_change", args=[third.pk])
    response = admin_client.post(url, form_data(admin_client, url, {"course": [str(other.pk)]}))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Lesson.objects.get(pk=third.pk).course == other
    assert completion_of(learner, two_of_three) is not None


@pytest.fixture
def awaiting_final(learner, second_learner, course):
    """The learner has done every lesson and not passed the final; the second
    learner has done one lesson."""
    final = make_quiz(course=course, questions=ONE_QUESTION)
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    complete_lesson(second_learner, course.lessons.get(position=1))
    return final


def test_retiring_the_final_assessment_in_the_admin_records_the_completion(
    admin_client, learner, second_learner, course, awaiting_final
):
    take_quiz(learner, awaiting_final, correct=False)  # tried and failed: records stay
    url = reverse("admin:quizzes_quiz_change", args=[awaiting_final.pk])
    now = timezone.localtime()
    changes = {
        "retired_at_0": [now.date().isoformat()],
        "retired_at_1": [now.time().replace(microsecond=0).isoformat()],
    }
    response = admin_client.post(url, form_data(admin_client, url, changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Quiz.objects.get(pk=awaiting_final.pk).retired_at is not None
    completion = completion_of(learner, course)
    assert completion is not None and completion.final_attempt is None
    assert completion_of(second_learner, course) is None


def test_deleting_a_final_no_one_took_records_the_completion(
    admin_client, learner, course, awaiting_final
):
    response = admin_client.post(
        reverse("admin:quizzes_quiz_delete", args=[awaiting_final.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Quiz.objects.filter(pk=awaiting_final.pk).exists()
    assert completion_of(learner, course) is not None


def test_an_admin_change_that_withdraws_nothing_records_nothing(
    admin_client, learner, two_of_three
):
    run_action(admin_client, Lesson, "retire", [two_of_three.lessons.get(position=1)])
    assert not CourseCompletion.objects.exists()


def test_the_completion_is_recorded_in_the_admin_changes_transaction(
    admin_client, learner, two_of_three
):
    third = two_of_three.lessons.get(position=3)
    with (
        mock.patch("progress.receivers.record_due_completions", side_effect=RuntimeError),
        pytest.raises(RuntimeError),
    ):
        run_action(admin_client, Lesson, "retire", [third])
    assert Lesson.objects.get(pk=third.pk).retired_at is None  # undone with it
    assert completion_of(learner, two_of_three) is None
