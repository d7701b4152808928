"""import_content and the admin: no edit is lost between the files and the database.

Each course, lesson and quiz remembers what was last imported; an import takes
the files where only they changed, keeps an admin's edit where only the
database changed, and stops before writing anything when both changed.
"""

from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from authoring.content_files import read_content
from authoring.content_hash import course_hash, lesson_hash, quiz_hash
from courses.models import Course
from lessons.models import Lesson
from quizzes.models import Choice, Question, Quiz

pytestmark = pytest.mark.django_db

COURSE = """\
---
title: {title}
description: A small course for tests.
quiz:
  questions:
    - id: final
      type: true_false
      prompt: "Customers are people."
      answer: true
---
Welcome to {title}.
"""

FIRST = """\
---
title: First lesson
minutes: 3
quiz:
  questions:
    - id: pick
      type: single
      prompt: "Pick the right one."
      choices:
        - {text: "Right", correct: true, feedback: "Yes."}
        - {text: "Wrong", correct: false}
---
The first lesson.
"""

SECOND = """\
---
title: Second lesson
---
The second lesson.
"""


# How the import names the admin user who made an edit (admin_user is "ada").
BY_ADA = "changed in the admin by ada on "


def write_course(root: Path, slug: str) -> Path:
    folder = root / slug
    folder.mkdir(parents=True)
    (folder / "course.md").write_text(COURSE.format(title=slug.title()))
    (folder / "01-first.md").write_text(FIRST)
    (folder / "02-second.md").write_text(SECOND)
    return folder


@pytest.fixture
def pack(tmp_path) -> Path:
    """Two small courses, imported once."""
    root = tmp_path / "content"
    write_course(root, "basics")
    write_course(root, "extras")
    run_import(root)
    return root


def run_import(root: Path, *options: str) -> str:
    out = StringIO()
    call_command("import_content", str(root), *options, stdout=out)
    return out.getvalue()


