"""Read and validate course content from Markdown files, without touching the database.

Layout: ``<root>/<course-slug>/course.md`` plus one ``NN-<lesson-slug>.md`` per
lesson. Each file starts with YAML front matter between two ``---`` lines.
Every problem is reported as a :class:`ContentError` naming the file and,
where known, the line.

A content folder may come from anywhere (a pull request, an archive), so reading
it can neither crash, hang nor reach outside it, and whatever passes validation
fits the database:

* only regular files inside the folder are read: a symbolic link must point to a
  file or folder inside it; named pipes, devices, sockets and folders named like
  lessons are refused without being opened for reading (a pipe would block);
* at most ``MAX_FILE_BYTES`` per file (a bounded read, so a link to /dev/zero or a
  file that grows while read cannot load more) and ``MAX_PACK_BYTES`` in all;
* front matter is YAML without anchors and aliases (an alias bomb expands to
  gigabytes) nested at most ``MAX_YAML_DEPTH`` deep, at most
  ``MAX_FRONT_MATTER_CHARS`` long;
* every text fits its column (lengths come from the models' ``max_length``),
  every number its integer column, and no text holds a control character or a
  lone surrogate; a lesson body or introduction is at most ``MAX_MARKDOWN_LENGTH``
  characters;
* any other error while reading a file (a number too long to convert, a date
  that does not exist, a recursion limit) is reported against that file.

Media: the files below ``<course>/media/`` (at most 3 folders deep) are images,
PDFs and text files that lessons show or link to as ``media/...``. Each is read
within ``settings.LESSON_MEDIA_MAX_BYTES`` (and all of them within
``MAX_MEDIA_PACK_BYTES``) and checked by ``courses.media.check_media`` (type from the
content, SVG refused, wide images scaled down). A lesson or introduction that
shows an image without alt text, names a media file the folder does not hold, or
has a video line that shows no video is an error at its line.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from yaml.constructor import ConstructorError

from authoring.quiz_files import QuizSource, read_quiz, read_quiz_texts
from authoring.requirements import Owner, RequirementSource, check_requirements, read_requires
from courses.content_errors import (
    ContentError,
    ContentInvalid,
    integer_range,
    max_length,
    text_problem,
)
from courses.markdown import MAX_MARKDOWN_LENGTH, media_references
from courses.media import MEDIA_FOLDER, Media, MediaProblem, check_media, path_problem
from courses.models import Course, CourseTranslation
from courses.translations import translation_languages
from lessons.models import Lesson, LessonTranslation

__all__ = [
    "ContentError",
    "ContentInvalid",
    "CourseSource",
    "LessonSource",
    "MediaSource",
    "TranslationSource",
    "read_content",
]

COURSE_FILE = "course.md"
PATHS_FOLDER = "paths"  # content/paths/<slug>.md: learning paths, not a course
LESSON_FILE = re.compile(r"^(?P<number>\d+)-(?P<slug>[a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FRONT_MATTER_FENCE = "---"
# A translation: course.de.md, 01-welcome.de.md (the language is checked when read).
TRANSLATED_FILE = re.compile(
    r"^(?P<stem>course|\d+-[a-z0-9]+(?:-[a-z0-9]+)*)\.(?P<language>[^.]+)\.md$"
)

COURSE_KEYS = {"title", "description", "visibility", "valid_for", "requires", "quiz"}
VISIBILITIES = ("open", "assigned")
LESSON_KEYS = {"title", "minutes", "requires", "quiz"}
# A translation holds texts only; the settings stay in the base file.
COURSE_TRANSLATION_KEYS = {"title", "description", "quiz"}
LESSON_TRANSLATION_KEYS = {"title", "quiz"}
MAX_MINUTES = 600
# valid_for: how long a completion counts, "12 months" or "2 years", stored in months.
VALID_FOR = re.compile(r"^(?P<count>\d{1,4}) +(?P<unit>months?|years?)$")
MAX_VALID_FOR_MONTHS = 120

MAX_FILE_BYTES = 1024 * 1024
MAX_PACK_BYTES = 20 * 1024 * 1024
MAX_FILES = 5_000  # files read in one import
MAX_MEDIA_PACK_BYTES = 500 * 1024 * 1024  # media read in one import (held in memory)
MAX_MEDIA_DEPTH = 3  # folders inside media/
MAX_FRONT_MATTER_CHARS = 100_000  # PyYAML parses about 100 KB a second at worst
MAX_YAML_DEPTH = 20

# Errors Python raises on hostile input while a file is read and checked
# (RecursionError, MemoryError, UnicodeError, ValueError, OverflowError...): each is
# reported against its file, with its type, never as a traceback.
_UNEXPECTED = Exception


@dataclass(frozen=True)
class TranslationSource:
    """The texts of ``course.<lang>.md`` or ``NN-slug.<lang>.md``; empty ones fall back
    to the base file's. ``quiz_texts`` as courses.translations.canonical_quiz_texts."""

    path: Path
    language: str
    title: str
    body: str
    description: str = ""
    quiz_texts: dict = field(default_factory=dict)


