"""The trainer's dashboard and CSV export: one audience on one course.

An audience is a team, or the learners a trainer follows who were assigned a
course individually outside their teams. Per learner the database counts the
lessons done, their last activity, best final score and recorded completion
(one query, whatever the number of learners); the assignments covering them
come in three more. Then Python asks the one rule for each learner's course
state (``progress.rules.CourseProgress``) and due state
(``training.assignments.due_state``), so the tiles, "Overdue only", sorting
and paging all use the same answer as My learning. Cells (state and best quiz
score per lesson) are fetched for the learners on the page only.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import (
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState
from progress.rules import (
    CourseProgress,
    CourseRecords,
    CourseState,
    course_records,
    percent_complete,
    with_moments,
)
from progress.structure import course_structure
from quizzes.models import Quiz
from training.assignments import CourseRecord, DueState, coverage, covered_by, due_state
from training.models import Assignment, Team
from training.roles import learners_outside_teams_of

User = get_user_model()
PAGE_SIZE = 50
INDIVIDUAL = "individual"  # ?team=individual: the "Assigned individually" view
STATE_FILTERS = {
    "": gettext_lazy("Everyone"),
    CourseState.NOT_STARTED.value: CourseState.NOT_STARTED.label,
    CourseState.IN_PROGRESS.value: CourseState.IN_PROGRESS.label,
    CourseState.AWAITING_FINAL.value: CourseState.AWAITING_FINAL.label,
    CourseState.COMPLETED.value: CourseState.COMPLETED.label,
    "overdue": gettext_lazy("Overdue only"),
}
SORTS = {
    "name": gettext_lazy("Name"),
    "progress": gettext_lazy("Progress (most first)"),
    "-progress": gettext_lazy("Progress (least first)"),
    "activity": gettext_lazy("Last activity (latest first)"),
}
# The CSV is read by spreadsheets and scripts: its words stay English whatever the
# trainer's language, so a formula or an import never breaks.
CSV_LANGUAGE = "en-gb"
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Audience:
    """Whom a dashboard is about: a team, or (team None) the learners ``user``
    follows who are in none of their teams and were assigned individually; or
    ``members``, whoever they are (an assignment's learners, see finished_by)."""

    team: Team | None
    user: object = None
    members: QuerySet | None = None

    @property
    def key(self) -> str:
        return str(self.team.pk) if self.team else INDIVIDUAL

    @property
    def name(self) -> str:
        return self.team.name if self.team else _("Assigned individually")

    def people(self) -> QuerySet:
        """Everyone this view may show (who is shown also depends on the course)."""
        if self.members is not None:
            return self.members
        if self.team is not None:
            return self.team.members.filter(is_active=True)
        return learners_outside_teams_of(self.user)


@dataclass(frozen=True)
class Cell:
    state: ProgressState
    best: int | None = None
    attempts: int = 0
    started_at: datetime.datetime | None = None
    completed_at: datetime.datetime | None = None


@dataclass
class Row:
    """One learner: their course state, their due state, and (on the page) cells."""

    learner: object
    progress: CourseProgress
    due: DueState | None  # None: no assignment covers them (progress only)
    last_activity: datetime.datetime | None
    final_best: int | None
    completed_at: datetime.datetime | None = None  # the recorded course completion
    certificate_code: str | None = None
    certificate_revoked: bool = False
    cells: list[Cell] = field(default_factory=list)
    final: Cell | None = None

    @property
    def state(self) -> CourseState:
        return self.progress.course_state

    @property
    def overdue(self) -> bool:
        return self.due is not None and self.due.is_overdue

    @property
    def percent(self) -> int:
        """Of what the assignment that applies asks (the course, or its lessons)."""
        if self.due is None:
            return self.progress.percent
        if self.due.is_complete:
            return 100
        return percent_complete(self.due.applies.completed, self.due.applies.total)

    @property
    def individual(self) -> list:
        """The learner's own (individual) assignments of this course."""
        return (
            [s.assignment for s in self.due.statuses if s.assignment.learner_id] if self.due else []
        )


@dataclass
class Board:
    """An audience on a course: every learner's row, before filtering and paging."""

    audience: Audience
    course: Course
    lessons: list[Lesson]
    quiz_of_lesson: dict[int, int]
    final: Quiz | None
    assignment: Assignment | None  # the team's own assignment of the course
    rows: list[Row]  # covered learners; if none, those who started
    records: CourseRecords  # their rows in the course, read once (cells come from here)
    assignment_lessons: int = 0  # how many lessons the team's assignment chose

    @property
    def assigned(self) -> bool:
        """Whether the course is assigned to this view: the team, or someone in it."""
        return self.assignment is not None or any(row.due for row in self.rows)

    @property
    def due_date(self) -> datetime.date | None:
        return self.assignment.due_date if self.assignment else None

    @property
    def quiz_ids(self) -> list[int]:
        ids = list(self.quiz_of_lesson.values())
        return [*ids, self.final.pk] if self.final is not None else ids

    def counts(self) -> dict[str, int]:
        counts = {"assigned": len(self.rows), "overdue": 0}
        counts.update({state.value: 0 for state in CourseState})
        for row in self.rows:
            counts[row.state.value] += 1
            counts["overdue"] += row.overdue
        return counts

    def average_final(self) -> float | None:
        scores = [row.final_best for row in self.rows if row.final_best is not None]
        return sum(scores) / len(scores) if scores else None


@dataclass
class Dashboard:
    board: Board
    counts: dict[str, int]
    average_final: float | None
    page: Page
    rows: list[Row] = field(default_factory=list)

    # What the template asks of the board.
    @property
    def team(self) -> Team | None:
        return self.board.audience.team

    @property
    def course(self) -> Course:
        return self.board.course

    @property
    def lessons(self) -> list[Lesson]:
        return self.board.lessons

    @property
    def final(self) -> Quiz | None:
        return self.board.final

    @property
    def assignment(self) -> Assignment | None:
        return self.board.assignment

    @property
    def due_date(self) -> datetime.date | None:
        return self.board.due_date

    @property
    def assigned(self) -> bool:
        return self.board.assigned

    @property
    def assignment_lessons(self) -> int:
        return self.board.assignment_lessons


def _as_audience(audience: Audience | Team) -> Audience:
    return audience if isinstance(audience, Audience) else Audience(audience)


def build_board(
    audience: Audience | Team, course: Course, today: datetime.date | None = None
) -> Board:
    """Every learner of the audience for the course with their states, by the rule
    one learner's pages ask (progress.rules.course_records): a fixed number of
    queries (learners, their rows, assignments, memberships)."""
    audience = _as_audience(audience)
    today = today or timezone.localdate()
    structure = course_structure(course)
    published = frozenset(lesson.pk for lesson in structure.lessons)
    people = audience.people()
    learners = list(with_moments(_learners(audience, people, course, published), course))
    records = course_records(course, people)
    records.add_moments(learners)
    cover = coverage(course, people, team=audience.team)
    team_assignment = cover.team_assignments.get(audience.team.pk) if audience.team else None
    chosen = frozenset().union(*cover.chosen.values()) & published if cover.chosen else frozenset()
    done = _completed(people, chosen)
    rows = [_row(learner, records, cover, published, done, today) for learner in learners]
    # Covered here: by the team's assignment, or their own (another team's shows there).
    covered = [row for row in rows if team_assignment or row.learner.pk in cover.own]
    board = Board(
        audience=audience,
        course=course,
        lessons=structure.lessons,
        quiz_of_lesson=structure.quiz_of_lesson,
        final=structure.final,
        assignment=team_assignment,
        rows=covered,
        assignment_lessons=len(cover.chosen.get(team_assignment.pk, ())) if team_assignment else 0,
        records=records,
    )
    if not board.assigned:  # not assigned here: whoever started, progress only
        board.rows = [row for row in rows if row.progress.started]
        for row in board.rows:
            row.due = None
    return board


def _row(
    learner,
    records: CourseRecords,
    cover,
    published: frozenset[int],
    done: dict[int, dict[int, datetime.datetime]],
    today: datetime.date,
) -> Row:
    """One learner's row: the course rule and the due rule on their records
    (``done``: when each learner completed the lessons assignments chose)."""
    progress = records.progress(learner.pk, learner.completed_at)
    final = records.final_score(learner.pk)
    record = CourseRecord(
        progress=progress,
        published=published,
        done=done.get(learner.pk, {}),
        lessons_done_at=records.lessons_done_at(learner.pk) if progress.lessons_done else None,
        final_passed_at=final.first_passed_at if final else None,
    )
    return Row(
        learner=learner,
        progress=progress,
        due=due_state(cover.of(learner.pk), record, today),
        last_activity=records.last_activity(learner.pk),
        final_best=final.best if final else None,
        completed_at=learner.completed_at,
        certificate_code=learner.certificate_code,
        certificate_revoked=learner.certificate_revoked is not None,
    )


def _completed(
    people: QuerySet, lessons: frozenset[int]
) -> dict[int, dict[int, datetime.datetime]]:
    """{learner id: {lesson id: completed at}} in these lessons (assignments' chosen
    lessons; one query, none without any)."""
    done: dict[int, dict[int, datetime.datetime]] = {}
    if lessons:
        for learner_id, lesson_id, completed_at in LessonProgress.objects.filter(
            learner__in=people.values("pk"), lesson__in=lessons, state=ProgressState.COMPLETED
        ).values_list("learner_id", "lesson_id", "completed_at"):
            done.setdefault(learner_id, {})[lesson_id] = completed_at
    return done


def finished_by(assignment: Assignment) -> set[int]:
    """Who has finished ``assignment``, as the due rule says (the dashboard's rows,
    so the same answer as every page): of its team's active members, or its learner.
    A fixed number of queries, whatever the team's size."""
    team = Team(pk=assignment.team_id) if assignment.team_id else None
    board = build_board(Audience(team, members=covered_by(assignment)), assignment.course)
    return {
        row.learner.pk
        for row in board.rows
        if row.due is not None
        for status in row.due.statuses
        if status.assignment.pk == assignment.pk and status.is_finished
    }


def _learners(
    audience: Audience, people: QuerySet, course: Course, published: frozenset[int]
) -> QuerySet:
    """The audience's learners who are covered by an assignment of the course or
    started it, with their recorded completion and certificate."""
    shown = Exists(Assignment.objects.filter(course=course, learner=OuterRef("pk")))
    if audience.team is not None:
        # The team's assignment covers every member; if there is none, members show
        # who were assigned individually or (progress only) who started.
        shown |= Exists(Assignment.objects.filter(course=course, team=audience.team))
        shown |= Exists(LessonProgress.objects.filter(learner=OuterRef("pk"), lesson__in=published))
    return _with_completion(people.filter(shown), course)


def _with_completion(learners: QuerySet, course: Course) -> QuerySet:
    """Learners with their current completion of the course and its certificate."""
    completion = CourseCompletion.objects.current().filter(learner=OuterRef("pk"), course=course)
    learners = learners.only("pk", "username", "first_name", "last_name", "email")
    return learners.annotate(
        completed_at=Subquery(completion.values("completed_at")[:1]),
        certificate_code=Subquery(completion.values("certificate__code")[:1]),
        certificate_revoked=Subquery(completion.values("certificate__revoked_at")[:1]),
    )


def covered_rows(course: Course, people: QuerySet, today: datetime.date) -> list[Row]:
    """The rows of those of ``people`` an assignment of the course covers (their own
    or any team's), by the same rules as the board: a fixed number of queries,
    whatever the number of people (reminders ask this for everyone owed one)."""
    structure = course_structure(course)
    published = frozenset(lesson.pk for lesson in structure.lessons)
    cover = coverage(course, people)
    covered = people.filter(pk__in={*cover.own, *cover.memberships})
    learners = list(with_moments(_with_completion(covered, course), course))
    if not learners:
        return []
    records = course_records(course, covered)
    records.add_moments(learners)
    chosen = frozenset().union(*cover.chosen.values()) & published if cover.chosen else frozenset()
    done = _completed(covered, chosen)
    return [_row(learner, records, cover, published, done, today) for learner in learners]


def select_rows(board: Board, *, state: str = "", query: str = "", sort: str = "name") -> list[Row]:
    """The board's rows matching the filters, in order (search asks the database)."""
    rows = board.rows
    if query:
        found = board.audience.people()
        for word in query.split():
            found = found.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
                | Q(email__icontains=word)
            )
        ids = set(found.values_list("pk", flat=True))
        rows = [row for row in rows if row.learner.pk in ids]
    if state == "overdue":
        rows = [row for row in rows if row.overdue]
    elif state:
        rows = [row for row in rows if row.state == state]

    def name(row: Row) -> tuple:
        learner = row.learner
        return (
            learner.last_name.casefold(),
            learner.first_name.casefold(),
            learner.username.casefold(),
            learner.pk,
        )

    rows = sorted(rows, key=name)
    if sort == "progress":
        rows.sort(key=lambda row: -row.percent)
    elif sort == "-progress":
        rows.sort(key=lambda row: row.percent)
    elif sort == "activity":
        rows.sort(key=lambda row: row.last_activity or _EPOCH, reverse=True)
    return rows


