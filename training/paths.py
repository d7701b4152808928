"""Learning paths assigned like courses, and who sees which path.

- **Assigning a path** (:func:`assign_path`) to a team or to learners assigns each
  published course of the path through the course use case
  (training.services.assign_course: its checks, audit log and emails), with the
  path's due date and note, all in one transaction, and records a
  :class:`~training.models.PathAssignment` linking those course assignments. A
  course already assigned to that team or learner keeps its own assignment (its
  due date, its note) and is not linked: removing the path leaves it.
- **Removing** it (:func:`remove_path_assignment`) removes the linked course
  assignments through training.services.remove_assignment (progress, completions
  and certificates are kept), then the path assignment, in one transaction.
- **Who sees a path** (:func:`paths_visible_to`): a published path assigned to the
  user (theirs or a team's), or one whose published courses they may all see;
  superusers see every published path.
- **My learning** lists the learner's assigned paths with their progress
  (:func:`assigned_paths`: paths.rules, the one rule).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from courses.models import Course
from paths.models import Path, PathCompletion, PathCourse
from paths.rules import PathProgress, courses_by_path, paths_progress
from training.assignments import completed_label, due_label
from training.models import Assignment, PathAssignment, Team
from training.roles import (
    can_assign,
    learners_assignable_by,
    learners_followed_by,
    teams_managed_by,
)
from training.services import AssignmentError, assign_course, person_name, remove_assignment

# Who sees which path ----------------------------------------------------------------


def path_assignments_of(user) -> QuerySet[PathAssignment]:
    """The user's own path assignments and their teams'."""
    return PathAssignment.objects.filter(Q(learner=user) | Q(team__members=user))


def paths_visible_to(user) -> QuerySet[Path]:
    """Published paths the user may open: assigned to them (or a team of theirs), or
    with no published course they may not see. Superusers: every published one."""
    published = Path.objects.published()
    if user.is_superuser:
        return published
    hidden = PathCourse.objects.filter(
        path=OuterRef("pk"), course__published_at__isnull=False
    ).exclude(course__in=Course.objects.visible_to(user))
    assigned = path_assignments_of(user).filter(path=OuterRef("pk"))
    return published.filter(Exists(assigned) | ~Exists(hidden))


def paths_assignable_by(user) -> QuerySet[Path]:
    """The paths a user may assign on the trainer pages: published ones."""
    if not can_assign(user):
        return Path.objects.none()
    return Path.objects.published()


# What a learner is assigned ---------------------------------------------------------


@dataclass(frozen=True)
class AssignedPath:
    """One path assigned to a learner (the earliest-due of their assignments of it),
    with where they stand in it."""

    path: Path
    progress: PathProgress
    due_date: datetime.date | None
    note: str
    today: datetime.date

    @property
    def is_complete(self) -> bool:
        return self.progress.is_complete

    @property
    def is_overdue(self) -> bool:
        return not self.is_complete and self.due_date is not None and self.due_date < self.today

    @property
    def due_label(self) -> str:
        if self.is_complete:
            last = self.progress.last_completion
            return completed_label(timezone.localdate(last.completed_at)) if last else ""
        return due_label(self.due_date, self.today)


def assigned_paths(learner, today: datetime.date | None = None) -> list[AssignedPath]:
    """The learner's assigned published paths, unfinished ones first, soonest due first:
    one query, and two more (paths.rules) when there is any."""
    today = today or timezone.localdate()
    found: dict[int, PathAssignment] = {}
    rows = path_assignments_of(learner).filter(path__published_at__isnull=False)
    for row in rows.select_related("path").order_by("due_date", "pk"):
        if row.path_id not in found or (found[row.path_id].due_date is None and row.due_date):
            found[row.path_id] = row
    if not found:
        return []
    progress = paths_progress(learner, [row.path for row in found.values()], today)
    items = [
        AssignedPath(row.path, progress[row.path_id], row.due_date, row.note, today)
        for row in found.values()
    ]
    return sorted(
        items, key=lambda item: (item.is_complete, item.due_date or datetime.date.max, item.path.pk)
    )


def latest_path_completion(learner, path: Path) -> PathCompletion | None:
    """The learner's latest completion of the path, with its certificate."""
    return (
        PathCompletion.objects.filter(learner=learner, path=path)
        .select_related("certificate")
        .order_by("-completed_at", "-pk")
        .first()
    )


# Assigning and removing -----------------------------------------------------------------


