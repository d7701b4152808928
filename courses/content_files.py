"""Read and validate course content from Markdown files, without touching the database.

Layout: ``<root>/<course-slug>/course.md`` plus one ``NN-<lesson-slug>.md`` per
lesson. Each file starts with YAML front matter between two ``---`` lines.
Every problem is reported as a :class:`ContentError` naming the file and,
where known, the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from courses.content_errors import ContentError, ContentInvalid
from quizzes.content_files import QuizSource, read_quiz

COURSE_FILE = "course.md"
LESSON_FILE = re.compile(r"^(?P<number>\d+)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER_FENCE = "---"

COURSE_KEYS = {"title", "description", "visibility", "quiz"}
VISIBILITIES = ("open", "assigned")
LESSON_KEYS = {"title", "minutes", "quiz"}
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 300


@dataclass(frozen=True)
class LessonSource:
    path: Path
    number: int
    slug: str
    title: str
    minutes: int | None
    body: str
    quiz: QuizSource | None = None


@dataclass(frozen=True)
class CourseSource:
    path: Path
    slug: str
    title: str
    description: str
    introduction: str
    lessons: list[LessonSource] = field(default_factory=list)
    visibility: str = "open"
    final_assessment: QuizSource | None = None


@dataclass(frozen=True)
class _Document:
    front_matter: dict[str, Any]
    lines: dict[tuple, int]  # line of every key and item, by its path in the front matter
    body: str

    @property
    def key_lines(self) -> dict[str, int]:
        return {str(path[0]): line for path, line in self.lines.items() if len(path) == 1}


def read_content(root: Path) -> list[CourseSource]:
    """Read every course below ``root`` (or ``root`` itself if it is one course folder).

    Raises :class:`ContentInvalid` listing every problem; returns nothing partial.
    """
    root = Path(root)
    if not root.is_dir():
        raise ContentInvalid([ContentError(root, "not a folder")])
    if (root / COURSE_FILE).is_file():
        folders = [root]
    else:
        folders = sorted(
            p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
        )
    errors: list[ContentError] = []
    courses = [course for folder in folders if (course := _read_course(folder, errors))]
    if not folders:
        errors.append(ContentError(root, f"no course folders (each needs a {COURSE_FILE})"))
    if errors:
        raise ContentInvalid(errors)
    return courses


def _read_course(folder: Path, errors: list[ContentError]) -> CourseSource | None:
    course_path = folder / COURSE_FILE
    first_error = len(errors)
    if not SLUG.match(folder.name):
        errors.append(
            ContentError(
                folder,
                "folder name must be a slug: lower-case letters, digits and single hyphens",
            )
        )
    if not course_path.is_file():
        errors.append(ContentError(folder, f"missing {COURSE_FILE}"))
        return None

    document = _read_document(course_path, errors)
    title = description = final_assessment = None
    visibility = "open"
    if document:
        _check_keys(course_path, document, COURSE_KEYS, errors)
        title = _required_text(course_path, document, "title", MAX_TITLE_LENGTH, errors)
        description = _optional_text(
            course_path, document, "description", MAX_DESCRIPTION_LENGTH, errors
        )
        final_assessment = _quiz(course_path, document, errors)
        visibility = document.front_matter.get("visibility", "open")
        if visibility not in VISIBILITIES:
            errors.append(
                ContentError(
                    course_path,
                    f"'visibility' must be one of: {', '.join(VISIBILITIES)}",
                    document.key_lines.get("visibility"),
                )
            )

    lessons = _read_lessons(folder, errors)
    if not lessons and not any(e.path.parent == folder for e in errors[first_error:]):
        errors.append(
            ContentError(course_path, "the course has no lessons (add files named NN-slug.md)")
        )
    if len(errors) > first_error or document is None or title is None:
        return None
    return CourseSource(
        path=folder,
        slug=folder.name,
        title=title,
        description=description or "",
        introduction=document.body,
        lessons=lessons,
        final_assessment=final_assessment,
        visibility=visibility,
    )


def _read_lessons(folder: Path, errors: list[ContentError]) -> list[LessonSource]:
    lessons: list[LessonSource] = []
    by_number: dict[int, Path] = {}
    by_slug: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name == COURSE_FILE or path.suffix != ".md" or path.name.startswith("."):
            continue
        match = LESSON_FILE.match(path.name)
        if not match:
            errors.append(
                ContentError(
                    path,
                    "lesson file names must look like 01-lesson-slug.md "
                    "(a number, a hyphen, a lower-case slug)",
                )
            )
            continue
        number, slug = int(match["number"]), match["slug"]
        if number in by_number:
            errors.append(
                ContentError(
                    path, f"lesson number {number} is also used by {by_number[number].name}"
                )
            )
        if slug in by_slug:
            errors.append(
                ContentError(path, f"lesson slug '{slug}' is also used by {by_slug[slug].name}")
            )
        by_number.setdefault(number, path)
        by_slug.setdefault(slug, path)

        document = _read_document(path, errors)
        if document is None:
            continue
        _check_keys(path, document, LESSON_KEYS, errors)
        title = _required_text(path, document, "title", MAX_TITLE_LENGTH, errors)
        minutes = _optional_minutes(path, document, errors)
        quiz = _quiz(path, document, errors)
        if title is not None:
            lessons.append(LessonSource(path, number, slug, title, minutes, document.body, quiz))
    return sorted(lessons, key=lambda lesson: lesson.number)


def _read_document(path: Path, errors: list[ContentError]) -> _Document | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        errors.append(ContentError(path, f"cannot read the file: {exc.strerror or exc}"))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        errors.append(
            ContentError(
                path, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", line
            )
        )
        return None
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        errors.append(ContentError(path, "missing front matter: the first line must be '---'", 1))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE)
    except StopIteration:
        errors.append(
            ContentError(path, "front matter is not closed: add a line '---' after it", 1)
        )
        return None
    yaml_text = "\n".join(lines[1:end])
    try:
        node = yaml.compose(yaml_text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 2 if mark is not None else 2  # +1 for 1-based, +1 for the fence
        errors.append(ContentError(path, f"front matter is not valid YAML: {problem}", line))
        return None
    if not isinstance(data, dict):
        errors.append(
            ContentError(path, "front matter must be 'key: value' lines (a YAML mapping)", 2)
        )
        return None
    body = "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    return _Document(data, _node_lines(node), body)


def _node_lines(node: yaml.Node | None, path: tuple = ()) -> dict[tuple, int]:
    """File line of each mapping key and sequence item (+2: 1-based, after the fence)."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            lines[(*path, key.value)] = key.start_mark.line + 2
            lines.update(_node_lines(value, (*path, key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 2
            lines.update(_node_lines(item, (*path, index)))
    return lines


def _quiz(path: Path, document: _Document, errors: list[ContentError]) -> QuizSource | None:
    if document.front_matter.get("quiz") is None:
        return None
    return read_quiz(path, document.front_matter["quiz"], document.lines, errors)


def _check_keys(
    path: Path, document: _Document, allowed: set[str], errors: list[ContentError]
) -> None:
    for key in document.front_matter:
        if str(key) not in allowed:
            errors.append(
                ContentError(
                    path,
                    f"unknown front matter key '{key}' (allowed: {', '.join(sorted(allowed))})",
                    document.key_lines.get(str(key)),
                )
            )


def _required_text(
    path: Path, document: _Document, key: str, max_length: int, errors: list[ContentError]
) -> str | None:
    if key not in document.front_matter:
        errors.append(ContentError(path, f"front matter has no '{key}'", 1))
        return None
    return _optional_text(path, document, key, max_length, errors, required=True)


def _optional_text(
    path: Path,
    document: _Document,
    key: str,
    max_length: int,
    errors: list[ContentError],
    required: bool = False,
) -> str | None:
    value = document.front_matter.get(key)
    line = document.key_lines.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        errors.append(ContentError(path, f"'{key}' must be text", line))
        return None
    text = " ".join(str(value).split())
    if required and not text:
        errors.append(ContentError(path, f"'{key}' is empty", line))
        return None
    if len(text) > max_length:
        errors.append(ContentError(path, f"'{key}' is longer than {max_length} characters", line))
        return None
    return text


def _optional_minutes(path: Path, document: _Document, errors: list[ContentError]) -> int | None:
    value = document.front_matter.get("minutes")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 600:
        errors.append(
            ContentError(
                path,
                "'minutes' must be a whole number of minutes between 1 and 600",
                document.key_lines.get("minutes"),
            )
        )
        return None
    return value
