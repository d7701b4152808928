"""Quiz use cases: opening an attempt, grading it, and the rules around attempts.

Scoring: one point per question. ``single`` and ``true_false`` earn it when the
one correct choice is picked; ``multiple`` only when exactly the set of correct
choices is picked; ``short`` when the typed answer matches an accepted answer
(``judge_short``, by the one matching rule of quizzes.answers). A quiz is passed when
score / maximum >= pass mark. A quiz that draws questions (``Quiz.draw``) is
scored on the attempt's drawn questions only: the maximum is the draw.

A timed quiz (``Quiz.time_limit``) gives each attempt a deadline when it opens.
A sheet posted up to DEADLINE_GRACE after it is graded as posted (blank answers
count as wrong); one posted later is ignored and the answers saved so far
(``Attempt.saved_answers``) are graded instead, as when the learner closes the
attempt from the quiz page after the deadline (``close_expired_attempt``).

Whether a learner may see the correct answers of an attempt is decided by
``answers_visible`` alone.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.http import CONTROL_CHARACTERS, MalformedInput, parse_id
from courses.translations import content_language
from lessons.services import lessons_left
from quizzes.answers import Listed, Match, language_of, match_answer
from quizzes.models import Answer, Attempt, Choice, Question, QuestionType, Quiz, ShowAnswers
from quizzes.scores import best_attempt
from quizzes.translations import TranslatedAnswers, short_answers_in_translations

MAX_TEXT_ANSWER = 200
FIELD_PREFIX = "question-"
# A posted answer sheet: each answer field (FIELD_PREFIX + question id) with the
# values it was posted with; views read it from the request (quizzes.sheets).
AnswerSheet = Mapping[str, Sequence[str]]
# Creating an attempt collides only when another request opened one at the same
# moment; a third collision in a row would need a learner racing themselves.
OPEN_ATTEMPT_TRIES = 3
# A timed attempt's answer sheet is still graded as posted this long after the
# deadline: the page's countdown submits at zero, and the request takes a moment.
DEADLINE_GRACE = timedelta(seconds=30)
# The key of ``Attempt.order`` listing the attempt's questions in order (the other
# keys are question ids); jsonb keeps no key order, so the list keeps it.
ORDER_QUESTIONS = "questions"


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
            ngettext(
                "Answer every question before submitting: %(count)s question is unanswered.",
                "Answer every question before submitting: %(count)s questions are unanswered.",
                len(unanswered),
            )
            % {"count": len(unanswered)}
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


def judge_short(
    question: Question, text: str, translated: TranslatedAnswers | None = None
) -> Match:
    """How a short answer is judged: against the question's accepted and listed wrong
    answers and those of its translations (``translated``), each in its language; an
    answer listed in the learner's language is matched first, so a German learner who
    types "Information" is told the German feedback, not the English."""
    base = language_of(None)
    accepted = [Listed(answer, base) for answer in question.accepted_answers]
    wrong = [
        Listed(item.get("answer", ""), base, item.get("feedback", ""))
        for item in question.wrong_answers
        if isinstance(item, dict)
    ]
    if translated is not None:
        accepted += translated.accepted
        wrong += translated.wrong
    learners = content_language() or base
    return match_answer(
        text, _first_in(learners, accepted), _first_in(learners, wrong), exact=question.exact
    )


def _first_in(language: str, listed: list[Listed]) -> list[Listed]:
    """``listed`` with the answers written in ``language`` first (otherwise in order)."""
    return sorted(listed, key=lambda answer: answer.language != language)


def is_correct(
    question: Question, answer: GivenAnswer, translated: TranslatedAnswers | None = None
) -> bool:
    """One point or none; written once, used for every question type. A short
    question also accepts its translations' answers (``translated``)."""
    if question.type == QuestionType.SHORT:
        return judge_short(question, answer.text, translated).accepted
    correct = {choice.pk for choice in question.ordered_choices if choice.is_correct}
    return set(answer.choice_ids) == correct


def passes(score: int, max_score: int, pass_mark: int) -> bool:
    return max_score > 0 and score * 100 >= pass_mark * max_score