@dataclass(frozen=True)
class LessonSource:
    path: Path
    number: int
    slug: str
    title: str
    minutes: int | None
    body: str
    quiz: QuizSource | None = None
    translations: dict[str, TranslationSource] = field(default_factory=dict)  # by language
    requires: tuple[RequirementSource, ...] = ()  # lessons of the same course


@dataclass(frozen=True)
class MediaSource:
    path: str  # relative to the course folder: media/receipt.png
    media: Media  # checked, scaled if it was too wide


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
    media: list[MediaSource] = field(default_factory=list)
    translations: dict[str, TranslationSource] = field(default_factory=dict)  # by language
    warnings: list[ContentError] = field(default_factory=list)
    valid_for_months: int | None = None
    requires: tuple[RequirementSource, ...] = ()  # courses, checked when imported


@dataclass(frozen=True)
class _Document:
    front_matter: dict[str, Any]
    lines: dict[tuple, int]  # line of every key and item, by its path in the front matter
    body: str
    body_line: int = 1  # the file's line where the body starts

    @property
    def key_lines(self) -> dict[str, int]:
        return {str(path[0]): line for path, line in self.lines.items() if len(path) == 1}


class _Refused(Exception):
    """A file that is not read, and why."""


@dataclass
class _Reader:
    """Reads the files of one content folder, within its limits."""

    root: Path  # resolved
    errors: list[ContentError]
    # What an author should look at, which does not stop an import (a question
    # without an explanation).
    warnings: list[ContentError] = field(default_factory=list)
    bytes_read: int = 0
    files_read: int = 0
    over_budget: bool = False
    media_bytes_read: int = 0
    # The media paths of the course being read (media/...), for its lessons' links.
    media_paths: set[str] = field(default_factory=set)

    def read(self, path: Path, limit: int = MAX_FILE_BYTES) -> bytes | None:
        """The file's bytes, or None with the reason recorded as an error."""
        if self.over_budget:
            return None  # already reported once
        try:
            data = self._read(path, limit)
        except _Refused as refused:
            self.errors.append(ContentError(path, f"cannot read the file: {refused}"))
            return None
        except OSError as exc:
            self.errors.append(ContentError(path, f"cannot read the file: {exc.strerror or exc}"))
            return None
        if limit == MAX_FILE_BYTES:
            self.bytes_read += len(data)
        else:
            self.media_bytes_read += len(data)
        self.files_read += 1
        if self.bytes_read > MAX_PACK_BYTES or self.files_read > MAX_FILES:
            return self._over_budget(
                path,
                f"the content folder holds more than {MAX_PACK_BYTES / 2**20:g} MiB or "
                f"more than {MAX_FILES:,} files; import it in parts",
            )
        if self.media_bytes_read > MAX_MEDIA_PACK_BYTES:
            return self._over_budget(
                path,
                f"the content folder holds more than {MAX_MEDIA_PACK_BYTES / 2**20:g} MiB "
                "of media; import it in parts",
            )
        return data

    def _over_budget(self, path: Path, message: str) -> None:
        self.over_budget = True
        self.errors.append(ContentError(path, message))

    def _read(self, path: Path, limit: int) -> bytes:
        target = self.resolve(path)
        info = os.stat(target, follow_symlinks=False)
        _require_regular(info)
        if info.st_size > limit:
            raise _Refused(_too_large(limit))
        # Not following links, never blocking (a pipe swapped in after the checks
        # above opens at once), and checked again on what was opened.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        descriptor = os.open(target, flags)
        try:
            _require_regular(os.fstat(descriptor))
            chunks = []
            left = limit + 1  # one byte more tells a file that is too long
            while left > 0 and (chunk := os.read(descriptor, min(left, 1 << 16))):
                chunks.append(chunk)
                left -= len(chunk)
        finally:
            os.close(descriptor)
        data = b"".join(chunks)
        if len(data) > limit:
            raise _Refused(_too_large(limit))
        return data

    def resolve(self, path: Path) -> Path:
        """``path`` itself, or for a symbolic link its target, which must be inside."""
        if not path.is_symlink():
            return path
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a loop, on Python < 3.13
            raise _Refused("it is a symbolic link to nothing (or a loop)") from exc
        if not target.is_relative_to(self.root):
            raise _Refused(
                f"it is a symbolic link to {target}, outside the content folder "
                "(copy the file in instead)"
            )
        return target

    def is_folder(self, path: Path) -> bool:
        """A folder, or a link to a folder inside the content folder; a link to
        anything outside is an error."""
        try:
            target = self.resolve(path)
        except _Refused as refused:
            self.errors.append(ContentError(path, f"cannot read the folder: {refused}"))
            return False
        return stat.S_ISDIR(os.stat(target, follow_symlinks=False).st_mode)


