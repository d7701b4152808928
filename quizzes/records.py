"""Whether learners have worked on a course or a lesson: progress or quiz attempts,
of any run (an earlier run's rows are archived, not gone). Such content may be
retired, never deleted; the admin asks before it offers to delete it.

Here, in the lowest app that sees both lesson progress (lessons) and attempts
(quizzes). A quiz or a question answers for itself (``Quiz.has_learner_records``,
``Question.has_learner_records``)."""

from django.db.models import Q

from courses.models import Course
from lessons.models import Lesson, LessonProgress
from quizzes.models import Attempt


def course_has_learner_records(course: Course) -> bool:
    """Progress in any of the course's lessons, or an attempt at any of its quizzes."""
    return (
        LessonProgress.all_runs.filter(lesson__course=course).exists()
        or Attempt.all_runs.filter(Q(quiz__course=course) | Q(quiz__lesson__course=course)).exists()
    )


def lesson_has_learner_records(lesson: Lesson) -> bool:
    """Progress in the lesson, or an attempt at its quiz."""
    return (
        LessonProgress.all_runs.filter(lesson=lesson).exists()
        or Attempt.all_runs.filter(quiz__lesson=lesson).exists()
    )
