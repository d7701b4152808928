"""import_content: creating, updating and retiring without losing anyone's progress."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from authoring.content_files import read_content
from authoring.importing import import_content
from courses.models import Course
from lessons.models import Lesson, LessonProgress, ProgressState
from lessons.services import start_lesson
from progress.services import record_lesson_completion
from quizzes.models import Choice, Question, Quiz


@pytest.fixture
def content(tmp_path) -> Path:
    """A writable copy of the sample course (content/ holds other courses too)."""
    sample = "who-is-your-customer"
    shutil.copytree(settings.CONTENT_DIR / sample, tmp_path / "content" / sample)
    return tmp_path / "content"


@pytest.fixture
def course_dir(content) -> Path:
    return content / "who-is-your-customer"


def snapshot() -> list:
    """Every row an import could touch, with every field."""
    return [
        list(Course.objects.order_by("pk").values()),
        list(Lesson.objects.order_by("pk").values()),
        list(LessonProgress.objects.order_by("pk").values()),
        list(Quiz.objects.order_by("pk").values()),
        list(Question.objects.order_by("pk").values()),
        list(Choice.objects.order_by("pk").values()),
    ]


def test_import_creates_the_course_and_its_lessons_in_order(db, content):
    (report,) = import_content(content)
    assert report.course_created and len(report.created) == 7
    course = Course.objects.get(slug="who-is-your-customer")
    assert course.title == "Who is your customer?"
    assert list(course.lessons.values_list("position", "slug"))[:2] == [
        (1, "what-is-a-customer"),
        (2, "external-customers"),
    ]


def test_import_renders_markdown_once_on_save(db, content):
    import_content(content)
    lesson = Lesson.objects.get(slug="why-the-distinction-matters")
    assert "<table>" in lesson.body_html
    assert '<h2 id="s-summary">Summary</h2>' in lesson.body_html


def test_reimporting_unchanged_content_changes_nothing(db, content):
    import_content(content)
    before = snapshot()
    (report,) = import_content(content)
    assert not report.changed
    assert len(report.unchanged) == 7
    assert snapshot() == before


def test_edited_lesson_is_updated_in_place(db, content, course_dir):
    import_content(content)
    lesson = Lesson.objects.get(slug="external-customers")
    path = course_dir / "02-external-customers.md"
    text = path.read_text().replace("title: External customers", "title: Outside customers")
    path.write_text(text)
    (report,) = import_content(content)
    assert report.updated == ["external-customers"]
    assert Lesson.objects.get(pk=lesson.pk).title == "Outside customers"


def test_reordering_and_retitling_keeps_progress(db, content, course_dir, learner):
    import_content(content)
    lesson = Lesson.objects.get(slug="internal-customers")
    record_lesson_completion(learner, lesson)
    for suffix in (".md", ".de.md"):  # a lesson file moves with its translation
        (course_dir / f"03-internal-customers{suffix}").rename(
            course_dir / f"09-internal-customers{suffix}"
        )
    path = course_dir / "09-internal-customers.md"
    path.write_text(path.read_text().replace("title: Internal customers", "title: Colleagues"))
    import_content(content)
    moved = Lesson.objects.get(pk=lesson.pk)
    assert (moved.title, moved.position) == ("Colleagues", 7)
    progress = LessonProgress.objects.get(learner=learner, lesson=moved)
    assert progress.state == ProgressState.COMPLETED


def test_removed_lesson_is_retired_and_its_progress_kept(db, content, course_dir, learner):
    import_content(content)
    lesson = Lesson.objects.get(slug="the-80-20-rule")
    start_lesson(learner, lesson)
    (course_dir / "07-the-80-20-rule.md").unlink()
    (course_dir / "07-the-80-20-rule.de.md").unlink()  # its translation goes with it
    (report,) = import_content(content)
    assert report.retired == ["the-80-20-rule"]
    lesson.refresh_from_db()
    assert lesson.retired_at is not None
    assert Lesson.objects.published().filter(course=lesson.course).count() == 6
    assert LessonProgress.objects.filter(learner=learner, lesson=lesson).exists()


def test_lesson_back_on_disk_is_published_again(db, content, course_dir):
    import_content(content)
    files = [course_dir / "07-the-80-20-rule.md", course_dir / "07-the-80-20-rule.de.md"]
    saved = [path.read_text() for path in files]
    for path in files:
        path.unlink()
    import_content(content)
    for path, text in zip(files, saved, strict=True):
        path.write_text(text)
    (report,) = import_content(content)
    assert report.updated == ["the-80-20-rule"]
    assert Lesson.objects.get(slug="the-80-20-rule").retired_at is None


@pytest.mark.parametrize(
    "name, content_bytes",
    [
        ("03-internal-customers.md", b"---\ntitle: [unclosed\n---\n"),
        ("03-internal-customers.md", b"no front matter\n"),
        ("03-internal-customers.md", b"---\ntitle: Caf\xe9\n---\n"),
        ("08-internal-customers.md", b"---\ntitle: Duplicate slug\n---\n"),
    ],
)
def test_bad_file_changes_nothing_in_the_database(
    db, content, course_dir, learner, name, content_bytes
):
    import_content(content)
    record_lesson_completion(learner, Lesson.objects.get(slug="what-is-a-customer"))
    path = course_dir / "01-what-is-a-customer.md"
    path.write_text(path.read_text().replace("What is a customer?", "Changed title"))
    (course_dir / name).write_bytes(content_bytes)
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        call_command("import_content", str(content))
    assert name in str(caught.value)
    assert "nothing was imported" in str(caught.value)
    assert snapshot() == before


def test_a_bad_course_stops_the_good_one_too(db, content):
    (content / "broken").mkdir()
    (content / "broken" / "course.md").write_text("---\ntitle: Broken\n---\n")
    with pytest.raises(CommandError, match="broken/course.md: the course has no lessons"):
        call_command("import_content", str(content))
    assert not Course.objects.exists()


def test_command_reports_what_it_did(db, content, capsys):
    (source,) = read_content(content)
    quizzes = [lesson.quiz for lesson in source.lessons] + [source.final_assessment]
    created = sum(1 + len(quiz.questions) for quiz in quizzes if quiz)  # quizzes and questions
    translations = len(source.translations) + sum(
        len(lesson.translations) for lesson in source.lessons
    )
    call_command("import_content", str(content))
    call_command("import_content", str(content))
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "who-is-your-customer: course created; lessons: 7 created, 0 updated, 0 unchanged, "
        f"0 retired; quizzes: {created} changes; translations: {translations} changes",
        "who-is-your-customer: course unchanged; lessons: 0 created, 0 updated, 7 unchanged, "
        "0 retired; quizzes: unchanged",
    ]
