from django.contrib import messages
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from courses.models import Course
from lessons.services import final_assessment_for, lessons_with_state, progress_from_lessons
from quizzes.models import Attempt, Quiz
from quizzes.services import (
    AttemptClosed,
    MissingAnswers,
    QuizLocked,
    TamperedAnswers,
    open_attempt,
    questions_for,
    quiz_status,
    results_for,
    review_attempt,
    submit_attempt,
)


def _published_quiz(request: HttpRequest, quiz_id: int) -> Quiz:
    visible = Course.objects.visible_to(request.user)
    quiz = get_object_or_404(
        Quiz.objects.published()
        .filter(Q(course__in=visible) | Q(lesson__course__in=visible))
        .select_related("lesson__course", "course"),
        pk=quiz_id,
    )
    if quiz.lesson_id and not quiz.lesson.is_published:
        raise Http404("This quiz is no longer available.")
    return quiz


def take_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    quiz = _published_quiz(request, quiz_id)
    if request.method == "POST":
        return _submit(request, quiz)
    status = quiz_status(request.user, quiz)
    try:
        attempt = open_attempt(request.user, quiz, status.used)
    except QuizLocked as exc:
        return _render_quiz(request, quiz, status, locked=str(exc))
    return _render_quiz(request, quiz, status, attempt=attempt)


def _render_quiz(request, quiz, status, *, attempt=None, locked="", missing=None):
    questions = questions_for(quiz, attempt) if attempt else []
    given = missing.given if missing else {}
    for question in questions:
        # What the learner had answered, shown back when something was left blank.
        question.given = given.get(question.pk)
        question.unanswered = bool(missing) and question.pk in missing.unanswered
    return render(
        request,
        "quizzes/take.html",
        {
            "quiz": quiz,
            "course": quiz.owning_course,
            "status": status,
            "attempt": attempt,
            "questions": questions,
            "locked": locked,
        },
    )


def _submit(request: HttpRequest, quiz: Quiz) -> HttpResponse:
    raw_attempt = request.POST.get("attempt", "")
    if not raw_attempt.isdigit():
        raise BadRequest("The answer sheet has no valid attempt.")
    try:
        attempt = submit_attempt(request.user, quiz, int(raw_attempt), request.POST)
    except TamperedAnswers as exc:
        raise BadRequest(str(exc)) from exc
    except AttemptClosed as exc:
        messages.warning(request, str(exc))
        return redirect(exc.attempt or quiz)
    except MissingAnswers as exc:
        messages.error(request, str(exc))
        attempt = Attempt.objects.get(pk=int(raw_attempt), learner=request.user)
        return _render_quiz(
            request, quiz, quiz_status(request.user, quiz), attempt=attempt, missing=exc
        )
    return redirect(attempt)


def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(
        Attempt.objects.select_related("quiz__lesson__course", "quiz__course"),
        pk=attempt_id,
        learner=request.user,
    )
    if not attempt.is_submitted:
        return redirect(attempt.quiz)
    quiz = attempt.quiz
    course = quiz.owning_course
    status = quiz_status(request.user, quiz)
    lessons = lessons_with_state(request.user, course)
    final = final_assessment_for(request.user, course)
    next_lesson = None
    if quiz.lesson_id:
        after = [lesson for lesson in lessons if lesson.position > quiz.lesson.position]
        next_lesson = after[0] if after else None
    return render(
        request,
        "quizzes/result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "course": course,
            "status": status,
            "can_retry": quiz.has_attempts_left(status.used) and quiz.retired_at is None,
            "items": review_attempt(attempt),
            "next_lesson": next_lesson,
            "final": final,
            "progress": progress_from_lessons(lessons, final),
        },
    )


def my_results(request: HttpRequest) -> HttpResponse:
    return render(request, "quizzes/my_results.html", {"rows": results_for(request.user)})
