"""The trainer's dashboard and CSV export: one team on one course.

Per learner, the database computes how many required lessons are done,
whether they started, their last activity, their best final score and their
state, so filtering, sorting, counting and paging a team of thousands happen
in a fixed number of queries. Cells (state and best quiz score per lesson) are
then fetched for the learners on the page only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState
from lessons.services import SubqueryCount, percent_complete
from quizzes.models import Attempt, Quiz
from training.assignments import fresh_completion_after
from training.models import Assignment, Team

User = get_user_model()
PAGE_SIZE = 50
STATE_FILTERS = {
    "": "Everyone",
    "not_started": "Not started",
    "in_progress": "In progress",
    "completed": "Completed",
    "overdue": "Overdue only",
}
SORTS = {
    "name": "Name",
    "progress": "Progress (most first)",
    "-progress": "Progress (least first)",
    "activity": "Last activity (latest first)",
}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Cell:
    state: ProgressState
    best: int | None = None
    attempts: int = 0
    started_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None


@dataclass
class Row:
    learner: object
    cells: list[Cell]
    final: Cell | None
    percent: int
    state: ProgressState
    last_activity: datetime.datetime | None
    overdue: bool
    completed_at: datetime.datetime | None = None  # the recorded course completion
    certificate_code: str | None = None
    certificate_revoked: bool = False


@dataclass
class Dashboard:
    team: Team
    course: Course
    lessons: list[Lesson]
    final: Quiz | None
    assignment: Assignment | None
    counts: dict[str, int]
    average_final: float | None
    page: Page
    rows: list[Row] = field(default_factory=list)

    @property
    def due_date(self) -> datetime.date | None:
        return self.assignment.due_date if self.assignment else None


@dataclass
class _Scope:
    """What "complete" means for this team and course."""

    lessons: list[Lesson]
    quiz_of_lesson: dict[int, int]
    final: Quiz | None
    assignment: Assignment | None
    required_ids: list[int]
    require_final: bool
    whole_course: bool
    # A fresh completion is asked for: only completions recorded after this count.
    fresh_after: datetime.datetime | None


def _scope(team: Team, course: Course) -> _Scope:
    lessons = list(
        Lesson.objects.published()
        .filter(course=course)
        .order_by("position", "id")
        .only("pk", "title", "slug", "position", "course_id")
    )
    quizzes = list(
        Quiz.objects.published()
        .filter(Q(lesson__course=course) | Q(course=course))
        .only("pk", "lesson_id", "course_id", "pass_mark", "max_attempts")
    )
    final = next((quiz for quiz in quizzes if quiz.course_id), None)
    assignment = (
        Assignment.objects.filter(team=team, course=course).prefetch_related("lessons").first()
    )
    published = {lesson.pk for lesson in lessons}
    chosen = {lesson.pk for lesson in assignment.lessons.all()} if assignment else set()
    required = sorted(chosen & published) if chosen else sorted(published)
    return _Scope(
        lessons=lessons,
        quiz_of_lesson={quiz.lesson_id: quiz.pk for quiz in quizzes if quiz.lesson_id},
        final=final,
        assignment=assignment,
        required_ids=required,
        require_final=final is not None and not chosen,
        whole_course=not chosen,
        fresh_after=fresh_completion_after([assignment]) if assignment else None,
    )


def _learners(team: Team, course: Course, scope: _Scope, today: datetime.date) -> QuerySet:
    """Team members annotated with done, started, last_activity, final_best, state, overdue."""
    progress = LessonProgress.objects.filter(learner=OuterRef("pk"), lesson__course=course)
    attempts = Attempt.objects.filter(
        learner=OuterRef("pk"), submitted_at__isnull=False, quiz__in=_quiz_ids(scope)
    )
    completion = CourseCompletion.objects.current().filter(learner=OuterRef("pk"), course=course)
    if scope.fresh_after is not None:
        completion = completion.filter(completed_at__gte=scope.fresh_after)
    learners = team.members.filter(is_active=True).annotate(
        completed_at=Subquery(completion.values("completed_at")[:1]),
        certificate_code=Subquery(completion.values("certificate__code")[:1]),
        certificate_revoked=Subquery(completion.values("certificate__revoked_at")[:1]),
        done=SubqueryCount(
            progress.filter(lesson__in=scope.required_ids, state=ProgressState.COMPLETED).values(
                "pk"
            )
        ),
        started=SubqueryCount(progress.values("pk")),
        last_activity=Greatest(
            Coalesce(
                Subquery(progress.order_by("-updated_at").values("updated_at")[:1]),
                Value(_EPOCH),
                output_field=DateTimeField(),
            ),
            Coalesce(
                Subquery(attempts.order_by("-submitted_at").values("submitted_at")[:1]),
                Value(_EPOCH),
                output_field=DateTimeField(),
            ),
        ),
    )
    if scope.final is not None:
        final_attempts = Attempt.objects.filter(
            learner=OuterRef("pk"), quiz=scope.final, submitted_at__isnull=False
        )
        learners = learners.annotate(
            final_best=Subquery(final_attempts.order_by("-percent").values("percent")[:1]),
            final_passed=Exists(final_attempts.filter(passed=True)),
        )
    else:
        learners = learners.annotate(
            final_best=Value(None, output_field=CharField()),
            final_passed=Value(False, output_field=BooleanField()),
        )
    # The same rule as lessons.services.CourseProgress.is_complete (a test compares
    # them): for the whole course, a recorded completion (after the assignment, if
    # it asks for a fresh one), or everything done now; for chosen lessons, those.
    complete = Q(done__gte=len(scope.required_ids))
    if scope.require_final:
        complete &= Q(final_passed=True)
    if scope.whole_course:
        if scope.fresh_after is not None:
            complete = Q(completed_at__isnull=False)
        else:
            complete |= Q(completed_at__isnull=False)
    learners = learners.annotate(
        state=Case(
            When(complete, then=Value(ProgressState.COMPLETED.value)),
            When(started__gt=0, then=Value(ProgressState.IN_PROGRESS.value)),
            default=Value(ProgressState.NOT_STARTED.value),
            output_field=CharField(),
        )
    )
    due = scope.assignment.due_date if scope.assignment else None
    if due is not None and due < today:
        overdue = Case(
            When(state=ProgressState.COMPLETED.value, then=Value(False)),
            default=Value(True),
            output_field=BooleanField(),
        )
    else:
        overdue = Value(False, output_field=BooleanField())
    return learners.annotate(overdue=overdue)


def _quiz_ids(scope: _Scope) -> list[int]:
    ids = list(scope.quiz_of_lesson.values())
    if scope.final is not None:
        ids.append(scope.final.pk)
    return ids


def _filtered(learners: QuerySet, state: str, query: str, sort: str) -> QuerySet:
    if query:
        for word in query.split():
            learners = learners.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
                | Q(email__icontains=word)
            )
    if state == "overdue":
        learners = learners.filter(overdue=True)
    elif state in STATE_FILTERS and state:
        learners = learners.filter(state=state)
    name = ["last_name", "first_name", "username", "pk"]
    ordering = {
        "progress": ["-done", *name],
        "-progress": ["done", *name],
        "activity": [F("last_activity").desc(), *name],
    }.get(sort, name)
    return learners.order_by(*ordering)


def build_dashboard(
    team: Team,
    course: Course,
    *,
    state: str = "",
    query: str = "",
    sort: str = "name",
    page: int | str = 1,
    today: datetime.date | None = None,
) -> Dashboard:
    today = today or timezone.localdate()
    scope = _scope(team, course)
    learners = _learners(team, course, scope, today)
    averages = {"average_final": Avg("final_best")} if scope.final is not None else {}
    totals = learners.aggregate(
        assigned=Count("pk"),
        not_started=Count("pk", filter=Q(state=ProgressState.NOT_STARTED.value)),
        in_progress=Count("pk", filter=Q(state=ProgressState.IN_PROGRESS.value)),
        completed=Count("pk", filter=Q(state=ProgressState.COMPLETED.value)),
        **averages,
    )
    average_final = totals.pop("average_final", None)
    # Everyone not completed is overdue once the team's due date has passed.
    due = scope.assignment.due_date if scope.assignment else None
    past_due = due is not None and due < today
    totals["overdue"] = totals["assigned"] - totals["completed"] if past_due else 0
    paginator = Paginator(_filtered(learners, state, query, sort), PAGE_SIZE)
    page_obj = paginator.get_page(page)
    return Dashboard(
        team=team,
        course=course,
        lessons=scope.lessons,
        final=scope.final,
        assignment=scope.assignment,
        counts=totals,
        average_final=average_final,
        page=page_obj,
        rows=_rows(list(page_obj.object_list), scope),
    )


def _rows(learners: Sequence, scope: _Scope) -> list[Row]:
    """Cells for these learners: two queries, whatever their number."""
    ids = [learner.pk for learner in learners]
    progress = {
        (learner_id, lesson_id): (state, started_at, completed_at)
        for learner_id, lesson_id, state, started_at, completed_at in LessonProgress.objects.filter(
            learner__in=ids, lesson__in=[lesson.pk for lesson in scope.lessons]
        ).values_list("learner_id", "lesson_id", "state", "started_at", "completed_at")
    }
    scores = {
        (learner_id, quiz_id): (best, used)
        for learner_id, quiz_id, best, used in Attempt.objects.filter(
            learner__in=ids, quiz__in=_quiz_ids(scope), submitted_at__isnull=False
        )
        .order_by()
        .values("learner_id", "quiz_id")
        .annotate(best=Max("percent"), used=Count("pk"))
        .values_list("learner_id", "quiz_id", "best", "used")
    }
    rows = []
    for learner in learners:
        cells = []
        for lesson in scope.lessons:
            state, started_at, completed_at = progress.get(
                (learner.pk, lesson.pk), (ProgressState.NOT_STARTED, None, None)
            )
            best, used = scores.get((learner.pk, scope.quiz_of_lesson.get(lesson.pk)), (None, 0))
            cells.append(Cell(ProgressState(state), best, used, started_at, completed_at))
        final = None
        if scope.final is not None:
            best, used = scores.get((learner.pk, scope.final.pk), (None, 0))
            final_state = (
                ProgressState.COMPLETED
                if learner.final_passed
                else ProgressState.IN_PROGRESS
                if used
                else ProgressState.NOT_STARTED
            )
            final = Cell(final_state, best, used)
        last = (
            learner.last_activity
            if learner.last_activity and learner.last_activity > _EPOCH
            else None
        )
        state = ProgressState(learner.state)
        rows.append(
            Row(
                learner=learner,
                cells=cells,
                final=final,
                percent=(
                    100
                    if state == ProgressState.COMPLETED
                    else percent_complete(learner.done, len(scope.required_ids))
                ),
                state=state,
                last_activity=last,
                overdue=learner.overdue,
                completed_at=learner.completed_at,
                certificate_code=learner.certificate_code,
                certificate_revoked=learner.certificate_revoked is not None,
            )
        )
    return rows


CSV_HEADER = [
    "learner",
    "email",
    "team",
    "course",
    "lesson",
    "state",
    "started",
    "completed",
    "best score",
    "attempts",
    "due date",
    "overdue",
    "course completed",
    "certificate",
]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_rows(
    team: Team,
    course: Course,
    *,
    state: str = "",
    query: str = "",
    sort: str = "name",
    today: datetime.date | None = None,
    chunk_size: int = 500,
) -> Iterator[list[str]]:
    """The dashboard as CSV rows, one per learner and lesson (plus the final
    assessment), learners read in chunks so memory stays flat."""
    today = today or timezone.localdate()
    scope = _scope(team, course)
    learners = _filtered(_learners(team, course, scope, today), state, query, sort)
    due = scope.assignment.due_date if scope.assignment else None
    yield CSV_HEADER
    offset = 0
    while True:
        chunk = list(learners[offset : offset + chunk_size])
        if not chunk:
            return
        offset += chunk_size
        for row in _rows(chunk, scope):
            learner = row.learner
            name = learner.get_full_name() or learner.get_username()
            items = list(zip(scope.lessons, row.cells, strict=True))
            if row.final is not None:
                items.append((None, row.final))
            for lesson, cell in items:
                yield [
                    neutralise(value)
                    for value in (
                        name,
                        learner.email,
                        team.name,
                        course.title,
                        lesson.title if lesson else "Final assessment",
                        cell.state.label,
                        _iso(cell.started_at),
                        _iso(cell.completed_at),
                        "" if cell.best is None else cell.best,
                        cell.attempts,
                        due.isoformat() if due else "",
                        "yes" if row.overdue else "no",
                        _iso(row.completed_at),
                        _certificate_cell(row),
                    )
                ]


def _certificate_cell(row: Row) -> str:
    """The certificate's verification address, so an auditor can check it."""
    if not row.certificate_code:
        return ""
    url = settings.SITE_URL + reverse("verify_certificate", args=[row.certificate_code])
    return f"revoked: {url}" if row.certificate_revoked else url


def _iso(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""
