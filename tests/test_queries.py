"""Every page fetches its data in a fixed number of queries, whatever the size of a course.

The counts include the session and user look-ups of an authenticated request, and
the two permission look-ups of the navigation bar (is this user a trainer?).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import Course
from lessons.services import start_lesson
from progress.services import record_lesson_completion
from progress.structure import course_structures
from quizzes.models import Attempt
from tests.factories import make_course, make_quiz

pytestmark = pytest.mark.django_db


def warm_caches(client) -> None:
    """As on every page after a person's first, and every course page after a
    course's first reader: the navigation's flag (training/navigation.py) and the
    courses' structures (progress.structure) are cached, so counts are the page's
    own queries. (A course's first reader after a change pays three queries more,
    its lessons, quizzes and prerequisites: tests/test_prerequisites.py.)"""
    client.get(reverse("accounts:profile"))
    course_structures(Course.objects.all())


def count_queries(client, url: str) -> int:
    warm_caches(client)
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def course_with_progress(learner, lessons: int):
    """A course with a quiz on every lesson and a final assessment; the learner has
    passed the first half of the lessons' quizzes and opened the next lesson."""
    course = make_course(lessons=lessons)
    make_quiz(course=course, max_attempts=3)
    ordered = list(course.lessons.all())
    for lesson in ordered:
        quiz = make_quiz(lesson=lesson)
        if lesson.position <= lessons // 2:
            Attempt.objects.create(
                learner=learner,
                quiz=quiz,
                number=1,
                submitted_at=lesson.created_at,
                score=4,
                max_score=4,
                percent=100,
                passed=True,
            )
            record_lesson_completion(learner, lesson)
    start_lesson(learner, ordered[lessons // 2])
    return course, ordered


def test_my_learning_queries(learner_client, learner, django_assert_max_num_queries):
    course_with_progress(learner, 7)
    warm_caches(learner_client)
    # session, user, assignments, courses (with completion and final passed), the
    # learner's progress, assigned learning paths (none here: two more with some)
    with django_assert_max_num_queries(6):
        learner_client.get(reverse("courses:my_learning"))


def test_course_page_queries(learner_client, learner, django_assert_max_num_queries):
    course, _ = course_with_progress(learner, 7)
    warm_caches(learner_client)
    # session, user, course, the learner's progress, the learner's attempts,
    # completion (the lessons and quizzes are cached)
    with django_assert_max_num_queries(6):
        learner_client.get(course.get_absolute_url())


def test_lesson_page_queries_on_first_visit(learner_client, learner, django_assert_max_num_queries):
    _, lessons = course_with_progress(learner, 7)
    warm_caches(learner_client)
    # As on return: the GET records nothing (the page's script posts the start;
    # tests/test_gets_write_nothing.py pins that POST). It wrote 6 statements more.
    with django_assert_max_num_queries(6):
        learner_client.get(lessons[5].get_absolute_url())


def test_lesson_page_queries_on_return(learner_client, learner, django_assert_max_num_queries):
    _, lessons = course_with_progress(learner, 7)
    warm_caches(learner_client)
    # session, user, the lesson, then as the course page: 6 whatever the course's length
    with django_assert_max_num_queries(6):
        learner_client.get(lessons[0].get_absolute_url())  # completed earlier: read only


def test_my_learning_does_not_grow_with_courses(learner_client, learner):
    course_with_progress(learner, 7)
    few = count_queries(learner_client, reverse("courses:my_learning"))
    for _ in range(9):
        course_with_progress(learner, 7)
    assert count_queries(learner_client, reverse("courses:my_learning")) == few


@pytest.mark.parametrize("page", ["course", "lesson", "continue_lesson"])
def test_pages_do_not_grow_with_lessons(learner_client, learner, page):
    counts = []
    for size in (7, 70):
        course, lessons = course_with_progress(learner, size)
        url = {
            "course": course.get_absolute_url(),
            "lesson": lessons[-1].get_absolute_url(),
            "continue_lesson": lessons[size // 2].get_absolute_url(),
        }[page]
        counts.append(count_queries(learner_client, url))
    assert counts[0] == counts[1]
