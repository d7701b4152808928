"""Quiz use cases: opening an attempt, grading it, and the rules around attempts.

Scoring: one point per question. ``single`` and ``true_false`` earn it when the
one correct choice is picked; ``multiple`` only when exactly the set of correct
choices is picked; ``short`` when the typed answer matches an accepted answer,
ignoring case, surrounding spaces and repeated spaces. A quiz is passed when
score / maximum >= pass mark.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.http import QueryDict
from django.utils import timezone

from lessons.http import CONTROL_CHARACTERS, MalformedInput, parse_id
from lessons.models import ProgressState
from lessons.services import (
    lessons_with_state,
    record_course_completion,
    record_lesson_completion,
)
from quizzes.models import Answer, Attempt, Choice, Question, QuestionType, Quiz

MAX_TEXT_ANSWER = 200
FIELD_PREFIX = "question-"
# Creating an attempt collides only when another request opened one at the same
# moment; a third collision in a row would need a learner racing themselves.
OPEN_ATTEMPT_TRIES = 3


class QuizError(Exception):
    """Why a quiz cannot be taken or an answer sheet cannot be accepted."""


class QuizLocked(QuizError):
    """The learner cannot open this quiz (yet)."""


class AttemptClosed(QuizError):
    """The attempt was already submitted, or no attempts are left."""

    def __init__(self, message: str, attempt: Attempt | None = None):
        super().__init__(message)
        self.attempt = attempt


class TamperedAnswers(QuizError):
    """The answer sheet could not have come from our form: a 400, never a score."""


class MissingAnswers(QuizError):
    """Some questions were left unanswered; nothing was recorded."""

    def __init__(self, unanswered: list[int], given: dict[int, GivenAnswer]):
        super().__init__(
            "Answer every question before submitting: "
            f"{len(unanswered)} question{'s are' if len(unanswered) != 1 else ' is'} unanswered."
        )
        self.unanswered = unanswered
        self.given = given


@dataclass(frozen=True)
class GivenAnswer:
    choice_ids: tuple[int, ...] = ()
    text: str = ""

    @property
    def is_blank(self) -> bool:
        return not self.choice_ids and not self.text


@dataclass
class QuizStatus:
    """Where a learner stands with one quiz."""

    used: int = 0
    best: Attempt | None = None
    latest: Attempt | None = None
    passed: bool = False
    attempts: list[Attempt] = field(default_factory=list)


def normalise_text_answer(text: str) -> str:
    return " ".join(text.split()).casefold()


def is_correct(question: Question, answer: GivenAnswer) -> bool:
    """One point or none; written once, used for every question type."""
    if question.type == QuestionType.SHORT:
        accepted = {normalise_text_answer(a) for a in question.accepted_answers}
        return normalise_text_answer(answer.text) in accepted
    correct = {choice.pk for choice in question.ordered_choices if choice.is_correct}
    return set(answer.choice_ids) == correct


def passes(score: int, max_score: int, pass_mark: int) -> bool:
    return max_score > 0 and score * 100 >= pass_mark * max_score


def check_quiz_open(learner, quiz: Quiz) -> None:
    """Raise QuizLocked unless the learner may take the quiz now."""
    if quiz.retired_at is not None:
        raise QuizLocked("This quiz is no longer available.")
    if quiz.is_final_assessment:
        lessons = lessons_with_state(learner, quiz.course)
        left = sum(lesson.state != ProgressState.COMPLETED for lesson in lessons)
        if not lessons or left:
            raise QuizLocked(
                f"The final assessment opens when every lesson is complete: {left} "
                f"lesson{'s' if left != 1 else ''} to go."
            )
    elif not quiz.lesson.is_published:
        raise QuizLocked("This quiz is no longer available.")


def quiz_status(learner, quiz: Quiz) -> QuizStatus:
    attempts = list(
        Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=False).order_by(
            "number"
        )
    )
    if not attempts:
        return QuizStatus()
    best = max(attempts, key=lambda attempt: (attempt.percent, attempt.number))
    return QuizStatus(
        used=len(attempts),
        best=best,
        latest=attempts[-1],
        passed=any(attempt.passed for attempt in attempts),
        attempts=attempts,
    )


def open_attempt(learner, quiz: Quiz, used: int) -> Attempt | None:
    """The learner's attempt in progress, opened now if needed; None when none are left.

    ``used`` is the number of submitted attempts in the current run. The partial
    unique constraint allows one open attempt per learner and quiz, so two tabs
    share it. Attempt numbers go on across runs (an earlier run's attempts are
    kept), so the next number is one more than the learner's highest. A request that
    loses a race to open (or to open and submit) the attempt reads again: never a 500.
    """
    check_quiz_open(learner, quiz)
    existing = Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=True)
    for _ in range(OPEN_ATTEMPT_TRIES):
        attempt = existing.first()
        if attempt is not None:
            return attempt
        if not quiz.has_attempts_left(used):
            return None
        try:
            with transaction.atomic():
                # Counted again here: an attempt submitted since ``used`` was read
                # (another tab) must not open one beyond the limit.
                stored = Attempt.all_runs.filter(learner=learner, quiz=quiz).aggregate(
                    highest=Max("number"),
                    used=Count(
                        "pk", filter=Q(submitted_at__isnull=False, archived_in__isnull=True)
                    ),
                )
                if not quiz.has_attempts_left(stored["used"]):
                    return None
                return Attempt.objects.create(
                    learner=learner,
                    quiz=quiz,
                    number=(stored["highest"] or 0) + 1,
                    order=_new_order(quiz),
                )
        except IntegrityError:
            # Another request opened an attempt first, and may even have submitted it
            # since: start again from what is stored now (its open attempt, the next
            # one, or none left), with ``used`` counted afresh.
            used = Attempt.objects.filter(
                learner=learner, quiz=quiz, submitted_at__isnull=False
            ).count()
    return existing.first()


def _new_order(quiz: Quiz) -> dict[str, list[int]]:
    if not quiz.shuffle:
        return {}
    shuffler = random.SystemRandom()
    questions = list(quiz.questions.published().prefetch_related("choices").order_by("position"))
    shuffler.shuffle(questions)
    order = {}
    for question in questions:
        choice_ids = [choice.pk for choice in question.choices.all()]
        if question.type != QuestionType.TRUE_FALSE:
            shuffler.shuffle(choice_ids)
        order[str(question.pk)] = choice_ids
    return order


def questions_for(quiz: Quiz, attempt: Attempt | None = None) -> list[Question]:
    """The quiz's published questions with ``ordered_choices``, in the attempt's order.

    Two queries whatever the number of questions.
    """
    questions = list(
        quiz.questions.published()
        .order_by("position", "id")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "id")))
    )
    order = attempt.order if attempt is not None else {}
    rank = {int(question_id): index for index, question_id in enumerate(order)}
    questions.sort(key=lambda question: rank.get(question.pk, len(rank) + question.position))
    for question in questions:
        choices = list(question.choices.all())
        choice_rank = {pk: index for index, pk in enumerate(order.get(str(question.pk), []))}
        choices.sort(
            key=lambda choice: choice_rank.get(choice.pk, len(choice_rank) + choice.position)
        )
        question.ordered_choices = choices
    return questions


def read_answer_sheet(questions: Sequence[Question], data: QueryDict) -> dict[int, GivenAnswer]:
    """Turn posted form data into answers, refusing anything our form could not send.

    Raises TamperedAnswers for a foreign or unknown id, a non-number, two answers
    to a one-answer question, or an over-long text; MissingAnswers if any
    question is blank.
    """
    by_id = {question.pk: question for question in questions}
    for key in data:
        if key.startswith(FIELD_PREFIX):
            try:
                known = parse_id(key.removeprefix(FIELD_PREFIX)) in by_id
            except MalformedInput:
                known = False
            if not known:
                raise TamperedAnswers(f"{key[:40]!r} is not a question of this quiz.")
    given: dict[int, GivenAnswer] = {}
    for question in questions:
        values = data.getlist(f"{FIELD_PREFIX}{question.pk}")
        if question.type == QuestionType.SHORT:
            if len(values) > 1:
                raise TamperedAnswers("Two answers to one question.")
            text = values[0].strip() if values else ""
            if len(text) > MAX_TEXT_ANSWER:
                raise TamperedAnswers("The answer is too long.")
            # Refused at the edge too (config.middleware); never stored, whoever calls.
            if CONTROL_CHARACTERS.search(text):
                raise TamperedAnswers("The answer contains control characters.")
            given[question.pk] = GivenAnswer(text=text)
            continue
        try:
            choice_ids = tuple(parse_id(value, "choice") for value in values)
        except MalformedInput as exc:
            raise TamperedAnswers("A choice is not a number.") from exc
        valid = {choice.pk for choice in question.ordered_choices}
        if not set(choice_ids) <= valid:
            raise TamperedAnswers("A choice does not belong to its question.")
        if len(set(choice_ids)) != len(choice_ids) or (
            not question.allows_several and len(choice_ids) > 1
        ):
            raise TamperedAnswers("Too many answers to one question.")
        given[question.pk] = GivenAnswer(choice_ids=choice_ids)
    unanswered = [pk for pk, answer in given.items() if answer.is_blank]
    if unanswered:
        raise MissingAnswers(unanswered, given)
    return given


def _describe(question: Question, answer: GivenAnswer) -> tuple[str, str]:
    """The given and the expected answer as text, kept with the record."""
    if question.type == QuestionType.SHORT:
        return answer.text, " / ".join(question.accepted_answers)
    texts = {choice.pk: choice.text for choice in question.ordered_choices}
    given = "; ".join(texts[pk] for pk in answer.choice_ids)
    expected = "; ".join(c.text for c in question.ordered_choices if c.is_correct)
    return given, expected


@transaction.atomic
def submit_attempt(learner, quiz: Quiz, attempt_id: int, data: QueryDict) -> Attempt:
    """Grade the learner's open attempt from posted answers, exactly once.

    The attempt row is locked, so a double click or two racing tabs record one
    result; a re-post of a submitted attempt raises AttemptClosed.
    """
    attempt = (
        Attempt.objects.select_for_update()
        .filter(pk=attempt_id, learner=learner, quiz=quiz)
        .first()
    )
    if attempt is None:
        raise TamperedAnswers("No such attempt.")
    try:
        check_quiz_open(learner, quiz)
    except QuizLocked as exc:
        raise TamperedAnswers(str(exc)) from exc
    if attempt.is_submitted:
        raise AttemptClosed("This attempt was already submitted; here is its result.", attempt)

    questions = questions_for(quiz, attempt)
    given = read_answer_sheet(questions, data)
    answers = []
    for position, question in enumerate(questions, start=1):
        answer = given[question.pk]
        given_text, expected_text = _describe(question, answer)
        answers.append(
            Answer(
                attempt=attempt,
                question=question,
                position=position,
                choice_ids=list(answer.choice_ids),
                text=answer.text,
                is_correct=is_correct(question, answer),
                prompt=question.prompt,
                given=given_text,
                expected=expected_text,
            )
        )
    Answer.objects.bulk_create(answers)

    attempt.score = sum(answer.is_correct for answer in answers)
    attempt.max_score = len(answers)
    attempt.percent = attempt.score * 100 // attempt.max_score if attempt.max_score else 0
    attempt.passed = passes(attempt.score, attempt.max_score, quiz.pass_mark)
    attempt.submitted_at = timezone.now()
    attempt.save(update_fields=["score", "max_score", "percent", "passed", "submitted_at"])
    if attempt.passed:
        if quiz.is_final_assessment:
            record_course_completion(learner, quiz.course)
        else:
            record_lesson_completion(learner, quiz.lesson)
    return attempt


@dataclass(frozen=True)
class ReviewChoice:
    text: str
    chosen: bool
    correct: bool
    feedback: str


@dataclass(frozen=True)
class ReviewItem:
    """One question of a submitted attempt, as the result page shows it."""

    number: int
    answer: Answer
    choices: list[ReviewChoice]
    explanation: str
    select_all: bool


def review_attempt(attempt: Attempt) -> list[ReviewItem]:
    """Each answer with the choices as shown in the attempt, marked chosen/correct,
    the feedback of the chosen choices and the explanation. Two queries."""
    answers = list(
        attempt.answers.select_related("question").prefetch_related(
            Prefetch("question__choices", queryset=Choice.objects.order_by("position", "id"))
        )
    )
    order = attempt.order or {}
    items = []
    for number, answer in enumerate(answers, start=1):
        question = answer.question
        choices = list(question.choices.all()) if question.uses_choices else []
        rank = {pk: index for index, pk in enumerate(order.get(str(question.pk), []))}
        choices.sort(key=lambda choice: rank.get(choice.pk, len(rank) + choice.position))
        chosen = set(answer.choice_ids)
        items.append(
            ReviewItem(
                number=number,
                answer=answer,
                choices=[
                    ReviewChoice(
                        text=choice.text,
                        chosen=choice.pk in chosen,
                        correct=choice.is_correct,
                        feedback=choice.feedback if choice.pk in chosen else "",
                    )
                    for choice in choices
                ],
                explanation=question.explanation,
                select_all=question.allows_several,
            )
        )
    return items


@dataclass(frozen=True)
class QuizResultRow:
    quiz: Quiz
    best: Attempt
    latest: Attempt
    used: int
    passed: bool

    @property
    def attempts_label(self) -> str:
        return self.quiz.attempts_label(self.used)


def results_for(learner) -> list[QuizResultRow]:
    """Every quiz the learner has submitted, with best and latest; one query."""
    attempts = Attempt.objects.filter(learner=learner, submitted_at__isnull=False).select_related(
        "quiz__lesson__course", "quiz__course"
    )
    by_quiz: dict[int, list[Attempt]] = {}
    for attempt in attempts.order_by("number"):
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    rows = [
        QuizResultRow(
            quiz=taken[0].quiz,
            best=max(taken, key=lambda attempt: (attempt.percent, attempt.number)),
            latest=taken[-1],
            used=len(taken),
            passed=any(attempt.passed for attempt in taken),
        )
        for taken in by_quiz.values()
    ]
    return sorted(
        rows,
        key=lambda row: (
            row.quiz.owning_course.title,
            row.quiz.is_final_assessment,
            row.quiz.lesson.position if row.quiz.lesson_id else 0,
        ),
    )
