"""A learner's score on a quiz: the one rule every page, the dashboard, the CSVs and
the reminder emails ask.

- Only submitted attempts of the current run count (``Attempt.objects`` reads the
  current run; an attempt in progress has no score).
- The best score is the highest percent; of equal percents the later attempt is
  "the best" (its result page is the one linked).
- The quiz is passed once any counted attempt passed.

:func:`best_attempt` picks among attempts a page already holds; :func:`scores` reads
many learners' figures in one query and adds them up with the same rule.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.db.models import Exists, QuerySet

from quizzes.models import Attempt


class Scored(Protocol):
    percent: int | None
    number: int


S = TypeVar("S", bound=Scored)


def best_attempt(attempts: Iterable[S]) -> S | None:
    """The best of these submitted attempts: highest percent, then the later one."""
    return max(attempts, key=lambda attempt: (attempt.percent or 0, attempt.number), default=None)


@dataclass(frozen=True)
class QuizScore:
    """One learner's figures on one quiz in the current run."""

    best: int | None = None  # percent of the best attempt; None: none submitted
    used: int = 0  # attempts submitted
    passes: int = 0  # of them, passed
    first_passed_at: datetime.datetime | None = None
    last_submitted_at: datetime.datetime | None = None

    @property
    def passed(self) -> bool:
        return self.passes > 0


NO_SCORE = QuizScore()


def submitted(attempts: QuerySet[Attempt] | None = None) -> QuerySet[Attempt]:
    """Attempts that count for a score: submitted, in the current run."""
    return (Attempt.objects.all() if attempts is None else attempts).filter(
        submitted_at__isnull=False
    )


def any_passed(attempts: QuerySet[Attempt]) -> Exists:
    """Whether one of these attempts counts as a pass, as an SQL expression (for
    annotating many rows at once): :attr:`QuizScore.passed` in bulk."""
    return Exists(submitted(attempts).filter(passed=True))


def scores(attempts: QuerySet[Attempt]) -> dict[tuple[int, int], QuizScore]:
    """{(learner id, quiz id): QuizScore} of these attempts (filter them first, by
    learner and quiz): one plain query, added up by :func:`score_of`."""
    rows: dict[tuple[int, int], list] = {}
    for row in (
        submitted(attempts)
        .order_by()
        .values_list(
            "learner_id", "quiz_id", "number", "percent", "passed", "submitted_at", named=True
        )
    ):
        rows.setdefault((row.learner_id, row.quiz_id), []).append(row)
    return {key: score_of(taken) for key, taken in rows.items()}


def score_of(taken: list) -> QuizScore:
    """The figures of one learner's submitted attempts on one quiz (objects or rows
    with ``number``, ``percent``, ``passed`` and ``submitted_at``)."""
    if not taken:
        return NO_SCORE
    best = best_attempt(taken)
    passed_at = [attempt.submitted_at for attempt in taken if attempt.passed]
    return QuizScore(
        best=best.percent if best is not None else None,
        used=len(taken),
        passes=len(passed_at),
        first_passed_at=min(passed_at, default=None),
        last_submitted_at=max(attempt.submitted_at for attempt in taken),
    )
