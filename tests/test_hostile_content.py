"""import_content on hostile content packs: nothing crashes, hangs, reads outside the
folder or writes half a pack. Every pack here is refused with a ContentError naming
the bad file, and the database is left exactly as it was.

Inputs are small: limits are made smaller where a pack would otherwise be big, and
every import runs under an alarm, so a regression fails instead of hanging.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError

from authoring import content_files
from authoring.content_files import ContentInvalid, read_content
from authoring.importing import import_content
from courses.models import Course
from lessons.models import Lesson
from quizzes.models import Choice, Question, Quiz

pytestmark = pytest.mark.django_db

COURSE_MD = "---\ntitle: Demo course\n---\nWelcome.\n"
LESSON_MD = "---\ntitle: A lesson\n---\nBody.\n"
DEADLINE_SECONDS = 20


class Hung(BaseException):  # not an Exception: nothing may catch it
    pass


@pytest.fixture(autouse=True)
def deadline():
    """Fail, rather than hang, if anything takes more than DEADLINE_SECONDS."""

    def alarm(signum, frame):
        raise Hung(f"still running after {DEADLINE_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, DEADLINE_SECONDS)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def snapshot() -> list:
    """Every row an import could write, with every field."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Course, Lesson, Quiz, Question, Choice)
    ]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def course(root: Path, slug: str = "demo", **files: str | bytes) -> Path:
    """A valid course folder, with ``files`` (name: content) added or replaced."""
    folder = root / slug
    contents = {"course.md": COURSE_MD, "01-intro.md": LESSON_MD, **files}
    for name, content in contents.items():
        write(folder / name, content)
    return folder


def lesson(front_matter: str, body: str = "Body.\n") -> str:
    return f"---\n{front_matter}---\n{body}"


def quiz(questions_yaml: str, settings: str = "") -> str:
    """A lesson whose quiz is ``settings`` plus one question (YAML, indented 4)."""
    return lesson(f"title: Quiz lesson\nquiz:\n{settings}  questions:\n{questions_yaml}")


SINGLE = (
    "    - id: {id}\n      type: single\n      prompt: {prompt}\n"
    "      explanation: {explanation}\n      choices:\n        - text: {text}\n"
    "          correct: true\n          feedback: {feedback}\n"
    "        - text: Other\n          correct: false\n"
)
SHORT = "    - id: q-short\n      type: short\n      prompt: Type it\n      accept: [{accept}]\n"


def single(**values: str) -> str:
    defaults = {"id": "q1", "prompt": "Who?", "explanation": "Because.", "text": "Me"}
    return SINGLE.format(**{"feedback": "Yes.", **defaults, **values})


@dataclasses.dataclass(frozen=True)
class Pack:
    """A hostile pack: ``build(root)`` writes it and returns the path to be named."""

    name: str
    build: Callable[[Path], Path]
    message: str  # a fragment of the error about that path
    line: int | None = None


def bad_lesson(name: str, content: str | bytes, message: str, line: int | None = None) -> Pack:
    return Pack(
        name, lambda root: course(root, **{"02-bad.md": content}) / "02-bad.md", message, line
    )


def bad_course_md(name: str, content: str | bytes, message: str, line: int | None = None) -> Pack:
    return Pack(
        name, lambda root: course(root, **{"course.md": content}) / "course.md", message, line
    )


# --- YAML front matter ---------------------------------------------------------------

BILLION_LAUGHS = (
    'title: x\nquiz:\n  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    + "".join(
        f"  {chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    )
)

