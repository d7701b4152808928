import uuid
from pathlib import PurePosixPath
from typing import ClassVar

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.urls import reverse

from courses.markdown import MAX_MARKDOWN_LENGTH, link_media, render_markdown
from courses.storage import remove_if_unnamed
from courses.translations import validate_language, validate_quiz_texts


class Visibility(models.TextChoices):
    OPEN = "open", "Open: any learner may start it from the catalogue"
    ASSIGNED = "assigned", "Assigned only: visible to those it is assigned to"


def new_content_version() -> str:
    """A fresh, never reused token for Course.content_version."""
    return uuid.uuid4().hex


def imported_hash_field(file_name: str) -> models.CharField:
    """The hash of the file a row was last imported from (``file_name``, as people
    know it): the importer's conflict check."""
    return models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text=f"Hash of {file_name} as last imported (import conflict check).",
    )


def quiz_texts_field(verbose_name: str) -> models.JSONField:
    """A translation's texts of its quiz, by question id (courses.translations)."""
    return models.JSONField(
        verbose_name,
        default=dict,
        blank=True,
        validators=[validate_quiz_texts],
        help_text='By question id: {"q1": {"prompt": "…", "explanation": "…", '
        '"choices": [{"text": "…", "feedback": "…"}], "accept": ["…"]}}.',
    )


