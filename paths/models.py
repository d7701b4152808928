"""Learning paths (issue 23): an ordered set of courses, with its own progress
("Course 2 of 4", paths.rules), completion and certificate.

A path is content like a course: written as ``content/paths/<slug>.md`` and imported
(authoring), or made in the admin; a draft (no ``published_at``) is seen by nobody.
Which courses it holds, in order, are its :class:`PathCourse` rows.

A :class:`PathCompletion` is recorded when a learner's course completion completes
the path (paths.services); it is a record, like lessons.CourseCompletion, and its
:class:`PathCertificate` is the proof, with the same kind of code and a public check.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courses.markdown import render_markdown
from courses.models import imported_hash_field


class PathQuerySet(models.QuerySet):
    def published(self) -> PathQuerySet:
        """Paths learners may see at all (drafts have no publication date)."""
        return self.filter(published_at__isnull=False)


class Path(models.Model):
    slug = models.SlugField(
        max_length=100,
        unique=True,
        help_text="Stable identity of the path: its file name in content/paths/.",
    )
    title = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    introduction_markdown = models.TextField("introduction", blank=True)
    introduction_html = models.TextField(blank=True, editable=False)
    published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Empty while the path is a draft; learners never see drafts.",
    )
    courses = models.ManyToManyField(
        "courses.Course", through="PathCourse", related_name="paths", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    imported_hash = imported_hash_field("paths/<slug>.md")

    objects = PathQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendered once here, so pages never run Markdown per request.
        self.introduction_html = render_markdown(self.introduction_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("paths:detail", args=[self.slug])


class PathCourse(models.Model):
    """One course of a path, at its place (1, 2, ...)."""

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="path_steps"
    )
    position = models.PositiveIntegerField(help_text="Order in the path (1 first).")

    class Meta:
        ordering = ["path", "position"]
        constraints = [
            models.UniqueConstraint(fields=["path", "course"], name="one_place_per_course_in_path"),
            models.UniqueConstraint(fields=["path", "position"], name="one_course_per_path_place"),
        ]

    def __str__(self) -> str:
        return f"{self.path} · {self.position}. {self.course}"


class PathCompletion(models.Model):
    """A learner completed a path: each of its courses has a completion of theirs that
    counts (current, not expired) at the moment the last of them was recorded.
    Written once per course completion that completes the path (``completed_by``),
    never taken away. ``courses`` keeps what it covered as it was (slug, title, the
    course completion and its date), so the record still says what was done after
    the path changes."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="path_completions"
    )
    # PROTECT: a completion is a record; paths go back to draft, they are not deleted.
    path = models.ForeignKey(Path, on_delete=models.PROTECT, related_name="completions")
    run = models.PositiveSmallIntegerField(
        default=1, help_text="1 the first time the path is completed, 2 the next..."
    )
    completed_at = models.DateTimeField()
    completed_by = models.ForeignKey(
        "lessons.CourseCompletion",
        on_delete=models.PROTECT,
        related_name="path_completions",
        help_text="The course completion that completed the path (its last course).",
    )
    courses = models.JSONField(default=list, help_text="The courses it covered, as they were.")
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text=(
            "The last day it counts: the earliest last day of its course completions. "
            "Empty: never expires."
        ),
    )

    class Meta:
        ordering = ["-completed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "path", "run"], name="one_path_completion_per_run"
            ),
            models.UniqueConstraint(
                fields=["path", "completed_by"], name="one_path_completion_per_course_completion"
            ),
            models.CheckConstraint(condition=Q(run__gte=1), name="path_completion_run_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.path} · {self.completed_at:%Y-%m-%d}"


class PathCertificate(models.Model):
    """The proof of a path completion: a page, a PDF and a public check, with a code
    of the same scheme as a course certificate's (lessons.models.new_certificate_code).
    The learner's name and the path title are kept as they were when it was issued.
    Revoking it (an admin, with a reason) keeps the row: it then verifies as revoked."""

    completion = models.OneToOneField(
        PathCompletion, on_delete=models.PROTECT, related_name="certificate"
    )
    code = models.CharField(max_length=20, unique=True, editable=False)
    learner_name = models.CharField(max_length=300)
    path_title = models.CharField(max_length=200)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-issued_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | ~Q(revoked_reason=""),
                name="path_certificate_revoked_with_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.learner_name} · {self.path_title}"

    def get_absolute_url(self) -> str:
        return reverse("paths:certificate", args=[self.code])

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
