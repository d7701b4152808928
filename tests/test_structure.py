"""The cached course structure (progress.structure): read once per content version,
and every way content changes gives the course a new version, so learners see the
change at once, on every app server, with a cache that was warm before it."""

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from lessons.models import Lesson
from progress.rules import course_quizzes, courses_with_next_step, lessons_with_state
from progress.structure import course_structure
from quizzes.models import Quiz
from tests.factories import make_course, make_lesson, make_quiz

pytestmark = pytest.mark.django_db


def fresh(course: Course) -> Course:
    """The course row as the next request reads it."""
    return Course.objects.get(pk=course.pk)


def titles(learner, course: Course) -> list[str]:
    return [lesson.title for lesson in lessons_with_state(learner, fresh(course))]


def final_of(learner, course: Course):
    return course_quizzes(learner, fresh(course)).final


def quiz_of_lessons(learner, course: Course) -> dict[int, int]:
    return course_quizzes(learner, fresh(course)).of_lesson


def test_a_warm_structure_costs_no_query(course):
    course_structure(fresh(course))
    course = fresh(course)
    with CaptureQueriesContext(connection) as queries:
        structure = course_structure(course)
    assert len(queries) == 0
    assert [lesson.position for lesson in structure.lessons] == [1, 2, 3]


def test_each_call_gets_its_own_lessons(course):
    first = course_structure(fresh(course))
    first.lessons[0].title = "Changed by one page"
    assert course_structure(fresh(course)).lessons[0].title == "Lesson title 1"


def test_lessons_come_with_their_course_set(course):
    course = fresh(course)
    lesson = course_structure(course).lessons[0]
    with CaptureQueriesContext(connection) as queries:
        url = lesson.get_absolute_url()
    assert len(queries) == 0
    assert url == reverse("lessons:detail", args=[course.slug, "lesson-1"])


# Every way content changes, each with a warm cache before it. -------------------


def rename_lesson(course):
    lesson = course.lessons.get(position=2)
    lesson.title = "Renamed"
    lesson.save()


def add_lesson(course):
    make_lesson(course, 4, title="Added")


def retire_lesson(course):
    lesson = course.lessons.get(position=2)
    lesson.retired_at = timezone.now()
    lesson.save()


def delete_lesson(course):
    course.lessons.get(position=2).delete()


def reorder_lessons(course):
    lesson = course.lessons.get(position=1)
    lesson.position = 9
    lesson.save(update_fields=["position"])