def may_manage_path_assignment(user, assignment: PathAssignment) -> bool:
    """May remove it (and see it): the rule of training.roles.may_manage_assignment."""
    if user.is_active and user.is_superuser:
        return True
    if not can_assign(user):
        return False
    if assignment.team_id is not None:
        return teams_managed_by(user).filter(pk=assignment.team_id).exists()
    return learners_followed_by(user).filter(pk=assignment.learner_id).exists()


def check_new_path_assignment(by, path: Path, team: Team | None, learners: list) -> list[Course]:
    """Refuse what assign_course would refuse for the path as a whole (who may assign,
    to whom), a draft or empty path, and a path already assigned there; return the
    path's published courses in order."""
    if not can_assign(by):
        raise AssignmentError(_("You cannot assign courses."))
    if (team is None) == (not learners):
        raise AssignmentError(_("Choose a team or one or more learners."))
    if team is not None and not teams_managed_by(by).filter(pk=team.pk).exists():
        raise AssignmentError(_("You can only assign to teams you manage."))
    allowed = set(
        learners_assignable_by(by)
        .filter(pk__in=[u.pk for u in learners])
        .values_list("pk", flat=True)
    )
    if any(learner.pk not in allowed for learner in learners):
        raise AssignmentError(_("You can only assign to learners in your teams."))
    if path.published_at is None:
        raise AssignmentError(
            _("“%(path)s” is not published: only published paths can be assigned.") % {"path": path}
        )
    courses = courses_by_path([path])[path.pk]
    if not courses:
        raise AssignmentError(_("“%(path)s” has no published course yet.") % {"path": path})
    targets = [{"team": team}] if team is not None else [{"learner": u} for u in learners]
    for target in targets:
        if PathAssignment.objects.filter(path=path, **target).exists():
            assignee = team.name if team is not None else person_name(target["learner"])
            raise AssignmentError(
                _("“%(path)s” is already assigned to %(assignee)s.")
                % {"path": path, "assignee": assignee}
            )
    return courses


@transaction.atomic
def assign_path(
    *,
    by,
    path: Path,
    team: Team | None = None,
    learners: Iterable = (),
    due_date: datetime.date | None = None,
    note: str = "",
) -> list[PathAssignment]:
    """Assign the path to a team or to learners: each of its published courses not
    assigned there yet through assign_course (same due date and note), linked to one
    PathAssignment per team or learner. All or nothing."""
    learners = list(learners)
    courses = check_new_path_assignment(by, path, team, learners)
    made = []
    for target in [{"team": team}] if team is not None else [{"learner": u} for u in learners]:
        assignment = PathAssignment.objects.create(
            path=path, due_date=due_date, note=note, assigned_by=by, **target
        )
        for course in courses:
            if Assignment.objects.filter(course=course, **target).exists():
                continue  # its own assignment is kept, as it is
            assignment.assignments.add(
                *assign_course(
                    by=by,
                    course=course,
                    team=target.get("team"),
                    learners=[target["learner"]] if "learner" in target else [],
                    due_date=due_date,
                    note=note,
                )
            )
        made.append(assignment)
    return made


@transaction.atomic
def remove_path_assignment(by, assignment: PathAssignment) -> None:
    """Remove a path assignment and the course assignments made with it (each through
    remove_assignment: logged, its learners told; progress and completions kept). A
    second request for the same one gets an AssignmentError."""
    locked = PathAssignment.objects.select_for_update().filter(pk=assignment.pk).first()
    if locked is None:
        raise AssignmentError(_("This assignment was removed meanwhile."))
    if not may_manage_path_assignment(by, locked):
        raise AssignmentError(_("You can only remove assignments of your teams and learners."))
    for course_assignment in locked.assignments.order_by("pk"):
        remove_assignment(by, course_assignment)
    deleted, _by_model = PathAssignment.objects.filter(pk=locked.pk).delete()
    if not deleted:  # SQLite has no row locks: another request got there first
        raise AssignmentError(_("This assignment was removed meanwhile."))


def path_assignee_name(assignment: PathAssignment) -> str:
    """The team's name, or the learner's as pages name people."""
    return assignment.team.name if assignment.team is not None else person_name(assignment.learner)


def path_assignments_managed_by(user) -> QuerySet[PathAssignment]:
    """The path assignments a user may remove (may_manage_path_assignment, as a query):
    every one for a superuser, their teams' and the learners they follow for a trainer."""
    rows = PathAssignment.objects.select_related("path", "team", "learner")
    if user.is_active and user.is_superuser:
        return rows
    if not can_assign(user):
        return rows.none()
    return rows.filter(
        Q(team__in=teams_managed_by(user)) | Q(learner__in=learners_followed_by(user))
    )
