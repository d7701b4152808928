"""The audit log: events in hash chains, and each chain's head.

No foreign keys: an event names its learner, actor and object by id and by name as
text, so deleting a user, a course or a record never makes Django update or delete a
log row (which the database's triggers refuse anyway: migration 0002). How the
chains are built and checked is ``audit.log`` and ``audit.verify``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class EventKind(models.TextChoices):
    COURSE_COMPLETED = "course_completed", gettext_lazy("Course completed")
    COMPLETION_SUPERSEDED = "completion_superseded", gettext_lazy("Course started again")
    COMPLETION_CHANGED = "completion_changed", gettext_lazy("Completion changed")
    QUIZ_SUBMITTED = "quiz_submitted", gettext_lazy("Quiz submitted")
    ATTEMPT_CHANGED = "attempt_changed", gettext_lazy("Graded attempt changed")
    CERTIFICATE_ISSUED = "certificate_issued", gettext_lazy("Certificate issued")
    CERTIFICATE_REVOKED = "certificate_revoked", gettext_lazy("Certificate revoked")
    CERTIFICATE_CHANGED = "certificate_changed", gettext_lazy("Certificate changed")
    ASSIGNED = "assigned", gettext_lazy("Course assigned")
    ASSIGNMENT_CHANGED = "assignment_changed", gettext_lazy("Assignment changed")
    ASSIGNMENT_REMOVED = "assignment_removed", gettext_lazy("Assignment removed")
    RECORD_DELETED = "record_deleted", gettext_lazy("Record deleted")
    # Compliance training (compliance, training.recertification).
    EXEMPTION_GRANTED = "exemption_granted", gettext_lazy("Exemption granted")
    EXEMPTION_REVOKED = "exemption_revoked", gettext_lazy("Exemption revoked")
    EXEMPTION_CHANGED = "exemption_changed", gettext_lazy("Exemption changed")
    RENEWAL_OPENED = "renewal_opened", gettext_lazy("Course due again (renewal)")
    COMPLETION_EXPIRED = "completion_expired", gettext_lazy("Completion expired")
    # Learning paths.
    PATH_COMPLETED = "path_completed", gettext_lazy("Learning path completed")
    PATH_CERTIFICATE_ISSUED = (
        "path_certificate_issued",
        gettext_lazy("Learning path certificate issued"),
    )
    PATH_CERTIFICATE_REVOKED = (
        "path_certificate_revoked",
        gettext_lazy("Learning path certificate revoked"),
    )


class Event(models.Model):
    """One thing that happened to a learner's records, written in the transaction
    that did it. ``hash`` is the SHA-256 of the event's fields with ``prev_hash``
    (the hash of the event before it in its chain) and ``prev_id`` among them
    (``audit.log.event_fields``); ``seq`` numbers the chain from 1."""

    chain = models.CharField(max_length=40, help_text="learner:<id>, team:<id> or site.")
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=40, choices=EventKind.choices, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(
        max_length=300, help_text="Who did it, as named then; or the command, or system."
    )
    ip = models.CharField("IP address", max_length=45, blank=True)
    learner_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    learner_name = models.CharField(max_length=300, blank=True)
    object_type = models.CharField(max_length=100, help_text="app_label.model")
    object_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    content_version = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of the lesson or quiz text the learner saw (audit.content).",
    )
    prev_id = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["chain", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_one_event_per_place"),
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq} {self.kind}"


class ChainHead(models.Model):
    """Where a chain ends: its last event's number, id and hash. Moved forward with
    every event, under a row lock, in the event's transaction; a trigger lets it
    only move forward by one. Without it, removing a chain's last event would leave
    a shorter chain that still checks."""

    chain = models.CharField(max_length=40, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} at {self.seq}"
