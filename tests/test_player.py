"""The lesson player and My learning: the outline beside a lesson, Previous/Next with
titles, what the progress counts, and what is next in each course (issue 12)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lessons.models import Lesson
from lessons.services import start_lesson
from progress.rules import (
    courses_with_next_step,
    lesson_to_continue,
    lessons_with_state,
    minutes_left,
)
from progress.services import complete_lesson, record_lesson_completion
from quizzes.models import Attempt
from tests.factories import make_course, make_quiz
from tests.test_queries import count_queries, course_with_progress, warm_caches
from training.services import assign_course

pytestmark = pytest.mark.django_db


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


def visible_text(html: str) -> str:
    """The text a reader sees, tags and their attributes removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def outline_of(response) -> str:
    """The desktop outline's text (the page carries a copy for phones in a disclosure)."""
    html = response.content.decode()
    start = html.index('<aside class="col-lg-4')
    return visible_text(html[start : html.index("</aside>", start)])


def open_lesson(client, lesson) -> None:
    """Open a lesson as a browser does: the page, then its script's start POST (the
    page's GET records nothing)."""
    client.get(lesson.get_absolute_url())
    response = client.post(reverse("lessons:start", args=[lesson.course.slug, lesson.slug]))
    assert response.status_code == 204


def pass_quiz(learner, quiz, percent: int = 100) -> None:
    Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=1,
        submitted_at=timezone.now(),
        score=4,
        max_score=4,
        percent=percent,
        passed=True,
    )


@pytest.fixture
def timed_course(db):
    """Three lessons of 10, 15 and 10 minutes, titled so pages can be read."""
    course = make_course(lessons=3)
    for lesson, (title, minutes) in zip(
        course.lessons.order_by("position"),
        [("What is a customer?", 10), ("Internal customers", 15), ("External customers", 10)],
        strict=True,
    ):
        lesson.title, lesson.minutes = title, minutes
        lesson.save()
    return course


# The lesson page -------------------------------------------------------------------


def test_the_outline_lists_every_lesson_with_its_state_and_quiz_result(
    learner_client, learner, course
):
    first, second, third = course.lessons.order_by("position")
    quiz = make_quiz(lesson=first)
    pass_quiz(learner, quiz, percent=80)
    record_lesson_completion(learner, first)
    open_lesson(learner_client, second)
    outline = outline_of(learner_client.get(second.get_absolute_url()))
    assert "1. Lesson title 1 Completed · quiz best 80%" in outline
    assert "2. Lesson title 2 In Progress" in outline
    assert "3. Lesson title 3 Not started" in outline


def test_the_outline_marks_the_current_lesson(learner_client, course):
    second = course.lessons.get(position=2)
    html = learner_client.get(second.get_absolute_url()).content.decode()
    aside = html[html.index('<aside class="col-lg-4') :]
    assert re.findall(r'href="([^"]+)" aria-current="page"', aside) == [second.get_absolute_url()]


def test_the_outline_shows_the_final_assessment_and_when_it_opens(learner_client, learner, course):
    final = make_quiz(course=course)
    first = course.lessons.get(position=1)
    outline = outline_of(learner_client.get(first.get_absolute_url()))
    assert "Final assessment Opens when every lesson is complete" in outline
    aside = learner_client.get(first.get_absolute_url()).content.decode().split("<aside")[1]
    assert reverse("quizzes:take", args=[final.pk]) not in aside
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    outline = outline_of(learner_client.get(first.get_absolute_url()))
    assert "Final assessment Ready to take" in outline
    aside = learner_client.get(first.get_absolute_url()).content.decode().split("<aside")[1]
    assert reverse("quizzes:take", args=[final.pk]) in aside


def test_the_phone_gets_the_same_outline_behind_a_disclosure(learner_client, course):
    text = page_text(learner_client.get(course.lessons.first().get_absolute_url()))
    assert '<details class="outline-disclosure d-lg-none' in text
    assert text.count('aria-label="Course outline"') == 2  # disclosure and column


def test_previous_and_next_carry_the_lessons_titles(learner_client, timed_course):
    second = timed_course.lessons.get(position=2)
    text = page_text(learner_client.get(second.get_absolute_url()))
    assert re.search(r'rel="prev">.*?‹ Previous</span> <span[^>]*>What is a customer\?<', text)
    assert re.search(r'rel="next">.*?Next ›</span> <span[^>]*>External customers<', text)


def test_the_progress_label_says_it_counts_the_course(learner_client, learner, course):
    first, second, _ = course.lessons.order_by("position")
    complete_lesson(learner, first)
    open_lesson(learner_client, second)
    text = visible_text(learner_client.get(second.get_absolute_url()).content.decode())
    assert "Lesson 2 of 3 · In Progress" in text  # the lesson's own state
    assert "Course: 1 of 3 lessons · 33%" in text
    assert "33% Complete" not in text


def test_with_only_the_final_left_the_course_awaits_it(learner_client, learner, course):
    make_quiz(course=course)
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    text = page_text(learner_client.get(course.lessons.get(position=3).get_absolute_url()))
    assert "Lesson 3 of 3 · Completed" in text
    assert "Course: 3 of 3 lessons · 100%" in text
    course_badge = re.search(r'id="course-progress".*?badge rounded-pill [^"]*">([^<]+)<', text)
    assert course_badge[1] == "Awaiting final"
    assert re.search(r'rel="next"|Next ›</span> <span[^>]*>Final assessment<', text)