def edit_file(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def lesson(course: str, slug: str) -> Lesson:
    return Lesson.objects.get(course__slug=course, slug=slug)


def snapshot() -> list:
    """Every row an import could touch, with every field."""
    return [
        list(model.objects.order_by("pk").values())
        for model in (Course, Lesson, Quiz, Question, Choice)
    ]


class _Form(HTMLParser):
    """The fields of an admin form as a browser would submit them unchanged."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") == "checkbox":
                if "checked" in attrs:
                    self.data[name] = attrs.get("value") or "on"
            else:
                self.data[name] = attrs.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select] = attrs.get("value") or ""

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Browsers drop the newline Django writes after <textarea>.
            self.data[self._textarea] = self.data[self._textarea].removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None


def admin_save(client, obj=None, model=None, **changes) -> None:
    """Open the object's admin form (or the add form), change fields, save."""
    model = model or type(obj)
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    url = reverse(f"{name}_change", args=[obj.pk]) if obj else reverse(f"{name}_add")
    form = _Form()
    form.feed(client.get(url).content.decode())
    response = client.post(url, {**form.data, **changes})
    assert response.status_code == 302, response.content.decode()


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_imported_hashes_match_the_database_and_the_files(sample_course):
    (source,) = read_content(settings.CONTENT_DIR / "who-is-your-customer")
    assert sample_course.imported_hash == course_hash(sample_course) == course_hash(source)
    for lesson_source in source.lessons:
        row = sample_course.lessons.get(slug=lesson_source.slug)
        assert row.imported_hash == lesson_hash(row) == lesson_hash(lesson_source)
        assert row.quiz.imported_hash == quiz_hash(row.quiz) == quiz_hash(lesson_source.quiz)
    final = sample_course.final_assessment
    assert final.imported_hash == quiz_hash(final) == quiz_hash(source.final_assessment)


def test_unchanged_reimport_writes_nothing(pack):
    before = snapshot()
    out = run_import(pack)
    assert snapshot() == before
    assert "kept" not in out and "only in the admin" not in out
    assert "basics: course unchanged; lessons: 0 created, 0 updated, 2 unchanged" in out


def test_a_change_in_the_files_is_imported_and_recorded(pack):
    edit_file(pack / "basics" / "01-first.md", "The first lesson.", "The first lesson, revised.")
    out = run_import(pack)
    first = lesson("basics", "first")
    assert first.body_markdown == "The first lesson, revised.\n"
    assert first.imported_hash == lesson_hash(first)
    assert "basics: course updated; lessons: 0 created, 1 updated" in out


def test_an_admin_edit_is_kept_and_reported(pack, admin_client):
    first = lesson("basics", "first")
    admin_save(admin_client, first, title="First lesson, fixed", body_markdown="Fixed at 5 pm.")
    out = run_import(pack)
    first.refresh_from_db()
    assert (first.title, first.body_markdown) == ("First lesson, fixed", "Fixed at 5 pm.")
    assert f"basics: kept the admin's edit of lesson first ({BY_ADA}" in out
    assert "run export_content to take it into the files" in out


def test_a_conflict_stops_the_whole_pack(pack, admin_client):
    admin_save(admin_client, lesson("basics", "first"), title="Fixed in the admin")
    edit_file(pack / "basics" / "01-first.md", "title: First lesson", "title: Fixed in git")
    edit_file(pack / "extras" / "02-second.md", "title: Second lesson", "title: Also changed")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        run_import(pack)
    message = str(caught.value)
    assert "1 conflict: " in message and "nothing was imported" in message
    assert f"basics, lesson first: changed in the files, and {BY_ADA}" in message
    assert "manage.py export_content" in message
    assert "manage.py import_content --theirs" in message
    assert snapshot() == before  # not even the other course's unconflicted change


@pytest.mark.parametrize("option", ["--theirs", "--force"])
def test_theirs_takes_the_files_and_says_what_it_overwrote(pack, admin_client, option):
    admin_save(admin_client, lesson("basics", "first"), title="Fixed in the admin")
    admin_save(admin_client, lesson("basics", "second"), title="Second, fixed")
    edit_file(pack / "basics" / "01-first.md", "title: First lesson", "title: Fixed in git")
    out = run_import(pack, option)
    assert lesson("basics", "first").title == "Fixed in git"  # a conflict
    assert lesson("basics", "second").title == "Second lesson"  # an admin-only edit
    assert f"basics: overwrote the admin's edit of lesson first ({BY_ADA}" in out
    assert f"basics: overwrote the admin's edit of lesson second ({BY_ADA}" in out
    assert "basics: course updated; lessons: 0 created, 2 updated" in out
    assert run_import(pack).count("overwrote") == 0  # and now the two sides agree


def test_both_sides_changed_to_the_same_text_is_no_conflict(pack, admin_client):
    admin_save(admin_client, lesson("basics", "first"), title="Same fix")
    edit_file(pack / "basics" / "01-first.md", "title: First lesson", "title: Same fix")
    out = run_import(pack)
    first = lesson("basics", "first")
    assert first.title == "Same fix" and "kept" not in out
    assert first.imported_hash == lesson_hash(first)


def test_a_lesson_created_in_the_admin_survives_an_import(pack, admin_client):
    course = Course.objects.get(slug="basics")
    admin_save(
        admin_client,
        model=Lesson,
        course=str(course.pk),
        title="Made in the admin",
        slug="admin-made",
        position="3",
        body_markdown="Not in any file.",
    )
    out = run_import(pack)
    made = lesson("basics", "admin-made")
    assert made.retired_at is None and made.body_markdown == "Not in any file."
    assert "basics: lesson admin-made is only in the admin (not in the files); left alone" in out
    assert "0 retired" in out


def test_a_lesson_removed_from_the_files_but_edited_in_the_admin_is_a_conflict(pack, admin_client):
    admin_save(admin_client, lesson("basics", "second"), body_markdown="Still needed.")
    (pack / "basics" / "02-second.md").unlink()
    with pytest.raises(CommandError) as caught:
        run_import(pack)
    assert f"basics, lesson second: removed from the files, and {BY_ADA}" in str(caught.value)
    assert lesson("basics", "second").retired_at is None


def test_a_lesson_removed_from_the_files_and_unchanged_is_retired(pack):
    (pack / "basics" / "02-second.md").unlink()
    out = run_import(pack)
    assert lesson("basics", "second").retired_at is not None
    assert "0 updated, 1 unchanged, 1 retired" in out


def reword_question_in_the_admin(client) -> Question:
    question = Question.objects.get(quiz__lesson__course__slug="basics", key="pick")
    admin_save(client, question, prompt="Pick the correct one.")
    question.refresh_from_db()
    assert question.prompt == "Pick the correct one."
    return question


def test_a_quiz_edited_in_the_admin_is_kept(pack, admin_client):
    question = reword_question_in_the_admin(admin_client)
    out = run_import(pack)
    question.refresh_from_db()
    assert question.prompt == "Pick the correct one."
    assert f"basics: kept the admin's edit of quiz of lesson first ({BY_ADA}" in out


def test_a_quiz_edited_in_the_admin_and_in_the_files_is_a_conflict(pack, admin_client):
    reword_question_in_the_admin(admin_client)
    edit_file(pack / "basics" / "01-first.md", 'text: "Wrong"', 'text: "Not right"')
    with pytest.raises(CommandError) as caught:
        run_import(pack)
    message = str(caught.value)
    assert f"basics, quiz of lesson first: changed in the files, and {BY_ADA}" in message


def test_export_then_import_takes_the_admin_edit_into_the_files(pack, admin_client):
    first = lesson("basics", "first")
    admin_save(admin_client, first, title="Fixed in the admin", body_markdown="New *body*.")
    reword_question_in_the_admin(admin_client)
    call_command("export_content", str(pack), stdout=StringIO())
    out = run_import(pack)
    assert "kept" not in out
    first.refresh_from_db()
    assert first.title == "Fixed in the admin"
    # The hashes are recorded: the database, the record and the files agree again.
    (source,) = [s for s in read_content(pack) if s.slug == "basics"]
    assert first.imported_hash == lesson_hash(first) == lesson_hash(source.lessons[0])
    assert first.quiz.imported_hash == quiz_hash(first.quiz) == quiz_hash(source.lessons[0].quiz)
    before = snapshot()
    assert "kept" not in run_import(pack)
    assert snapshot() == before


def test_rows_imported_before_hashes_existed_take_the_files(pack):
    Course.objects.update(imported_hash="")
    Lesson.objects.update(imported_hash="")
    Quiz.objects.update(imported_hash="")
    Lesson.objects.filter(course__slug="basics", slug="first").update(
        title="Changed before the upgrade"
    )
    out = run_import(pack)
    assert lesson("basics", "first").title == "First lesson"
    assert "kept" not in out
    assert not Lesson.objects.filter(imported_hash="").exists()


def test_a_course_edited_in_the_admin_is_kept(pack, admin_client):
    admin_save(admin_client, Course.objects.get(slug="basics"), title="Basics, renamed")
    out = run_import(pack)
    assert Course.objects.get(slug="basics").title == "Basics, renamed"
    assert f"basics: kept the admin's edit of course ({BY_ADA}" in out


def test_a_change_without_admin_history_says_so(pack):
    Lesson.objects.filter(course__slug="basics", slug="first").update(title="Changed by a script")
    edit_file(pack / "basics" / "01-first.md", "title: First lesson", "title: Fixed in git")
    with pytest.raises(
        CommandError, match=r"lesson first: changed in the files, and changed outside the admin"
    ):
        run_import(pack)
