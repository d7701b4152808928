"""export_content writes the content format back; importing an export changes nothing."""

import difflib

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from authoring.content_files import read_content
from authoring.importing import import_content
from courses.models import Course
from lessons.models import Lesson
from quizzes.models import Choice, Question, Quiz
from tests.factories import make_quiz

# The sample course's folder (content/ holds other courses too).
SAMPLE = settings.CONTENT_DIR / "who-is-your-customer"

pytestmark = pytest.mark.django_db


def content_snapshot() -> list:  # published content only: drafts stay in the admin
    """Everything the content format carries, without ids or timestamps."""
    return [
        list(
            Course.objects.order_by("slug").values(
                "slug", "title", "description", "introduction_markdown", "visibility"
            )
        ),
        list(
            Lesson.objects.published()
            .order_by("course__slug", "position")
            .values("course__slug", "slug", "title", "position", "minutes", "body_markdown")
        ),
        list(
            Quiz.objects.filter(retired_at__isnull=True)
            .order_by("course__slug", "lesson__course__slug", "lesson__position")
            .values("course__slug", "lesson__slug", "pass_mark", "max_attempts", "shuffle")
        ),
        list(
            Question.objects.filter(retired_at__isnull=True)
            .order_by("quiz__course__slug", "quiz__lesson__slug", "position")
            .values(
                "quiz__course__slug",
                "quiz__lesson__slug",
                "key",
                "position",
                "type",
                "prompt",
                "explanation",
                "accepted_answers",
            )
        ),
        list(
            Choice.objects.filter(question__retired_at__isnull=True)
            .order_by("question__quiz__lesson__slug", "question__key", "position")
            .values("question__key", "position", "text", "is_correct", "feedback")
        ),
    ]


def reset_database():
    Course.objects.all().delete()
    assert not Question.objects.exists()


def round_trip(tmp_path) -> tuple[list, list]:
    before = content_snapshot()
    call_command("export_content", str(tmp_path / "export"))
    reset_database()
    import_content(tmp_path / "export")
    return before, content_snapshot()


def test_sample_course_round_trips(tmp_path):
    import_content(SAMPLE)
    before, after = round_trip(tmp_path)
    assert after == before
    (source,) = read_content(SAMPLE)
    quizzes = [lesson.quiz for lesson in source.lessons] + [source.final_assessment]
    assert len(after[3]) == sum(len(quiz.questions) for quiz in quizzes if quiz)  # all back


def test_generated_course_round_trips(tmp_path):
    course = Course.objects.create(
        slug="tricky",
        title='Tricky: quotes "and" colons',
        description="Ünïcode — fine",
        introduction_markdown="Intro with a list:\n\n- one\n- two\n",
        visibility="assigned",
    )
    lesson = Lesson.objects.create(
        course=course,
        slug="first",
        title="# not a heading",
        position=1,
        minutes=7,
        body_markdown="    indented code first\n\n## Then a heading\n\n| a | b |\n|---|---|\n",
        published_at=timezone.now(),
    )
    Lesson.objects.create(
        course=course,
        slug="second",
        title="Second",
        position=2,
        body_markdown="Plain.\n",
        published_at=timezone.now(),
    )
    Lesson.objects.create(
        course=course, slug="draft", title="Draft", position=3, body_markdown="Not ready.\n"
    )
    make_quiz(
        lesson=lesson,
        pass_mark=60,
        max_attempts=2,
        shuffle=True,
        questions=[
            {
                "key": "multi-line",
                "type": "single",
                "prompt": "Line one\nline two: yes?",
                "explanation": "- starts like a list",
                "choices": [("yes: really", True), ("no", False)],
            },
            {
                "key": "tf-false",
                "type": "true_false",
                "prompt": "False is right.",
                "choices": [("True", False), ("False", True)],
            },
            {
                "key": "typed",
                "type": "short",
                "prompt": "Type @home",
                "accepted_answers": ["@home", "at home"],
            },
            {
                "key": "several",
                "type": "multiple",
                "prompt": "Pick: many",
                "choices": [("a", True), ("b", True), ("'c'", False)],
            },
        ],
    )
    make_quiz(
        course=course,
        questions=[
            {
                "key": "final-one",
                "type": "single",
                "prompt": "Final?",
                "choices": [("x", False), ("y", True)],
            },
        ],
    )
    # Some choices without feedback; true/false choices never have any in the format.
    Choice.objects.filter(text__in=["no", "b"]).update(feedback="")
    Choice.objects.filter(question__type="true_false").update(feedback="")
    before, after = round_trip(tmp_path)
    for index, (was, now) in enumerate(zip(before, after, strict=True)):
        assert now == was, index