def test_reading_a_lesson_again_writes_nothing(learner_client, learner, course):
    lesson = course.lessons.first()
    start_lesson(learner, lesson)
    with CaptureQueriesContext(connection) as context:
        learner_client.get(lesson.get_absolute_url())
        learner_client.get(reverse("courses:my_learning"))
        learner_client.get(reverse("courses:continue", args=[course.slug]))
    writes = [
        q["sql"]
        for q in context.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []


# My learning and "Continue" ----------------------------------------------------------


def test_my_learning_shows_the_next_lesson_and_the_time_left(learner_client, learner, timed_course):
    complete_lesson(learner, timed_course.lessons.get(position=1))
    text = visible_text(learner_client.get(reverse("courses:my_learning")).content.decode())
    assert "Next: Internal customers · about 25 min left" in text


def test_continue_goes_to_the_lesson_opened_last(learner_client, learner, timed_course):
    first, second, third = timed_course.lessons.order_by("position")
    complete_lesson(learner, first)
    start_lesson(learner, third)
    start_lesson(learner, second)  # opened after the third: this is where they were
    response = learner_client.get(reverse("courses:continue", args=[timed_course.slug]))
    assert response["Location"] == second.get_absolute_url()
    html = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert "Next: Internal customers" in visible_text(html)
    assert f'href="{second.get_absolute_url()}">Continue' in html


def test_continue_skips_the_lesson_opened_last_once_it_is_finished(
    learner_client, learner, timed_course
):
    first, second, third = timed_course.lessons.order_by("position")
    start_lesson(learner, second)
    start_lesson(learner, third)
    complete_lesson(learner, third)
    response = learner_client.get(reverse("courses:continue", args=[timed_course.slug]))
    assert response["Location"] == second.get_absolute_url()


@pytest.mark.parametrize(
    "opened, completed",
    [
        ([], []),
        ([1], []),
        ([3, 2], [1]),
        ([2, 3], [3]),
        ([1, 2, 3], [1, 2, 3]),
        ([], [2]),
    ],
)
def test_my_learnings_bulk_rule_agrees_with_the_lesson_rule(
    learner, timed_course, opened, completed
):
    lessons = {lesson.position: lesson for lesson in timed_course.lessons.all()}
    for position in opened:
        start_lesson(learner, lessons[position])
    for position in completed:
        complete_lesson(learner, lessons[position])
    with_state = lessons_with_state(learner, timed_course)
    expected = lesson_to_continue([item for item in with_state if item.state != "completed"])
    ((_course, _progress, step),) = courses_with_next_step(
        learner, type(timed_course).objects.filter(pk=timed_course.pk)
    )
    assert (step.lesson.slug if step.lesson else None) == (expected.slug if expected else None)
    assert step.minutes_left == minutes_left(with_state)


def test_an_assignment_of_chosen_lessons_shows_the_next_of_those(
    learner_client, learner, trainer, team, timed_course
):
    first, second, third = timed_course.lessons.order_by("position")
    assign_course(by=trainer, course=timed_course, team=team, lessons=[first, third])
    complete_lesson(learner, first)
    text = visible_text(learner_client.get(reverse("courses:my_learning")).content.decode())
    assert "Next: External customers · about 10 min left" in text


def test_a_course_awaiting_its_final_says_so_on_my_learning(learner_client, learner, course):
    make_quiz(course=course)
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    text = visible_text(learner_client.get(reverse("courses:my_learning")).content.decode())
    assert "Awaiting final" in text and "Next: Final assessment" in text


# Query counts ---------------------------------------------------------------------------


def test_my_learning_with_assignments_costs_what_it_did(
    learner_client, learner, trainer, team, django_assert_max_num_queries
):
    for _ in range(3):
        course, _lessons = course_with_progress(learner, 7)
        assign_course(by=trainer, course=course, team=team)
    warm_caches(learner_client)
    # session, user; assignments and their lessons, their courses with the learner's
    # progress (2), done, published, finals; every visible course (with completion
    # and final passed) and the learner's progress (2); assigned learning paths (none
    # here). The lessons and quizzes are cached (progress.structure).
    with django_assert_max_num_queries(12):
        learner_client.get(reverse("courses:my_learning"))


def test_chosen_lessons_cost_one_query_more_once(
    learner_client, learner, trainer, team, django_assert_max_num_queries
):
    for _ in range(3):
        course, lessons = course_with_progress(learner, 7)
        assign_course(by=trainer, course=course, team=team, lessons=lessons[:3])
    warm_caches(learner_client)
    # 12 as above, + the chosen lessons with the learner's state in them.
    with django_assert_max_num_queries(13):
        learner_client.get(reverse("courses:my_learning"))


def test_my_learning_does_not_grow_with_chosen_lessons(learner_client, learner, trainer, team):
    course, lessons = course_with_progress(learner, 7)
    assign_course(by=trainer, course=course, team=team, lessons=lessons[:3])
    few = count_queries(learner_client, reverse("courses:my_learning"))
    for _ in range(5):
        course, lessons = course_with_progress(learner, 7)
        assign_course(by=trainer, course=course, team=team, lessons=lessons[2:])
    assert count_queries(learner_client, reverse("courses:my_learning")) == few


def test_a_lesson_without_minutes_counts_none(learner, course):
    lessons = lessons_with_state(learner, course)
    assert all(isinstance(lesson, Lesson) and lesson.minutes is None for lesson in lessons)
    assert minutes_left(lessons) == 0
