import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from courses.markdown import MAX_MARKDOWN_LENGTH, link_media, render_markdown
from courses.models import Translation, imported_hash_field


class ProgressState(models.TextChoices):
    """Where a learner stands in a lesson or a course; labels are what the pages show."""

    NOT_STARTED = "not_started", gettext_lazy("Not started")
    IN_PROGRESS = "in_progress", gettext_lazy("In Progress")
    COMPLETED = "completed", gettext_lazy("Completed")


class CurrentRunManager(models.Manager):
    """Rows of the learner's current run through a course.

    When a trainer asks for a fresh completion and the learner starts the course
    again, the earlier run's progress and attempts are archived into its
    CourseCompletion (``archived_in``) and kept. Every rule asks about the current
    run, so this is the default manager; ``all_runs`` reads the history too.
    """

    def get_queryset(self):
        return super().get_queryset().filter(archived_in__isnull=True)


class RunRecord(models.Model):
    """A record of a learner's work in one run through a course: lesson progress
    here, quiz attempts in quizzes. ``objects`` reads the current run (see
    CurrentRunManager), ``all_runs`` every run; related objects reach archived rows
    too (the base manager). Each model declares its ``archived_in`` foreign key to
    CourseCompletion, with its own related name; a subclass's Meta extends
    ``RunRecord.Meta``."""

    # Declared before ``objects`` for ruff's field-order check; the default is named
    # in Meta.
    all_runs = models.Manager()
    objects = CurrentRunManager()

    class Meta:
        abstract = True
        default_manager_name = "objects"
        base_manager_name = "all_runs"


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
    imported_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Hash of the lesson as last imported from its file (import conflict check).",
    )

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
        # Rendered once here; media/... references point where the course's media
        # are served, with their current versions (courses.markdown.link_media).
        html = render_markdown(self.body_markdown)
        if "media/" in html:
            html = link_media(html, self.course.media_urls())
        self.body_html = html
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("lessons:detail", args=[self.course.slug, self.slug])

    def clean(self) -> None:
        super().clean()
        # The importer's limit too: longer text is not a lesson, and rendering it on
        # save would keep the admin waiting.
        if len(self.body_markdown) > MAX_MARKDOWN_LENGTH:
            raise ValidationError(
                {
                    "body_markdown": f"At most {MAX_MARKDOWN_LENGTH:,} characters "
                    f"(this is {len(self.body_markdown):,}): split it into several lessons."
                }
            )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None and self.retired_at is None