YAML_PACKS = [
    bad_lesson("alias bomb", lesson(BILLION_LAUGHS), "may not use YAML anchors", 4),
    bad_lesson("recursive alias", lesson("title: &a [*a]\n"), "may not use YAML anchors", 2),
    bad_lesson(
        "alias", lesson("title: Hi\nminutes: &m 5\nquiz: *m\n"), "may not use YAML anchors", 3
    ),
    bad_lesson("alias only", lesson("title: *t\n"), "may not use YAML aliases", 2),
    bad_lesson("merge key", lesson("title: Hi\nquiz:\n  <<: *base\n"), "aliases", 4),
    bad_lesson(
        "deep flow nesting",
        lesson("title: " + "[" * 5000 + "]" * 5000 + "\n"),
        "nested more than 20",
        2,
    ),
    bad_lesson(
        "deep block nesting",
        lesson("title: Hi\nquiz:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 40))),
        "nested more than 20",
    ),
    bad_lesson(
        "deep nesting in a question",
        quiz("    - prompt: " + "{a: " * 30 + "b" + "}" * 30 + "\n"),
        "nested more than 20",
    ),
    bad_lesson(
        "20-digit max_attempts",
        quiz(single(), "  max_attempts: 99999999999999999999\n"),
        "'max_attempts' must be a whole number from 0 to 32767",
        4,
    ),
    bad_lesson(
        "max_attempts 32768", quiz(single(), "  max_attempts: 32768\n"), "from 0 to 32767", 4
    ),
    bad_lesson(
        "negative max_attempts", quiz(single(), "  max_attempts: -1\n"), "from 0 to 32767", 4
    ),
    bad_lesson(
        "pass_mark 101",
        quiz(single(), "  pass_mark: 101\n"),
        "'pass_mark' must be a whole number from 0 to 100",
        4,
    ),
    bad_lesson("negative pass_mark", quiz(single(), "  pass_mark: -5\n"), "from 0 to 100", 4),
    bad_lesson(
        "20-digit minutes",
        lesson("title: Hi\nminutes: 99999999999999999999\n"),
        "'minutes' must be a whole number",
        3,
    ),
    bad_lesson(
        "negative minutes",
        lesson("title: Hi\nminutes: -3\n"),
        "'minutes' must be a whole number",
        3,
    ),
    bad_lesson(
        "5,000-digit number",
        lesson("title: Hi\nminutes: " + "9" * 5000 + "\n"),
        "cannot read this value",
        3,
    ),
    bad_lesson("impossible date", lesson("title: 2024-02-31\n"), "cannot read this value", 2),
    bad_lesson("complex key", lesson("title: Hi\n? [a, b]\n: c\n"), "not valid YAML", 3),
    bad_lesson(
        "front matter too long",
        lesson("title: Hi\n# " + "x" * 100_001 + "\n"),
        "front matter is longer than 100,000 characters",
        2,
    ),
    bad_lesson(
        "C1 control character",
        lesson("title: a\x85\x90b\n"),
        "not valid YAML: the character U+0090",
        2,
    ),
    bad_lesson(
        "Python object tag",
        lesson('title: !!python/object/apply:os.system ["echo owned"]\n'),
        "could not determine a constructor",
        2,
    ),
]

# --- Files that are not regular files inside the folder ------------------------------


def _outside_file(root: Path) -> Path:
    outside = write(root.parent / "outside.md", LESSON_MD)
    folder = course(root)
    (folder / "02-bad.md").symlink_to(outside)
    return folder / "02-bad.md"


def _symlink(target: str, name: str = "02-bad.md") -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        folder = course(root)
        (folder / name).unlink(missing_ok=True)
        (folder / name).symlink_to(target)
        return folder / name

    return build


def _course_folder_outside(root: Path) -> Path:
    elsewhere = course(root.parent / "elsewhere", "stolen")
    course(root)
    (root / "stolen").symlink_to(elsewhere, target_is_directory=True)
    return root / "stolen"


def _fifo(name: str) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        folder = course(root)
        (folder / name).unlink(missing_ok=True)
        os.mkfifo(folder / name)
        return folder / name

    return build


def _folder_named_like_a_lesson(root: Path) -> Path:
    folder = course(root)
    (folder / "02-bad.md").mkdir()
    write(folder / "02-bad.md" / "inside.md", LESSON_MD)
    return folder / "02-bad.md"


def _socket(root: Path) -> Path:
    folder = course(root)
    path = folder / "02-bad.md"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.close()
    return path


def _device(root: Path) -> Path:
    if os.geteuid() != 0:
        pytest.skip("making a device node needs root")
    folder = course(root)
    os.mknod(folder / "02-bad.md", stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero
    return folder / "02-bad.md"


def _sparse(size: int) -> Callable[[Path], Path]:
    def build(root: Path) -> Path:
        path = write(course(root) / "02-bad.md", LESSON_MD)
        os.truncate(path, size)  # a hole: no disk used
        return path

    return build


FILE_PACKS = [
    Pack(
        "lesson linked to /dev/zero", _symlink("/dev/zero"), "symbolic link to /dev/zero, outside"
    ),
    Pack("lesson linked to /etc/passwd", _symlink("/etc/passwd"), "outside the content folder"),
    Pack("lesson linked to a file outside", _outside_file, "outside the content folder"),
    Pack(
        "course.md linked outside",
        _symlink("/etc/hostname", "course.md"),
        "outside the content folder",
    ),
    Pack("course folder linked outside", _course_folder_outside, "outside the content folder"),
    Pack("broken link", _symlink("nowhere.md"), "symbolic link to nothing"),
    Pack("link loop", _symlink("02-bad.md"), "symbolic link to nothing (or a loop)"),
    Pack("lesson that is a named pipe", _fifo("02-bad.md"), "it is a named pipe"),
    Pack("course.md that is a named pipe", _fifo("course.md"), "it is a named pipe"),
    Pack("folder named like a lesson", _folder_named_like_a_lesson, "it is a folder"),
    Pack("lesson that is a socket", _socket, "it is a socket"),
    Pack("lesson that is a device", _device, "it is a device"),
    Pack("file over 1 MiB", _sparse(content_files.MAX_FILE_BYTES + 1), "larger than 1 MiB"),
    Pack("file of 1 GiB", _sparse(2**30), "larger than 1 MiB"),
]

# --- Encodings and characters --------------------------------------------------------

ENCODING_PACKS = [
    bad_lesson(
        "UTF-8 surrogate bytes in the body",
        b"---\ntitle: Hi\n---\nA \xed\xa0\x80 B\n",
        "not valid UTF-8 (byte 0xed)",
        4,
    ),
    bad_lesson(
        "UTF-8 surrogate bytes in the title",
        b"---\ntitle: \xed\xb0\x80\n---\nB\n",
        "not valid UTF-8",
        2,
    ),
    bad_lesson("UTF-16 with BOM", LESSON_MD.encode("utf-16"), "not valid UTF-8", 1),
    bad_lesson("UTF-16 without BOM", LESSON_MD.encode("utf-16-le"), "control character U+0000"),
    bad_lesson(
        "Latin-1", "---\ntitle: Café\n---\nB\n".encode("latin-1"), "not valid UTF-8 (byte 0xe9)", 2
    ),
    bad_lesson("two BOMs", ("\ufeff" + LESSON_MD).encode("utf-8-sig"), "missing front matter", 1),
    bad_lesson("NUL in the body", "---\ntitle: Hi\n---\nA\x00B\n", "control character U+0000", 4),
    bad_lesson("NUL in the title", "---\ntitle: A\x00B\n---\nB\n", "control character U+0000", 2),
    bad_lesson(
        "escape character in the body", "---\ntitle: Hi\n---\n\n\nA\x1b[31mB\n", "U+001B", 6
    ),
    bad_lesson("form feed in the body", "---\ntitle: Hi\n---\nA\x0cB\n", "U+000C", 4),
    bad_course_md("bell in course.md", "---\ntitle: Ding\x07\n---\nB\n", "U+0007", 2),
]

# --- Values over the database's limits -----------------------------------------------

LIMIT_PACKS = [
    Pack(
        "course folder name of 101 characters",
        lambda root: course(root, "a" * 101),
        "folder name is longer than 100 characters",
    ),
    bad_course_md(
        "course title of 201 characters",
        f"---\ntitle: {'t' * 201}\n---\nB\n",
        "'title' is longer than 200 characters",
        2,
    ),
    bad_course_md(
        "description of 301 characters",
        f"---\ntitle: T\ndescription: {'d' * 301}\n---\nB\n",
        "'description' is longer than 300",
        3,
    ),
    bad_course_md(
        "introduction over the Markdown limit",
        "---\ntitle: T\n---\n\n" + "x" * 200_001,
        "longer than 200,000 characters",
        5,
    ),
    Pack(
        "lesson slug of 101 characters",
        lambda root: write(course(root) / f"02-{'s' * 101}.md", LESSON_MD),
        "lesson slug is longer than 100 characters",
    ),
    bad_lesson(
        "lesson title of 201 characters",
        lesson(f"title: {'t' * 201}\n"),
        "'title' is longer than 200",
        2,
    ),
    bad_lesson(
        "body over the Markdown limit",
        lesson("title: Hi\n", "[" * 200_001),
        "longer than 200,000 characters",
        4,
    ),
    bad_lesson(
        "question id of 101 characters",
        quiz(single(id="q" * 101)),
        "quiz question 1: 'id' is longer than 100 characters",
        5,
    ),
    bad_lesson(
        "choice text of 501 characters",
        quiz(single(text="c" * 501)),
        "choice 1: 'text' is longer than 500 characters",
        10,
    ),
    bad_lesson(
        "accepted answer of 201 characters",
        quiz(SHORT.format(accept="a" * 201)),
        "accepted answer 1 is longer than 200 characters",
        8,
    ),
    bad_lesson(
        "question id that is no slug",
        quiz(single(id="'Not a slug'")),
        "'id' must be a lower-case slug",
        5,
    ),
]

# --- Control characters and lone surrogates in every field, as YAML escapes ----------

FIELDS = {
    "course title": ("course.md", lambda v: f'---\ntitle: "{v}"\n---\nB\n', 2),
    "course description": (
        "course.md",
        lambda v: f'---\ntitle: T\ndescription: "{v}"\n---\nB\n',
        3,
    ),
    "lesson title": ("02-bad.md", lambda v: lesson(f'title: "{v}"\n'), 2),
    "question prompt": ("02-bad.md", lambda v: quiz(single(prompt=f'"{v}"')), 7),
    "explanation": ("02-bad.md", lambda v: quiz(single(explanation=f'"{v}"')), 8),
    "choice text": ("02-bad.md", lambda v: quiz(single(text=f'"{v}"')), 10),
    "choice feedback": ("02-bad.md", lambda v: quiz(single(feedback=f'"{v}"')), 12),
    "accepted answer": ("02-bad.md", lambda v: quiz(SHORT.format(accept=f'"{v}"')), 8),
}
CHARACTERS = {"NUL": ("a\\0b", "U+0000"), "lone surrogate": ("a\\ud800b", "lone surrogate")}
CHARACTER_PACKS = [
    Pack(
        f"{character} in the {field}",
        lambda root, name=name, make=make, escape=escape: (
            course(root, **{name: make(escape)}) / name
        ),
        message,
        line,
    )
    for field, (name, make, line) in FIELDS.items()
    for character, (escape, message) in CHARACTERS.items()
]

# --- Names ------------------------------------------------------------------------


def _named(name: bytes, folder: bool = False) -> Callable[[Path], Path]:
    """A lesson file (or a course folder) whose name is these bytes."""

    def build(root: Path) -> Path:
        if folder:
            path = Path(os.fsdecode(os.fsencode(root) + b"/" + name))
            course(root, path.name)
            return path
        path = Path(os.fsdecode(os.fsencode(course(root)) + b"/" + name))
        write(path, LESSON_MD)
        return path

    return build


NAME_PACKS = [
    Pack("lesson name not UTF-8", _named(b"02-caf\xe9.md"), "lesson file names must look like"),
    Pack("lesson name with an escape", _named(b"02-\x1b[2J.md"), "lesson file names must look"),
    Pack("lesson name with a line end", _named(b"02-a\nb.md"), "lesson file names must look"),
    Pack("course folder not UTF-8", _named(b"caf\xe9", folder=True), "folder name must be a slug"),
    Pack("course folder ending in a line end", _named(b"demo\n", folder=True), "must be a slug"),
    bad_lesson("question id ending in a line end", quiz(single(id='"abc\\n"')), "'id' must be", 5),
]

HOSTILE_PACKS = (
    YAML_PACKS + FILE_PACKS + ENCODING_PACKS + LIMIT_PACKS + CHARACTER_PACKS + NAME_PACKS
)


def test_there_are_at_least_fifty_hostile_packs():
    assert len(HOSTILE_PACKS) >= 50
    assert len({pack.name for pack in HOSTILE_PACKS}) == len(HOSTILE_PACKS)


@pytest.mark.parametrize("pack", HOSTILE_PACKS, ids=lambda pack: pack.name)
def test_a_hostile_pack_is_refused_naming_the_file_and_nothing_is_written(tmp_path, pack):
    root = tmp_path / "content"
    root.mkdir()
    bad = pack.build(root)
    before = snapshot()
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    named = [error for error in caught.value.errors if error.path == bad]
    assert named, f"no error names {bad}: {caught.value}"
    assert any(pack.message in error.message for error in named), caught.value
    if pack.line is not None:
        assert any(error.line == pack.line for error in named if pack.message in error.message)
    assert snapshot() == before
    assert str(caught.value).encode("utf-8")  # printable: no lone surrogates


def test_the_command_reports_a_hostile_pack_without_a_traceback(tmp_path):
    root = tmp_path / "content"
    course(root, **{"02-bad.md": lesson(BILLION_LAUGHS)})
    with pytest.raises(CommandError) as caught:
        call_command("import_content", str(root))
    message = str(caught.value)
    assert message.startswith("1 problem found; nothing was imported.")
    assert "02-bad.md:4: front matter may not use YAML anchors" in message


def test_the_command_prints_names_that_are_not_utf8_or_hold_control_characters(tmp_path, capsys):
    root = tmp_path / "content"
    _named(b"02-caf\xe9\x1b[2J.md")(root)
    with pytest.raises(CommandError) as caught:
        call_command("import_content", str(root))
    assert "02-caf\\xe9\\x1b[2J.md: lesson file names must look like" in str(caught.value)


# --- Two courses: the second is bad, the first is not written -------------------------

SECOND_COURSE_PROBLEMS = {
    "named pipe": lambda folder: os.mkfifo(folder / "02-bad.md"),
    "alias bomb": lambda folder: write(folder / "02-bad.md", lesson(BILLION_LAUGHS)),
    "choice text too long": lambda folder: write(
        folder / "02-bad.md", quiz(single(text="c" * 501))
    ),
    "NUL in a prompt": lambda folder: write(folder / "02-bad.md", quiz(single(prompt='"a\\0b"'))),
    "max_attempts overflow": lambda folder: write(
        folder / "02-bad.md", quiz(single(), "  max_attempts: 99999999999999999999\n")
    ),
}


@pytest.mark.parametrize("problem", SECOND_COURSE_PROBLEMS)
def test_a_bad_second_course_stops_the_first_from_being_written(tmp_path, problem):
    root = tmp_path / "content"
    course(root, "a-first")
    SECOND_COURSE_PROBLEMS[problem](course(root, "b-second"))
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    assert all("b-second" in str(error.path) for error in caught.value.errors)
    assert not Course.objects.exists() and not Lesson.objects.exists()


def test_a_database_error_mid_pack_rolls_the_whole_pack_back(tmp_path, monkeypatch):
    """Validation keeps every value within its column; should one still fail in the
    database (here made to, past validation), the pack is one transaction."""
    root = tmp_path / "content"
    course(root, "a-first")
    course(root, "b-second")
    course(root, "existing")
    import_content(root / "existing")
    before = snapshot()
    first, second = read_content(root)[:2]
    lesson = dataclasses.replace(second.lessons[0], minutes=10**20)  # fits no integer column
    tampered = [first, dataclasses.replace(second, lessons=[lesson])]
    monkeypatch.setattr("authoring.importing.read_content", lambda root: tampered)
    with pytest.raises((DatabaseError, OverflowError)):
        import_content(root)
    assert snapshot() == before  # a-first was written, then rolled back with b-second


# --- Reading never blocks -------------------------------------------------------------


def test_a_named_pipe_never_blocks_the_reader(tmp_path):
    """Checked in a thread as well as by the alarm: if opening the pipe blocked,
    the thread would still be running; writing to the pipe then frees it."""
    root = tmp_path / "content"
    folder = course(root)
    pipe = folder / "02-pipe.md"
    os.mkfifo(pipe)
    outcome: list = []

    def read() -> None:
        try:
            read_content(root)
        except ContentInvalid as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout=10)
    if thread.is_alive():
        writer = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)  # unblocks the reader
        os.close(writer)
        thread.join(timeout=5)
        pytest.fail("reading the content folder blocked on a named pipe")
    (error,) = outcome[0].errors
    assert error.path == pipe and "named pipe" in error.message


