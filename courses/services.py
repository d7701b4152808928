"""Importing course content from Markdown files into the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from courses.content_files import CourseSource, LessonSource, read_content
from courses.models import Course
from lessons.models import Lesson


@dataclass
class CourseImportReport:
    slug: str
    course_created: bool = False
    course_updated: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.course_created
            or self.course_updated
            or self.created
            or self.updated
            or self.retired
        )

    def summary(self) -> str:
        if self.course_created:
            what = "created"
        elif self.changed:
            what = "updated"
        else:
            what = "unchanged"
        return (
            f"{self.slug}: course {what}; lessons: {len(self.created)} created, "
            f"{len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.retired)} retired"
        )


def import_content(root: Path) -> list[CourseImportReport]:
    """Validate every file below ``root`` first, then import each course atomically.

    Raises ``ContentInvalid`` before writing anything if any file is bad.
    """
    return [import_course(source) for source in read_content(root)]


@transaction.atomic
def import_course(source: CourseSource) -> CourseImportReport:
    """Create or update one course and its lessons from their source files.

    A lesson's identity is its slug, so reordering or retitling keeps every
    learner's progress. Lessons missing from the source are retired, not deleted.
    """
    report = CourseImportReport(slug=source.slug)
    course = Course.objects.select_for_update().filter(slug=source.slug).first()
    course_fields = {
        "title": source.title,
        "description": source.description,
        "introduction_markdown": source.introduction,
    }
    if course is None:
        course = Course.objects.create(slug=source.slug, **course_fields)
        report.course_created = True
    elif _apply(course, course_fields):
        course.save()
        report.course_updated = True

    existing = {lesson.slug: lesson for lesson in Lesson.objects.filter(course=course)}
    for position, lesson_source in enumerate(source.lessons, start=1):
        lesson = existing.pop(lesson_source.slug, None)
        fields = _lesson_fields(lesson_source, position)
        if lesson is None:
            Lesson.objects.create(course=course, slug=lesson_source.slug, **fields)
            report.created.append(lesson_source.slug)
        elif _apply(lesson, fields):
            lesson.save()
            report.updated.append(lesson_source.slug)
        else:
            report.unchanged.append(lesson_source.slug)

    now = timezone.now()
    for lesson in existing.values():
        if lesson.retired_at is None:
            lesson.retired_at = now
            lesson.save(update_fields=["retired_at", "updated_at"])
            report.retired.append(lesson.slug)
    return report


def _lesson_fields(source: LessonSource, position: int) -> dict:
    return {
        "title": source.title,
        "position": position,
        "minutes": source.minutes,
        "body_markdown": source.body,
        "retired_at": None,  # a lesson back on disk is published again
    }


def _apply(instance, values: dict) -> bool:
    """Set the values that differ; say whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed
