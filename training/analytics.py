"""Question analytics: how a group of learners did on each quiz of a course, and how
far they got through its lessons (the funnel).

Two layers. The statistics are plain functions over plain rows (``AttemptRow``,
``AnswerRow``, ``QuestionSpec``, ``ProgressRow``), so tests can check them on small
hand-computed data without a database. ``course_analytics`` reads those rows in a
fixed number of ``values_list`` queries, whatever the number of learners and
attempts, and hands them to the statistics.

Which records count:

- **Quizzes**: submitted attempts of every run (``Attempt.all_runs``): a learner who
  started a course again keeps their earlier attempts, and a question's history is
  what a trainer wants to see. "First attempts" are each learner's first submitted
  attempt at a quiz, ever; "all attempts" are every submitted one.
- **Funnel**: the learners' current run (``LessonProgress.objects``), one row per
  learner and lesson, as the dashboard shows them.
"""

from __future__ import annotations

import functools
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db.models import Exists, OuterRef, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course
from lessons.models import LessonProgress
from progress.structure import course_structure
from quizzes.answers import answer_key
from quizzes.models import Answer, Attempt, Choice, Question, QuestionType, Quiz

# The ?attempts= switch: value -> label (the form offers these, parse_choice checks them).
ATTEMPT_SCOPES = {"first": gettext_lazy("First attempts"), "all": gettext_lazy("All attempts")}
DEFAULT_SCOPE = "first"
# Score histogram: ten bins of ten points, 100% in the last one.
HISTOGRAM_BINS = 10
# Moodle's quiz statistics call a discrimination index under 0.2 weak ("very weak"
# under 0); below zero the strongest learners do worse on the question than the rest.
LOW_DISCRIMINATION = 0.2
# How many of the most common wrong short answers a question lists.
COMMON_WRONG_ANSWERS = 5

# Flags a question may carry: value -> what the page says.
FLAGS = {
    "nobody": gettext_lazy("Nobody got it right"),
    "everybody": gettext_lazy("Everybody got it right"),
    "negative": gettext_lazy("Negative discrimination"),
    "low": gettext_lazy("Low discrimination"),
}


# Rows in -----------------------------------------------------------------------------


class AttemptRow(NamedTuple):
    id: int
    quiz_id: int
    learner_id: int
    score: int
    percent: int
    passed: bool


class AnswerRow(NamedTuple):
    attempt_id: int
    question_id: int
    choice_ids: Sequence[int]
    text: str
    is_correct: bool


class ChoiceSpec(NamedTuple):
    id: int
    text: str
    is_correct: bool


class QuestionSpec(NamedTuple):
    id: int
    position: int
    prompt: str
    type: str
    choices: Sequence[ChoiceSpec] = ()


class ProgressRow(NamedTuple):
    learner_id: int
    lesson_id: int
    started_at: datetime
    completed_at: datetime | None


# Results out -------------------------------------------------------------------------


@dataclass(frozen=True)
class Bin:
    """One bar of a score histogram: attempts scoring from ``low`` to ``high`` percent."""

    low: int
    high: int
    count: int
    passing: bool  # the whole bin is at or above the pass mark

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"


@dataclass(frozen=True)
class QuizSummary:
    attempts: int
    learners: int
    passed: int
    pass_rate: float | None  # percent of attempts passed; None without attempts
    mean: float | None  # of attempt percents
    median: float | None
    histogram: list[Bin]


@dataclass(frozen=True)
class ChoiceCount:
    text: str
    is_correct: bool
    picked: int
    percent: float | None  # of the attempts that answered the question


@dataclass(frozen=True)
class QuestionStats:
    id: int
    position: int
    prompt: str
    type: str
    answered: int
    correct: int
    percent_correct: float | None
    discrimination: float | None  # None when it cannot be computed (see discrimination())
    choices: list[ChoiceCount]
    wrong_answers: list[tuple[str, int]]  # short answers: (answer, times), most common first
    flags: list[str]

    @property
    def uses_choices(self) -> bool:
        return self.type != QuestionType.SHORT

    @property
    def flag_labels(self) -> list[str]:
        return [FLAGS[flag] for flag in self.flags]


@dataclass(frozen=True)
class QuizStats:
    id: int
    title: str
    pass_mark: int
    is_final: bool
    summary: QuizSummary
    questions: list[QuestionStats]