def test_a_pipe_swapped_in_after_the_checks_is_not_read(tmp_path, monkeypatch):
    """The file is checked, then opened without following links and without
    blocking, and checked again on what was opened."""
    root = tmp_path / "content"
    folder = course(root)
    swapped = folder / "02-swapped.md"
    write(swapped, LESSON_MD)
    real_open = os.open

    def swap_then_open(path, flags, *args):
        if Path(path) == swapped:
            swapped.unlink()
            os.mkfifo(swapped)
        return real_open(path, flags, *args)

    monkeypatch.setattr(content_files.os, "open", swap_then_open)
    with pytest.raises(ContentInvalid) as caught:
        read_content(root)
    (error,) = caught.value.errors
    assert error.path == swapped and "named pipe" in error.message


# --- What stays allowed ------------------------------------------------------------------


def test_links_inside_the_folder_are_read(tmp_path):
    root = tmp_path / "content"
    folder = course(root)
    shared = write(root / "_shared" / "shared.md", "---\ntitle: Shared\n---\nShared body.\n")
    (folder / "02-shared.md").symlink_to(shared)
    (root / "alias").symlink_to(folder, target_is_directory=True)
    courses = {c.slug: c for c in read_content(root)}
    assert set(courses) == {"alias", "demo"}
    assert [lesson.title for lesson in courses["demo"].lessons] == ["A lesson", "Shared"]


