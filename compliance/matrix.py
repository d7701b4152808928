"""The compliance matrix: people x required courses, each cell what the records say on
a day (today, or any past day: "who was compliant on 1 March?").

A cell is decided by :func:`cell_state`, the one rule, from the records as they
stood on the day:

- **Exempt** (until …): an exemption applies that day;
- **Compliant** (until …, or for good): a completion the learner made by then still
  counts that day (``CourseCompletion.valid_until``, decided when it was recorded);
  the date is the last day any of them counts; whether or not the course is assigned;
- otherwise, for a course assigned to them (their own or a team's whole-course
  assignment, made by then): **Expired** (since …) when their completions have all
  run out, **Overdue** (since …) when the due date has passed, else **Due** (by …,
  or with no due date). A renewal opened by then brings its own due date;
- **Not assigned** otherwise.

"As of" a past day reads completions, renewals and exemptions as recorded by then.
Who is in a team is today's membership (team history is not recorded), and
assignments are those that exist today and were made by then (one removed since is
in the assignment audit log, not here).

Cells are computed for one page of people at a time in a fixed number of queries
(:func:`cells_for`); filtering by state or sorting by compliance reads everyone in
chunks (:func:`all_rows`), as the exports do.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy

from compliance.models import Exemption
from courses.models import Course
from lessons.models import CourseCompletion
from training.models import Assignment, Renewal, Team

User = get_user_model()
CHUNK = 1000


class CellState(models.TextChoices):
    COMPLIANT = "compliant", gettext_lazy("Compliant")
    DUE = "due", gettext_lazy("Due")
    OVERDUE = "overdue", gettext_lazy("Overdue")
    EXPIRED = "expired", gettext_lazy("Expired")
    EXEMPT = "exempt", gettext_lazy("Exempt")
    NOT_ASSIGNED = "not_assigned", gettext_lazy("Not assigned")


# Least compliant first, for sorting people by their worst cell.
SEVERITY = {
    CellState.EXPIRED: 0,
    CellState.OVERDUE: 1,
    CellState.DUE: 2,
    CellState.COMPLIANT: 3,
    CellState.EXEMPT: 4,
    CellState.NOT_ASSIGNED: 5,
}


@dataclass(frozen=True)
class Cell:
    state: CellState
    date: datetime.date | None = None  # until / by / since, as the state says
    # Whether the course was assigned to the person then (compliance rates count the
    # people required to hold it: assigned and not exempt).
    assigned: bool = field(default=False, compare=False)

    @property
    def required(self) -> bool:
        return self.assigned and self.state != CellState.EXEMPT

    @property
    def needs_action(self) -> bool:
        return self.state in (CellState.OVERDUE, CellState.EXPIRED, CellState.DUE)


NOT_ASSIGNED = Cell(CellState.NOT_ASSIGNED)


@dataclass(frozen=True)
class Record:
    """What the records say of one person and one course on the day."""

    assigned: bool = False
    due_date: datetime.date | None = None
    valid_until: datetime.date | None = None
    completed: bool = False
    exempt_until: datetime.date | None = None
    exempt: bool = False


def cell_state(record: Record, day: datetime.date) -> Cell:
    """THE compliance rule (see the module's docstring)."""
    assigned = record.assigned
    if record.exempt:
        return Cell(CellState.EXEMPT, record.exempt_until, assigned)
    if record.completed and (record.valid_until is None or record.valid_until >= day):
        return Cell(CellState.COMPLIANT, record.valid_until, assigned)
    if not assigned:
        return NOT_ASSIGNED
    if record.completed and record.valid_until is not None:
        return Cell(CellState.EXPIRED, record.valid_until + datetime.timedelta(days=1), assigned)
    if record.due_date is not None and record.due_date < day:
        return Cell(CellState.OVERDUE, record.due_date, assigned)
    return Cell(CellState.DUE, record.due_date, assigned)


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` in the site's time zone."""
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(midnight)


# Reading the records in bulk ------------------------------------------------------------


@dataclass
class History:
    """What the records say of one person and one course, up to a moment: each
    covering assignment's making and due date, its renewals for the person, their
    completions and exemptions. :meth:`record_on` reads it as it stood on a day."""

    assignments: list[tuple[datetime.datetime, int, datetime.date | None]] = field(
        default_factory=list
    )  # (made at, assignment, due date)
    renewals: dict[int, list[tuple[datetime.datetime, datetime.date]]] = field(
        default_factory=dict
    )  # assignment: [(opened at, due date)], oldest first
    completions: list[tuple[datetime.datetime, datetime.date | None]] = field(
        default_factory=list
    )  # (completed at, valid until)
    exemptions: list[Exemption] = field(default_factory=list)

    def record_on(self, day: datetime.date, until: datetime.datetime | None = None) -> Record:
        """``until``: end_of(day), if the caller has it (reports ask for many people)."""
        until = until or end_of(day)
        dues = [self._due(pk, due, until) for made, pk, due in self.assignments if made < until]
        done = [valid or _FOREVER for at, valid in self.completions if at < until]
        exemption = next(
            (e for e in reversed(self.exemptions) if e.created_at < until and e.applies_on(day)),
            None,
        )
        best = max(done, default=None)
        return Record(
            assigned=bool(dues),
            due_date=min((d for d in dues if d is not None), default=None),
            completed=bool(done),
            valid_until=None if best in (None, _FOREVER) else best,
            exempt=exemption is not None,
            exempt_until=exemption.until if exemption else None,
        )

    def _due(
        self, assignment: int, due: datetime.date | None, until: datetime.datetime
    ) -> datetime.date | None:
        """The assignment's due date for the person then: its latest renewal's, if any."""
        opened = [d for at, d in self.renewals.get(assignment, []) if at < until]
        return opened[-1] if opened else due


_FOREVER = datetime.date.max
Key = tuple[int, int]  # (person, course)


def _memberships(people: list[int]) -> dict[int, list[int]]:
    """{team: its members among ``people``} (today's membership: no history)."""
    members: dict[int, list[int]] = {}
    for user_id, team_id in Team.members.through.objects.filter(user__in=people).values_list(
        "user_id", "team_id"
    ):
        members.setdefault(team_id, []).append(user_id)
    return members


def _load_assignments(
    found: dict[Key, History], people: list[int], courses: list[int], until: datetime.datetime
) -> None:
    members = _memberships(people)
    assignments = Assignment.objects.filter(
        Q(learner__in=people) | Q(team__in=list(members)),
        course__in=courses,
        lessons__isnull=True,
        created_at__lt=until,
    ).values_list("pk", "course_id", "team_id", "learner_id", "due_date", "created_at")
    for pk, course_id, team_id, learner_id, due_date, made in assignments:
        for person in [learner_id] if learner_id else members.get(team_id, []):
            found.setdefault((person, course_id), History()).assignments.append(
                (made, pk, due_date)
            )
    renewals = (
        Renewal.objects.filter(
            learner__in=people, opened_at__lt=until, assignment__course__in=courses
        )
        .order_by("opened_at", "pk")
        .values_list(
            "assignment__course_id", "learner_id", "assignment_id", "opened_at", "due_date"
        )
    )
    for course_id, learner_id, assignment_id, opened, due in renewals:
        history = found.setdefault((learner_id, course_id), History())
        history.renewals.setdefault(assignment_id, []).append((opened, due))


def histories(
    people: Sequence[int], courses: Sequence[int], until: datetime.datetime
) -> dict[Key, History]:
    """The histories of these people in these courses, up to ``until``: five queries,
    whatever their number."""
    ids, course_ids = list(people), list(courses)
    found: dict[Key, History] = {}
    _load_assignments(found, ids, course_ids, until)
    for learner_id, course_id, at, valid in (
        CourseCompletion.objects.filter(
            learner__in=ids, course__in=course_ids, completed_at__lt=until
        )
        .order_by("completed_at", "pk")
        .values_list("learner_id", "course_id", "completed_at", "valid_until")
    ):
        found.setdefault((learner_id, course_id), History()).completions.append((at, valid))
    for exemption in Exemption.objects.filter(
        learner__in=ids, course__in=course_ids, created_at__lt=until
    ).order_by("created_at", "pk"):
        key = (exemption.learner_id, exemption.course_id)
        found.setdefault(key, History()).exemptions.append(exemption)
    return found


NO_HISTORY = History()


def cells_for(people: Sequence[int], courses: Sequence[int], day: datetime.date) -> dict[Key, Cell]:
    """Every cell of these people and courses on ``day``: a fixed number of queries."""
    found = histories(people, courses, end_of(day))
    return {
        (person, course): cell_state(found.get((person, course), NO_HISTORY).record_on(day), day)
        for person in people
        for course in courses
    }


# The same rule in SQL, to filter people by a state -------------------------------------
#
# In a Course subquery correlated to a person: the person is OuterRef("pk"), the course
# the row itself; one level deeper (records of that person in that course), the person
# is OuterRef(OuterRef("pk")) and the course OuterRef("pk").
# tests/test_compliance_matrix.py checks it agrees with cell_state on generated records.


def _records_here(model, *, learner_field: str = "learner") -> QuerySet:
    return model.objects.filter(**{learner_field: OuterRef(OuterRef("pk"))}, course=OuterRef("pk"))


def _conditions(day: datetime.date) -> dict[str, Exists]:
    until = end_of(day)
    exempt = _records_here(Exemption).filter(
        Q(until__isnull=True) | Q(until__gte=day),
        Q(revoked_on__isnull=True) | Q(revoked_on__gt=day),
        created_at__lt=until,
        starts_on__lte=day,
    )
    done = _records_here(CourseCompletion).filter(completed_at__lt=until)
    valid = done.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    assigned = Assignment.objects.filter(
        Q(learner=OuterRef(OuterRef("pk")))
        | Q(
            team__in=Team.members.through.objects.filter(
                user=OuterRef(OuterRef(OuterRef("pk")))
            ).values("team_id")
        ),
        course=OuterRef("pk"),
        lessons__isnull=True,
        created_at__lt=until,
    )
    renewal_due = Renewal.objects.filter(
        assignment=OuterRef("pk"), learner=OuterRef(OuterRef(OuterRef("pk"))), opened_at__lt=until
    ).order_by("-opened_at", "-pk")
    past_due = assigned.annotate(
        due=Coalesce(Subquery(renewal_due.values("due_date")[:1]), F("due_date"))
    ).filter(due__lt=day)
    return {
        "exempt": Exists(exempt),
        "valid": Exists(valid),
        "done": Exists(done),
        "assigned": Exists(assigned),
        "past_due": Exists(past_due),
    }


def state_condition(state: str, day: datetime.date) -> Q:
    """THE compliance rule (cell_state) as a condition on a course row, for one person
    (the outer query's row): the cell is in ``state``."""
    c = _conditions(day)
    open_ = ~Q(c["exempt"]) & ~Q(c["valid"])
    conditions = {
        CellState.EXEMPT: Q(c["exempt"]),
        CellState.COMPLIANT: ~Q(c["exempt"]) & Q(c["valid"]),
        CellState.NOT_ASSIGNED: open_ & ~Q(c["assigned"]),
        CellState.EXPIRED: open_ & Q(c["assigned"]) & Q(c["done"]),
        CellState.OVERDUE: open_ & ~Q(c["done"]) & Q(c["past_due"]),
        CellState.DUE: open_ & ~Q(c["done"]) & Q(c["assigned"]) & ~Q(c["past_due"]),
    }
    return conditions[CellState(state)]


def with_state(
    people: QuerySet, state: str, courses: Sequence[Course], day: datetime.date
) -> QuerySet:
    """Those of ``people`` with at least one cell in ``state`` among ``courses``."""
    cells = Course.objects.filter(pk__in=[c.pk for c in courses]).filter(
        state_condition(state, day)
    )
    return people.filter(Exists(cells))


# The matrix a page shows ---------------------------------------------------------------


def required_courses(people: QuerySet, *, only: Course | None = None) -> list[Course]:
    """The columns: courses with a whole-course assignment covering any of ``people``."""
    covering = Assignment.objects.filter(lessons__isnull=True).filter(
        Q(learner__in=people.values("pk"))
        | Q(
            team__in=Team.members.through.objects.filter(user__in=people.values("pk")).values(
                "team_id"
            )
        )
    )
    courses = Course.objects.filter(pk__in=covering.values("course_id"))
    if only is not None:
        courses = courses.filter(pk=only.pk)
    return list(courses.order_by("title", "pk").only("pk", "slug", "title"))


@dataclass
class Row:
    person: object
    cells: list[Cell]

    @property
    def worst(self) -> int:
        return min((SEVERITY[cell.state] for cell in self.cells), default=len(SEVERITY))


@dataclass
class Matrix:
    courses: list[Course]
    rows: list[Row]
    day: datetime.date
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def lines(self) -> list[tuple[Row, list[tuple[Course, Cell]]]]:
        """Each row with its cells beside their courses, for the page."""
        return [(row, list(zip(self.courses, row.cells, strict=True))) for row in self.rows]


NAME_ORDER = ("last_name", "first_name", "username", "pk")


def people_in_order(people: QuerySet, sort: str) -> QuerySet:
    order = NAME_ORDER if sort != "-name" else tuple(f"-{f}" for f in NAME_ORDER)
    return people.only("pk", "username", "first_name", "last_name", "email").order_by(*order)


def rows_of(people: Sequence, courses: Sequence[Course], day: datetime.date) -> list[Row]:
    cells = cells_for([p.pk for p in people], [c.pk for c in courses], day)
    return [Row(p, [cells[(p.pk, c.pk)] for c in courses]) for p in people]


def all_rows(people: QuerySet, courses: Sequence[Course], day: datetime.date) -> Iterator[Row]:
    """Every person's row, in the queryset's order, read in chunks (constant memory)."""
    chunk: list = []
    for person in people.iterator(chunk_size=CHUNK):
        chunk.append(person)
        if len(chunk) == CHUNK:
            yield from rows_of(chunk, courses, day)
            chunk = []
    if chunk:
        yield from rows_of(chunk, courses, day)
