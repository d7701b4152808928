from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.http import parse_id, post_only
from courses.models import Course
from lessons.certificates import certificates_of
from lessons.services import learner_course
from lessons.translations import show_in_language
from quizzes import drafts
from quizzes.drafts import DraftClosed, DraftRefused
from quizzes.models import Attempt, Quiz
from quizzes.services import (
    AttemptClosed,
    MissingAnswers,
    QuizLocked,
    TamperedAnswers,
    answers_visible,
    close_expired_attempt,
    open_attempt,
    questions_for,
    quiz_status,
    results_for,
    review_attempt,
    submit_attempt,
    time_left,
)
from quizzes.translations import localise_questions, localise_review


def _published_quiz(request: HttpRequest, quiz_id: int) -> Quiz:
    visible = Course.objects.visible_to(request.user)
    quiz = get_object_or_404(
        Quiz.objects.published()
        .filter(Q(course__in=visible) | Q(lesson__course__in=visible))
        .select_related("lesson__course", "course"),
        pk=quiz_id,
    )
    if quiz.lesson_id and not quiz.lesson.is_published:
        raise Http404(_("This quiz is no longer available."))
    return quiz


# Open to anonymous requests only so that a submit arriving after the session ended
# keeps its answers; a GET still goes to the login page, as everywhere else.
@login_not_required
def take_quiz(request: HttpRequest, quiz_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        if request.method == "POST":
            return _save_signed_out(request, quiz_id)
        return redirect_to_login(request.get_full_path())
    quiz = _published_quiz(request, quiz_id)
    if request.method == "POST":
        return _submit(request, quiz)
    status = quiz_status(request.user, quiz)
    try:
        attempt = open_attempt(request.user, quiz, status.used)
        graded = attempt and close_expired_attempt(request.user, quiz, attempt)
    except QuizLocked as exc:
        return _render_quiz(request, quiz, status, locked=str(exc))
    except AttemptClosed as exc:  # graded by another request meanwhile
        return redirect(exc.attempt or quiz)
    if graded:
        messages.info(request, _("Time is up: the answers saved by the deadline were graded."))
        return redirect(graded)
    return _render_quiz(request, quiz, status, attempt=attempt)


def _render_quiz(request, quiz, status, *, attempt=None, locked="", missing=None):
    questions = questions_for(quiz, attempt) if attempt else []
    # What the learner had answered: the sheet just posted when something was left
    # blank, otherwise the answers saved as they went (or when their session ended).
    given = missing.given if missing else drafts.answers_to_show(questions, attempt)
    for question in questions:
        question.given = given.get(question.pk)
        question.unanswered = bool(missing) and question.pk in missing.unanswered
    texts = show_in_language([quiz.owning_course], full=[quiz.lesson or quiz.course])
    localise_questions(questions, texts.quiz_texts(quiz), texts.language)
    return render(
        request,
        "quizzes/take.html",
        {
            "quiz": quiz,
            "course": quiz.owning_course,
            "status": status,
            "attempts_used": quiz.attempts_label(status.used),
            "attempt": attempt,
            "time_left": time_left(attempt, timezone.now()),
            "questions": questions,
            "locked": locked,
            "draft_token": drafts.sign_attempt(attempt) if attempt else "",
        },
    )


def _save_signed_out(request: HttpRequest, quiz_id: int) -> HttpResponse:
    """A quiz posted after the session ended: keep the answers (never grade them),
    then sign in and come back to the quiz to submit them."""
    try:
        drafts.save_signed_out(request.POST.get(drafts.TOKEN_FIELD, ""), quiz_id, request.POST)
    except DraftRefused:
        pass  # nothing shows whose answers these are: keep nothing
    else:
        messages.info(
            request, _("You were signed out. Your answers are saved: sign in to submit them.")
        )
    return redirect_to_login(reverse("quizzes:take", args=[quiz_id]))


def _submit(request: HttpRequest, quiz: Quiz) -> HttpResponse:
    attempt_id = parse_id(request.POST.get("attempt", ""), "attempt")  # else a 400
    try:
        attempt = submit_attempt(request.user, quiz, attempt_id, request.POST)
    except TamperedAnswers as exc:
        raise BadRequest(str(exc)) from exc
    except AttemptClosed as exc:
        messages.warning(request, str(exc))
        return redirect(exc.attempt or quiz)
    except MissingAnswers as exc:
        messages.error(request, str(exc))
        attempt = Attempt.objects.get(pk=attempt_id, learner=request.user)
        return _render_quiz(
            request, quiz, quiz_status(request.user, quiz), attempt=attempt, missing=exc
        )
    return redirect(attempt)


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    return get_object_or_404(Attempt.objects, pk=attempt_id, learner=request.user)


@post_only(lambda request, attempt_id: _own_attempt(request, attempt_id).quiz)
def save_answers(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The quiz page's autosave: 204 when stored, 409 once the attempt is submitted,
    400 for answers our form could not send."""
    attempt = _own_attempt(request, attempt_id)
    try:
        drafts.save_answers(attempt, request.POST)
    except DraftRefused as exc:
        status = 409 if isinstance(exc, DraftClosed) else 400
        return HttpResponse(str(exc), status=status, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)


def attempt_result(request: HttpRequest, attempt_id: int) -> HttpResponse:
    attempt = get_object_or_404(
        # An earlier run's attempts stay readable (they are the learner's record).
        Attempt.all_runs.select_related("quiz__lesson__course", "quiz__course"),
        pk=attempt_id,
        learner=request.user,
    )
    if not attempt.is_submitted:
        return redirect(attempt.quiz)
    quiz = attempt.quiz
    course = quiz.owning_course
    status = quiz_status(request.user, quiz)
    reveal = answers_visible(quiz, attempt, status)
    course_state = learner_course(request.user, course)
    lessons, final = course_state.lessons, course_state.final
    texts = show_in_language([course], lessons, full=[quiz.lesson or course])
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
            "attempts_used": quiz.attempts_label(status.used),
            "attempts_left": quiz.attempts_left_label(status.used),
            "can_retry": quiz.has_attempts_left(status.used) and quiz.retired_at is None,
            "reveal": reveal,
            "items": localise_review(
                review_attempt(attempt, reveal), texts.quiz_texts(quiz), texts.language
            ),
            "next_lesson": next_lesson,
            "final": final,
            "progress": course_state.progress,
        },
    )


def my_results(request: HttpRequest) -> HttpResponse:
    rows = results_for(request.user)
    show_in_language(
        courses=[row.quiz.owning_course for row in rows],
        lessons=[row.quiz.lesson for row in rows if row.quiz.lesson_id],
    )
    return render(
        request,
        "quizzes/my_results.html",
        {"rows": rows, "certificates": certificates_of(request.user)},
    )