def test_values_at_the_limits_are_imported(tmp_path):
    root = tmp_path / "content"
    course(
        root,
        "a" * 100,
        **{
            "course.md": f"---\ntitle: {'t' * 200}\ndescription: {'d' * 300}\n---\nB\n",
            f"03-{'s' * 100}.md": quiz(
                single(id="q" * 100, text="c" * 500) + SHORT.format(accept="a" * 200),
                "  max_attempts: 32767\n  pass_mark: 100\n",
            ),
            "02-long.md": lesson("title: Long\nminutes: 600\n", "x" * 199_999 + "\n"),
        },
    )
    (report,) = import_content(root)
    assert report.course_created and len(report.created) == 3
    quiz_row = Quiz.objects.get()
    assert (quiz_row.max_attempts, quiz_row.pass_mark) == (32767, 100)
    assert Choice.objects.filter(text="c" * 500).exists()


def test_a_bom_and_windows_line_endings_are_still_fine(tmp_path):
    root = tmp_path / "content"
    course(root, **{"02-crlf.md": "\ufeff---\r\ntitle: Crlf\r\n---\r\nBody\r\n"})
    (source,) = read_content(root)
    assert source.lessons[1].title == "Crlf"


def test_the_pack_limits_are_enforced(tmp_path, monkeypatch):
    monkeypatch.setattr(content_files, "MAX_PACK_BYTES", 2_000)
    root = tmp_path / "content"
    for slug in ("a-first", "b-second"):
        course(root, slug, **{f"0{n}-l{n}.md": lesson("title: L\n", "x" * 500) for n in (2, 3)})
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    (error,) = caught.value.errors  # said once; nothing after it is read
    assert error.message.startswith("the content folder holds more than 0.00190735 MiB")
    monkeypatch.setattr(content_files, "MAX_PACK_BYTES", 10**9)
    monkeypatch.setattr(content_files, "MAX_FILES", 5)
    with pytest.raises(ContentInvalid) as caught:
        import_content(root)
    (error,) = caught.value.errors
    assert error.message.endswith("more than 5 files; import it in parts")
    assert not Course.objects.exists()


