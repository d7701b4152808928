from django.conf import settings
from django.db import models
from django.urls import reverse

from courses.markdown import render_markdown


class Visibility(models.TextChoices):
    OPEN = "open", "Open: any learner may start it from the catalogue"
    ASSIGNED = "assigned", "Assigned only: visible to those it is assigned to"


class CourseQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CourseQuerySet":
        """Open courses, and assigned-only courses assigned to the user (directly or
        through a team). Staff who manage content see every course."""
        published = self.filter(published_at__isnull=False)
        if user.is_superuser:
            return published
        assigned = Assignment.objects.filter(course=models.OuterRef("pk"))
        return published.filter(
            models.Q(visibility=Visibility.OPEN)
            | models.Exists(assigned.filter(learner=user))
            | models.Exists(assigned.filter(team__members=user))
        )


class Course(models.Model):
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identity of the course: its folder name in content/.",
    )
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    introduction_markdown = models.TextField("introduction", blank=True)
    introduction_html = models.TextField(blank=True, editable=False)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.OPEN
    )
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Empty while the course is a draft; learners never see drafts.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    imported_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of course.md as last imported (import conflict check).",
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        # Custom permissions (the Trainers group's): they open no page of the admin.
        permissions = [
            ("view_dashboard", "Can follow learners' progress on the dashboard"),
            ("assign_courses", "Can assign courses to the teams they train, on the trainer pages"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendered once here, so pages never run Markdown per request.
        self.introduction_html = render_markdown(self.introduction_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", args=[self.slug])

    def has_learner_records(self) -> bool:
        """Progress or quiz attempts exist in the course: it may not be deleted."""
        from lessons.models import LessonProgress
        from quizzes.models import Attempt

        return (
            LessonProgress.all_runs.filter(lesson__course=self).exists()
            or Attempt.all_runs.filter(
                models.Q(quiz__course=self) | models.Q(quiz__lesson__course=self)
            ).exists()
        )


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