def _require_regular(info: os.stat_result) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    kind = next((name for test, name in kinds if test(mode)), "not a regular file")
    raise _Refused(f"it is {kind}, not a regular file")


def _too_large(limit: int) -> str:
    return f"it is larger than {limit / 2**20:g} MiB (the limit)"


def read_content(root: Path) -> list[CourseSource]:
    """Read every course below ``root`` (or ``root`` itself if it is one course folder).

    Raises :class:`ContentInvalid` listing every problem; returns nothing partial.
    """
    root = Path(root)
    errors: list[ContentError] = []
    try:
        real_root = root.resolve(strict=True)
        is_folder = real_root.is_dir()
    except (OSError, RuntimeError):
        is_folder = False
    if not is_folder:
        raise ContentInvalid([ContentError(root, "not a folder")])
    reader = _Reader(real_root, errors)
    try:
        if os.path.lexists(root / COURSE_FILE):
            folders = [root]
        else:
            folders = [
                path
                for path in sorted(root.iterdir())
                if not path.name.startswith((".", "_"))
                and path.name != PATHS_FOLDER  # learning paths: authoring.path_files
                and reader.is_folder(path)
            ]
        courses = []
        for folder in folders:
            if course := _read_course(folder, reader):
                courses.append(course)
            if reader.over_budget:
                break  # said once; the rest is not read
    except OSError as exc:
        errors.append(ContentError(root, f"cannot read the folder: {exc.strerror or exc}"))
        folders = courses = []
    if not folders and not errors:
        errors.append(ContentError(root, f"no course folders (each needs a {COURSE_FILE})"))
    if errors:
        raise ContentInvalid(errors)
    return courses


def _read_course(folder: Path, reader: _Reader) -> CourseSource | None:
    errors = reader.errors
    course_path = folder / COURSE_FILE
    first_error, first_warning = len(errors), len(reader.warnings)
    if not SLUG.fullmatch(folder.name):  # fullmatch: "$" would allow a final line end
        errors.append(
            ContentError(
                folder,
                "folder name must be a slug: lower-case letters, digits and single hyphens",
            )
        )
    elif len(folder.name) > max_length(Course, "slug"):
        errors.append(
            ContentError(
                folder, f"folder name is longer than {max_length(Course, 'slug')} characters"
            )
        )
    if not os.path.lexists(course_path):
        errors.append(ContentError(folder, f"missing {COURSE_FILE}"))
        return None

    media = _read_media(folder, reader)
    course = _guarded(course_path, errors, lambda: _read_course_file(course_path, reader))
    lessons = _read_lessons(folder, reader)
    if len(errors) == first_error:  # a lesson with errors would be taken for an unknown one
        errors += check_requirements(
            [Owner(lesson.slug, lesson.path, lesson.requires) for lesson in lessons],
            {lesson.slug: lesson.quiz is not None for lesson in lessons},
            "lesson",
        )
    final = course["final_assessment"] if course is not None else None
    course_translations, lessons = _read_translations(folder, reader, final, lessons)
    if reader.over_budget:
        return None
    if not lessons and not any(e.path.parent == folder for e in errors[first_error:]):
        errors.append(
            ContentError(course_path, "the course has no lessons (add files named NN-slug.md)")
        )
    if len(errors) > first_error or course is None:
        return None
    return CourseSource(
        path=folder,
        slug=folder.name,
        lessons=lessons,
        media=media,
        translations=course_translations,
        warnings=reader.warnings[first_warning:],
        **course,
    )