def build_dashboard(
    audience: Audience | Team,
    course: Course,
    *,
    state: str = "",
    query: str = "",
    sort: str = "name",
    page: int | str = 1,
    today: datetime.date | None = None,
) -> Dashboard:
    board = build_board(audience, course, today)
    rows = select_rows(board, state=state, query=query, sort=sort)
    page_obj = Paginator(rows, PAGE_SIZE).get_page(page)
    page_rows = list(page_obj.object_list)
    _fill_cells(board, page_rows)
    return Dashboard(
        board=board,
        counts=board.counts(),
        average_final=board.average_final(),
        page=page_obj,
        rows=page_rows,
    )


def _fill_cells(board: Board, rows: Sequence[Row]) -> None:
    """Cells for these rows: one query, whatever their number."""
    records = board.records
    records.read_rows([row.learner.pk for row in rows], [lesson.pk for lesson in board.lessons])
    for row in rows:
        pk = row.learner.pk
        row.cells = []
        for lesson in board.lessons:
            found = records.lesson(pk, lesson.pk)
            score = records.score(pk, board.quiz_of_lesson.get(lesson.pk))
            row.cells.append(
                Cell(
                    ProgressState(found.state) if found else ProgressState.NOT_STARTED,
                    score.best,
                    score.used,
                    found.started_at if found else None,
                    found.completed_at if found else None,
                )
            )
        final = records.final_score(pk)
        if final is not None:
            final_state = (
                ProgressState.COMPLETED
                if row.progress.final_passed
                else ProgressState.IN_PROGRESS
                if final.used
                else ProgressState.NOT_STARTED
            )
            row.final = Cell(final_state, final.best, final.used)


