"""Assignments: who is asked to do what by when, and where each learner stands.

- A trainer assigns a course (or chosen lessons of it) to a team they manage or
  to learners in their teams; a superuser to anyone. One assignment per course
  and team, and per course and learner (database constraints).
- A learner's assignments are their own plus their teams' (a team assignment
  covers people who join later). The same course assigned twice (a team and
  individually) shows once: the assignment that applies is the earliest-due
  one the learner has not finished (its due date, its note); when every one
  is finished, the course is Completed. :func:`due_state` decides this, for
  My learning, the learner page and reminders (:func:`assigned_courses`) and
  for the dashboard and CSV (training.dashboard, in bulk).
- An assignment is complete when its lessons are complete (a lesson with a
  quiz is complete when the quiz is passed) and, for a whole course, when the
  learner completed the course (progress.rules decides that; a recorded
  completion lasts when lessons are added later). An assignment that requires
  a fresh completion is satisfied only by a completion recorded after it was
  made: a learner who completed the course before starts it again (a new run;
  earlier runs' progress and attempts are kept).
- Due states use the site's time zone: "Due in 3 days", "Due tomorrow",
  "Due today", "Overdue by 2 days", "Completed on 4 Dec 2026" (dates in the
  active language's DATE_FORMAT).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from django.contrib.auth import get_user_model
from django.db.models import Min, Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from courses.models import Course
from lessons.models import CourseCompletion, Lesson, LessonProgress, ProgressState
from progress.rules import (
    CourseProgress,
    CourseState,
    courses_with_progress,
    percent_complete,
)
from quizzes.models import Attempt
from training.models import Assignment, Recurrence, Renewal, Team

User = get_user_model()


def assignments_of(learner) -> QuerySet[Assignment]:
    return Assignment.objects.filter(Q(learner=learner) | Q(team__members=learner))


def fresh_completion_after(assignments: Iterable[Assignment]) -> datetime.datetime | None:
    """The moment after which a completion must be recorded to satisfy these
    assignments of one course: the latest that asks for a fresh completion."""
    moments = [a.created_at for a in assignments if a.require_fresh_completion and not _chosen(a)]
    return max(moments) if moments else None


def _chosen(assignment: Assignment) -> bool:
    """Whether the assignment names lessons (uses the prefetched lessons)."""
    return bool(assignment.lessons.all())


def fresh_start_asked(learner, course: Course, completion: CourseCompletion | None) -> bool:
    """The learner completed the course, and an assignment made since asks for a
    fresh completion: the course page offers "Start again"."""
    if completion is None:
        return False
    after = fresh_completion_after(
        assignments_of(learner).filter(course=course).prefetch_related("lessons")
    )
    return after is not None and completion.completed_at < after


def show_date(day: datetime.date) -> str:
    """A date as pages and emails write it: the active language's DATE_FORMAT,
    "4 Dec 2026" or "4. Dezember 2026" (never a fixed format; CSVs use ISO)."""
    return formats.date_format(day, "DATE_FORMAT")


def due_label(due_date: datetime.date | None, today: datetime.date) -> str:
    if due_date is None:
        return _("No due date")
    days = (due_date - today).days
    if days > 1:
        return ngettext("Due in %(days)s day", "Due in %(days)s days", days) % {"days": days}
    if days == 1:
        return _("Due tomorrow")
    if days == 0:
        return _("Due today")
    return ngettext("Overdue by %(days)s day", "Overdue by %(days)s days", -days) % {"days": -days}


def completed_label(day: datetime.date) -> str:
    """ "Completed on 4 Dec 2026" ("Abgeschlossen am 4. Dezember 2026")."""
    return _("Completed on %(date)s") % {"date": show_date(day)}


# The due rule -------------------------------------------------------------------


@dataclass(frozen=True)
class CourseRecord:
    """What one learner has done in one course, as far as the due rule asks."""

    progress: CourseProgress  # over the course's published lessons
    published: frozenset[int]
    # Completed lessons and when: at least every lesson an assignment chose.
    done: Mapping[int, datetime.datetime]
    # When the last published lesson was completed, if all are.
    lessons_done_at: datetime.datetime | None = None
    final_passed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Covering:
    """One assignment covering a learner (theirs or a team's), with the lessons
    it chose (empty: the whole course) and the learner's latest renewal of it (a
    recurring assignment's new cycle: training.recertification)."""

    assignment: Assignment
    chosen: frozenset[int] = frozenset()
    renewal: Renewal | None = None


@dataclass(frozen=True)
class AssignmentStatus:
    """One covering assignment and whether the learner has finished it."""

    assignment: Assignment
    lesson_ids: frozenset[int] | None  # None: the whole course
    completed: int
    total: int
    finished_at: datetime.datetime | None
    # A whole-course assignment asking for a fresh completion, which the learner
    # completed before it was made: they start the course again.
    needs_fresh_start: bool = False
    today: datetime.date | None = None  # set by due_state
    renewal: Renewal | None = None  # the cycle it is in, if renewed

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def due_date(self) -> datetime.date | None:
        """The assignment's due date, or its renewal's for this learner."""
        return self.renewal.due_date if self.renewal else self.assignment.due_date

    @property
    def is_overdue(self) -> bool:
        return not self.is_finished and self.due_date is not None and self.due_date < self.today

    @property
    def due_label(self) -> str:
        if self.is_finished:
            return completed_label(timezone.localdate(self.finished_at))
        return due_label(self.due_date, self.today)


@dataclass(frozen=True)
class DueState:
    """The learner's due state for a course: the assignment that applies to them."""

    applies: AssignmentStatus  # the earliest-due unfinished one (all finished: the first)
    statuses: list[AssignmentStatus]  # every covering assignment, soonest due first
    today: datetime.date

    @property
    def assignment(self) -> Assignment:
        return self.applies.assignment

    @property
    def due_date(self) -> datetime.date | None:
        return self.applies.due_date

    @property
    def note(self) -> str:
        return self.applies.assignment.note

    @property
    def completed_on(self) -> datetime.date | None:
        """Every covering assignment finished: the day the last one was."""
        if not all(status.is_finished for status in self.statuses):
            return None
        return timezone.localdate(max(status.finished_at for status in self.statuses))

    @property
    def is_complete(self) -> bool:
        return self.completed_on is not None

    @property
    def is_overdue(self) -> bool:
        return not self.is_complete and self.due_date is not None and self.due_date < self.today

    @property
    def due_label(self) -> str:
        if self.is_complete:
            return completed_label(self.completed_on)
        return due_label(self.due_date, self.today)


def _due_order(status: AssignmentStatus) -> tuple:
    return (status.due_date or datetime.date.max, status.assignment.pk)


def assignment_status(covering: Covering, record: CourseRecord) -> AssignmentStatus:
    """Whether the learner finished one assignment: its chosen lessons, or the
    whole course as progress.rules decides it (a fresh completion asked for:
    only a completion recorded after the assignment counts)."""
    assignment, progress = covering.assignment, record.progress
    chosen = covering.chosen & record.published
    if chosen:  # (every chosen lesson retired: the course is what is left)
        done = [record.done[pk] for pk in chosen if pk in record.done]
        finished = max(done) if len(done) == len(chosen) else None
        return AssignmentStatus(assignment, chosen, len(done), len(chosen), finished)
    finished = None
    needs_fresh_start = False
    after = fresh_completion_since(covering)
    if after is not None:
        if progress.completed_at is not None and progress.completed_at >= after:
            finished = progress.completed_at
        needs_fresh_start = progress.completed_at is not None and finished is None
    elif progress.completed_at is not None:
        finished = progress.completed_at  # lasts when lessons are added later
    elif progress.is_complete:  # everything done now, not recorded (yet)
        moments = [record.lessons_done_at, record.final_passed_at]
        finished = max((moment for moment in moments if moment is not None), default=None)
    return AssignmentStatus(
        assignment,
        None,
        progress.completed,
        progress.total,
        finished,
        needs_fresh_start,
        renewal=covering.renewal,
    )


def fresh_completion_since(covering: Covering) -> datetime.datetime | None:
    """From when only a new completion finishes a whole-course assignment: its own
    making if it asks for a fresh completion, the learner's renewal's opening if it
    was renewed for them (the later of the two); None: any completion does."""
    moments = [covering.renewal.opened_at] if covering.renewal else []
    if covering.assignment.require_fresh_completion:
        moments.append(covering.assignment.created_at)
    return max(moments, default=None)


def due_state(
    covering: Sequence[Covering], record: CourseRecord, today: datetime.date
) -> DueState | None:
    """THE due rule: of the assignments covering one learner for one course, the
    one that applies is the earliest-due one they have not finished (no due
    date counts as last); when all are finished, the course is Completed. None
    when nothing covers them."""
    if not covering:
        return None
    statuses = sorted(
        (replace(assignment_status(c, record), today=today) for c in covering), key=_due_order
    )
    unfinished = [status for status in statuses if not status.is_finished]
    return DueState((unfinished or statuses)[0], statuses, today)


# Which assignments apply to learners, in bulk -------------------------------------

# What the due rule and the pages read of an assignment (read as values, with its lessons).
ASSIGNMENT_FIELDS = (
    "pk",
    "course_id",
    "team_id",
    "learner_id",
    "due_date",
    "note",
    "require_fresh_completion",
    "assigned_by_id",
    "created_at",
    "valid_for_months",
    "recurrence",
    "renew_by_month",
    "renew_by_day",
    "renew_window_days",
    "extend_from_expiry",
)


@dataclass(frozen=True)
class Coverage:
    """The assignments of one course that apply to some learners: THE rule of
    :func:`assignments_of` (a learner's own assignment and their teams'), for
    many learners at once. Assignments are read as values; a team assignment's
    ``team`` carries the team's name (no query per row)."""

    assignments: dict[int, Assignment]  # by pk
    chosen: dict[int, frozenset[int]]  # assignment -> the lessons it chose (none: whole course)
    own: dict[int, Assignment]  # learner -> their own assignment
    team_assignments: dict[int, Assignment]  # team -> its assignment
    memberships: dict[int, list[int]]  # learner -> their teams that have an assignment
    renewals: dict[tuple[int, int], Renewal] = field(default_factory=dict)  # (assignment, learner)

    def of(self, learner_id: int) -> list[Covering]:
        """The assignments covering one learner: their own first, then their teams'."""
        found = [
            self.own.get(learner_id),
            *(self.team_assignments[t] for t in self.memberships.get(learner_id, [])),
        ]
        return [
            Covering(a, self.chosen.get(a.pk, frozenset()), self.renewals.get((a.pk, learner_id)))
            for a in found
            if a is not None
        ]


def latest_renewals(
    assignments: Iterable[Assignment], learners: QuerySet | int
) -> dict[tuple[int, int], Renewal]:
    """{(assignment, learner): their latest renewal} of the recurring ones among
    ``assignments``: one query, none when no assignment recurs."""
    recurring = [a.pk for a in assignments if a.recurrence != Recurrence.ONCE]
    if not recurring:
        return {}
    found: dict[tuple[int, int], Renewal] = {}
    people = learners.values("pk") if isinstance(learners, QuerySet) else [learners]
    for renewal in Renewal.objects.filter(assignment__in=recurring, learner__in=people).order_by(
        "opened_at", "pk"
    ):
        found[(renewal.assignment_id, renewal.learner_id)] = renewal  # the latest wins
    return found


def coverage(course: Course | int, people: QuerySet, *, team: Team | None = None) -> Coverage:
    """Which assignments of ``course`` cover each of ``people`` (a queryset of users),
    plus ``team``'s own assignment of it even if nobody is in the team. Two queries
    at most, whatever the number of people."""
    everyone = people.values("pk")
    query = Q(learner__in=everyone) | Q(
        team__in=Team.members.through.objects.filter(user__in=everyone).values("team_id")
    )
    if team is not None:
        query |= Q(team=team)
    assignments: dict[int, Assignment] = {}
    chosen: dict[int, set[int]] = {}
    # One row per assignment and chosen lesson (lesson None: the whole course).
    for *values, team_name, lesson_id in Assignment.objects.filter(
        query, course=course
    ).values_list(*ASSIGNMENT_FIELDS, "team__name", "lessons"):
        assignment = assignments.get(values[0])
        if assignment is None:
            assignment = assignments[values[0]] = Assignment(
                **dict(zip(ASSIGNMENT_FIELDS, values, strict=True))
            )
            if assignment.team_id:
                assignment.team = Team(pk=assignment.team_id, name=team_name)
        if lesson_id is not None:
            chosen.setdefault(assignment.pk, set()).add(lesson_id)
    team_assignments = {a.team_id: a for a in assignments.values() if a.team_id}
    memberships: dict[int, list[int]] = {}
    if team_assignments:
        for user_id, team_id in Team.members.through.objects.filter(
            user__in=everyone, team__in=list(team_assignments)
        ).values_list("user_id", "team_id"):
            memberships.setdefault(user_id, []).append(team_id)
    return Coverage(
        assignments=assignments,
        chosen={pk: frozenset(lessons) for pk, lessons in chosen.items()},
        own={a.learner_id: a for a in assignments.values() if a.learner_id},
        team_assignments=team_assignments,
        memberships=memberships,
        renewals=latest_renewals(assignments.values(), people),
    )


def covered_by(assignment: Assignment) -> QuerySet:
    """Everyone an assignment covers now: the team's active members, or the learner."""
    if assignment.team_id:
        return User.objects.filter(teams=assignment.team_id, is_active=True)
    return User.objects.filter(pk=assignment.learner_id, is_active=True)


@dataclass(frozen=True)
class Kept:
    """A learner who keeps a course through other assignments when one is removed."""

    learner: object
    through: list[Assignment]  # soonest due first (no due date last)

    @property
    def description(self) -> str:
        """ "the team Sales (due 4 Dec 2026) and their own assignment (no due date)"."""
        names = [through_label(assignment) for assignment in self.through]
        if len(names) == 1:
            return names[0]
        return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def through_label(assignment: Assignment, *, yours: bool = False) -> str:
    """How a page (or, ``yours``, an email to the learner) names an assignment a
    learner has a course through: "the team Sales (due 4 Dec 2026)"."""
    date = show_date(assignment.due_date) if assignment.due_date else None
    if assignment.team_id:
        names = {"team": assignment.team.name, "date": date}
        if yours:
            return (
                _("your team %(team)s (due %(date)s)") % names
                if date
                else _("your team %(team)s (no due date)") % names
            )
        return (
            _("the team %(team)s (due %(date)s)") % names
            if date
            else _("the team %(team)s (no due date)") % names
        )
    if yours:
        return (
            _("your own assignment (due %(date)s)") % {"date": date}
            if date
            else _("your own assignment (no due date)")
        )
    if date:
        return _("their own assignment (due %(date)s)") % {"date": date}
    return _("their own assignment (no due date)")


def kept_elsewhere(assignment: Assignment) -> list[Kept]:
    """Who ``assignment`` covers that another assignment of the same course covers
    too (by :func:`coverage`, the one rule): removing it leaves the course on their
    list. In name order; three queries."""
    people = covered_by(assignment)
    cover = coverage(assignment.course_id, people)
    others = {
        learner_id: sorted(
            (c.assignment for c in cover.of(learner_id) if c.assignment.pk != assignment.pk),
            key=lambda a: (a.due_date or datetime.date.max, a.pk),
        )
        for learner_id in {*cover.own, *cover.memberships}
    }
    keepers = {pk: through for pk, through in others.items() if through}
    if not keepers:
        return []
    learners = (
        people.filter(pk__in=list(keepers))
        .order_by("last_name", "first_name", "username")
        .only("pk", "username", "first_name", "last_name")
    )
    return [Kept(learner, keepers[learner.pk]) for learner in learners]


# My learning, the learner page, reminders ----------------------------------------


@dataclass
class AssignedCourse:
    """One assigned course as a learner sees it on "My learning"."""

    course: Course
    due: DueState
    progress: CourseProgress

    @property
    def assignment(self) -> Assignment:
        return self.due.assignment

    @property
    def statuses(self) -> list[AssignmentStatus]:
        return self.due.statuses

    @property
    def due_date(self) -> datetime.date | None:
        return self.due.due_date

    @property
    def note(self) -> str:
        return self.due.note

    @property
    def lesson_ids(self) -> frozenset[int] | None:
        return self.due.applies.lesson_ids

    @property
    def completed(self) -> int:
        return self.due.applies.completed

    @property
    def total(self) -> int:
        return self.due.applies.total

    @property
    def completed_on(self) -> datetime.date | None:
        return self.due.completed_on

    @property
    def needs_fresh_start(self) -> bool:
        return self.due.applies.needs_fresh_start

    @property
    def state(self) -> CourseState:
        return self.progress.course_state

    @property
    def is_complete(self) -> bool:
        return self.due.is_complete

    @property
    def percent(self) -> int:
        return 100 if self.is_complete else percent_complete(self.completed, self.total)

    @property
    def is_overdue(self) -> bool:
        return self.due.is_overdue

    @property
    def due_label(self) -> str:
        return self.due.due_label

    @property
    def sort_key(self) -> tuple:
        return (self.is_complete, self.due_date or datetime.date.max, self.course.title)


def assigned_courses(learner, today: datetime.date | None = None) -> list[AssignedCourse]:
    """The learner's assigned courses, soonest due first, completed last. Five queries."""
    today = today or timezone.localdate()
    assignments = list(
        assignments_of(learner).select_related("course", "team").prefetch_related("lessons")
    )
    if not assignments:
        return []
    by_course: dict[int, list[Covering]] = {}
    renewals = latest_renewals(assignments, learner.pk)
    for assignment in assignments:
        chosen = frozenset(lesson.pk for lesson in assignment.lessons.all())
        by_course.setdefault(assignment.course_id, []).append(
            Covering(assignment, chosen, renewals.get((assignment.pk, learner.pk)))
        )
    progress_by_course = {
        course.pk: progress
        for course, progress in courses_with_progress(
            learner, Course.objects.filter(pk__in=list(by_course))
        )
    }
    done = dict(
        LessonProgress.objects.filter(
            learner=learner,
            state=ProgressState.COMPLETED,
            lesson__course__in=list(by_course),
            lesson__retired_at__isnull=True,
        ).values_list("lesson_id", "completed_at")
    )
    published: dict[int, set[int]] = {}
    for lesson_id, course_id in (
        Lesson.objects.published().filter(course__in=list(by_course)).values_list("pk", "course_id")
    ):
        published.setdefault(course_id, set()).add(lesson_id)
    final_passed_at = dict(
        Attempt.objects.filter(
            learner=learner,
            passed=True,
            quiz__course__in=list(by_course),
            quiz__retired_at__isnull=True,
        )
        .values("quiz__course")
        .annotate(first=Min("submitted_at"))
        .values_list("quiz__course", "first")
    )

    result = []
    for course_id, covering in by_course.items():
        progress = progress_by_course.get(course_id)
        if progress is None:  # no published lessons yet
            continue
        lessons = published.get(course_id, set())
        done_here = {pk: done[pk] for pk in lessons if pk in done}
        record = CourseRecord(
            progress=progress,
            published=frozenset(lessons),
            done=done_here,
            lessons_done_at=(
                max(done_here.values()) if lessons and len(done_here) == len(lessons) else None
            ),
            final_passed_at=final_passed_at.get(course_id),
        )
        state = due_state(covering, record, today)
        result.append(AssignedCourse(covering[0].assignment.course, state, progress))
    return sorted(result, key=lambda item: item.sort_key)