def _read_translations(
    folder: Path, reader: _Reader, final: QuizSource | None, lessons: list[LessonSource]
) -> tuple[dict[str, TranslationSource], list[LessonSource]]:
    """The course's translation files, checked against their base files: the course's
    by language, and the lessons with theirs."""
    errors = reader.errors
    course_translations: dict[str, TranslationSource] = {}
    by_lesson: dict[str, dict[str, TranslationSource]] = {}
    bases = {lesson.path.name.removesuffix(".md"): lesson for lesson in lessons}
    for path in sorted(folder.iterdir()):
        match = TRANSLATED_FILE.fullmatch(path.name)
        if reader.over_budget or not match:
            continue
        stem, language = match["stem"], match["language"]
        if language not in translation_languages():
            errors.append(ContentError(path, _language_problem(language)))
            continue
        is_course = stem == "course"
        base = None if is_course else bases.get(stem)
        if not is_course and base is None:
            errors.append(
                ContentError(
                    path,
                    f"a translation without its lesson: there is no {stem}.md (or it has errors)",
                )
            )
            continue
        quiz = final if is_course else base.quiz
        translation = _guarded(
            path,
            errors,
            lambda p=path, lang=language, c=is_course, q=quiz: _read_translation(
                p, lang, c, q, reader
            ),
        )
        if translation is None:
            continue
        if is_course:
            course_translations[language] = translation
        else:
            by_lesson.setdefault(stem, {})[language] = translation
    lessons = [
        replace(lesson, translations=by_lesson.get(stem, {})) for stem, lesson in bases.items()
    ]
    return course_translations, sorted(lessons, key=lambda lesson: lesson.number)


def _language_problem(language: str) -> str:
    languages = ", ".join(translation_languages()) or "none: settings.LANGUAGES has one"
    if language == settings.LANGUAGE_CODE:
        return (
            f"'{language}' is the default language, which the base files are written in "
            f"(translations may be in: {languages})"
        )
    return f"unknown language '{language}' (translations may be in: {languages})"


def _read_translation(
    path: Path, language: str, is_course: bool, quiz: QuizSource | None, reader: _Reader
) -> TranslationSource | None:
    errors = reader.errors
    document = _read_document(path, reader)
    if document is None:
        return None
    first_error = len(errors)
    allowed = COURSE_TRANSLATION_KEYS if is_course else LESSON_TRANSLATION_KEYS
    settings_keys = (COURSE_KEYS if is_course else LESSON_KEYS) - allowed
    base_name = COURSE_FILE if is_course else path.name.rsplit(".", 2)[0] + ".md"
    for key in document.front_matter:
        if str(key) in settings_keys:
            errors.append(
                ContentError(
                    path,
                    f"'{key}' is not allowed in a translation: it is a setting, "
                    f"written in {base_name} only",
                    document.key_lines.get(str(key)),
                )
            )
        elif str(key) not in allowed:
            errors.append(
                ContentError(
                    path,
                    f"unknown front matter key '{key}' (allowed in a translation: "
                    f"{', '.join(sorted(allowed))})",
                    document.key_lines.get(str(key)),
                )
            )
    model = CourseTranslation if is_course else LessonTranslation
    title = _optional_text(path, document, "title", max_length(model, "title"), errors) or ""
    description = ""
    if is_course:
        limit = max_length(CourseTranslation, "description")
        description = _optional_text(path, document, "description", limit, errors) or ""
    _check_body(path, document, errors)
    _check_media_references(path, document, reader)
    quiz_texts = {}
    if document.front_matter.get("quiz") is not None:
        quiz_texts = read_quiz_texts(
            path, document.front_matter["quiz"], document.lines, errors, quiz, base_name
        )
    if len(errors) > first_error:
        return None
    body = document.body if document.body.strip() else ""
    return TranslationSource(path, language, title, body, description, quiz_texts)


