"""GETs write nothing (issue 22): a course completion is recorded by the step that
met the last requirement, which in the admin is retiring, unpublishing, deleting or
moving away a lesson or the final assessment (courses.signals.content_changed,
received by progress), so the "Course complete" page only reads."""

from __future__ import annotations

from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from lessons.models import Certificate, CourseCompletion, Lesson
from progress.services import complete_lesson
from quizzes.models import Quiz
from tests.factories import make_course, make_quiz, take_quiz
from tests.test_permissions import form_data

pytestmark = pytest.mark.django_db


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


def completed(learner, course) -> None:
    finish_lessons(learner, course)
    take_quiz(learner, course.final_assessment)


def complete_by_the_rule_but_not_recorded(learner, course) -> None:
    """Every lesson done, and the final assessment retired behind the use cases' back
    (a queryset update: no admin, no import): complete by the rule, no record."""
    finish_lessons(learner, course)
    Quiz.objects.filter(pk=course.final_assessment.pk).update(retired_at=timezone.now())
    Course.objects.filter(pk=course.pk).content_changed()  # as a save would (progress.structure)


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
