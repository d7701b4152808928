"""Importing learning paths (``content/paths/<slug>.md``, authoring.path_files) with the
courses of the same folder, in the same transaction (authoring.importing).

A path is judged like a course (authoring.importing's ``_Plan.judge``: the recorded,
database and file hashes): the files win where only they changed, an admin's edit is
kept where only the database changed, a change on both sides is a conflict that stops
the whole import before anything is written. Its courses must be courses of the
import or of the database (an unknown slug is an error at its line). A path new in
the files is published as it is created, as a course is; a path only in the admin
is left alone. After the write, the path completions the path's courses already make
due are recorded (paths.services.record_due_path_completions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import cast

from django.utils import timezone

from authoring.content_files import CourseSource
from authoring.importing import KEEP, TAKE, Conflict, _Item, _Plan, _save
from authoring.path_files import PathSource, path_fields, path_hash
from courses.content_errors import ContentError
from courses.models import Course
from paths.models import Path
from paths.services import record_due_path_completions, set_path_courses


@dataclass
class PathImportReport:
    slug: str
    created: bool = False
    updated: bool = False
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.created or self.updated

    def summary(self) -> str:
        what = "created" if self.created else "updated" if self.updated else "unchanged"
        return f"path {self.slug}: {what}"


@dataclass
class PathPlan:
    source: PathSource
    item: _Item
    notes: list[str]
    conflicts: list[Conflict]


def course_problems(paths: Iterable[PathSource], importing: Iterable[str]) -> list[ContentError]:
    """Each course a path names must be in this import or in the database."""
    known = set(importing) | set(Course.objects.values_list("slug", flat=True))
    return [
        ContentError(
            source.path,
            f"'courses' names '{course.slug}', which is no course of this import or of the "
            "site (a course is a folder with a course.md)",
            course.line,
        )
        for source in paths
        for course in source.courses
        if course.slug not in known
    ]


def plan_path(source: PathSource, theirs: bool) -> PathPlan:
    """What importing one path will do, decided before anything is written."""
    row = Path.objects.select_for_update().filter(slug=source.slug).first()
    if row is None:
        return PathPlan(source, _Item(None, path_hash(source)), [], [])
    # The course importer's judgement: it reads only the source's slug.
    judge = _Plan(cast(CourseSource, source), theirs)
    item = judge.judge("path", row, path_hash(row), path_hash(source))
    return PathPlan(source, item, judge.notes, judge.conflicts)


def write_path(plan: PathPlan) -> PathImportReport:
    """Carry out a plan: the path's texts and its courses in the files' order."""
    source, item = plan.source, plan.item
    report = PathImportReport(source.slug, notes=[f"path {note}" for note in plan.notes])
    courses = _courses(source)
    path = item.row
    if path is None:
        path = Path.objects.create(
            slug=source.slug,
            published_at=timezone.now(),
            imported_hash=item.file_hash,
            **path_fields(source),
        )
        set_path_courses(path, courses)
        report.created = True
    elif item.action == TAKE:
        report.updated = _save(path, item, path_fields(source))
        report.updated = set_path_courses(path, courses) or report.updated
    elif item.action != KEEP:
        _save(path, item, {})  # records the hash when the two sides agree
    recorded = record_due_path_completions(path)
    if recorded:
        report.notes.append(
            f"path {source.slug}: recorded {recorded} path completion"
            f"{'s' if recorded != 1 else ''} that its courses' completions made due"
        )
    return report


def _courses(source: PathSource) -> list[Course]:
    by_slug = Course.objects.in_bulk([course.slug for course in source.courses], field_name="slug")
    return [by_slug[course.slug] for course in source.courses]
