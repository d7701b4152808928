"""Teams, assignments and what trainers do with them: the training app's records.

These models lived in ``courses`` until issue 11 (their tables were renamed by
migration ``training.0002``; the data stayed).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from courses.models import Course


class Team(models.Model):
    """A named group of learners, managed by one or more trainers."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="managed_teams", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """A course, or chosen lessons of it, assigned to a team or to one learner.

    A team assignment covers whoever is in the team now, including people who
    join later; leaving the team takes it off their list (progress is kept).
    """

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="assignments"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="assignments",
    )
    lessons = models.ManyToManyField(
        "lessons.Lesson", blank=True, help_text="Leave empty to assign the whole course."
    )
    due_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    require_fresh_completion = models.BooleanField(
        default=False,
        help_text=(
            "Only a completion after this assignment counts (e.g. yearly compliance): "
            "learners who completed the course before start it again."
        ),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignments_made",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, learner__isnull=True)
                | models.Q(team__isnull=True, learner__isnull=False),
                name="assignment_to_a_team_or_a_learner",
            ),
            models.UniqueConstraint(
                fields=["course", "team"],
                condition=models.Q(team__isnull=False),
                name="one_assignment_per_course_and_team",
            ),
            models.UniqueConstraint(
                fields=["course", "learner"],
                condition=models.Q(learner__isnull=False),
                name="one_assignment_per_course_and_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} → {self.team or self.learner}"

    @property
    def assignee(self):
        return self.team or self.learner


class ReminderSent(models.Model):
    """One reminder email, recorded so a second run on the same day sends nothing new."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    sent_on = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    courses = models.TextField(help_text="What the email listed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "sent_on"], name="one_reminder_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.sent_on}"


class AssignmentAction(models.TextChoices):
    ASSIGNED = "assigned", gettext_lazy("Assigned")
    CHANGED = "changed", gettext_lazy("Changed")
    REMOVED = "removed", gettext_lazy("Removed")


class AssignmentEvent(models.Model):
    """The audit log: one row for everything done to an assignment, by whom and when.

    Rows outlive their assignment (removal is an event too), so they keep the
    course and assignee of their own and a readable summary; ``changes`` holds
    each changed field's ``[before, after]``.
    """

    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignment_events")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="assignment_events"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignment_events",
    )
    assignee_name = models.CharField(max_length=300, help_text="The team or person, as named then.")
    action = models.CharField(max_length=10, choices=AssignmentAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assignment_actions",
    )
    actor_name = models.CharField(max_length=300, help_text="Who did it, as named then.")
    changes = models.JSONField(default=dict, blank=True)
    summary = models.TextField()
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name}: {self.summary}"


class AssignmentEmail(models.Model):
    """The email telling a learner something was assigned to them, recorded when
    sent: a retry (or a second worker) finds the row and sends nothing twice."""

    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_emails"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner"], name="one_assignment_email_per_learner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.course} · {self.sent_at:%Y-%m-%d}"


class AssignmentChangeEmail(models.Model):
    """An email owed to a learner because an assignment covering them changed (its
    due date or note) or was removed: the outbox. Written in the transaction that
    changes the assignment, next to its audit-log event, so a rolled-back change
    owes nothing; sent after the commit and marked sent (claimed first, released
    if sending fails), so sending again sends nothing twice. What the email says
    comes from the event (course, team, who, the before and after)."""

    event = models.ForeignKey(AssignmentEvent, on_delete=models.CASCADE, related_name="emails")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignment_change_emails"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "learner"], name="one_change_email_per_event_and_learner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.event}"