def check_quiz_open(learner, quiz: Quiz) -> None:
    """Raise QuizLocked unless the learner may take the quiz now."""
    if quiz.retired_at is not None:
        raise QuizLocked(_("This quiz is no longer available."))
    if quiz.is_final_assessment:
        left = lessons_left(learner, quiz.course)
        if left is None or left:  # None: no lessons yet
            left = left or 0
            raise QuizLocked(
                ngettext(
                    "The final assessment opens when every lesson is complete: "
                    "%(left)s lesson to go.",
                    "The final assessment opens when every lesson is complete: "
                    "%(left)s lessons to go.",
                    left,
                )
                % {"left": left}
            )
    elif not quiz.lesson.is_published:
        raise QuizLocked(_("This quiz is no longer available."))


def quiz_status(learner, quiz: Quiz) -> QuizStatus:
    attempts = list(
        Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=False).order_by(
            "number"
        )
    )
    if not attempts:
        return QuizStatus()
    return QuizStatus(
        used=len(attempts),
        best=best_attempt(attempts),
        latest=attempts[-1],
        passed=any(attempt.passed for attempt in attempts),
        attempts=attempts,
    )


def attempt_in_progress(learner, quiz: Quiz) -> Attempt | None:
    """The learner's open attempt of ``quiz`` (at most one: a unique constraint), if
    any; reads only (the quiz page's GET), :func:`open_attempt` opens one."""
    return Attempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=True).first()


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
    for _try in range(OPEN_ATTEMPT_TRIES):
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
                limit = quiz.time_limit_delta
                return Attempt.objects.create(
                    learner=learner,
                    quiz=quiz,
                    number=(stored["highest"] or 0) + 1,
                    order=_new_order(quiz),
                    deadline=timezone.now() + limit if limit else None,
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
    """The attempt's questions (a draw, if the quiz draws) and its order; {} when the
    quiz neither shuffles nor draws (every question, in the quiz's order)."""
    if not quiz.shuffle and not quiz.draw:
        return {}
    shuffler = random.SystemRandom()
    questions = list(
        quiz.questions.published().prefetch_related("choices").order_by("position", "id")
    )
    if quiz.draw and quiz.draw < len(questions):
        questions = shuffler.sample(questions, quiz.draw)
        if not quiz.shuffle:
            questions.sort(key=lambda question: (question.position, question.pk))
    if quiz.shuffle:
        shuffler.shuffle(questions)
    order: dict[str, list[int]] = {ORDER_QUESTIONS: [question.pk for question in questions]}
    for question in questions:
        choice_ids = sorted(question.choices.all(), key=lambda c: (c.position, c.pk))
        choice_ids = [choice.pk for choice in choice_ids]
        if quiz.shuffle and question.type != QuestionType.TRUE_FALSE:
            shuffler.shuffle(choice_ids)
        order[str(question.pk)] = choice_ids
    return order


def _question_order(order: dict) -> list[int] | None:
    """The attempt's question ids in order: its own questions (None: every question).

    Attempts opened before draws listed no questions: their order is the order of
    the keys, and every published question belongs to them."""
    listed = order.get(ORDER_QUESTIONS)
    if isinstance(listed, list):
        return [pk for pk in listed if isinstance(pk, int)]
    return None


def questions_for(quiz: Quiz, attempt: Attempt | None = None) -> list[Question]:
    """The attempt's published questions with ``ordered_choices``, in its order: the
    drawn ones if the quiz draws, else all of the quiz's.

    Two queries whatever the number of questions.
    """
    questions = list(
        quiz.questions.published()
        .order_by("position", "id")
        .prefetch_related(Prefetch("choices", queryset=Choice.objects.order_by("position", "id")))
    )
    order = attempt.order if attempt is not None and isinstance(attempt.order, dict) else {}
    listed = _question_order(order)
    if listed is not None:
        rank = {question_id: index for index, question_id in enumerate(listed)}
        questions = sorted(
            (question for question in questions if question.pk in rank),
            key=lambda question: rank[question.pk],
        )
    else:
        rank = {int(key): index for index, key in enumerate(order) if key.isdigit()}
        questions.sort(key=lambda question: rank.get(question.pk, len(rank) + question.position))
    for question in questions:
        question.ordered_choices = _ordered_choices(question, order)
    return questions


def _ordered_choices(question: Question, order: dict) -> list[Choice]:
    """The question's (prefetched) choices in the attempt's order."""
    choices = list(question.choices.all())
    listed = order.get(str(question.pk), [])
    choice_rank = {pk: index for index, pk in enumerate(listed if isinstance(listed, list) else [])}
    choices.sort(key=lambda choice: choice_rank.get(choice.pk, len(choice_rank) + choice.position))
    return choices


def read_answer_sheet(
    questions: Sequence[Question], data: AnswerSheet, allow_blank: bool = False
) -> dict[int, GivenAnswer]:
    """Turn posted form data into answers, refusing anything our form could not send.

    Raises TamperedAnswers for a foreign or unknown id, a non-number, two answers
    to a one-answer question, or an over-long text; MissingAnswers if any
    question is blank, unless ``allow_blank`` (time is up: a blank is wrong).
    """
    _refuse_unknown_fields(questions, data)
    given = {
        question.pk: _read_answer(question, list(data.get(f"{FIELD_PREFIX}{question.pk}", ())))
        for question in questions
    }
    unanswered = [pk for pk, answer in given.items() if answer.is_blank]
    if unanswered and not allow_blank:
        raise MissingAnswers(unanswered, given)
    return given


def _refuse_unknown_fields(questions: Sequence[Question], data: AnswerSheet) -> None:
    """TamperedAnswers for an answer field naming no question of this quiz."""
    ids = {question.pk for question in questions}
    for key in data:
        if not key.startswith(FIELD_PREFIX):
            continue
        try:
            known = parse_id(key.removeprefix(FIELD_PREFIX)) in ids
        except MalformedInput:
            known = False
        if not known:
            raise TamperedAnswers(
                _("%(key)s is not a question of this quiz.") % {"key": repr(key[:40])}
            )


def _read_answer(question: Question, values: list[str]) -> GivenAnswer:
    """One question's posted values as an answer, or TamperedAnswers."""
    if question.type == QuestionType.SHORT:
        return _read_text_answer(values)
    try:
        choice_ids = tuple(parse_id(value, "choice") for value in values)
    except MalformedInput as exc:
        raise TamperedAnswers(_("A choice is not a number.")) from exc
    valid = {choice.pk for choice in question.ordered_choices}
    if not set(choice_ids) <= valid:
        raise TamperedAnswers(_("A choice does not belong to its question."))
    if len(set(choice_ids)) != len(choice_ids) or (
        not question.allows_several and len(choice_ids) > 1
    ):
        raise TamperedAnswers(_("Too many answers to one question."))
    return GivenAnswer(choice_ids=choice_ids)


def _read_text_answer(values: list[str]) -> GivenAnswer:
    if len(values) > 1:
        raise TamperedAnswers(_("Two answers to one question."))
    text = values[0].strip() if values else ""
    if len(text) > MAX_TEXT_ANSWER:
        raise TamperedAnswers(_("The answer is too long."))
    # Refused at the edge too (config.middleware); never stored, whoever calls.
    if CONTROL_CHARACTERS.search(text):
        raise TamperedAnswers(_("The answer contains control characters."))
    return GivenAnswer(text=text)


def saved_answers(questions: Sequence[Question], attempt: Attempt | None) -> dict[int, GivenAnswer]:
    """The attempt's saved answers (``Attempt.saved_answers``) as answers: the chosen
    choice ids and the typed text per question. Values that no longer fit a question
    (a choice removed since) are dropped; ``questions`` need ``ordered_choices``."""
    saved = attempt.saved_answers if attempt is not None else {}
    if not isinstance(saved, dict):
        return {}
    given: dict[int, GivenAnswer] = {}
    for question in questions:
        values = saved.get(str(question.pk))
        if not isinstance(values, list) or not values:
            continue
        values = [value for value in values if isinstance(value, str)]
        if not question.uses_choices:
            text = values[0].strip()[:MAX_TEXT_ANSWER] if values else ""
            given[question.pk] = GivenAnswer(text=CONTROL_CHARACTERS.sub("", text))
            continue
        valid = {str(choice.pk): choice.pk for choice in question.ordered_choices}
        chosen = list(dict.fromkeys(valid[value] for value in values if value in valid))
        if not question.allows_several:
            chosen = chosen[:1]
        given[question.pk] = GivenAnswer(choice_ids=tuple(chosen))
    return given


def _describe(question: Question, answer: GivenAnswer) -> tuple[str, str]:
    """The given and the expected answer as text, kept with the record. A short
    question's expected answer is its first accepted answer (the others are
    variants the grading accepts, not what to learn)."""
    if question.type == QuestionType.SHORT:
        return answer.text, question.accepted_answers[0] if question.accepted_answers else ""
    texts = {choice.pk: choice.text for choice in question.ordered_choices}
    given = "; ".join(texts[pk] for pk in answer.choice_ids)
    expected = "; ".join(c.text for c in question.ordered_choices if c.is_correct)
    return given, expected


def time_is_up(attempt: Attempt, now: datetime, grace: timedelta = timedelta(0)) -> bool:
    """Whether the attempt's deadline (plus ``grace``) has passed; never for an
    attempt without a deadline."""
    return attempt.deadline is not None and now > attempt.deadline + grace


@dataclass(frozen=True)
class TimeLeft:
    """A timed attempt's remaining time, as the quiz page shows it."""

    seconds: int
    deadline: datetime

    @property
    def minutes(self) -> int:
        # Rounded up: "0 minutes" only when time is up.
        return -(-self.seconds // 60)


def time_left(attempt: Attempt | None, now: datetime) -> TimeLeft | None:
    if attempt is None or attempt.deadline is None:
        return None
    return TimeLeft(max(int((attempt.deadline - now).total_seconds()), 0), attempt.deadline)


@transaction.atomic
def submit_attempt(learner, quiz: Quiz, attempt_id: int, data: AnswerSheet) -> Attempt:
    """Grade the learner's open attempt from posted answers, exactly once.

    The attempt row is locked, so a double click or two racing tabs record one
    result; a re-post of a submitted attempt raises AttemptClosed. A timed attempt
    posted after its deadline is graded with blanks counted wrong; posted after the
    grace, with its saved answers instead of the posted ones.

    Only grades: the lesson or course completion a pass brings is recorded by
    progress.services.submit_quiz (the quiz page's submit), which grades through
    :func:`grade_submission` in its own transaction.
    """
    return grade_submission(learner, quiz, attempt_id, data)


def grade_submission(learner, quiz: Quiz, attempt_id: int, data: AnswerSheet) -> Attempt:
    """:func:`submit_attempt`'s grading in the caller's transaction (no savepoint of
    its own; the attempt row stays locked until that transaction ends)."""
    attempt = _locked_attempt(learner, quiz, attempt_id)
    questions = questions_for(quiz, attempt)
    now = timezone.now()
    if time_is_up(attempt, now, DEADLINE_GRACE):
        given = saved_answers(questions, attempt)
    else:
        given = read_answer_sheet(questions, data, allow_blank=time_is_up(attempt, now))
    return _grade(learner, quiz, attempt, questions, given)


@transaction.atomic
def close_expired_attempt(learner, quiz: Quiz, attempt: Attempt) -> Attempt | None:
    """Grade the open attempt with its saved answers if its time is up (the learner
    pressed the quiz page's button after the deadline); None if it is not timed or
    time is left.

    Raises AttemptClosed (with the attempt) if another request graded it first.
    Only grades, as :func:`submit_attempt`: progress.services.close_expired_quiz
    also records what a pass completes."""
    if not time_is_up(attempt, timezone.now()):
        return None
    return grade_expired_attempt(learner, quiz, attempt)


def grade_expired_attempt(learner, quiz: Quiz, attempt: Attempt) -> Attempt:
    """Grade an open attempt whose time is up (the caller checked :func:`time_is_up`)
    with its saved answers, in the caller's transaction (no savepoint of its own)."""
    attempt = _locked_attempt(learner, quiz, attempt.pk)
    questions = questions_for(quiz, attempt)
    return _grade(learner, quiz, attempt, questions, saved_answers(questions, attempt))


def _locked_attempt(learner, quiz: Quiz, attempt_id: int) -> Attempt:
    """The learner's open attempt of ``quiz``, locked until the transaction ends."""
    attempt = (
        Attempt.objects.select_for_update()
        .filter(pk=attempt_id, learner=learner, quiz=quiz)
        .first()
    )
    if attempt is None:
        raise TamperedAnswers(_("No such attempt."))
    try:
        check_quiz_open(learner, quiz)
    except QuizLocked as exc:
        raise TamperedAnswers(str(exc)) from exc
    if attempt.is_submitted:
        raise AttemptClosed(_("This attempt was already submitted; here is its result."), attempt)
    return attempt


def _grade(
    learner, quiz: Quiz, attempt: Attempt, questions: list[Question], given: dict[int, GivenAnswer]
) -> Attempt:
    """Record one answer per question (a missing one is blank, and wrong) and the
    score; what a pass completes is progress's (progress.services)."""
    answers = []
    short = any(question.type == QuestionType.SHORT for question in questions)
    translated = short_answers_in_translations(quiz) if short else {}
    for position, question in enumerate(questions, start=1):
        answer = given.get(question.pk, GivenAnswer())
        given_text, expected_text = _describe(question, answer)
        match = None
        if question.type == QuestionType.SHORT and not answer.is_blank:
            match = judge_short(question, answer.text, translated.get(question.key))
        answers.append(
            Answer(
                attempt=attempt,
                question=question,
                position=position,
                choice_ids=list(answer.choice_ids),
                text=answer.text,
                is_correct=match.accepted
                if match is not None
                else not answer.is_blank and is_correct(question, answer),
                prompt=question.prompt,
                given=given_text,
                expected=expected_text,
                matched=match.answer if match is not None else "",
                spelling=match.spelling if match is not None else False,
            )
        )
    Answer.objects.bulk_create(answers)

    attempt.score = sum(answer.is_correct for answer in answers)
    attempt.max_score = len(answers)
    attempt.percent = attempt.score * 100 // attempt.max_score if attempt.max_score else 0
    attempt.passed = passes(attempt.score, attempt.max_score, quiz.pass_mark)
    attempt.submitted_at = timezone.now()
    attempt.save(update_fields=["score", "max_score", "percent", "passed", "submitted_at"])
    return attempt


def answers_visible(quiz: Quiz, attempt: Attempt, status: QuizStatus) -> bool:
    """May the learner see the correct answers (and explanations) of ``attempt`` now?

    The one rule, asked by every page that shows a learner answers. ``status`` is
    the learner's standing in the current run (``quiz_status``). ``after_pass``:
    once the learner has passed the quiz; ``after_last_attempt``: once passed or
    once no attempt is left to take (the limit is reached, or the quiz is retired),
    so with unlimited attempts it is after passing. An earlier run's attempt
    (archived when the learner started the course again) belongs to a completed
    course, so its answers are shown unless the quiz says never.
    """
    rule = quiz.show_answers
    if rule == ShowAnswers.ALWAYS:
        return True
    if rule == ShowAnswers.NEVER:
        return False
    if attempt.archived_in_id is not None or status.passed:
        return True
    if rule == ShowAnswers.AFTER_LAST_ATTEMPT:
        return quiz.retired_at is not None or not quiz.has_attempts_left(status.used)
    return False


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
    expected: str  # a short question's correct answer; "" when hidden
    feedback: str = ""  # for a wrong answer: the question's, or the listed wrong answer's
    accepted_as: str = ""  # a short answer accepted with a typo forgiven: what it was taken for


def review_attempt(attempt: Attempt, reveal: bool) -> list[ReviewItem]:
    """Each answer with the choices as shown in the attempt, marked chosen, right or
    wrong, with the feedback of the chosen choices. With ``reveal`` (see
    ``answers_visible``) also the correct choices, the expected short answer and the
    explanation; without, nothing that gives them away. Two queries."""
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
                        correct=reveal and choice.is_correct,
                        feedback=choice.feedback if choice.pk in chosen else "",
                    )
                    for choice in choices
                ],
                explanation=question.explanation if reveal else "",
                select_all=question.allows_several,
                expected=answer.expected if reveal else "",
                feedback="" if answer.is_correct else wrong_answer_feedback(question, answer),
                accepted_as=answer.matched if answer.is_correct and answer.spelling else "",
            )
        )
    return items


def wrong_answer_feedback(question: Question, answer: Answer) -> str:
    """What a learner whose answer was wrong is told: the feedback of the listed wrong
    answer they typed, else the question's feedback."""
    if answer.matched:
        for item in question.wrong_answers:
            if isinstance(item, dict) and item.get("answer") == answer.matched:
                return item.get("feedback") or question.feedback
    return question.feedback


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
            best=best_attempt(taken),
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
