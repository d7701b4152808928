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
    if record.exempt:
        return Cell(CellState.EXEMPT, record.exempt_until)
    if record.completed and (record.valid_until is None or record.valid_until >= day):
        return Cell(CellState.COMPLIANT, record.valid_until)
    if not record.assigned:
        return NOT_ASSIGNED
    if record.completed and record.valid_until is not None:
        return Cell(CellState.EXPIRED, record.valid_until + datetime.timedelta(days=1))
    if record.due_date is not None and record.due_date < day:
        return Cell(CellState.OVERDUE, record.due_date)
    return Cell(CellState.DUE, record.due_date)


def end_of(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` in the site's time zone."""
    midnight = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(midnight)


# Reading the records in bulk ------------------------------------------------------------


def _due_dates(
    people: list[int], courses: list[int], until: datetime.datetime
) -> dict[tuple[int, int], list[datetime.date | None]]:
    """{(person, course): the due date of each whole-course assignment covering them
    made by then (a renewal opened by then: its due date)}. Three queries."""
    memberships: dict[int, list[int]] = {}
    for user_id, team_id in Team.members.through.objects.filter(user__in=people).values_list(
        "user_id", "team_id"
    ):
        memberships.setdefault(team_id, []).append(user_id)
    assignments = Assignment.objects.filter(
        Q(learner__in=people) | Q(team__in=list(memberships)),
        course__in=courses,
        lessons__isnull=True,
        created_at__lt=until,
    ).values_list("pk", "course_id", "team_id", "learner_id", "due_date")
    renewed = {
        (a, learner): due
        for a, learner, due in Renewal.objects.filter(learner__in=people, opened_at__lt=until)
        .order_by("opened_at", "pk")
        .values_list("assignment_id", "learner_id", "due_date")
    }
    dues: dict[tuple[int, int], list[datetime.date | None]] = {}
    for pk, course_id, team_id, learner_id, due_date in assignments:
        for person in [learner_id] if learner_id else memberships.get(team_id, []):
            dues.setdefault((person, course_id), []).append(renewed.get((pk, person), due_date))
    return dues


_FOREVER = datetime.date.max


def _completions(
    people: list[int], courses: list[int], until: datetime.datetime
) -> dict[tuple[int, int], datetime.date | None]:
    """{(person, course): the last day their completions made by then count}: the
    latest such day of any of them, None if one never expires."""
    best: dict[tuple[int, int], datetime.date] = {}
    for learner_id, course_id, valid in CourseCompletion.objects.filter(
        learner__in=people, course__in=courses, completed_at__lt=until
    ).values_list("learner_id", "course_id", "valid_until"):
        key = (learner_id, course_id)
        best[key] = max(best.get(key, datetime.date.min), valid or _FOREVER)
    return {key: (None if day == _FOREVER else day) for key, day in best.items()}


def _exemptions(
    people: list[int], courses: list[int], day: datetime.date, until: datetime.datetime
) -> dict[tuple[int, int], Exemption]:
    found: dict[tuple[int, int], Exemption] = {}
    for exemption in Exemption.objects.filter(
        learner__in=people, course__in=courses, created_at__lt=until
    ).order_by("starts_on", "pk"):
        if exemption.applies_on(day):
            found[(exemption.learner_id, exemption.course_id)] = exemption
    return found


def cells_for(
    people: Sequence[int], courses: Sequence[int], day: datetime.date
) -> dict[tuple[int, int], Cell]:
    """Every cell of these people and courses on ``day``: a fixed number of queries."""
    ids, course_ids = list(people), list(courses)
    until = end_of(day)
    dues = _due_dates(ids, course_ids, until)
    completions = _completions(ids, course_ids, until)
    exemptions = _exemptions(ids, course_ids, day, until)
    cells = {}
    for person in ids:
        for course in course_ids:
            key = (person, course)
            due = dues.get(key)
            exemption = exemptions.get(key)
            record = Record(
                assigned=due is not None,
                due_date=min((d for d in due or [] if d is not None), default=None),
                completed=key in completions,
                valid_until=completions.get(key),
                exempt=exemption is not None,
                exempt_until=exemption.until if exemption else None,
            )
            cells[key] = cell_state(record, day)
    return cells


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
