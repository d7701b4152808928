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


class Recurrence(models.TextChoices):
    """Whether an assignment comes back for each learner when their completion nears
    its end (training.recertification)."""

    ONCE = "once", gettext_lazy("Once")
    AFTER_COMPLETION = "after_completion", gettext_lazy("Again when the completion expires")
    YEARLY = "yearly", gettext_lazy("Every year by a date")


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
    # Compliance training (issue 23): how long a completion counts and whether the
    # assignment comes back. training.recertification decides with these.
    valid_for_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="How long a completion counts, in months; empty: the course's validity.",
    )
    recurrence = models.CharField(
        max_length=20, choices=Recurrence.choices, default=Recurrence.ONCE
    )
    renew_by_month = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Every year by: the month (1-12)."
    )
    renew_by_day = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Every year by: the day of the month."
    )
    renew_window_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Assign it again this many days before a learner's completion expires.",
    )
    extend_from_expiry = models.BooleanField(
        default=True,
        help_text=(
            "A learner who renews before their completion expires keeps the rest of it: "
            "the new one counts from the old expiry, not from the day they finish."
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
                condition=models.Q(valid_for_months__isnull=True)
                | models.Q(valid_for_months__gte=1),
                name="assignment_valid_for_at_least_a_month",
            ),
            models.CheckConstraint(
                condition=~models.Q(recurrence="yearly")
                | models.Q(
                    renew_by_month__gte=1,
                    renew_by_month__lte=12,
                    renew_by_day__gte=1,
                    renew_by_day__lte=31,
                ),
                name="yearly_assignment_has_a_date",
            ),
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


class Renewal(models.Model):
    """A new cycle of a recurring assignment for one learner: opened by
    ``run_scheduled`` when the completion it renews nears its end. From
    ``opened_at`` only a new completion counts, due by ``due_date``; the renewed
    completion and its certificate stay valid until their own end (and stay
    verifiable). One per assignment, learner and completion (a second run opens
    nothing)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="renewals")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="renewals"
    )
    renews = models.ForeignKey(
        "lessons.CourseCompletion", on_delete=models.PROTECT, related_name="renewals"
    )
    opened_at = models.DateTimeField()
    due_date = models.DateField()
    # The outbox: the email telling the learner, sent after the commit (claimed by
    # setting this first; cleared again if sending fails, so a later run retries).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner", "renews"], name="one_renewal_per_completion"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.assignment} · due {self.due_date}"


class ReminderNotice(models.Model):
    """One reminder step owed for one learner's due date of one assignment (30, 7 and
    1 days before, then each week overdue), recorded with the email that carried it,
    so each step is emailed exactly once whatever the runs' timing."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_notices"
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="reminder_notices"
    )
    due_date = models.DateField()
    step = models.CharField(max_length=20, help_text="before-30, before-7, before-1, overdue-N.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "assignment", "due_date", "step"], name="one_notice_per_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.assignment_id} · {self.due_date} · {self.step}"


class LapseNotice(models.Model):
    """A trainer was told that a learner's completion expired without a new one:
    one per completion and trainer."""

    completion = models.ForeignKey(
        "lessons.CourseCompletion", on_delete=models.CASCADE, related_name="lapse_notices"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lapse_notices"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["completion", "trainer"], name="one_lapse_notice_per_trainer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.completion}"


class PathAssignment(models.Model):
    """A learning path assigned to a team or to one learner: one course assignment per
    course of the path (``assignments``, made with it by training.paths.assign_path),
    linked here so that removing the path removes them. A course the team or learner
    had been assigned already keeps its own assignment, which is not linked (removing
    the path leaves it)."""

    path = models.ForeignKey("paths.Path", on_delete=models.CASCADE, related_name="assignments")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="path_assignments"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="path_assignments",
    )
    due_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    assignments = models.ManyToManyField(
        Assignment,
        blank=True,
        related_name="path_assignments",
        help_text="The course assignments made with it.",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="path_assignments_made",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(team__isnull=False, learner__isnull=True)
                | models.Q(team__isnull=True, learner__isnull=False),
                name="path_assignment_to_a_team_or_a_learner",
            ),
            models.UniqueConstraint(
                fields=["path", "team"],
                condition=models.Q(team__isnull=False),
                name="one_assignment_per_path_and_team",
            ),
            models.UniqueConstraint(
                fields=["path", "learner"],
                condition=models.Q(learner__isnull=False),
                name="one_assignment_per_path_and_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.path} → {self.team or self.learner}"

    @property
    def assignee(self):
        return self.team or self.learner
