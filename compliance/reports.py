"""Reports over time for one required course: completions per week, the compliance rate
per team per month, and the overdue count per week. Every figure is the compliance
rule (compliance.matrix.cell_state) applied to the records as they stood on each day
(History.record_on): the same answer as the matrix "as of" that day.

The rate counts people the course was assigned to then (exempt people left out):
compliant / required. Team membership is today's (its history is not recorded).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.db.models import QuerySet
from django.utils import timezone

from compliance.matrix import NO_HISTORY, Cell, CellState, cell_state, end_of, histories
from courses.models import Course
from lessons.models import CourseCompletion
from training.models import Team

WEEKS = 26
MONTHS = 12


def week_starts(today: datetime.date, weeks: int = WEEKS) -> list[datetime.date]:
    """The Mondays of the last ``weeks`` weeks, oldest first (this week's last)."""
    monday = today - datetime.timedelta(days=today.weekday())
    return [monday - datetime.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]


def month_ends(today: datetime.date, months: int = MONTHS) -> list[datetime.date]:
    """The last day of each of the last ``months`` months, oldest first; this month's
    is today."""
    first = today.replace(day=1)
    ends = [
        min(today, first - relativedelta(months=n) + relativedelta(months=1, days=-1))
        for n in range(months)
    ]
    return ends[::-1]


@dataclass(frozen=True)
class TeamRates:
    name: str
    rates: list[float | None]  # per month; None: nobody required then


@dataclass(frozen=True)
class Report:
    course: Course
    weeks: list[datetime.date]
    months: list[datetime.date]
    completions: list[int]  # per week
    overdue: list[int]  # overdue cells at the end of each week
    expired: list[int]  # expired cells at the end of each week
    rate: list[float | None]  # everyone in scope, per month
    teams: list[TeamRates]

    @property
    def week_labels(self) -> list[str]:
        return [f"{monday:%d/%m}" for monday in self.weeks]

    @property
    def month_labels(self) -> list[str]:
        return [f"{day:%m/%y}" for day in self.months]

    @property
    def week_rows(self) -> list[tuple[datetime.date, int, int, int]]:
        return list(zip(self.weeks, self.completions, self.overdue, self.expired, strict=True))

    @property
    def month_rows(self) -> list[tuple[datetime.date, str, list[tuple[str, str]]]]:
        return [
            (
                day,
                percent_text(self.rate[index]),
                [(team.name, percent_text(team.rates[index])) for team in self.teams],
            )
            for index, day in enumerate(self.months)
        ]


def completions_per_week(
    people: QuerySet, course: Course, weeks: Sequence[datetime.date]
) -> list[int]:
    counts: Counter = Counter()
    start = timezone.make_aware(datetime.datetime.combine(weeks[0], datetime.time()))
    for moment in CourseCompletion.objects.filter(
        learner__in=people.values("pk"), course=course, completed_at__gte=start
    ).values_list("completed_at", flat=True):
        day = timezone.localdate(moment)
        counts[day - datetime.timedelta(days=day.weekday())] += 1
    return [counts[monday] for monday in weeks]


def _rate(cells: list[Cell]) -> float | None:
    """Of the people required to hold the course, the share who hold it."""
    required = [cell for cell in cells if cell.required]
    if not required:
        return None
    return 100 * sum(1 for cell in required if cell.state == CellState.COMPLIANT) / len(required)


def build_report(people: QuerySet, course: Course, today: datetime.date | None = None) -> Report:
    """The report for ``people`` (a trainer's) and ``course``: a fixed number of queries."""
    today = today or timezone.localdate()
    weeks = week_starts(today)
    months = month_ends(today)
    ids = list(people.values_list("pk", flat=True))
    found = histories(ids, [course.pk], end_of(today))
    week_ends = [min(monday + datetime.timedelta(days=6), today) for monday in weeks]

    def cells_on(day: datetime.date) -> dict[int, Cell]:
        until = end_of(day)
        return {
            person: cell_state(
                found.get((person, course.pk), NO_HISTORY).record_on(day, until), day
            )
            for person in ids
        }

    weekly = [Counter(cell.state for cell in cells_on(day).values()) for day in week_ends]
    monthly = [cells_on(day) for day in months]
    teams: dict[str, list[int]] = {}
    for name, user_id in Team.members.through.objects.filter(user__in=ids).values_list(
        "team__name", "user_id"
    ):
        teams.setdefault(name, []).append(user_id)
    return Report(
        course=course,
        weeks=weeks,
        months=months,
        completions=completions_per_week(people, course, weeks),
        overdue=[counts[CellState.OVERDUE] for counts in weekly],
        expired=[counts[CellState.EXPIRED] for counts in weekly],
        rate=[_rate(list(cells.values())) for cells in monthly],
        teams=[
            TeamRates(name, [_rate([cells[m] for m in members]) for cells in monthly])
            for name, members in sorted(teams.items())
        ],
    )


def percent_text(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0f}%"