# --- Hostile Markdown: imported, quickly ----------------------------------------------

PATHOLOGICAL_BODIES = {
    "[ x 200,000": "[" * 200_000,
    "[x]( x 50,000": "[x](" * 50_000,
    "nested emphasis": "*a " * 30_000 + "b*" * 30_000,
    "nested quotes": "> " * 100_000,
    "nested lists": "".join("    " * depth + "- x\n" for depth in range(300)),
    "<a  x 60,000": "<a " * 60_000,
    "backticks": "`" * 100_000 + "a`" * 50_000,
    "headings": "## a\n" * 40_000,
    "raw divs": "<div>" * 40_000,
}


@pytest.mark.parametrize("name", PATHOLOGICAL_BODIES)
def test_pathological_markdown_within_the_limit_is_imported(tmp_path, name):
    body = PATHOLOGICAL_BODIES[name][: content_files.MAX_MARKDOWN_LENGTH - 1]  # and a line end
    root = tmp_path / "content"
    course(root, **{"02-odd.md": lesson("title: Odd\n", body)})
    import_content(root)  # under the alarm: well within it, in fact
    assert Lesson.objects.get(slug="odd").body_html


def test_limits_come_from_the_model_fields(tmp_path, monkeypatch):
    """One source of truth: a column made shorter is a shorter limit at once."""
    monkeypatch.setattr(Lesson._meta.get_field("title"), "max_length", 10)
    monkeypatch.setattr(Choice._meta.get_field("text"), "max_length", 5)
    root = tmp_path / "content"
    course(root, **{"02-bad.md": quiz(single(text="six ch")).replace("Quiz lesson", "Eleven char")})
    with pytest.raises(ContentInvalid) as caught:
        read_content(root)
    messages = [error.message for error in caught.value.errors]
    assert messages == [
        "'title' is longer than 10 characters",
        "quiz question 1, choice 1: 'text' is longer than 5 characters",
    ]
