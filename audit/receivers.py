"""What writes the audit log: receivers of the records' own signals, connected in
``AuditConfig.ready``. The apps below know nothing of the log.

Each receiver runs in the transaction that saves (or deletes) its record: Django
sends ``post_save`` and ``post_delete`` inside it, and every use case here saves in
``transaction.atomic``. If the event cannot be written, the record is not either.
(A bare ``save()`` outside any transaction, as in a shell, commits the row first;
its event follows in a transaction of its own.) Rows written by ``loaddata``
(``raw``) are not logged: that is restoring data, not something happening.

- ``lessons.CourseCompletion`` created: course completed, with the content version
  of the lessons it covers; changed: started again (``superseded_at``) or changed.
- ``quizzes.Attempt`` graded (``submitted_at`` set): quiz submitted, with the
  content version of its questions; a graded attempt saved again: changed.
- ``lessons.Certificate`` created: issued; ``revoked_at`` set: revoked; else changed.
- ``training.AssignmentEvent`` created (training's own log of assignments): assigned,
  changed or removed; in the learner's chain, or for a team the team's.
- ``compliance.Exemption`` granted, revoked or changed; ``training.Renewal`` opened
  (a recurring assignment due again); a completion's expiry, when ``run_scheduled``
  first tells a trainer of it (``training.LapseNotice``).
- ``paths.PathCompletion`` created: learning path completed; ``paths.PathCertificate``
  issued or revoked.
- Any of these deleted: record deleted, with the row as it was.

Changes made in the Django admin go through the same saves, so they are logged by
the same receivers, with the admin's user and address and ``"via": "admin"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.signals import post_delete, post_save

from audit.content import lessons_version, quiz_version
from audit.context import Party, current_actor, in_admin, person
from audit.log import SITE_CHAIN, as_json, record_event, team_chain
from audit.models import EventKind
from compliance.models import Exemption
from courses.models import Course
from lessons.models import Certificate, CourseCompletion
from paths.models import Path, PathCertificate, PathCompletion
from quizzes.models import Attempt, Quiz
from training.models import AssignmentAction, AssignmentEvent, LapseNotice, Renewal

VERSION_ATTRIBUTE = "_audit_content_version"


# Looking up what the event names, with no query when it is at hand ----------------------


def _cached(instance: models.Model, name: str) -> Any | None:
    field = instance._meta.get_field(name)
    return getattr(instance, name) if field.is_cached(instance) else None  # type: ignore[union-attr]


def learner_party(learner_id: int, user: Any | None = None) -> Party:
    """The learner as the log names them: from ``user`` if given, else the acting
    user when it is them (a learner's own request), else one query."""
    if user is not None:
        return person(user)
    actor = current_actor()
    if actor.id == learner_id:
        return actor
    found = get_user_model().objects.filter(pk=learner_id).first()
    return person(found) if found is not None else Party(id=learner_id, name="")


def _course(instance: models.Model) -> Course:
    course = _cached(instance, "course")
    return course if course is not None else Course.objects.get(pk=instance.course_id)  # type: ignore[attr-defined]


def _completion(certificate: Certificate) -> CourseCompletion:
    completion = _cached(certificate, "completion")
    if completion is not None:
        return completion
    return CourseCompletion.objects.select_related("learner", "course").get(
        pk=certificate.completion_id
    )


def _via(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "via": "admin"} if in_admin() else data


# Course completions -------------------------------------------------------------------


def _completion_kind(created: bool, update_fields: Any, completion: CourseCompletion) -> str:
    if created:
        return EventKind.COURSE_COMPLETED
    if completion.superseded_at is not None and "superseded_at" in (update_fields or ()):
        return EventKind.COMPLETION_SUPERSEDED
    return EventKind.COMPLETION_CHANGED


def completion_data(completion: CourseCompletion, course: Course) -> dict[str, Any]:
    data: dict[str, Any] = {
        "course": course.slug,
        "course_title": course.title,
        "run": completion.run,
        "completed_at": completion.completed_at,
        "final_percent": completion.final_percent,
        "final_attempt": completion.final_attempt_id,
        "lessons": [lesson.get("id") for lesson in completion.lessons],
    }
    if completion.valid_until is not None:
        data["valid_until"] = completion.valid_until
    if completion.superseded_at is not None:
        data["superseded_at"] = completion.superseded_at
    return data


def completion_saved(
    sender: type, instance: CourseCompletion, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw:
        return
    version = ""
    if created:
        version = lessons_version(instance.lessons)
        setattr(instance, VERSION_ATTRIBUTE, version)  # its certificate's event reuses it
    record_event(
        _completion_kind(created, kw.get("update_fields"), instance),
        learner=learner_party(instance.learner_id, _cached(instance, "learner")),
        obj=instance,
        data=_via(completion_data(instance, _course(instance))),
        content_version=version,
    )


# Quiz attempts ------------------------------------------------------------------------


def _quiz_facts(quiz_id: int) -> dict[str, Any]:
    fields = ["lesson_id", "course_id", "lesson__slug", "lesson__title"]
    fields += ["lesson__course__slug", "lesson__course__title", "course__slug", "course__title"]
    return Quiz.objects.filter(pk=quiz_id).values(*fields).get()


def attempt_data(attempt: Attempt, quiz: dict[str, Any]) -> dict[str, Any]:
    final = quiz["course_id"] is not None
    return {
        "quiz": attempt.quiz_id,
        "final": final,
        "course": quiz["course__slug"] if final else quiz["lesson__course__slug"],
        "course_title": quiz["course__title"] if final else quiz["lesson__course__title"],
        "lesson": None if final else quiz["lesson__slug"],
        "lesson_title": None if final else quiz["lesson__title"],
        "number": attempt.number,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "percent": attempt.percent,
        "passed": attempt.passed,
        "submitted_at": attempt.submitted_at,
    }


def _attempt_questions(attempt: Attempt) -> list[int] | None:
    listed = (attempt.order or {}).get("questions")
    return [pk for pk in listed if isinstance(pk, int)] if isinstance(listed, list) else None


def attempt_saved(
    sender: type, instance: Attempt, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw or instance.submitted_at is None:  # an open attempt: nothing graded yet
        return
    graded_now = created or "submitted_at" in (kwargs.get("update_fields") or ())
    quiz = _quiz_facts(instance.quiz_id)
    version = ""
    if graded_now:
        version = quiz_version(
            instance.quiz_id,
            _attempt_questions(instance),
            lesson_id=quiz["lesson_id"],
            course_id=quiz["course_id"],
        )
    record_event(
        EventKind.QUIZ_SUBMITTED if graded_now else EventKind.ATTEMPT_CHANGED,
        learner=learner_party(instance.learner_id, _cached(instance, "learner")),
        obj=instance,
        data=_via(attempt_data(instance, quiz)),
        content_version=version,
    )


# Certificates -------------------------------------------------------------------------


def certificate_data(certificate: Certificate, completion: CourseCompletion) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": certificate.code,
        "course_title": certificate.course_title,
        "learner_name": certificate.learner_name,
        "issued_at": certificate.issued_at,
        "completion": certificate.completion_id,
        "run": completion.run,
    }
    if completion.valid_until is not None:
        data["valid_until"] = completion.valid_until
    if certificate.revoked_at is not None:
        data["revoked_at"] = certificate.revoked_at
        data["revoked_reason"] = certificate.revoked_reason
        data["revoked_by"] = certificate.revoked_by_id
    return data


def _certificate_kind(created: bool, update_fields: Any, certificate: Certificate) -> str:
    if created:
        return EventKind.CERTIFICATE_ISSUED
    if certificate.revoked_at is not None and "revoked_at" in (update_fields or ()):
        return EventKind.CERTIFICATE_REVOKED
    return EventKind.CERTIFICATE_CHANGED


def _completion_version(completion: CourseCompletion) -> str:
    version = getattr(completion, VERSION_ATTRIBUTE, None)
    if version is None:
        version = lessons_version(completion.lessons)
    return version


def certificate_saved(
    sender: type, instance: Certificate, created: bool = False, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return
    completion = _completion(instance)
    record_event(
        _certificate_kind(created, kwargs.get("update_fields"), instance),
        learner=learner_party(completion.learner_id, _cached(completion, "learner")),
        obj=instance,
        data=_via(certificate_data(instance, completion)),
        content_version=_completion_version(completion) if created else "",
    )


# Assignments: training's own log, chained ----------------------------------------------

ASSIGNMENT_KINDS = {
    AssignmentAction.ASSIGNED: EventKind.ASSIGNED,
    AssignmentAction.CHANGED: EventKind.ASSIGNMENT_CHANGED,
    AssignmentAction.REMOVED: EventKind.ASSIGNMENT_REMOVED,
}


def assignment_data(event: AssignmentEvent, course: Course) -> dict[str, Any]:
    return {
        "assignment": event.assignment_id,
        "course": course.slug,
        "course_title": course.title,
        "team": event.team_id,
        "assignee": event.assignee_name,
        "summary": event.summary,
        "changes": event.changes,
    }


def _assignment_subject(event: AssignmentEvent) -> tuple[Party | None, str | None]:
    """The learner the assignment event concerns, or for a team the team's chain."""
    if event.learner_id is not None:
        return Party(id=event.learner_id, name=event.assignee_name[:300]), None
    return None, team_chain(event.team_id) if event.team_id is not None else SITE_CHAIN


def assignment_event_saved(
    sender: type, instance: AssignmentEvent, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw or not created:
        return
    learner, chain = _assignment_subject(instance)
    actor = Party(id=instance.actor_id, name=instance.actor_name) if instance.actor_id else None
    record_event(
        ASSIGNMENT_KINDS.get(instance.action, EventKind.ASSIGNMENT_CHANGED),  # type: ignore[call-overload]
        learner=learner,
        obj=instance,
        data=_via(assignment_data(instance, _course(instance))),
        chain=chain,
        actor=actor,
    )


# Compliance: exemptions, renewals, expiries ---------------------------------------------


def exemption_saved(
    sender: type, instance: Exemption, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw:
        return
    if created:
        kind = EventKind.EXEMPTION_GRANTED
    elif instance.revoked_on is not None:
        kind = EventKind.EXEMPTION_REVOKED
    else:
        kind = EventKind.EXEMPTION_CHANGED
    course = _course(instance)
    record_event(
        kind,
        learner=learner_party(instance.learner_id),
        obj=instance,
        data=_via(
            {
                "course": course.slug,
                "course_title": course.title,
                "reason": instance.reason,
                "starts_on": instance.starts_on,
                "until": instance.until,
                "revoked_on": instance.revoked_on,
            }
        ),
    )


def renewal_saved(
    sender: type, instance: Renewal, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw or not created:
        return  # (the outbox marking it emailed is not an event)
    renews = CourseCompletion.objects.select_related("course").get(pk=instance.renews_id)
    record_event(
        EventKind.RENEWAL_OPENED,
        learner=learner_party(instance.learner_id),
        obj=instance,
        data={
            "assignment": instance.assignment_id,
            "course": renews.course.slug,
            "course_title": renews.course.title,
            "renews_run": renews.run,
            "valid_until": renews.valid_until,
            "due_date": instance.due_date,
        },
    )


def lapse_noticed(
    sender: type, instance: LapseNotice, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    """A completion's expiry, logged when run_scheduled tells a trainer of it (once per
    completion: the first trainer told)."""
    if raw or not created:
        return
    if (
        LapseNotice.objects.filter(completion=instance.completion_id)
        .exclude(pk=instance.pk)
        .exists()
    ):
        return
    completion = CourseCompletion.objects.select_related("course").get(pk=instance.completion_id)
    record_event(
        EventKind.COMPLETION_EXPIRED,
        learner=learner_party(completion.learner_id),
        obj=completion,
        data={
            "course": completion.course.slug,
            "course_title": completion.course.title,
            "run": completion.run,
            "valid_until": completion.valid_until,
        },
    )


# Learning paths -------------------------------------------------------------------------


def path_completion_saved(
    sender: type, instance: PathCompletion, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw or not created:
        return
    path = Path.objects.get(pk=instance.path_id)
    record_event(
        EventKind.PATH_COMPLETED,
        learner=learner_party(instance.learner_id),
        obj=instance,
        data=_via(
            {
                "path": path.slug,
                "path_title": path.title,
                "run": instance.run,
                "courses": instance.courses,
                "valid_until": instance.valid_until,
            }
        ),
    )


def path_certificate_saved(
    sender: type, instance: PathCertificate, created: bool = False, raw: bool = False, **kw: Any
) -> None:
    if raw:
        return
    if created:
        kind = EventKind.PATH_CERTIFICATE_ISSUED
    elif instance.revoked_at is not None:
        kind = EventKind.PATH_CERTIFICATE_REVOKED
    else:
        return
    completion = PathCompletion.objects.get(pk=instance.completion_id)
    record_event(
        kind,
        learner=learner_party(completion.learner_id),
        obj=instance,
        data=_via(
            {
                "code": instance.code,
                "path_title": instance.path_title,
                "revoked_reason": instance.revoked_reason,
            }
        ),
    )


# Deletions ----------------------------------------------------------------------------


def row_as_it_was(instance: models.Model) -> dict[str, Any]:
    fields = instance._meta.concrete_fields
    return as_json({field.attname: getattr(instance, field.attname) for field in fields})


def _deleted_subject(instance: models.Model) -> tuple[Party | None, str | None]:
    if isinstance(instance, AssignmentEvent):
        return _assignment_subject(instance)
    if isinstance(instance, Certificate):
        learner_id = _completion(instance).learner_id
    elif isinstance(instance, PathCertificate):
        learner_id = PathCompletion.objects.get(pk=instance.completion_id).learner_id
    else:
        learner_id = instance.learner_id  # type: ignore[attr-defined]
    return learner_party(learner_id), None


def record_deleted(sender: type, instance: models.Model, **kwargs: Any) -> None:
    learner, chain = _deleted_subject(instance)
    record_event(
        EventKind.RECORD_DELETED,
        learner=learner,
        obj=instance,
        data=_via({"model": instance._meta.label_lower, "row": row_as_it_was(instance)}),
        chain=chain,
    )


def connect() -> None:
    """Called once, by AuditConfig.ready."""
    saved: list[tuple[type[models.Model], Callable[..., None]]] = [
        (CourseCompletion, completion_saved),
        (Attempt, attempt_saved),
        (Certificate, certificate_saved),
        (AssignmentEvent, assignment_event_saved),
        (Exemption, exemption_saved),
        (Renewal, renewal_saved),
        (PathCompletion, path_completion_saved),
        (PathCertificate, path_certificate_saved),
    ]
    post_save.connect(lapse_noticed, sender=LapseNotice, dispatch_uid="audit.training.lapsenotice")
    for model, receiver in saved:
        post_save.connect(receiver, sender=model, dispatch_uid=f"audit.{model._meta.label_lower}")
        post_delete.connect(
            record_deleted, sender=model, dispatch_uid=f"audit.deleted.{model._meta.label_lower}"
        )