@pytest.mark.parametrize(
    "change, expected",
    [
        (rename_lesson, ["Lesson title 1", "Renamed", "Lesson title 3"]),
        (add_lesson, ["Lesson title 1", "Lesson title 2", "Lesson title 3", "Added"]),
        (retire_lesson, ["Lesson title 1", "Lesson title 3"]),
        (delete_lesson, ["Lesson title 1", "Lesson title 3"]),
        (reorder_lessons, ["Lesson title 2", "Lesson title 3", "Lesson title 1"]),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_lesson_changes_are_seen_at_once(learner, course, change, expected):
    assert titles(learner, course) == ["Lesson title 1", "Lesson title 2", "Lesson title 3"]
    change(course)
    assert titles(learner, course) == expected


def test_a_lesson_moved_to_another_course_leaves_the_first(learner, course):
    other = make_course(lessons=1)
    titles(learner, course), titles(learner, other)
    lesson = course.lessons.get(position=3)
    lesson.course, lesson.position = other, 2
    lesson.save()
    assert titles(learner, course) == ["Lesson title 1", "Lesson title 2"]
    assert titles(learner, other) == ["Lesson title 1", "Lesson title 3"]


def test_a_lesson_quiz_added_and_retired_is_seen_at_once(learner, course):
    lesson = course.lessons.get(position=1)
    assert quiz_of_lessons(learner, course) == {}
    quiz = make_quiz(lesson=lesson)
    assert quiz_of_lessons(learner, course) == {lesson.pk: quiz.pk}
    quiz.retired_at = timezone.now()
    quiz.save()
    assert quiz_of_lessons(learner, course) == {}


def test_a_final_assessment_added_and_deleted_is_seen_at_once(learner, course):
    assert final_of(learner, course) is None
    final = make_quiz(course=course)
    assert final_of(learner, course).pk == final.pk
    Quiz.objects.get(pk=final.pk).delete()
    assert final_of(learner, course) is None


def test_a_quiz_moved_to_another_lesson_course_leaves_the_first(learner, course):
    other = make_course(lessons=1)
    quiz = make_quiz(lesson=course.lessons.get(position=1))
    quiz_of_lessons(learner, course), quiz_of_lessons(learner, other)
    quiz.lesson = other.lessons.get()
    quiz.save()
    assert quiz_of_lessons(learner, course) == {}
    assert quiz_of_lessons(learner, other) == {other.lessons.get().pk: quiz.pk}


def test_a_stale_course_saved_after_a_lesson_change_keeps_the_change(learner, course):
    """The admin (or the importer) saves a Course row it read before the lessons
    changed: the version it read must not come back with it."""
    stale = fresh(course)
    titles(learner, course)
    rename_lesson(course)
    titles(learner, course)  # cached under the new version
    stale.description = "Edited in the admin"
    stale.save()
    assert titles(learner, course)[1] == "Renamed"


def test_saving_a_course_with_chosen_fields_still_changes_its_version(course):
    course = fresh(course)
    before = course.content_version
    course.title = "Retitled"
    course.save(update_fields=["title"])
    assert fresh(course).content_version != before


@pytest.fixture
def editor_client(client, admin_user):
    client.force_login(admin_user)
    return client


def admin_changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.mark.parametrize(
    "action, expected",
    [
        ("retire", ["Lesson title 1", "Lesson title 3"]),
        ("unpublish", ["Lesson title 1", "Lesson title 3"]),
    ],
)
def test_admin_actions_are_seen_at_once(editor_client, learner, course, action, expected):
    titles(learner, course)
    lesson = course.lessons.get(position=2)
    response = editor_client.post(
        admin_changelist(Lesson), {"action": action, "_selected_action": [lesson.pk]}
    )
    assert response.status_code == 302
    assert titles(learner, course) == expected


def test_admin_publish_and_bring_back_are_seen_at_once(editor_client, learner, course):
    lesson = course.lessons.get(position=2)
    lesson.published_at, lesson.retired_at = None, timezone.now()
    lesson.save()
    assert titles(learner, course) == ["Lesson title 1", "Lesson title 3"]
    for action in ("publish", "unretire"):
        editor_client.post(
            admin_changelist(Lesson), {"action": action, "_selected_action": [lesson.pk]}
        )
    assert titles(learner, course) == ["Lesson title 1", "Lesson title 2", "Lesson title 3"]


def test_the_course_admin_lesson_inline_is_seen_at_once(editor_client, learner, course):
    """Editing a lesson's title in the course's change form (its inline)."""
    titles(learner, course)
    url = reverse("admin:courses_course_change", args=[course.pk])
    data = _form_data(editor_client.get(url).content.decode())
    lesson = course.lessons.get(position=2)
    for key, value in list(data.items()):
        if value == lesson.title and key.endswith("-title"):
            data[key] = "Renamed inline"
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert titles(learner, course)[1] == "Renamed inline"


def _form_data(html: str) -> dict:
    """The values a browser would submit from the admin change form."""
    parser = _FormValues()
    parser.feed(html)
    return parser.data


class _FormValues(HTMLParser):
    """Collects a form's values as a browser submits them: inputs (checked boxes
    only; no buttons or files), textareas and each select's selected option."""

    def __init__(self):
        super().__init__()
        self.data, self.textarea, self.select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if name and "__prefix__" in name:  # the empty form JavaScript copies
            return
        if tag == "option":
            self._option(attrs)
        elif not name:
            return
        elif tag == "input":
            self._input(name, attrs)
        elif tag == "textarea":
            self.textarea = name
            self.data[name] = ""
        elif tag == "select":
            self.select = name

    def _input(self, name, attrs):
        kind = attrs.get("type", "text")
        if kind in ("submit", "button", "file"):
            return
        if kind not in ("checkbox", "radio"):
            self.data[name] = attrs.get("value", "")
        elif "checked" in attrs:
            self.data[name] = attrs.get("value", "on")

    def _option(self, attrs):
        if self.select and "selected" in attrs:
            self.data[self.select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data


def test_an_import_is_seen_at_once(learner, sample_course, tmp_path, settings):
    import shutil

    from authoring.importing import import_content

    before = titles(learner, sample_course)
    content = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, content)
    # The base file, not its translation (01-….de.md).
    (first,) = [p for p in (content / sample_course.slug).glob("01-*.md") if p.suffixes == [".md"]]
    text = first.read_text(encoding="utf-8")
    first.write_text(text.replace(f"title: {before[0]}", "title: Re-imported title", 1))
    import_content(content)
    assert titles(learner, sample_course)[0] == "Re-imported title"


def test_my_learning_follows_a_change_too(learner, course):
    make_lesson(course, 4, title="Added", published_at=None)
    ((_course, progress, _step),) = courses_with_next_step(learner, Course.objects.all())
    assert progress.total == 3
    lesson = Lesson.objects.get(course=course, position=4)
    lesson.published_at = timezone.now()
    lesson.save()
    ((_course, progress, _step),) = courses_with_next_step(learner, Course.objects.all())
    assert progress.total == 4
