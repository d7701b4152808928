"""What trainers do to assignments: the use cases, one transaction each.

Views, the admin and commands call these; each raises ``AssignmentError`` with a
message the view shows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses.models import Course
from lessons.models import Lesson, LessonProgress
from lessons.services import completion_of
from quizzes.models import Attempt
from training.assignments import fresh_start_asked, show_date
from training.models import Assignment, AssignmentAction, AssignmentEvent, Recurrence, Team
from training.recertification import ONCE, RenewalRule
from training.roles import (
    can_assign,
    courses_assignable_by,
    learners_assignable_by,
    may_manage_assignment,
    teams_managed_by,
)

User = get_user_model()
# The audit log is a record, read by whoever audits it later: English, whatever the
# language of the trainer who made the change.
AUDIT_LANGUAGE = "en-gb"


class AssignmentError(Exception):
    """Why an assignment cannot be made, changed or removed; views show it as a message."""


# Names and descriptions, as the audit log and messages say them ----------------------


def person_name(user) -> str:
    """A person as pages name them: their full name, else their username."""
    return user.get_full_name().strip() or user.get_username()


def assignee_name(assignment: Assignment) -> str:
    return assignment.team.name if assignment.team_id else person_name(assignment.learner)


def describe_due(day: datetime.date | None) -> str:
    """ "4 Dec 2026" ("4. Dezember 2026": training.assignments.show_date), or "no due date"."""
    return show_date(day) if day else _("no due date")


def _lesson_titles(lessons: Iterable[Lesson]) -> list[str]:
    return [lesson.title for lesson in sorted(lessons, key=lambda lesson: lesson.position)]


def _describe_lessons(titles: list[str]) -> str:
    return ", ".join(titles) if titles else "the whole course"


def _snapshot(assignment: Assignment, lessons: Iterable[Lesson]) -> dict:
    """What the log compares: each field as JSON (a date as ISO, lessons as titles)."""
    return {
        "due_date": assignment.due_date.isoformat() if assignment.due_date else None,
        "note": assignment.note,
        "lessons": _lesson_titles(lessons),
        "require_fresh_completion": assignment.require_fresh_completion,
        "course": str(assignment.course),
        "assignee": assignee_name(assignment),
    }


def _changes(before: dict, after: dict) -> dict[str, list]:
    return {
        field: [before[field], after[field]] for field in after if before[field] != after[field]
    }


def _summary_of_changes(changes: dict[str, list]) -> str:
    parts = []
    for field, (old, new) in changes.items():
        if field == "due_date":
            old_day = datetime.date.fromisoformat(old) if old else None
            new_day = datetime.date.fromisoformat(new) if new else None
            parts.append(f"due date {describe_due(old_day)} → {describe_due(new_day)}")
        elif field == "note":
            parts.append("note changed" if new else "note removed")
        elif field == "lessons":
            parts.append(f"lessons: {_describe_lessons(old)} → {_describe_lessons(new)}")
        elif field == "require_fresh_completion":
            parts.append("fresh completion required" if new else "fresh completion not required")
        else:
            parts.append(f"{field.replace('_', ' ')}: {old} → {new}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def record_event(
    assignment: Assignment, action: str, by, *, changes: dict | None = None, summary: str
) -> AssignmentEvent:
    """Write one audit-log row (in the caller's transaction). Called by every use
    case below and by the admin, so nothing changes an assignment unlogged."""
    return AssignmentEvent.objects.create(
        assignment=assignment,  # a removal's is set to NULL as the row goes
        course_id=assignment.course_id,
        team_id=assignment.team_id,
        learner_id=assignment.learner_id,
        assignee_name=assignee_name(assignment)[:300],
        action=action,
        actor=by if by is not None and by.pk else None,
        actor_name=(person_name(by) if by is not None and by.pk else "")[:300],
        changes=changes or {},
        summary=summary,
    )


def record_assigned(assignment: Assignment, by, lessons: Iterable[Lesson]) -> None:
    """Log a new assignment and send its emails once the transaction commits."""
    from training.emails import email_after_commit  # emails imports the names above

    after = _snapshot(assignment, lessons)
    with translation.override(AUDIT_LANGUAGE):
        summary = (
            f"Assigned “{assignment.course}” ({_describe_lessons(after['lessons'])}) to "
            f"{after['assignee']}, "
            + (f"due {describe_due(assignment.due_date)}" if assignment.due_date else "no due date")
            + (", a fresh completion required" if assignment.require_fresh_completion else "")
            + "."
        )
    record_event(
        assignment,
        AssignmentAction.ASSIGNED,
        by,
        changes={
            field: [None, after[field]]
            for field in ("due_date", "note", "lessons", "require_fresh_completion")
            if after[field]
        },
        summary=summary,
    )
    email_after_commit(assignment)


# A change of these tells the learners by email (training.change_emails); a change
# of the chosen lessons alone does not (My learning shows it).
EMAILED_CHANGES = frozenset({"due_date", "note"})


def record_changed(assignment: Assignment, by, before: dict, lessons: Iterable[Lesson]) -> bool:
    """Log what changed since ``before`` (a :func:`snapshot`); nothing changed: no row.
    A new due date or note owes each learner who has not finished the assignment
    an email, sent once the transaction commits."""
    from training.change_emails import owe_emails  # it imports the names above

    changes = _changes(before, _snapshot(assignment, lessons))
    if not changes:
        return False
    with translation.override(AUDIT_LANGUAGE):
        summary = _summary_of_changes(changes)
    event = record_event(assignment, AssignmentAction.CHANGED, by, changes=changes, summary=summary)
    if EMAILED_CHANGES & set(changes):
        owe_emails(assignment, event)
    return True


def snapshot(assignment: Assignment) -> dict:
    """The assignment as the log compares it (reads its lessons)."""
    return _snapshot(assignment, assignment.lessons.all())


def record_removed(assignment: Assignment, by) -> None:
    """Log a removal (before the row goes: call it in the removing transaction) with
    what the assignment was, and owe its learners who have not finished it an email."""
    from training.change_emails import owe_emails

    before = snapshot(assignment)
    with translation.override(AUDIT_LANGUAGE):
        summary = (
            f"Removed “{assignment.course}” from {assignee_name(assignment)}"
            + (f" (was due {describe_due(assignment.due_date)})" if assignment.due_date else "")
            + "; progress and scores are kept."
        )
    event = record_event(
        assignment,
        AssignmentAction.REMOVED,
        by,
        changes={
            field: [before[field], None]
            for field in ("due_date", "note", "lessons", "require_fresh_completion")
            if before[field]
        },
        summary=summary,
    )
    owe_emails(assignment, event)


# What may be assigned, changed and removed: one function per question, asked by
# the use cases below and, before it saves, by the admin's form (training.admin).


def check_lessons(
    course_id: int, lessons: Iterable[Lesson], *, require_fresh_completion: bool
) -> None:
    """Chosen lessons must be published lessons of the assignment's course, and there
    are none when it asks for a fresh completion (that is for the whole course)."""
    lessons = list(lessons)
    if any(lesson.course_id != course_id or not lesson.is_published for lesson in lessons):
        raise AssignmentError(_("Choose lessons of this course."))
    if require_fresh_completion and lessons:
        raise AssignmentError(_("A fresh completion is for the whole course, not chosen lessons."))


def check_renewal_rule(course: Course, lessons: Iterable[Lesson], rule: RenewalRule) -> None:
    """A recurring assignment is for a whole course whose completions expire: the
    course's validity, the rule's own, or every year by a date."""
    if rule.recurrence == Recurrence.ONCE:
        if rule.valid_for_months is not None and rule.valid_for_months < 1:
            raise AssignmentError(_("A completion counts for at least a month."))
        return
    if list(lessons):
        raise AssignmentError(
            _("A recurring assignment is for the whole course, not chosen lessons.")
        )
    if not 1 <= rule.window_days <= 365:
        raise AssignmentError(_("Assign it again between 1 and 365 days before it expires."))
    if rule.recurrence == Recurrence.YEARLY:
        if rule.renew_by is None:
            raise AssignmentError(_("Say by which date each year."))
        return
    months = rule.valid_for_months or course.valid_for_months
    if not months or months < 1:
        raise AssignmentError(
            _(
                "“%(course)s” does not expire: say how many months a completion counts "
                "for it to come back."
            )
            % {"course": course}
        )


def _targets(team: Team | None, learners: list) -> list[dict]:
    return [{"team": team}] if team is not None else [{"learner": u} for u in learners]


def check_new_assignment(
    by,
    *,
    course: Course,
    team: Team | None = None,
    learners: Iterable = (),
    lessons: Iterable[Lesson] = (),
    require_fresh_completion: bool = False,
    renewal: RenewalRule = ONCE,
) -> None:
    """May ``by`` assign ``course`` (or ``lessons`` of it) to ``team`` or ``learners``?
    Raises AssignmentError saying why not. :func:`assign_course` asks it inside its
    transaction; the admin's form asks it first, to show the reason on the form."""
    learners = list(learners)
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
    if not courses_assignable_by(by).filter(pk=course.pk).exists():
        raise AssignmentError(
            _("“%(course)s” is not published: only published courses can be assigned.")
            % {"course": course}
        )
    lessons = list(lessons)
    check_lessons(course.pk, lessons, require_fresh_completion=require_fresh_completion)
    check_renewal_rule(course, lessons, renewal)
    for target in _targets(team, learners):
        existing = Assignment.objects.filter(course=course, **target).first()
        if existing is not None:
            names = {"course": course, "assignee": assignee_name(existing)}
            if existing.due_date:
                message = _(
                    "“%(course)s” is already assigned to %(assignee)s (due %(due)s). "
                    "Change that assignment instead."
                ) % {**names, "due": describe_due(existing.due_date)}
            else:
                message = (
                    _(
                        "“%(course)s” is already assigned to %(assignee)s. "
                        "Change that assignment instead."
                    )
                    % names
                )
            raise AssignmentError(message)


def check_change(by, assignment: Assignment, lessons: Iterable[Lesson]) -> None:
    """May ``by`` change ``assignment`` to these chosen lessons (its due date and note
    anyone who may manage it may change)? Raises AssignmentError saying why not.
    :func:`change_assignment` asks it on the locked row; the admin's form first."""
    if not may_manage_assignment(by, assignment):
        raise AssignmentError(_("You can only change assignments of your teams and learners."))
    check_lessons(
        assignment.course_id, lessons, require_fresh_completion=assignment.require_fresh_completion
    )


# The use cases ---------------------------------------------------------------------------


@transaction.atomic
def assign_course(
    *,
    by,
    course: Course,
    team: Team | None = None,
    learners: Iterable = (),
    lessons: Iterable[Lesson] = (),
    due_date: datetime.date | None = None,
    note: str = "",
    require_fresh_completion: bool = False,
    renewal: RenewalRule = ONCE,
) -> list[Assignment]:
    """Assign ``course`` (or ``lessons`` of it) to a team or to learners, once each,
    if :func:`check_new_assignment` allows it; ``renewal``: whether and how it comes
    back for each learner (training.recertification)."""
    learners = list(learners)
    lessons = list(lessons)
    check_new_assignment(
        by,
        course=course,
        team=team,
        learners=learners,
        lessons=lessons,
        require_fresh_completion=require_fresh_completion,
        renewal=renewal,
    )
    targets = _targets(team, learners)
    created = []
    try:
        for target in targets:
            assignment = Assignment.objects.create(
                course=course,
                due_date=due_date,
                note=note,
                require_fresh_completion=require_fresh_completion,
                assigned_by=by,
                **renewal.fields(),
                **target,
            )
            assignment.lessons.set(lessons)
            created.append(assignment)
    except IntegrityError as exc:  # a second click or another trainer, at the same moment
        raise AssignmentError(
            _("“%(course)s” is already assigned there.") % {"course": course}
        ) from exc
    for assignment in created:
        record_assigned(assignment, by, lessons)
    return created


def _locked(assignment: Assignment) -> Assignment:
    """The assignment's row, locked until the transaction ends: two trainers (or a
    double click) changing or removing it take turns, and each sees what the
    other did. Gone meanwhile: an AssignmentError, not a 500."""
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("course", "team", "learner")
        .filter(pk=assignment.pk)
        .first()
    )
    if locked is None:
        raise AssignmentError(_("This assignment was removed meanwhile."))
    return locked


