"""The quiz page's autosave and "My results". The quiz page and an attempt's result
ask the course-progress rule, and submitting records what a pass completes, so they
are progress's (progress/views.py)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from common.http import post_only
from lessons.certificates import certificates_of
from lessons.translations import show_in_language
from quizzes import drafts
from quizzes.drafts import DraftClosed, DraftRefused
from quizzes.models import Attempt
from quizzes.services import results_for
from quizzes.sheets import answer_sheet


def _own_attempt(request: HttpRequest, attempt_id: int) -> Attempt:
    return get_object_or_404(Attempt.objects, pk=attempt_id, learner=request.user)


@post_only(lambda request, attempt_id: _own_attempt(request, attempt_id).quiz)
def save_answers(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """The quiz page's autosave: 204 when stored, 409 once the attempt is submitted,
    400 for answers our form could not send."""
    attempt = _own_attempt(request, attempt_id)
    try:
        drafts.save_answers(attempt, answer_sheet(request.POST))
    except DraftRefused as exc:
        status = 409 if isinstance(exc, DraftClosed) else 400
        return HttpResponse(str(exc), status=status, content_type="text/plain; charset=utf-8")
    return HttpResponse(status=204)


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