class LessonTranslation(Translation):
    """A lesson's texts in another language (``NN-slug.<lang>.md``)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="translations")
    body_markdown = models.TextField("body", blank=True)
    body_html = models.TextField(blank=True, editable=False)
    imported_hash = imported_hash_field("NN-slug.<lang>.md")

    markdown_field = "body_markdown"
    html_field = "body_html"

    class Meta:
        ordering = ["lesson", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "language"], name="unique_lesson_translation_language"
            )
        ]

    def translated(self) -> Lesson:
        return self.lesson

    def media_urls(self) -> dict[str, str]:
        return self.lesson.course.media_urls()


class LessonRequirement(models.Model):
    """A prerequisite inside a course: ``lesson`` opens to a learner once they
    completed ``required`` (a lesson of the same course; with at least ``min_score``
    percent in its quiz, if set). Written by the importer from a lesson file's
    ``requires:``, or in the admin; what it locks is decided by
    progress.prerequisites. No cycles: the importer and the admin refuse them."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="requirements")
    required = models.ForeignKey(
        Lesson,
        on_delete=models.CASCADE,
        related_name="required_by",
        verbose_name="required lesson",
    )
    min_score = models.PositiveSmallIntegerField(
        "minimum score",
        null=True,
        blank=True,
        help_text="A quiz score of at least this percent (1-100); empty: completing it is enough.",
    )

    class Meta:
        ordering = ["lesson", "required__position", "required_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lesson", "required"], name="unique_lesson_requirement"
            ),
            models.CheckConstraint(
                condition=~Q(lesson=models.F("required")),
                name="lesson_requirement_not_itself",
            ),
            models.CheckConstraint(
                condition=Q(min_score__isnull=True) | Q(min_score__gte=1, min_score__lte=100),
                name="lesson_requirement_score_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} requires {self.required}"

    def clean(self) -> None:
        super().clean()
        if self.lesson_id and self.required_id and self.required.course_id != self.lesson.course_id:
            raise ValidationError({"required": "Choose a lesson of the same course."})


class LessonProgress(RunRecord):
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
    archived_in = models.ForeignKey(
        "CourseCompletion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="archived_progress",
        help_text="Set when the learner started the course again: this row is an earlier run's.",
    )

    class Meta(RunRecord.Meta):
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"],
                condition=Q(archived_in__isnull=True),
                name="unique_progress_per_learner_lesson",
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


class CourseCompletionQuerySet(models.QuerySet):
    def current(self) -> "CourseCompletionQuerySet":
        """Completions of the learners' current runs (not followed by a fresh start)."""
        return self.filter(superseded_at__isnull=True)


class CourseCompletion(models.Model):
    """A learner completed a course: every lesson done and the final assessment (if
    any) passed. Written once, in the transaction of the step that finished the
    course, and never taken away by later changes to the course's content.

    ``lessons`` keeps the lessons it covered as they were (id, slug, title,
    completed at), so the record still says what was done after lessons are
    renamed, added or retired.
    """

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_completions"
    )
    # PROTECT: a completion is a record; courses are retired, not deleted.
    course = models.ForeignKey(
        "courses.Course", on_delete=models.PROTECT, related_name="completions"
    )
    run = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first time through the course, 2 after a fresh start..."
    )
    completed_at = models.DateTimeField()
    final_attempt = models.ForeignKey(
        "quizzes.Attempt",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The passing attempt at the final assessment, if the course has one.",
    )
    final_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    lessons = models.JSONField(default=list, help_text="The lessons it covered, as they were.")
    superseded_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the learner started the course again for a fresh completion.",
    )
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "The last day this completion counts (compliance training: the course's or "
            "the assignment's validity), decided when it is recorded. Empty: never expires."
        ),
    )

    objects = CourseCompletionQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course", "run"], name="one_completion_per_run"
            ),
            models.UniqueConstraint(
                fields=["learner", "course"],
                condition=Q(superseded_at__isnull=True),
                name="one_current_completion_per_course",
            ),
            models.CheckConstraint(condition=Q(run__gte=1), name="completion_run_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.course} · {self.completed_at:%Y-%m-%d}"


# Crockford's base32: no I, L, O or U, so a code read aloud or retyped is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_certificate_code() -> str:
    """12 random characters (60 bits) in three groups: ``7KQ2-M9XD-4HPA``."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return "-".join(chars[i : i + 4] for i in range(0, 12, 4))


def name_on_certificate(user) -> str:
    """The user's full name, or their username when they have none."""
    return user.get_full_name().strip() or user.get_username()


class Certificate(models.Model):
    """The proof of a completion: a page, a PDF and a public verification URL.

    The learner's name and the course title are kept as they were when it was
    issued. Revoking it (an admin, with a reason) keeps the row: it then
    verifies as revoked.
    """

    completion = models.OneToOneField(
        CourseCompletion, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=20, unique=True, editable=False)
    learner_name = models.CharField(max_length=300)
    course_title = models.CharField(max_length=200)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="certificate_revoked_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.learner_name} · {self.course_title}"

    def get_absolute_url(self) -> str:
        return reverse("certificate", args=[self.code])

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def valid_until(self) -> datetime.date | None:
        """The last day it counts (its completion's); None: it never expires."""
        return self.completion.valid_until

    @property
    def expired_on(self) -> datetime.date | None:
        """The day it stopped counting, once that day has come (the site's date)."""
        until = self.valid_until
        if until is None or until >= timezone.localdate():
            return None
        return until + datetime.timedelta(days=1)

    @property
    def is_expired(self) -> bool:
        return self.expired_on is not None

    @property
    def is_valid(self) -> bool:
        """Neither revoked nor expired."""
        return not self.is_revoked and not self.is_expired