class CourseQuerySet(models.QuerySet):
    def content_changed(self) -> str:
        """Give these courses a new content_version (returned): their lessons or
        quizzes changed (progress.structure). A single UPDATE, so call it after the
        change, in its transaction."""
        version = new_content_version()
        self.update(content_version=version)
        return version

    def published(self) -> "CourseQuerySet":
        """Courses learners may see at all (the rule "a course is published"; drafts
        have no publication date). Who may see which one: :meth:`visible_to`."""
        return self.filter(published_at__isnull=False)

    def visible_to(self, user) -> "CourseQuerySet":
        """Open courses, and assigned-only courses assigned to the user (directly or
        through a team). Staff who manage content see every course."""
        published = self.published()
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
    valid_for_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=(
            "How long a completion counts, in months (compliance training: 12 for a "
            "yearly course). Empty: completions never expire."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    imported_hash = imported_hash_field("course.md")

    # What every learner of the course sees alike (its published lessons and quizzes)
    # is cached under this token (progress.structure). It is in the row every page
    # reads anyway, so each app server agrees on it at no cost. A new token is written
    # by every save() and after every change to the course's lessons and quizzes;
    # tokens are never reused, so a cache entry can only go unused, never be wrong.
    # (db_default: rows written by older code, such as historical models in
    # migrations, get an empty token until their first change.)
    content_version = models.CharField(
        max_length=32, default=new_content_version, db_default="", editable=False
    )

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_for_months__isnull=True)
                | models.Q(valid_for_months__gte=1),
                name="course_valid_for_at_least_a_month",
            ),
        ]
        # Custom permissions (the Trainers group's): they open no page of the admin.
        permissions = [
            ("view_dashboard", "Can follow learners' progress on the dashboard"),
            ("assign_courses", "Can assign courses to the teams they train, on the trainer pages"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Rendered once here, so pages never run Markdown per request.
        html = render_markdown(self.introduction_markdown)
        self.introduction_html = link_media(html, self.media_urls() if self.pk else {})
        # Never write back the token this instance was read with: an import may have
        # changed the lessons (and the token) since.
        self.content_version = new_content_version()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "content_version"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("courses:detail", args=[self.slug])

    def is_visible_to(self, user) -> bool:
        """CourseQuerySet.visible_to for this one course, without building its query
        when the answer needs none: a published open course is visible to everyone
        signed in, and every published course to a superuser. Only an assigned-only
        course asks the database (tests/test_visibility.py checks they agree)."""
        if self.published_at is None:
            return False
        if user.is_superuser or self.visibility == Visibility.OPEN:
            return True
        return Course.objects.visible_to(user).filter(pk=self.pk).exists()

    def media_urls(self) -> dict[str, str]:
        """Where each of the course's media files is served, by its path (media/...)."""
        return {media.path: media.url for media in MediaFile.objects.filter(course=self)}


class Translation(models.Model):
    """What a course's and a lesson's texts in another language have in common: the
    language, a title, the quiz's texts, and one Markdown text (``markdown_field``)
    rendered into ``html_field`` when saved, its media linked, and held to the
    importer's length limit. What a learner sees of it is decided by
    courses.translations.shown.

    Each model keeps its own table, foreign key, related name and constraint names,
    and declares its ``imported_hash`` with the name of its file
    (:func:`imported_hash_field`)."""

    language = models.CharField(max_length=10, validators=[validate_language])
    title = models.CharField(max_length=200, blank=True)
    quiz_texts = quiz_texts_field("quiz texts")
    updated_at = models.DateTimeField(auto_now=True)

    markdown_field: ClassVar[str]
    html_field: ClassVar[str]

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.translated()} ({self.language})"

    def save(self, *args, **kwargs) -> None:
        html = render_markdown(getattr(self, self.markdown_field))
        if "media/" in html:
            html = link_media(html, self.media_urls())
        setattr(self, self.html_field, html)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if len(getattr(self, self.markdown_field)) > MAX_MARKDOWN_LENGTH:
            raise ValidationError(
                {self.markdown_field: f"At most {MAX_MARKDOWN_LENGTH:,} characters."}
            )

    def translated(self) -> models.Model:
        """The course or lesson this translates."""
        raise NotImplementedError

    def media_urls(self) -> dict[str, str]:
        """The served addresses of its course's media (Course.media_urls)."""
        raise NotImplementedError


class CourseTranslation(Translation):
    """A course's texts in another language (``course.<lang>.md``)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="translations")
    description = models.CharField(max_length=300, blank=True)
    introduction_markdown = models.TextField("introduction", blank=True)
    introduction_html = models.TextField(blank=True, editable=False)
    quiz_texts = quiz_texts_field("final assessment texts")
    imported_hash = imported_hash_field("course.<lang>.md")

    markdown_field = "introduction_markdown"
    html_field = "introduction_html"

    class Meta:
        ordering = ["course", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "language"], name="unique_course_translation_language"
            )
        ]

    def translated(self) -> Course:
        return self.course

    def media_urls(self) -> dict[str, str]:
        return self.course.media_urls()


MIN_SCORE_HELP = "A final score of at least this percent (1-100); empty: completing it is enough."


class CourseRequirement(models.Model):
    """A prerequisite: ``course`` opens to a learner once they completed ``required``
    (with at least ``min_score`` percent in its final assessment, if set). Written
    by the importer from ``requires:`` in course.md, or in the admin; what it locks
    is decided by progress.prerequisites. No cycles: the importer and the admin
    refuse them (authoring.requirements)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="requirements")
    required = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="required_by",
        verbose_name="required course",
    )
    min_score = models.PositiveSmallIntegerField(
        "minimum score", null=True, blank=True, help_text=MIN_SCORE_HELP
    )

    class Meta:
        ordering = ["course", "required__slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "required"], name="unique_course_requirement"
            ),
            models.CheckConstraint(
                condition=~models.Q(course=models.F("required")),
                name="course_requirement_not_itself",
            ),
            models.CheckConstraint(
                condition=models.Q(min_score__isnull=True)
                | models.Q(min_score__gte=1, min_score__lte=100),
                name="course_requirement_score_1_to_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course} requires {self.required}"


def _stored_name(media: "MediaFile", name: str) -> str:
    # By course and content: a changed file gets a new name, so a cached copy of the
    # old one is never taken for it; the original name is kept for people.
    return f"course-media/{media.course_id}/{media.content_hash[:16]}-{PurePosixPath(name).name}"


class MediaFile(models.Model):
    """An image or document of a course, referenced from its Markdown as media/...;
    checked by courses.media.check_media before it is stored, and served by
    courses:media to those who may see the course."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="media_files")
    path = models.CharField(
        max_length=200,
        help_text="Its path in the course folder, as lessons write it: media/receipt.png.",
    )
    file = models.FileField(upload_to=_stored_name, max_length=300)
    content_type = models.CharField(max_length=100, editable=False)
    size = models.PositiveIntegerField(editable=False)
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    content_hash = models.CharField(
        max_length=64, editable=False, help_text="SHA-256 of the file as stored."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "path"]
        constraints = [
            models.UniqueConstraint(fields=["course", "path"], name="unique_media_path_per_course")
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def url(self) -> str:
        """The served address, versioned by content so browsers may cache it for good."""
        name = self.path.removeprefix("media/")
        address = reverse("courses:media", args=[self.course.slug, name])
        return f"{address}?v={self.version}"

    @property
    def version(self) -> str:
        return self.content_hash[:16]


@receiver(post_delete, sender=MediaFile)
def _delete_stored_file(sender, instance: MediaFile, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_unused_file(name), robust=True)


def delete_unused_file(name: str) -> None:
    """Remove a stored file no media row uses any more (after the change committed); a
    file that cannot be removed is logged and left to ``manage.py cleanup_media``."""
    remove_if_unnamed(name)
