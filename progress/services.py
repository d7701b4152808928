"""Recording progress that needs both lessons and quiz attempts: completing a lesson
(by "Mark complete" or by passing its quiz), and the course completion with its
certificate that the last step brings.

A course is completed when every lesson is, and its final assessment (if it has
one) is passed (progress.rules). That moment is recorded once as a CourseCompletion
(with its certificate), in the transaction of the step that finished the course,
and no later change to the course takes it away.

Grading is quizzes' (quizzes.services); :func:`submit_quiz` and
:func:`close_expired_quiz` grade through it and record what a pass completes in the
same transaction, so quizzes never reach up to progress.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course
from lessons.models import (
    Certificate,
    CourseCompletion,
    Lesson,
    LessonProgress,
    ProgressState,
    name_on_certificate,
    new_certificate_code,
)
from lessons.services import LessonError, completion_of, mark_lesson_completed, start_lesson
from progress.rules import final_assessment_for, lessons_with_state, progress_from_lessons
from progress.signals import course_completed
from quizzes.models import Attempt, Quiz
from quizzes.services import AnswerSheet, grade_expired_attempt, grade_submission, time_is_up


@transaction.atomic
def complete_lesson(learner, lesson: Lesson) -> LessonProgress:
    """ "Mark complete". Idempotent: a double click records one completion."""
    if not lesson.is_published:
        raise LessonError(_("This lesson is no longer available."))
    if Quiz.objects.published().filter(lesson=lesson).exists():
        raise LessonError(_("Pass this lesson's quiz to complete it."))
    return record_lesson_completion(learner, lesson)


@transaction.atomic
def record_lesson_completion(learner, lesson: Lesson) -> LessonProgress:
    """Mark the lesson completed for the learner, once (also after passing its quiz),
    and the course too if this was the last step."""
    progress, completed_now = mark_lesson_completed(learner, lesson)
    if completed_now:  # done before: nothing changes, the course included
        record_course_completion(learner, lesson.course)
    return progress


@transaction.atomic
def record_course_completion(learner, course: Course) -> CourseCompletion | None:
    """Record that the learner completed the course, if they now have, exactly once;
    with its certificate. Returns the current completion, or None.

    Called inside the transaction of the lesson completion or passing attempt that
    may finish the course. The learner's row is locked first, so two requests
    finishing the last two lessons at once are serialised: the second sees the
    first's lesson and records the completion (the partial unique constraint on
    current completions backs this up).
    """
    get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
    existing = completion_of(learner, course)
    if existing is not None:
        return existing
    lessons = lessons_with_state(learner, course)
    final = final_assessment_for(learner, course)
    if not progress_from_lessons(lessons, final).is_complete:
        return None
    completed_at = dict(
        LessonProgress.objects.filter(
            learner=learner, lesson__in=[lesson.pk for lesson in lessons]
        ).values_list("lesson_id", "completed_at")
    )
    final_attempt = None
    if final is not None:
        final_attempt = (
            Attempt.objects.filter(learner=learner, quiz=final, passed=True)
            .order_by("submitted_at", "pk")
            .first()
        )
    previous_runs = CourseCompletion.objects.filter(learner=learner, course=course).count()
    now = timezone.now()
    completion = CourseCompletion.objects.create(
        learner=learner,
        course=course,
        run=previous_runs + 1,
        completed_at=now,
        final_attempt=final_attempt,
        final_percent=final_attempt.percent if final_attempt else None,
        lessons=[
            {
                "id": lesson.pk,
                "slug": lesson.slug,
                "title": lesson.title,
                "completed_at": completed_at[lesson.pk].isoformat(),
            }
            for lesson in lessons
        ],
    )
    Certificate.objects.create(
        completion=completion,
        code=new_certificate_code(),
        learner_name=name_on_certificate(learner),
        course_title=course.title,
        issued_at=now,
    )
    course_completed.send(sender=CourseCompletion, completion=completion)
    return completion


def record_due_completions(course: Course) -> int:
    """Record completions that content changes have made due (a lesson retired,
    the final assessment removed) for learners who had done everything else.
    Returns how many were recorded. The importer runs it after every import; the
    candidates are found in one query, so a course with thousands of learners
    part-way through costs the same as one."""
    published = Lesson.objects.published().filter(course=course)
    total = published.count()
    if not total:
        return 0
    done_everything = (
        LessonProgress.objects.filter(lesson__in=published, state=ProgressState.COMPLETED)
        .order_by()
        .values("learner")
        .annotate(done=Count("pk"))
        .filter(done=total)
        .values("learner")
    )
    candidates = (
        get_user_model()
        .objects.filter(pk__in=done_everything)
        .exclude(pk__in=CourseCompletion.objects.current().filter(course=course).values("learner"))
    )
    final = Quiz.objects.published().filter(course=course).first()
    if final is not None:
        candidates = candidates.filter(
            pk__in=Attempt.objects.filter(quiz=final, passed=True).values("learner")
        )
    recorded = 0
    for learner in candidates:
        if record_course_completion(learner, course) is not None:
            recorded += 1
    return recorded


# Quizzes: graded by quizzes.services, completions recorded here ---------------------


@transaction.atomic
def submit_quiz(learner, quiz: Quiz, attempt_id: int, data: AnswerSheet) -> Attempt:
    """The quiz page's submit: grade the learner's open attempt from the posted answers
    (quizzes.services.submit_attempt's rules: exactly once, the deadline, the grace)
    and record the lesson or course completion a pass brings, in one transaction.
    Raises what grading raises (TamperedAnswers, MissingAnswers, AttemptClosed), and
    then nothing is recorded."""
    attempt = grade_submission(learner, quiz, attempt_id, data)
    _record_start(learner, quiz)
    _record_pass(learner, quiz, attempt)
    return attempt


def close_expired_quiz(learner, quiz: Quiz, attempt: Attempt) -> Attempt | None:
    """The quiz page's button once a timed attempt's time is up: grade the attempt with
    its saved answers (quizzes.services.close_expired_attempt's rules) and record what
    a pass completes, in one transaction. None (and no transaction) if the attempt
    is not timed or time is left; raises AttemptClosed (with the attempt) if another
    request graded it first."""
    if not time_is_up(attempt, timezone.now()):
        return None
    with transaction.atomic():
        graded = grade_expired_attempt(learner, quiz, attempt)
        _record_start(learner, quiz)
        _record_pass(learner, quiz, graded)
    return graded


def _record_start(learner, quiz: Quiz) -> None:
    """A lesson's quiz graded: the lesson is started, if nothing recorded it yet (the
    lesson page's start POST is sent by its script, so not without JavaScript)."""
    if quiz.lesson_id is not None:
        start_lesson(learner, quiz.lesson)


def _record_pass(learner, quiz: Quiz, attempt: Attempt) -> None:
    """What passing ``quiz`` completes: its lesson (and so perhaps the course), or for
    the final assessment the course."""
    if not attempt.passed:
        return
    if quiz.is_final_assessment:
        record_course_completion(learner, quiz.course)
    else:
        record_lesson_completion(learner, quiz.lesson)
