"""Whether learners worked on a course or a lesson (quizzes.records): asked by the
admin before it offers to delete one. Progress and attempts of earlier runs count
too: they are records of someone's work."""

import pytest
from django.utils import timezone

from lessons.models import CourseCompletion, LessonProgress, ProgressState
from quizzes.models import Attempt
from quizzes.records import course_has_learner_records, lesson_has_learner_records
from tests.factories import make_course, make_quiz

pytestmark = pytest.mark.django_db


def _progress(learner, lesson, **fields) -> LessonProgress:
    return LessonProgress.objects.create(
        learner=learner,
        lesson=lesson,
        state=ProgressState.IN_PROGRESS,
        started_at=timezone.now(),
        **fields,
    )


def _earlier_run(learner, course) -> CourseCompletion:
    now = timezone.now()
    return CourseCompletion.objects.create(
        learner=learner, course=course, completed_at=now, superseded_at=now
    )


def test_a_course_nobody_worked_on_has_no_records(course):
    make_quiz(lesson=course.lessons.first())
    make_quiz(course=course)
    assert not course_has_learner_records(course)


def test_progress_in_a_lesson_is_a_record_of_the_course(course, learner):
    _progress(learner, course.lessons.last())
    assert course_has_learner_records(course)


def test_progress_of_an_earlier_run_is_a_record_of_the_course(course, learner):
    _progress(learner, course.lessons.first(), archived_in=_earlier_run(learner, course))
    assert not LessonProgress.objects.exists()  # the current run has none
    assert course_has_learner_records(course)


def test_an_attempt_at_the_final_assessment_is_a_record_of_the_course(course, learner):
    Attempt.objects.create(learner=learner, quiz=make_quiz(course=course), number=1)
    assert course_has_learner_records(course)


def test_an_attempt_at_a_lesson_quiz_is_a_record_of_the_course(course, learner):
    quiz = make_quiz(lesson=course.lessons.first())
    Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    assert course_has_learner_records(course)


def test_an_attempt_of_an_earlier_run_is_a_record_of_the_course(course, learner):
    quiz = make_quiz(course=course)
    run = _earlier_run(learner, course)
    Attempt.objects.create(learner=learner, quiz=quiz, number=1, archived_in=run)
    assert not Attempt.objects.exists()
    assert course_has_learner_records(course)


def test_records_of_another_course_do_not_count(course, learner):
    other = make_course(lessons=1)
    _progress(learner, other.lessons.get())
    Attempt.objects.create(learner=learner, quiz=make_quiz(course=other), number=1)
    assert not course_has_learner_records(course)


def test_a_lesson_nobody_worked_on_has_no_records(course):
    make_quiz(lesson=course.lessons.first())
    assert not lesson_has_learner_records(course.lessons.first())


def test_progress_in_a_lesson_is_its_record(course, learner):
    lesson = course.lessons.first()
    _progress(learner, lesson, archived_in=_earlier_run(learner, course))
    assert lesson_has_learner_records(lesson)


def test_an_attempt_at_its_quiz_is_a_record_of_the_lesson(course, learner):
    lesson = course.lessons.first()
    run = _earlier_run(learner, course)
    Attempt.objects.create(
        learner=learner, quiz=make_quiz(lesson=lesson), number=1, archived_in=run
    )
    assert lesson_has_learner_records(lesson)


def test_records_of_other_lessons_and_the_final_assessment_do_not_count(course, learner):
    first, second, _third = course.lessons.all()
    _progress(learner, second)
    Attempt.objects.create(learner=learner, quiz=make_quiz(lesson=second), number=1)
    Attempt.objects.create(learner=learner, quiz=make_quiz(course=course), number=1)
    assert not lesson_has_learner_records(first)
    assert lesson_has_learner_records(second)