@transaction.atomic
def change_assignment(
    by,
    assignment: Assignment,
    *,
    due_date: datetime.date | None,
    note: str,
    lessons: Iterable[Lesson] = (),
) -> bool:
    """Change an assignment's due date, note and lessons (none: the whole course).
    Logs what changed; returns False (and logs nothing) when nothing did.

    Whether it asks for a fresh completion is not changed here: that moment is
    the assignment's creation, so turning it on later would not mean what the
    trainer expects. Remove the assignment and assign it again instead."""
    assignment = _locked(assignment)
    lessons = list(lessons)
    check_change(by, assignment, lessons)
    current = list(assignment.lessons.all())
    # Chosen lessons retired since stay chosen: the form does not offer them, and
    # the due rule already leaves them out.
    retired = [lesson for lesson in current if not lesson.is_published]
    new_lessons = {lesson.pk: lesson for lesson in [*lessons, *retired]}
    before = _snapshot(assignment, current)
    assignment.due_date = due_date
    assignment.note = note
    assignment.save(update_fields=["due_date", "note"])
    if {lesson.pk for lesson in current} != set(new_lessons):
        assignment.lessons.set(new_lessons.values())
    return record_changed(assignment, by, before, new_lessons.values())


@transaction.atomic
def remove_assignment(by, assignment: Assignment) -> None:
    """Remove an assignment: learners' progress, attempts, completions and
    certificates are kept (they belong to the learner, not the assignment).
    A second request for the same one (a double click) gets an AssignmentError
    and logs nothing."""
    assignment = _locked(assignment)
    if not may_manage_assignment(by, assignment):
        raise AssignmentError(_("You can only remove assignments of your teams and learners."))
    record_removed(assignment, by)
    deleted, _by_model = Assignment.objects.filter(pk=assignment.pk).delete()
    if not deleted:  # SQLite has no row locks: another request got there first
        raise AssignmentError(_("This assignment was removed meanwhile."))


@transaction.atomic
def start_fresh_run(learner, course: Course) -> None:
    """Begin a new run of a completed course because an assignment asks for a fresh
    completion. The current run's progress and attempts are archived into its
    completion (kept, and shown as history); the completion is marked superseded."""
    User.objects.select_for_update().filter(pk=learner.pk).first()
    completion = completion_of(learner, course)
    if not fresh_start_asked(learner, course, completion):
        raise AssignmentError(_("Nothing asks you to complete this course again."))
    LessonProgress.objects.filter(learner=learner, lesson__course=course).update(
        archived_in=completion
    )
    Attempt.objects.filter(
        Q(quiz__course=course) | Q(quiz__lesson__course=course), learner=learner
    ).update(archived_in=completion)
    completion.superseded_at = timezone.now()
    completion.save(update_fields=["superseded_at"])
