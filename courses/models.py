from django.apps import apps
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
        # Assignments belong to the training app, which imports this one: asked by
        # name so the arrow between the apps stays one way.
        Assignment = apps.get_model("training", "Assignment")
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
