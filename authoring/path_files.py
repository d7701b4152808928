"""Learning paths in the content format: ``content/paths/<slug>.md``, read, hashed and
written back.

```markdown
---
title: Customer service
description: One sentence shown with the path (optional, up to 300 characters).
courses: [who-is-your-customer, customer-service-check-up]
---
The path's introduction, in Markdown.
```

The file name (without ``.md``) is the path's slug and stable identity; ``courses``
lists course slugs in the order learners take them. Files are read as course files
are (authoring.content_files: the same limits, front matter checks and errors naming
the file and line); whether each course exists is checked when the path is imported
(authoring.path_import), against the courses of the import and of the database.
A folder of courses is read with its ``paths/`` folder; ``paths`` is not a course.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authoring.content_files import (
    PATHS_FOLDER,
    SLUG,
    _check_body,
    _check_keys,
    _Document,
    _guarded,
    _optional_text,
    _read_document,
    _Reader,
    _required_text,
)
from authoring.content_hash import _digest
from authoring.export import _front_matter, _OneLine
from courses.content_errors import ContentError, ContentInvalid, max_length
from courses.markdown import media_references
from paths.models import Path as LearningPath
from paths.services import course_slugs

PATH_KEYS = {"title", "description", "courses"}
PATH_FIELDS = ("title", "description", "introduction_markdown")


@dataclass(frozen=True)
class PathCourseSource:
    """One item of ``courses:``: a course slug and its line in the file."""

    slug: str
    line: int | None = None


@dataclass(frozen=True)
class PathSource:
    path: Path  # the file
    slug: str
    title: str
    description: str
    introduction: str
    courses: tuple[PathCourseSource, ...]


def read_paths(root: Path) -> list[PathSource]:
    """Every path file of ``root/paths/`` (none when ``root`` is one course's folder or
    has no such folder). Raises ContentInvalid listing every problem."""
    root = Path(root)
    folder = root / PATHS_FOLDER
    if os.path.lexists(root / "course.md") or not os.path.lexists(folder):
        return []
    errors: list[ContentError] = []
    reader = _Reader(root.resolve(), errors)
    if not reader.is_folder(folder):
        if not errors:
            errors.append(ContentError(folder, "paths must be a folder of <slug>.md files"))
        raise ContentInvalid(errors)
    found = []
    for file in sorted(folder.iterdir()):
        if file.name.startswith(".") or reader.over_budget:
            continue
        slug = file.name.removesuffix(".md")
        if problem := _name_problem(file, slug):
            errors.append(ContentError(file, problem))
            continue
        source = _guarded(file, errors, lambda f=file, s=slug: _read_path(f, s, reader))
        if source is not None:
            found.append(source)
    if errors:
        raise ContentInvalid(errors)
    return found


def _name_problem(file: Path, slug: str) -> str | None:
    if not file.name.endswith(".md") or file.is_dir():
        return "the paths folder holds one <path-slug>.md file per learning path, nothing else"
    if not is_slug(slug):
        return "a path's file name must be a slug: lower-case letters, digits and single hyphens"
    if len(slug) > max_length(LearningPath, "slug"):
        return f"the path's slug is longer than {max_length(LearningPath, 'slug')} characters"
    return None


def is_slug(text: str) -> bool:
    """Lower-case letters, digits and single hyphens, as a course's folder name."""
    return SLUG.fullmatch(text) is not None


def _read_path(file: Path, slug: str, reader: _Reader) -> PathSource | None:
    errors = reader.errors
    first_error = len(errors)
    document = _read_document(file, reader)
    if document is None:
        return None
    _check_keys(file, document, PATH_KEYS, errors)
    title = _required_text(file, document, "title", max_length(LearningPath, "title"), errors)
    limit = max_length(LearningPath, "description")
    description = _optional_text(file, document, "description", limit, errors) or ""
    _check_body(file, document, errors)
    _check_no_media(file, document, errors)
    courses = _read_courses(file, document, errors)
    if title is None or len(errors) > first_error:
        return None
    return PathSource(file, slug, title, description, document.body, courses)


def _check_no_media(file: Path, document: _Document, errors: list[ContentError]) -> None:
    """A path has no media folder: an image without alt text, a bad video line or a
    media/... file in its introduction is an error at its line."""
    references, problems = media_references(document.body)
    first = document.body_line - 1
    for problem in problems:
        errors.append(ContentError(file, problem.message, first + problem.line))
    for reference in references:
        message = f"{reference.target}: a path has no media folder; show media in its courses"
        errors.append(ContentError(file, message, first + reference.line))


def _read_courses(
    file: Path, document: _Document, errors: list[ContentError]
) -> tuple[PathCourseSource, ...]:
    """``courses: [slug, …]``: a list of course slugs, each once."""
    value = document.front_matter.get("courses")
    key_line = document.key_lines.get("courses", 1)
    if value is None:
        errors.append(ContentError(file, "front matter has no 'courses'", 1))
        return ()
    if not isinstance(value, list) or not value:
        message = "'courses' must be a list of course slugs: courses: [induction, till-training]"
        errors.append(ContentError(file, message, key_line))
        return ()
    found: list[PathCourseSource] = []
    for index, item in enumerate(value):
        line = document.lines.get(("courses", index), key_line)
        if not isinstance(item, str) or not is_slug(item):
            errors.append(
                ContentError(file, f"'courses' item {index + 1} is not a course slug", line)
            )
        elif any(other.slug == item for other in found):
            errors.append(ContentError(file, f"'courses' names course '{item}' twice", line))
        else:
            found.append(PathCourseSource(item, line))
    return tuple(found)


# The hash and the fields: the same from a file and from a row ----------------------------


def path_fields(source: PathSource) -> dict[str, Any]:
    values = (source.title, source.description, source.introduction)
    return dict(zip(PATH_FIELDS, values, strict=True))


def path_hash(path: LearningPath | PathSource) -> str:
    """Title, description, introduction and the courses in order (by slug)."""
    if isinstance(path, PathSource):
        fields = path_fields(path)
        courses = [course.slug for course in path.courses]
    else:
        fields = {name: getattr(path, name) for name in PATH_FIELDS}
        courses = course_slugs(path)
    return _digest({**fields, "courses": courses})


# Export ---------------------------------------------------------------------------------


def export_path(path: LearningPath, root: Path) -> Path:
    """Write ``root/paths/<slug>.md`` in the canonical form; return it."""
    folder = Path(root) / PATHS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    header: dict[str, Any] = {"title": path.title}
    if path.description:
        header["description"] = path.description
    header["courses"] = _OneLine(course_slugs(path))
    file = folder / f"{path.slug}.md"
    file.write_text(_front_matter(header, path.introduction_markdown), encoding="utf-8")
    return file