CSV_HEADER = [
    "learner",
    "email",
    "team",
    "course",
    "state",
    "lesson",
    "lesson state",
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
    audience: Audience | Team,
    course: Course,
    *,
    state: str = "",
    query: str = "",
    sort: str = "name",
    today: datetime.date | None = None,
    chunk_size: int = 500,
) -> Iterator[list[str]]:
    """The dashboard as CSV rows (see :func:`csv_rows`)."""
    board = build_board(audience, course, today)
    yield from csv_rows(board, select_rows(board, state=state, query=query, sort=sort), chunk_size)


def csv_rows(board: Board, rows: Sequence[Row], chunk_size: int = 500) -> Iterator[list[str]]:
    """One CSV row per learner and lesson (plus the final assessment): the
    learner's course state and due state on each, cells read in chunks so
    memory stays flat."""
    yield CSV_HEADER
    for offset in range(0, len(rows), chunk_size):
        chunk = rows[offset : offset + chunk_size]
        _fill_cells(board, chunk)
        # Never yield inside the override: a suspended generator would leak it.
        with translation.override(CSV_LANGUAGE):
            lines = list(_csv_lines(board, chunk))
        yield from lines


def _csv_lines(board: Board, chunk: Sequence[Row]) -> Iterator[list[str]]:
    for row in chunk:
        learner = row.learner
        name = learner.get_full_name() or learner.get_username()
        due = row.due.due_date if row.due else None
        items = list(zip(board.lessons, row.cells, strict=True))
        if row.final is not None:
            items.append((None, row.final))
        for lesson, cell in items:
            yield [
                neutralise(value)
                for value in (
                    name,
                    learner.email,
                    board.audience.name,
                    board.course.title,
                    row.state.label,
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
        row.cells, row.final = [], None  # memory stays flat


def _certificate_cell(row: Row) -> str:
    """The certificate's verification address, so an auditor can check it."""
    if not row.certificate_code:
        return ""
    url = settings.SITE_URL + reverse("verify_certificate", args=[row.certificate_code])
    return f"revoked: {url}" if row.certificate_revoked else url


def _iso(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else ""


# The summary CSV: one row per learner and course ------------------------------------------

SUMMARY_HEADER = [
    "learner",
    "username",
    "email",
    "teams",
    "course",
    "state",
    "percent",
    "completed on",
    "best final score",
    "due date",
    "overdue",
    "last activity",
]


def assigned_courses_of(audience: Audience | Team, courses: Sequence[Course]) -> list[Course]:
    """Of ``courses``, those assigned to the audience: to the team, or to any of
    its people individually. One query."""
    audience = _as_audience(audience)
    assigned = Assignment.objects.filter(learner__in=audience.people().values("pk"))
    if audience.team is not None:
        assigned = Assignment.objects.filter(Q(team=audience.team) | Q(pk__in=assigned))
    ids = set(assigned.values_list("course_id", flat=True))
    return [course for course in courses if course.pk in ids]


def summary_rows(
    audience: Audience | Team,
    courses: Sequence[Course],
    *,
    teams: QuerySet | None = None,
    state: str = "",
    query: str = "",
    sort: str = "name",
    today: datetime.date | None = None,
) -> Iterator[list[str]]:
    """The summary CSV: one row per learner and course, for each of ``courses``
    assigned to the audience, the learners in the dashboard's order and filters.
    Every value is the dashboard's (:class:`Row`: the course state and percent, the
    due rule's due date and overdue, the best final score, the recorded completion,
    the last activity). ``teams``: the teams whose names the "teams" column may show
    (a trainer's own). A fixed number of queries per course, whatever the number of
    learners."""
    yield SUMMARY_HEADER
    selected = []
    for course in courses:
        board = build_board(audience, course, today)
        if board.assigned:
            selected.append((board, select_rows(board, state=state, query=query, sort=sort)))
    team_names = _team_names({row.learner.pk for _b, rows in selected for row in rows}, teams)
    with translation.override(CSV_LANGUAGE):
        lines = [
            _summary_line(board, row, team_names.get(row.learner.pk, []))
            for board, rows in selected
            for row in rows
        ]
    yield from lines


def _team_names(learner_ids: set[int], teams: QuerySet | None) -> dict[int, list[str]]:
    """Each learner's teams, by name (of ``teams`` only, if given). One query."""
    if not learner_ids:
        return {}
    memberships = Team.members.through.objects.filter(user__in=learner_ids)
    if teams is not None:
        memberships = memberships.filter(team__in=teams.values("pk"))
    names: dict[int, list[str]] = {}
    for user_id, name in memberships.order_by("team__name").values_list("user_id", "team__name"):
        names.setdefault(user_id, []).append(name)
    return names


def _summary_line(board: Board, row: Row, teams: list[str]) -> list[str]:
    learner = row.learner
    due = row.due.due_date if row.due else None
    completed = timezone.localdate(row.completed_at) if row.completed_at else None
    return [
        neutralise(value)
        for value in (
            learner.get_full_name() or learner.get_username(),
            learner.get_username(),
            learner.email,
            "; ".join(teams),
            board.course.title,
            row.state.label,
            row.percent,
            completed.isoformat() if completed else "",
            "" if row.final_best is None else row.final_best,
            due.isoformat() if due else "",
            "yes" if row.overdue else "no",
            _iso(row.last_activity),
        )
    ]
