"""Answers saved as the learner goes: a draft of an open attempt, never graded.

A session can end while a quiz is open (a long break, a server restart). The
quiz page then saves the form as the learner answers (``save_answers``), and a
submit that arrives after the session ended keeps its answers through a signed
token in the form (``save_signed_out``). When the quiz is shown again, the
saved answers are filled back in (``answers_to_show``). Only submitting grades.

``Attempt.saved_answers`` is ``{question id (str): [values as posted]}``. A
timed attempt whose time is up (see ``quizzes.services``) is graded with them, so
saving stops at its deadline (plus the grace).
"""

from __future__ import annotations

from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from quizzes.models import Attempt, Question, QuestionType
from quizzes.services import (
    DEADLINE_GRACE,
    FIELD_PREFIX,
    MAX_TEXT_ANSWER,
    AnswerSheet,
    QuizError,
    saved_answers,
    time_is_up,
)

# Our form sends at most one value per choice; no quiz has this many choices.
MAX_VALUES_PER_QUESTION = 20
# The quiz form's hidden field carrying the token of ``sign_attempt``.
TOKEN_FIELD = "draft_token"
# A salt of its own, so no other signed value of the site can pass as this token.
TOKEN_SALT = "quizzes.drafts.signed-out-answers"
# Long enough for a quiz left open over a working day, short enough to expire.
TOKEN_MAX_AGE = 12 * 60 * 60


class DraftRefused(QuizError):
    """Answers that cannot be saved (malformed, or a bad token); nothing was stored."""


class DraftClosed(DraftRefused):
    """The attempt was submitted (or is no longer current): its answers are final."""


def save_answers(attempt: Attempt, data: AnswerSheet) -> dict[str, list[str]]:
    """Store the posted quiz form as the open attempt's saved answers, replacing the
    previous ones (the form is always posted whole). Returns what was stored.

    Light checks, as the answers are only shown back, never graded: only
    ``question-<id>`` keys of the quiz's published questions, short values, few of
    them; other keys (the CSRF token, the attempt) are ignored. Raises DraftRefused
    for anything our form could not send, DraftClosed once the attempt is submitted.
    """
    with transaction.atomic():
        # Locked, so a save racing the submit either lands before it or is refused.
        locked = Attempt.objects.select_for_update().filter(pk=attempt.pk).first()
        if locked is None or locked.is_submitted:
            raise DraftClosed(_("This attempt was already submitted; its answers are final."))
        # Past the deadline the saved answers are what gets graded: no more changes.
        if time_is_up(locked, timezone.now(), DEADLINE_GRACE):
            raise DraftClosed(_("Time is up for this attempt; its saved answers are final."))
        types = dict(
            Question.objects.published().filter(quiz_id=locked.quiz_id).values_list("pk", "type")
        )
        saved = _read_answers(data, {str(pk): kind for pk, kind in types.items()})
        locked.saved_answers = saved
        locked.save(update_fields=["saved_answers"])
    attempt.saved_answers = saved
    return saved


def _read_answers(data: AnswerSheet, types: dict[str, str]) -> dict[str, list[str]]:
    """The posted answers by question id; ``types`` maps the quiz's published question
    ids (as text) to their types."""
    saved: dict[str, list[str]] = {}
    for key in data:
        if not key.startswith(FIELD_PREFIX):
            continue
        # Compared as text: a huge or odd id never reaches the database.
        question_id = key.removeprefix(FIELD_PREFIX)
        if question_id not in types:
            raise DraftRefused(f"{key[:40]!r} is not a question of this quiz.")
        values = list(data[key])
        if len(values) > MAX_VALUES_PER_QUESTION:
            raise DraftRefused(_("Too many answers to one question."))
        if any(len(value) > MAX_TEXT_ANSWER for value in values):
            raise DraftRefused(_("An answer is too long."))
        if types[question_id] != QuestionType.SHORT and not all(v.isdigit() for v in values):
            raise DraftRefused(_("A choice is not a number."))
        values = [value for value in values if value.strip()]
        if values:
            saved[question_id] = values
    return saved


# The saved answers as the quiz form shows them (and as a timed-out attempt is graded).
answers_to_show = saved_answers


def sign_attempt(attempt: Attempt) -> str:
    """A token for the quiz form naming the attempt and its learner, so a submit that
    arrives after the session ended can still keep its answers (never grade them)."""
    return signing.dumps({"attempt": attempt.pk, "learner": attempt.learner_id}, salt=TOKEN_SALT)


def save_signed_out(token: str, quiz_id: int, data: AnswerSheet) -> Attempt:
    """Keep the answers of a quiz form posted by someone whose session has ended.

    The token (from ``sign_attempt``, at most TOKEN_MAX_AGE old) must name an open
    attempt of this quiz and its learner. Raises DraftRefused otherwise.
    """
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
        attempt_id, learner_id = int(payload["attempt"]), int(payload["learner"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise DraftRefused(_("The answer sheet's token is not valid.")) from exc
    attempt = Attempt.objects.filter(pk=attempt_id, learner_id=learner_id, quiz_id=quiz_id).first()
    if attempt is None:
        raise DraftRefused(_("The answer sheet's token is not valid."))
    save_answers(attempt, data)
    return attempt
