"""A learner's training record: every course they have records in, each run (cycle)
with its dates, scores, content versions and certificate, and whether their chain of
the audit log verifies. One page and one PDF (audit.views), the same data.

Who may see it (:func:`may_see_record`): the learner themself, a trainer who follows
them (training.roles.follows_learner), and superusers.

Runs: a completion is one run (``CourseCompletion.run``). Attempts belong to the
run they were made in: an earlier run's are archived into its completion
(``archived_in``); the current run's are not, and belong to the current completion,
or to the run in progress when the course is not (or not again) completed.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from audit.log import learner_chain
from audit.models import ChainHead, Event
from audit.verify import Problem, check_chain
from courses.models import Course
from lessons.certificates import verification_url
from lessons.models import Certificate, CourseCompletion
from quizzes.models import Attempt, Quiz
from quizzes.scores import QuizScore, best_attempt, score_of
from training.roles import follows_learner


def may_see_record(user: Any, learner_id: int) -> bool:
    """The learner themself, a trainer who follows them, a superuser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.pk == learner_id or user.is_superuser:
        return True
    return follows_learner(user, learner_id)


@dataclass
class QuizLine:
    quiz: Quiz
    score: QuizScore
    version: str  # the content version of the attempt that counts ("" if not logged)


@dataclass
class Certified:
    certificate: Certificate
    verify_url: str


@dataclass
class Run:
    number: int
    completion: CourseCompletion | None  # None: the run in progress
    quizzes: list[QuizLine]
    version: str  # the completion's content version ("" if not logged)
    certificate: Certified | None
    expired: bool


@dataclass
class CourseRecord:
    course: Course
    runs: list[Run]


@dataclass
class TrainingRecord:
    learner: Any
    courses: list[CourseRecord]
    events: list[Event]
    problem: Problem | None
    checked_at: datetime.datetime
    head: ChainHead | None = None

    @property
    def verified(self) -> bool:
        return self.problem is None

    @property
    def last_event(self) -> Event | None:
        return self.events[-1] if self.events else None


@dataclass
class _Course:
    course: Course
    completions: list[CourseCompletion] = field(default_factory=list)
    attempts: dict[int | None, list[Attempt]] = field(default_factory=lambda: defaultdict(list))


def _course_of(quiz: Quiz) -> Course:
    return quiz.course if quiz.course_id is not None else quiz.lesson.course  # type: ignore[union-attr,return-value]


def _gather(learner: Any) -> dict[int, _Course]:
    """Completions and graded attempts by course (two queries)."""
    courses: dict[int, _Course] = {}
    for completion in (
        CourseCompletion.objects.filter(learner=learner)
        .select_related("course", "certificate")
        .order_by("run", "pk")
    ):
        courses.setdefault(completion.course_id, _Course(completion.course))
        courses[completion.course_id].completions.append(completion)
    for attempt in (
        Attempt.all_runs.filter(learner=learner, submitted_at__isnull=False)
        .select_related("quiz__lesson__course", "quiz__course")
        .order_by("submitted_at", "pk")
    ):
        course = _course_of(attempt.quiz)
        entry = courses.setdefault(course.pk, _Course(course))
        entry.attempts[attempt.archived_in_id].append(attempt)
    return courses


def _quiz_order(quiz: Quiz) -> tuple[int, int]:
    """Lesson quizzes in lesson order, then the final assessment."""
    if quiz.lesson_id is not None:
        return (0, quiz.lesson.position)  # type: ignore[union-attr]
    return (1, 0)


def _quiz_lines(attempts: list[Attempt], versions: dict[tuple[str, int], str]) -> list[QuizLine]:
    by_quiz: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_quiz[attempt.quiz_id].append(attempt)
    lines = []
    for taken in by_quiz.values():
        best = best_attempt(taken)
        version = versions.get(("quizzes.attempt", best.pk), "") if best else ""
        lines.append(QuizLine(taken[0].quiz, score_of(taken), version))
    return sorted(lines, key=lambda line: _quiz_order(line.quiz))


def _certified(completion: CourseCompletion) -> Certified | None:
    certificate = getattr(completion, "certificate", None)
    if certificate is None:
        return None
    return Certified(certificate, verification_url(certificate))


def _completed_run(
    completion: CourseCompletion,
    attempts: list[Attempt],
    versions: dict[tuple[str, int], str],
    today: datetime.date,
) -> Run:
    until = completion.valid_until
    return Run(
        number=completion.run,
        completion=completion,
        quizzes=_quiz_lines(attempts, versions),
        version=versions.get(("lessons.coursecompletion", completion.pk), ""),
        certificate=_certified(completion),
        expired=until is not None and until < today,
    )


def _runs(entry: _Course, versions: dict[tuple[str, int], str], today: datetime.date) -> list[Run]:
    runs = []
    current_taken = False
    for completion in entry.completions:
        current = completion.superseded_at is None
        key = None if current else completion.pk
        current_taken = current_taken or current
        runs.append(_completed_run(completion, entry.attempts.get(key, []), versions, today))
    if not current_taken and entry.attempts.get(None):
        number = len(entry.completions) + 1
        lines = _quiz_lines(entry.attempts[None], versions)
        runs.append(Run(number, None, lines, "", None, False))
    return runs


def content_versions(events: list[Event]) -> dict[tuple[str, int], str]:
    """{(object type, id): content version} of the records the events logged."""
    return {
        (event.object_type, event.object_id): event.content_version
        for event in events
        if event.content_version and event.object_id is not None
    }


def training_record(learner: Any) -> TrainingRecord:
    """The learner's record (four queries: completions, attempts, their chain and its
    head), checked against their chain of the audit log."""
    chain = learner_chain(learner.pk)
    events = list(Event.objects.filter(chain=chain).order_by("seq"))
    head = ChainHead.objects.filter(chain=chain).first()
    versions = content_versions(events)
    today = timezone.localdate()
    courses = [
        CourseRecord(entry.course, _runs(entry, versions, today))
        for entry in sorted(_gather(learner).values(), key=lambda e: (e.course.title, e.course.pk))
    ]
    return TrainingRecord(
        learner=learner,
        courses=courses,
        events=events,
        problem=check_chain(chain, events, head),
        checked_at=timezone.now(),
        head=head,
    )