def _read_media(folder: Path, reader: _Reader) -> list[MediaSource]:
    """The checked files below ``folder/media``; every path found (good or bad) is
    remembered in ``reader.media_paths``, so a lesson naming a bad file is not also
    told that it is missing."""
    reader.media_paths = set()
    top = folder / MEDIA_FOLDER
    if not os.path.lexists(top):
        return []
    if not top.is_dir():
        reader.errors.append(ContentError(top, "media must be a folder"))
        return []
    media: list[MediaSource] = []
    pending = [(top, 0)]
    while pending and not reader.over_budget:
        current, depth = pending.pop()
        if not reader.is_folder(current):  # a link out of the content folder: said
            continue
        for path in sorted(current.iterdir()):
            if path.name.startswith("."):
                continue  # .DS_Store and the like
            relative = path.relative_to(folder).as_posix()
            if path.is_dir():  # or a link to one: is_folder refuses it if it leads out
                if not reader.is_folder(path):
                    continue
                if depth + 1 > MAX_MEDIA_DEPTH:
                    reader.errors.append(
                        ContentError(
                            path, f"media/ may hold folders {MAX_MEDIA_DEPTH} deep at most"
                        )
                    )
                else:
                    pending.append((path, depth + 1))
                continue
            reader.media_paths.add(relative)
            if problem := path_problem(relative):
                reader.errors.append(ContentError(path, problem))
                continue
            item = _guarded(path, reader.errors, lambda p=path, r=relative: _read_one(p, r, reader))
            if item is not None:
                media.append(item)
    return sorted(media, key=lambda item: item.path)


def _read_one(path: Path, relative: str, reader: _Reader) -> MediaSource | None:
    data = reader.read(path, limit=settings.LESSON_MEDIA_MAX_BYTES)
    if data is None:
        return None
    try:
        return MediaSource(relative, check_media(path.name, data))
    except MediaProblem as problem:
        reader.errors.append(ContentError(path, str(problem)))
        return None


def _check_media_references(path: Path, document: _Document, reader: _Reader) -> None:
    """Images have alt text, video lines show a video, and every media/... file named
    is in the course's media folder: each problem at its line of the file."""
    references, problems = media_references(document.body)
    first = document.body_line - 1
    for problem in problems:
        reader.errors.append(ContentError(path, problem.message, first + problem.line))
    for reference in references:
        target = reference.target.split("#")[0].split("?")[0]
        if target not in reader.media_paths:
            message = _goes_up(target) or (
                f"{target} is not in the course's media folder "
                f"(add the file as {path.parent.name}/{target})"
            )
            reader.errors.append(ContentError(path, message, first + reference.line))


def _goes_up(target: str) -> str | None:
    """What is wrong with a media/... path that goes up a folder ('..'), or None."""
    if ".." not in target.split("/"):
        return None
    normal = posixpath.normpath(target)
    if normal == ".." or normal.startswith("../"):
        return f"{target} leaves the course folder: media paths must stay inside it"
    if not normal.startswith(f"{MEDIA_FOLDER}/"):
        return f"{target} leaves the media folder: media paths must stay inside it"
    return f"{target} goes up a folder ('..'): write it as {normal}"


def _read_course_file(path: Path, reader: _Reader) -> dict[str, Any] | None:
    """The course's fields from course.md (CourseSource's names), or None."""
    errors = reader.errors
    document = _read_document(path, reader)
    if document is None:
        return None
    _check_keys(path, document, COURSE_KEYS, errors)
    title = _required_text(path, document, "title", max_length(Course, "title"), errors)
    description = _optional_text(
        path, document, "description", max_length(Course, "description"), errors
    )
    _check_body(path, document, errors)
    _check_media_references(path, document, reader)
    final_assessment = _quiz(path, document, reader, final=True)
    visibility = document.front_matter.get("visibility", "open")
    if not isinstance(visibility, str) or visibility not in VISIBILITIES:
        errors.append(
            ContentError(
                path,
                f"'visibility' must be one of: {', '.join(VISIBILITIES)}",
                document.key_lines.get("visibility"),
            )
        )
    if title is None:
        return None
    return {
        "title": title,
        "description": description or "",
        "introduction": document.body,
        "visibility": visibility,
        "final_assessment": final_assessment,
        "valid_for_months": _optional_valid_for(path, document, errors),
        "requires": _requires(path, document, errors, "course"),
    }


