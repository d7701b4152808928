"""The progress rules, without HTTP."""

import pytest
from django.utils import timezone

from lessons.models import LessonProgress, ProgressState
from lessons.services import LessonError, start_lesson
from progress.rules import (
    courses_with_progress,
    lesson_to_continue,
    lessons_with_state,
    percent_complete,
    progress_from_lessons,
)
from progress.services import complete_lesson
from tests.factories import make_course

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "completed, total, percent",
    [(0, 7, 0), (1, 7, 14), (6, 7, 85), (7, 7, 100), (2, 3, 66), (0, 0, 0), (69, 70, 98)],
)
def test_percent_complete_rounds_down(completed, total, percent):
    assert percent_complete(completed, total) == percent


def test_starting_a_lesson_marks_it_in_progress_once(learner, course):
    lesson = course.lessons.first()
    first = start_lesson(learner, lesson)
    again = start_lesson(learner, lesson)
    assert first.pk == again.pk
    assert again.state == ProgressState.IN_PROGRESS and again.completed_at is None
    assert LessonProgress.objects.count() == 1


def test_completing_twice_records_one_completion(learner, course):
    lesson = course.lessons.first()
    start_lesson(learner, lesson)
    first = complete_lesson(learner, lesson)
    second = complete_lesson(learner, lesson)
    assert LessonProgress.objects.filter(learner=learner, lesson=lesson).count() == 1
    assert second.completed_at == first.completed_at


def test_completing_an_unopened_lesson_records_start_and_completion(learner, course):
    progress = complete_lesson(learner, course.lessons.first())
    assert progress.state == ProgressState.COMPLETED
    assert progress.started_at == progress.completed_at


def test_opening_a_completed_lesson_keeps_it_completed(learner, course):
    lesson = course.lessons.first()
    complete_lesson(learner, lesson)
    assert start_lesson(learner, lesson).state == ProgressState.COMPLETED


def test_retired_lessons_cannot_be_started_or_completed(learner, course):
    lesson = course.lessons.first()
    lesson.retired_at = timezone.now()
    lesson.save()
    with pytest.raises(LessonError):
        start_lesson(learner, lesson)
    with pytest.raises(LessonError):
        complete_lesson(learner, lesson)


def test_course_progress_states(learner, course):
    first, second, third = course.lessons.all()
    assert progress_from_lessons(lessons_with_state(learner, course)).state == "not_started"
    start_lesson(learner, first)
    progress = progress_from_lessons(lessons_with_state(learner, course))
    assert (progress.state, progress.percent) == (ProgressState.IN_PROGRESS, 0)
    for lesson in (first, second, third):
        complete_lesson(learner, lesson)
    progress = progress_from_lessons(lessons_with_state(learner, course))
    assert (progress.state, progress.percent, progress.remaining) == ("completed", 100, 0)


def test_retired_lessons_do_not_count_towards_progress(learner, course):
    first, second, third = course.lessons.all()
    complete_lesson(learner, first)
    complete_lesson(learner, second)
    third.retired_at = timezone.now()
    third.save()
    progress = progress_from_lessons(lessons_with_state(learner, course))
    assert (progress.completed, progress.total, progress.state) == (2, 2, "completed")


def test_another_learners_progress_is_not_counted(learner, second_learner, course):
    complete_lesson(second_learner, course.lessons.first())
    progress = progress_from_lessons(lessons_with_state(learner, course))
    assert (progress.completed, progress.started) == (0, False)


def test_continue_starts_at_the_first_lesson(learner, course):
    assert lesson_to_continue(lessons_with_state(learner, course)).position == 1


def test_continue_goes_to_the_first_unfinished_lesson_reached(learner, course):
    first, second, third = course.lessons.all()
    complete_lesson(learner, first)
    start_lesson(learner, third)  # jumped ahead; lesson 2 is unfinished but never opened
    assert lesson_to_continue(lessons_with_state(learner, course)) == third
    start_lesson(learner, second)
    assert lesson_to_continue(lessons_with_state(learner, course)) == second


def test_continue_goes_to_the_next_lesson_when_none_is_open(learner, course):
    first, second, _third = course.lessons.all()
    complete_lesson(learner, first)
    assert lesson_to_continue(lessons_with_state(learner, course)) == second


def test_continue_goes_back_to_the_start_of_a_completed_course(learner, course):
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    assert lesson_to_continue(lessons_with_state(learner, course)).position == 1


def test_courses_with_progress_counts_in_the_database(learner, second_learner, course):
    other = make_course(lessons=7)
    empty = make_course(lessons=0)
    complete_lesson(learner, other.lessons.first())
    complete_lesson(second_learner, other.lessons.last())
    start_lesson(learner, other.lessons.last())
    rows = dict(courses_with_progress(learner))
    assert empty not in rows
    assert (rows[other].completed, rows[other].total, rows[other].percent) == (1, 7, 14)
    assert rows[other].state == ProgressState.IN_PROGRESS
    assert rows[course].state == ProgressState.NOT_STARTED
