"""Lesson progress and quiz attempts are both records of a run through a course
(lessons.models.RunRecord): the default manager reads the current run, ``all_runs``
the history, and related objects reach archived rows too."""

import pytest
from django.utils import timezone

from lessons.models import CourseCompletion, LessonProgress, ProgressState
from quizzes.models import Attempt
from tests.factories import make_quiz

pytestmark = pytest.mark.django_db


@pytest.fixture
def runs(course, learner):
    """An archived and a current row of each kind."""
    now = timezone.now()
    earlier = CourseCompletion.objects.create(
        learner=learner, course=course, completed_at=now, superseded_at=now
    )
    lesson = course.lessons.first()
    quiz = make_quiz(lesson=lesson)
    rows = {}
    for archived_in in (earlier, None):
        progress = LessonProgress.objects.create(
            learner=learner,
            lesson=lesson,
            state=ProgressState.IN_PROGRESS,
            started_at=now,
            archived_in=archived_in,
        )
        attempt = Attempt.objects.create(
            learner=learner,
            quiz=quiz,
            number=2 if archived_in is None else 1,
            archived_in=archived_in,
        )
        rows["current" if archived_in is None else "archived"] = (progress, attempt)
    return earlier, rows


@pytest.mark.parametrize("model", [LessonProgress, Attempt])
def test_the_default_manager_reads_the_current_run(runs, model):
    _earlier, rows = runs
    (current,) = [row for row in rows["current"] if isinstance(row, model)]
    assert list(model.objects.all()) == [current]
    assert model._default_manager.name == "objects"


@pytest.mark.parametrize("model", [LessonProgress, Attempt])
def test_all_runs_reads_the_history_too(runs, model):
    assert model.all_runs.count() == 2
    assert model._base_manager.name == "all_runs"


def test_an_archived_row_is_reached_from_what_it_belongs_to(runs):
    earlier, rows = runs
    progress, attempt = rows["archived"]
    # The related names stayed as they were (read through all_runs: the default
    # manager would leave the archived rows out).
    assert list(earlier.archived_progress(manager="all_runs").all()) == [progress]
    assert list(earlier.archived_attempts(manager="all_runs").all()) == [attempt]
    answer = attempt.answers.create(
        question=attempt.quiz.questions.first(),
        position=1,
        is_correct=True,
        prompt="p",
        given="g",
        expected="e",
    )
    # Through the base manager: an earlier run's attempt is still found.
    answer = type(answer).objects.select_related(None).get(pk=answer.pk)
    assert answer.attempt == attempt