def _read_lessons(folder: Path, reader: _Reader) -> list[LessonSource]:
    errors = reader.errors
    lessons: list[LessonSource] = []
    by_number: dict[int, Path] = {}
    by_slug: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if reader.over_budget:
            break
        if path.name == COURSE_FILE or path.suffix != ".md" or path.name.startswith("."):
            continue
        if TRANSLATED_FILE.fullmatch(path.name):
            continue  # read with its base file: _read_translations
        match = LESSON_FILE.fullmatch(path.name)
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
        if len(slug) > max_length(Lesson, "slug"):
            errors.append(
                ContentError(
                    path, f"the lesson slug is longer than {max_length(Lesson, 'slug')} characters"
                )
            )
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
        lesson = _guarded(
            path, errors, lambda p=path, n=number, s=slug: _read_lesson(p, n, s, reader)
        )
        if lesson is not None:
            lessons.append(lesson)
    return sorted(lessons, key=lambda lesson: lesson.number)


def _read_lesson(path: Path, number: int, slug: str, reader: _Reader) -> LessonSource | None:
    errors = reader.errors
    document = _read_document(path, reader)
    if document is None:
        return None
    _check_keys(path, document, LESSON_KEYS, errors)
    title = _required_text(path, document, "title", max_length(Lesson, "title"), errors)
    minutes = _optional_minutes(path, document, errors)
    _check_body(path, document, errors)
    _check_media_references(path, document, reader)
    quiz = _quiz(path, document, reader, final=False)
    requires = _requires(path, document, errors, "lesson")
    if title is None:
        return None
    return LessonSource(path, number, slug, title, minutes, document.body, quiz, requires=requires)


def _guarded(path: Path, errors: list[ContentError], read: Any) -> Any:
    """``read()``, with any error hostile input can cause reported against ``path``."""
    try:
        return read()
    except _UNEXPECTED as exc:
        reason = str(exc).splitlines()[0][:200] if str(exc) else ""
        errors.append(
            ContentError(
                path,
                f"cannot read the file ({type(exc).__name__}{': ' + reason if reason else ''})",
            )
        )
        return None


def _read_document(path: Path, reader: _Reader) -> _Document | None:
    errors = reader.errors
    raw = reader.read(path)
    if raw is None:
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
    if problem := text_problem(text):
        message, index = problem
        line = text.count("\n", 0, index) + 1
        errors.append(ContentError(path, f"the file {message}; remove it", line))
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
    if len(yaml_text) > MAX_FRONT_MATTER_CHARS:
        errors.append(
            ContentError(
                path, f"front matter is longer than {MAX_FRONT_MATTER_CHARS:,} characters", 2
            )
        )
        return None
    try:
        node, data = _load_front_matter(yaml_text)
    except _NotAllowed as exc:
        errors.append(ContentError(path, f"front matter {exc.problem}", exc.problem_mark.line + 2))
        return None
    except yaml.YAMLError as exc:
        problem = f"front matter is not valid YAML: {_yaml_problem(exc)}"
        errors.append(ContentError(path, problem, _yaml_line(exc, yaml_text)))
        return None
    if not isinstance(data, dict):
        errors.append(
            ContentError(path, "front matter must be 'key: value' lines (a YAML mapping)", 2)
        )
        return None
    node_lines = _node_lines(node)
    if not _check_values(path, data, node_lines, errors):
        return None
    body = "\n".join(lines[end + 1 :]).strip("\n") + "\n"
    body_line = end + 2 + next((i for i, line in enumerate(lines[end + 1 :]) if line), 0)
    return _Document(data, node_lines, body, body_line)


class _NotAllowed(yaml.MarkedYAMLError):
    """Valid YAML that front matter may not use."""


class _FrontMatterLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader without anchors and aliases (an "alias bomb" of a few
    lines expands to gigabytes) and nested at most MAX_YAML_DEPTH deep (its
    composer recurses once per level); a value Python cannot build (a 5,000-digit
    number, the 31st of February) is an error at its line."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _NotAllowed(
                problem="may not use YAML aliases (*name): write the value out",
                problem_mark=event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise _NotAllowed(
                problem="may not use YAML anchors (&name)", problem_mark=event.start_mark
            )
        if self._depth >= MAX_YAML_DEPTH:
            raise _NotAllowed(
                problem=f"is nested more than {MAX_YAML_DEPTH} levels deep",
                problem_mark=event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"cannot read this value ({exc})", node.start_mark
            ) from None