@dataclass(frozen=True)
class LessonFunnel:
    id: int
    position: int
    title: str
    opened: int
    completed: int
    dropped_off: int
    median_time: timedelta | None  # from opening to completing, of those who completed


@dataclass
class CourseAnalytics:
    course: Course
    scope: str
    learners: int
    funnel: list[LessonFunnel]
    quizzes: list[QuizStats] = field(default_factory=list)  # the one shown (none: no quiz)
    # Every quiz of the course (id, title) in course order: the page's chooser.
    all_quizzes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def quiz(self) -> QuizStats | None:
        """The quiz shown."""
        return self.quizzes[0] if self.quizzes else None

    def _neighbour(self, step: int) -> tuple[int, str] | None:
        ids = [pk for pk, _title in self.all_quizzes]
        if self.quiz is None or self.quiz.id not in ids:
            return None
        index = ids.index(self.quiz.id) + step
        return self.all_quizzes[index] if 0 <= index < len(ids) else None

    @property
    def previous_quiz(self) -> tuple[int, str] | None:
        return self._neighbour(-1)

    @property
    def next_quiz(self) -> tuple[int, str] | None:
        return self._neighbour(1)


# The statistics ----------------------------------------------------------------------


def percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def histogram(percents: Sequence[int], pass_mark: int, bins: int = HISTOGRAM_BINS) -> list[Bin]:
    """Attempt scores counted in ``bins`` equal bins of 0-100%; 100% goes in the last."""
    width = 100 // bins
    counts = Counter(min(value // width, bins - 1) for value in percents)
    return [
        Bin(
            low=index * width,
            high=100 if index == bins - 1 else (index + 1) * width - 1,
            count=counts[index],
            passing=index * width >= pass_mark,
        )
        for index in range(bins)
    ]


def summarise_attempts(attempts: Sequence[AttemptRow], pass_mark: int) -> QuizSummary:
    percents = [attempt.percent for attempt in attempts]
    passed = sum(1 for attempt in attempts if attempt.passed)
    return QuizSummary(
        attempts=len(attempts),
        learners=len({attempt.learner_id for attempt in attempts}),
        passed=passed,
        pass_rate=percent(passed, len(attempts)),
        mean=statistics.fmean(percents) if percents else None,
        median=statistics.median(percents) if percents else None,
        histogram=histogram(percents, pass_mark),
    )


def discrimination(pairs: Sequence[tuple[int, int]]) -> float | None:
    """Moodle's discrimination index: the correlation (Pearson's r, here a corrected
    point-biserial) between each attempt's score on the question and its score on the
    rest of the quiz. ``pairs`` are (question score, rest score), one per attempt.

    None with fewer than two attempts, or when either side is the same for every
    attempt (everybody right, say): the correlation is then undefined, not zero.
    """
    if len(pairs) < 2:
        return None
    question_scores = [float(question) for question, _rest in pairs]
    rest_scores = [float(rest) for _question, rest in pairs]
    try:
        return statistics.correlation(question_scores, rest_scores)
    except statistics.StatisticsError:  # a constant side
        return None


def question_flags(answered: int, correct: int, index: float | None) -> list[str]:
    flags = []
    if answered and correct == 0:
        flags.append("nobody")
    if answered and correct == answered:
        flags.append("everybody")
    if index is not None and index < 0:
        flags.append("negative")
    elif index is not None and index < LOW_DISCRIMINATION:
        flags.append("low")
    return flags


def common_wrong_answers(texts: Sequence[str]) -> list[tuple[str, int]]:
    """Wrong short answers counted as grading sees them (quizzes.answers.answer_key:
    "Customers'" and "the customer" are one answer), each shown as its most common
    spelling, most frequent first; a blank answer is ""."""
    groups: dict[str, Counter[str]] = {}
    for text in texts:
        groups.setdefault(answer_key(text), Counter())[" ".join(text.split()).casefold()] += 1
    counted = [(spellings.most_common(1)[0][0], spellings.total()) for spellings in groups.values()]
    return sorted(counted, key=lambda row: -row[1])[:COMMON_WRONG_ANSWERS]


def question_stats(
    question: QuestionSpec,
    answers: Sequence[AnswerRow],
    scores: dict[int, int],
) -> QuestionStats:
    """One question's statistics from its answers (one per attempt counted);
    ``scores`` is each attempt's total score (attempt id -> correct answers)."""
    answered = len(answers)
    correct = sum(1 for answer in answers if answer.is_correct)
    index = discrimination(
        [
            (int(answer.is_correct), scores[answer.attempt_id] - int(answer.is_correct))
            for answer in answers
        ]
    )
    picks = Counter(choice_id for answer in answers for choice_id in answer.choice_ids)
    choices = [
        ChoiceCount(
            text=choice.text,
            is_correct=choice.is_correct,
            picked=picks[choice.id],
            percent=percent(picks[choice.id], answered),
        )
        for choice in question.choices
    ]
    wrong = common_wrong_answers(
        [
            answer.text
            for answer in answers
            if not answer.is_correct and question.type == QuestionType.SHORT
        ]
    )
    return QuestionStats(
        id=question.id,
        position=question.position,
        prompt=question.prompt,
        type=question.type,
        answered=answered,
        correct=correct,
        percent_correct=percent(correct, answered),
        discrimination=index,
        choices=choices,
        wrong_answers=wrong,
        flags=question_flags(answered, correct, index),
    )


def quiz_question_stats(
    questions: Sequence[QuestionSpec],
    attempts: Sequence[AttemptRow],
    answers: Iterable[AnswerRow],
) -> list[QuestionStats]:
    """Every question's statistics over ``attempts``; answers of other attempts and
    other questions are ignored."""
    scores = {attempt.id: attempt.score for attempt in attempts}
    by_question: dict[int, list[AnswerRow]] = defaultdict(list)
    for answer in answers:
        if answer.attempt_id in scores:
            by_question[answer.question_id].append(answer)
    return [question_stats(question, by_question[question.id], scores) for question in questions]


def lesson_funnel(
    lessons: Sequence[tuple[int, int, str]], progress: Iterable[ProgressRow]
) -> list[LessonFunnel]:
    """Per lesson (id, position, title, in course order): learners who opened it,
    completed it, and dropped off there.

    Dropped off: opened the lesson, have not completed it, and have opened no later
    lesson of the course. The median time runs from opening to completing, over
    those who completed it.
    """
    order = {lesson_id: index for index, (lesson_id, _position, _title) in enumerate(lessons)}
    rows: dict[int, list[ProgressRow]] = defaultdict(list)
    furthest: dict[int, int] = {}  # learner -> index of the latest lesson they opened
    for row in progress:
        if row.lesson_id not in order:
            continue
        rows[row.lesson_id].append(row)
        furthest[row.learner_id] = max(furthest.get(row.learner_id, -1), order[row.lesson_id])
    funnel = []
    for index, (lesson_id, position, title) in enumerate(lessons):
        opened = rows[lesson_id]
        done = [row for row in opened if row.completed_at is not None]
        times = [row.completed_at - row.started_at for row in done]
        funnel.append(
            LessonFunnel(
                id=lesson_id,
                position=position,
                title=title,
                opened=len(opened),
                completed=len(done),
                dropped_off=sum(
                    1
                    for row in opened
                    if row.completed_at is None and furthest[row.learner_id] == index
                ),
                # statistics.median of timedeltas: an even count averages the middle two.
                median_time=statistics.median(times) if times else None,
            )
        )
    return funnel


def format_duration(value: timedelta | None) -> str:
    """ "45 min", "3 h 20 min", "2 d 4 h"; "–" for none. Minutes at most: a median
    time through a lesson is read at a glance, not to the second."""
    if value is None:
        return "–"
    minutes = max(0, round(value.total_seconds() / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        if hours:
            return _("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
        return _("%(days)s d") % {"days": days}
    if hours:
        if minutes:
            return _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return _("%(hours)s h") % {"hours": hours}
    return _("%(minutes)s min") % {"minutes": minutes} if minutes else _("under a minute")


# Reading the rows --------------------------------------------------------------------


def course_quizzes(course: Course) -> list[Quiz]:
    """The course's published quizzes (progress.structure) in course order: its
    lessons' quizzes, then the final assessment."""
    return course_structure(course).quizzes


def counted_attempts(quiz_ids: Sequence[int], learners: QuerySet, scope: str) -> QuerySet:
    """Submitted attempts (every run) at these quizzes by these learners; for the
    "first" scope only each learner's first submitted attempt at each quiz."""
    attempts = Attempt.all_runs.filter(
        quiz_id__in=quiz_ids, learner__in=learners.values("pk"), submitted_at__isnull=False
    )
    if scope == "first":
        earlier = Attempt.all_runs.filter(
            learner=OuterRef("learner"),
            quiz=OuterRef("quiz"),
            submitted_at__isnull=False,
            number__lt=OuterRef("number"),
        )
        attempts = attempts.exclude(Exists(earlier))
    return attempts


def _question_specs(quiz_ids: Sequence[int]) -> dict[int, list[QuestionSpec]]:
    choices: dict[int, list[ChoiceSpec]] = defaultdict(list)
    for question_id, *choice in Choice.objects.filter(
        question__quiz_id__in=quiz_ids, question__retired_at__isnull=True
    ).values_list("question_id", "id", "text", "is_correct"):
        choices[question_id].append(ChoiceSpec(*choice))
    specs: dict[int, list[QuestionSpec]] = defaultdict(list)
    for quiz_id, question_id, position, prompt, kind in (
        Question.objects.published()
        .filter(quiz_id__in=quiz_ids)
        .values_list("quiz_id", "id", "position", "prompt", "type")
    ):
        specs[quiz_id].append(
            QuestionSpec(question_id, position, prompt, kind, choices[question_id])
        )
    return specs


def course_analytics(
    course: Course, learners: QuerySet, scope: str = DEFAULT_SCOPE, quiz_id: int | None = None
) -> CourseAnalytics:
    """The funnel and one quiz's statistics of ``course`` for ``learners`` (a queryset
    of users: a team's members or everyone a trainer follows): quiz ``quiz_id``, or
    by default the course's first quiz in course order (its final assessment when
    the lessons have none). One quiz at a time keeps the page short and every
    figure near its chooser. ``quizzes`` is empty when ``quiz_id`` is not one of the
    course's. Eight queries, whatever the number of learners, attempts and quizzes."""
    lessons = [
        (lesson.pk, lesson.position, lesson.title) for lesson in course_structure(course).lessons
    ]
    progress = LessonProgress.objects.filter(
        lesson__in=[lesson_id for lesson_id, _position, _title in lessons],
        learner__in=learners.values("pk"),
    ).values_list("learner_id", "lesson_id", "started_at", "completed_at")
    result = CourseAnalytics(
        course=course,
        scope=scope,
        learners=learners.count(),
        funnel=lesson_funnel(lessons, (ProgressRow._make(row) for row in progress)),
    )
    quizzes = course_quizzes(course)
    result.all_quizzes = [(quiz.pk, quiz.title) for quiz in quizzes]
    # The chosen quiz, or the first (none if the chosen one is not the course's).
    quizzes = [quiz for quiz in quizzes if quiz.pk == quiz_id] if quiz_id else quizzes[:1]
    if not quizzes:
        return result
    quiz_ids = [quiz.pk for quiz in quizzes]
    specs = _question_specs(quiz_ids)
    attempts_query = counted_attempts(quiz_ids, learners, scope)
    attempts: dict[int, list[AttemptRow]] = defaultdict(list)
    for row in attempts_query.values_list(
        "id", "quiz_id", "learner_id", "score", "percent", "passed"
    ):
        attempts[row[1]].append(AttemptRow._make(row))
    # choice_ids read as text and decoded once per distinct list: answers repeat the
    # same few lists, and decoding 100,000 JSON values one by one was most of the time.
    decoded = functools.cache(json.loads)
    answers = (
        AnswerRow(attempt_id, question_id, decoded(choice_ids), text, is_correct)
        for attempt_id, question_id, choice_ids, text, is_correct in Answer.objects.filter(
            attempt__in=attempts_query.values("pk"), question__retired_at__isnull=True
        )
        .annotate(choices_text=Cast("choice_ids", TextField()))
        .values_list("attempt_id", "question_id", "choices_text", "text", "is_correct")
    )
    by_quiz: dict[int, list[AnswerRow]] = defaultdict(list)
    question_quiz = {spec.id: quiz for quiz, quiz_specs in specs.items() for spec in quiz_specs}
    for answer in answers:
        by_quiz[question_quiz[answer.question_id]].append(answer)
    result.quizzes = [
        QuizStats(
            id=quiz.pk,
            title=quiz.title,
            pass_mark=quiz.pass_mark,
            is_final=quiz.is_final_assessment,
            summary=summarise_attempts(attempts[quiz.pk], quiz.pass_mark),
            questions=quiz_question_stats(specs[quiz.pk], attempts[quiz.pk], by_quiz[quiz.pk]),
        )
        for quiz in quizzes
    ]
    return result
