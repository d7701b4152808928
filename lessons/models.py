from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse

from courses.markdown import render_markdown


class ProgressState(models.TextChoices):
    """Where a learner stands in a lesson or a course; labels are what the pages show."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In Progress"
    COMPLETED = "completed", "Completed"


class LessonQuerySet(models.QuerySet):
    def published(self) -> "LessonQuerySet":
        """Lessons learners can see: not drafts, not retired (retired lessons keep
        their progress but are hidden)."""
        return self.filter(published_at__isnull=False, retired_at__isnull=True)

    def with_state_for(self, learner) -> "LessonQuerySet":
        """Annotate ``state`` (a ProgressState value) for one learner, in the same query."""
        progress = LessonProgress.objects.filter(lesson=OuterRef("pk"), learner=learner)
        return self.annotate(
            state=Coalesce(
                Subquery(progress.values("state")[:1]),
                Value(ProgressState.NOT_STARTED),
                output_field=models.CharField(),
            )
        )


class Lesson(models.Model):
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="lessons")
    slug = models.SlugField(
        max_length=100, help_text="Stable identity within the course: the file name without NN-."
    )
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(help_text="Order in the course (the file's NN-).")
    minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    body_markdown = models.TextField("body", blank=True)
    body_html = models.TextField(blank=True, editable=False)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Empty while the lesson is a draft; learners never see drafts.",
    )
    retired_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when the lesson was removed from the content: hidden, progress kept.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="unique_lesson_slug_per_course"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        self.body_html = render_markdown(self.body_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:detail", args=[self.course.slug, self.slug])

    def has_learner_records(self) -> bool:
        """Progress or quiz attempts exist: the lesson may be retired, never deleted."""
        from quizzes.models import Attempt

        return (
            LessonProgress.objects.filter(lesson=self).exists()
            or Attempt.objects.filter(quiz__lesson=self).exists()
        )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.retired_at is None


class LessonProgress(models.Model):
    """One learner's progress in one lesson. No row means "Not started"."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    # PROTECT: progress is a record of someone's work; lessons are retired, not deleted.
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="progress")
    state = models.CharField(
        max_length=20,
        choices=[
            (ProgressState.IN_PROGRESS.value, ProgressState.IN_PROGRESS.label),
            (ProgressState.COMPLETED.value, ProgressState.COMPLETED.label),
        ],
        default=ProgressState.IN_PROGRESS,
    )
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"], name="unique_progress_per_learner_lesson"
            ),
            models.CheckConstraint(
                condition=(
                    Q(state=ProgressState.IN_PROGRESS, completed_at__isnull=True)
                    | Q(state=ProgressState.COMPLETED, completed_at__isnull=False)
                ),
                name="progress_completed_at_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.lesson} · {self.get_state_display()}"