def test_drafts_are_not_exported(tmp_path):
    import_content(SAMPLE)
    Lesson.objects.filter(slug="the-80-20-rule").update(published_at=None)
    call_command("export_content", str(tmp_path))
    assert not (tmp_path / "who-is-your-customer" / "07-the-80-20-rule.md").exists()


def test_exporting_twice_gives_identical_bytes(tmp_path):
    import_content(SAMPLE)
    call_command("export_content", str(tmp_path / "one"))
    call_command("export_content", str(tmp_path / "two"))
    one = {
        p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*.md")
    }
    two = {
        p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*.md")
    }
    assert one == two and len(one) == 16  # course.md, seven lessons, each in English and German


def test_export_leaves_out_retired_lessons_and_removes_stale_files(tmp_path):
    import_content(SAMPLE)
    call_command("export_content", str(tmp_path))
    lesson = Lesson.objects.get(slug="external-customers")
    lesson.retired_at = lesson.updated_at
    lesson.save()
    call_command("export_content", str(tmp_path))
    names = sorted(p.name for p in (tmp_path / "who-is-your-customer").glob("*.md"))
    assert "02-external-customers.md" not in names
    assert "02-external-customers.de.md" not in names  # nor its translation
    assert "02-internal-customers.md" in names and len(names) == 14


# Byte for byte (issue 20): "export, then review with git diff" shows only the edit --


def folder_bytes(root) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def imported_and_exported(tmp_path) -> dict[str, bytes]:
    call_command("export_content", str(tmp_path / "export"))
    return folder_bytes(tmp_path / "export")


def test_exporting_the_imported_content_folder_gives_its_files_byte_for_byte(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    import_content(settings.CONTENT_DIR)
    exported = imported_and_exported(tmp_path)
    committed = folder_bytes(settings.CONTENT_DIR)
    assert sorted(exported) == sorted(committed)
    different = [name for name in committed if exported[name] != committed[name]]
    assert different == [], "run scripts/format-content and commit the result"


def test_a_lesson_edited_in_the_admin_changes_only_its_own_lines_in_the_export(
    tmp_path, settings, client, admin_user
):
    from tests.test_import_conflicts import _Form

    settings.MEDIA_ROOT = tmp_path / "media"
    import_content(settings.CONTENT_DIR)
    lesson = Lesson.objects.get(slug="internal-customers")
    old_line = lesson.body_markdown.splitlines()[2]
    new_line = old_line + " A typo fixed at 5 pm."
    client.force_login(admin_user)
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    form = _Form()
    form.feed(client.get(url).content.decode())
    body = form.data["body_markdown"].replace(old_line, new_line, 1)
    # A browser posts a text area with CRLF line endings.
    form.data["body_markdown"] = body.replace("\r\n", "\n").replace("\n", "\r\n")
    response = client.post(url, form.data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "\r" not in Lesson.objects.get(pk=lesson.pk).body_markdown

    exported = imported_and_exported(tmp_path)
    committed = folder_bytes(settings.CONTENT_DIR)
    changed = {name for name in committed if exported.get(name) != committed[name]}
    (name,) = changed
    assert name.endswith("-internal-customers.md")
    before = committed[name].decode().splitlines()
    after = exported[name].decode().splitlines()
    diff = [line for line in difflib.ndiff(before, after) if line[:1] in "+-"]
    assert diff == [f"- {old_line}", f"+ {new_line}"]


def test_content_is_stored_with_lf_line_endings_whoever_saves_it():
    course = Course.objects.create(slug="c", title="C", introduction_markdown="One\r\nTwo\rThree")
    lesson = Lesson.objects.create(
        course=course, slug="l", title="L", position=1, body_markdown="A\r\nB\r\n"
    )
    quiz = make_quiz(lesson=lesson)
    question = quiz.questions.first()
    question.explanation = "Why\r\nso"
    question.accepted_answers = ["a\r\nb"]
    question.save()
    assert Course.objects.get().introduction_markdown == "One\nTwo\nThree"
    assert Lesson.objects.get().body_markdown == "A\nB\n"
    question.refresh_from_db()
    assert (question.explanation, question.accepted_answers) == ("Why\nso", ["a\nb"])