def _load_front_matter(yaml_text: str) -> tuple[yaml.Node | None, Any]:
    """The front matter's node tree (for line numbers) and its data, read once."""
    loader = _FrontMatterLoader(yaml_text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"the character U+{exc.character:04X} is not allowed"
    return getattr(exc, "problem", None) or str(exc)


def _yaml_line(exc: yaml.YAMLError, yaml_text: str) -> int:
    """The file's line (+1 for 1-based, +1 for the opening fence)."""
    if isinstance(exc, yaml.reader.ReaderError):
        return yaml_text.count("\n", 0, exc.position) + 2
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return mark.line + 2 if mark is not None else 2


def _node_lines(node: yaml.Node | None, path: tuple = ()) -> dict[tuple, int]:
    """File line of each mapping key and sequence item (+2: 1-based, after the fence)."""
    lines: dict[tuple, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue  # a complex key: refused when the data is built
            lines[(*path, key.value)] = key.start_mark.line + 2
            lines.update(_node_lines(value, (*path, key.value)))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 2
            lines.update(_node_lines(item, (*path, index)))
    return lines


def _check_values(
    path: Path, data: Any, lines: dict[tuple, int], errors: list[ContentError], at: tuple = ()
) -> bool:
    """Every text in the front matter (keys too) can be stored: YAML escapes such as
    "\\0" or "\\ud800" make characters the file itself may not hold."""
    ok = True
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    else:
        items = []
    for key, value in items:
        where = (*at, key)
        for text in (key, value):
            if isinstance(text, str) and (problem := text_problem(text)):
                name = ".".join(str(part) for part in where)
                line = next(
                    (lines[where[:n]] for n in range(len(where), 0, -1) if where[:n] in lines), 2
                )
                errors.append(ContentError(path, f"'{name}' {problem[0]}", line))
                ok = False
        if isinstance(value, dict | list):
            ok = _check_values(path, value, lines, errors, where) and ok
    return ok


def _check_body(path: Path, document: _Document, errors: list[ContentError]) -> None:
    if len(document.body) > MAX_MARKDOWN_LENGTH:
        errors.append(
            ContentError(
                path,
                f"the text after the front matter is longer than {MAX_MARKDOWN_LENGTH:,} "
                "characters; split it into several lessons",
                document.body_line,
            )
        )


def _quiz(path: Path, document: _Document, reader: _Reader, final: bool) -> QuizSource | None:
    if document.front_matter.get("quiz") is None:
        return None
    quiz = document.front_matter["quiz"]
    return read_quiz(path, quiz, document.lines, reader.errors, final, reader.warnings)


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
    highest = min(MAX_MINUTES, integer_range(Lesson, "minutes")[1])
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= highest:
        errors.append(
            ContentError(
                path,
                f"'minutes' must be a whole number of minutes between 1 and {highest}",
                document.key_lines.get("minutes"),
            )
        )
        return None
    return value


def _optional_valid_for(path: Path, document: _Document, errors: list[ContentError]) -> int | None:
    """``valid_for: 12 months`` (or ``1 year``, ``2 years``, ``18 months``) in months."""
    value = document.front_matter.get("valid_for")
    if value is None:
        return None
    match = VALID_FOR.fullmatch(" ".join(value.split())) if isinstance(value, str) else None
    months = None
    if match:
        months = int(match["count"]) * (12 if match["unit"].startswith("year") else 1)
    if months is None or not 1 <= months <= MAX_VALID_FOR_MONTHS:
        errors.append(
            ContentError(
                path,
                "'valid_for' must be a time from 1 month to "
                f"{MAX_VALID_FOR_MONTHS // 12} years, such as '12 months' or '2 years'",
                document.key_lines.get("valid_for"),
            )
        )
        return None
    return months


def _requires(
    path: Path, document: _Document, errors: list[ContentError], kind: str
) -> tuple[RequirementSource, ...]:
    """The ``requires:`` list, read (authoring.requirements); the slugs are checked
    with the course's lessons, or for courses when they are imported."""
    return read_requires(path, document.front_matter.get("requires"), document.lines, errors, kind)
