"""The admin for content: who may do what, drafts and publishing, safe deletion, preview."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from courses.roles import ensure_content_editors_group
from lessons.models import Lesson
from progress.services import record_lesson_completion
from quizzes.models import Question
from tests.factories import make_course, make_lesson, make_quiz, make_user
from training.roles import ensure_trainers_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(db):
    user = make_user("edna", first_name="Edna", last_name="Editor", is_staff=True)
    user.groups.add(ensure_content_editors_group())
    return user


@pytest.fixture
def staff_trainer(db):
    user = make_user("trudy", is_staff=True)
    user.groups.add(ensure_trainers_group())
    return user


def admin_url(model, action="changelist", *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def content(course, learner):
    quiz = make_quiz(lesson=course.lessons.first())
    record_lesson_completion(learner, course.lessons.first())
    return course, quiz


def test_content_editor_can_open_every_content_page(client, editor, content):
    course, quiz = content
    client.force_login(editor)
    lesson = course.lessons.first()
    question = quiz.questions.first()
    for model, obj in (
        (type(course), course),
        (Lesson, lesson),
        (type(quiz), quiz),
        (Question, question),
    ):
        for url in (admin_url(model), admin_url(model, "add"), admin_url(model, "change", obj.pk)):
            assert client.get(url).status_code == 200, url


def test_content_editor_cannot_manage_people(client, editor):
    from django.contrib.auth.models import User

    from training.models import Assignment, Team

    client.force_login(editor)
    for model in (User, Team, Assignment):
        assert client.get(admin_url(model)).status_code == 403, model


def test_trainer_given_staff_status_sees_nothing_in_the_admin(client, staff_trainer, course):
    # Trainers work on /trainer/: their group holds no model permission (issue 9).
    from training.models import Assignment, Team

    client.force_login(staff_trainer)
    assert client.get(admin_url(Team)).status_code == 403
    assert client.get(admin_url(Assignment, "add")).status_code == 403
    assert client.get(admin_url(Lesson)).status_code == 403
    assert client.get(admin_url(type(course), "change", course.pk)).status_code == 403
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200 and "have permission to view or edit anything" in text(index)


def test_staff_without_permissions_is_refused(client, course):
    client.force_login(make_user("sam", is_staff=True))
    assert client.get(admin_url(type(course))).status_code == 403


def test_lesson_with_progress_cannot_be_deleted_and_says_why(client, editor, content):
    course, _quiz = content
    lesson = course.lessons.first()
    client.force_login(editor)
    page = text(client.get(admin_url(Lesson, "change", lesson.pk)))
    assert "cannot be deleted" in page and "retire it instead" in page
    assert client.get(admin_url(Lesson, "delete", lesson.pk)).status_code == 403
    assert client.post(admin_url(Lesson, "delete", lesson.pk), {"post": "yes"}).status_code == 403
    assert Lesson.objects.filter(pk=lesson.pk).exists()


def test_bulk_delete_of_a_course_with_progress_is_refused(client, editor, content):
    course, _quiz = content
    client.force_login(editor)
    response = client.post(
        admin_url(type(course)),
        {"action": "delete_selected", "_selected_action": [course.pk], "post": "yes"},
    )
    assert response.status_code == 200
    assert "Cannot delete course" in response.content.decode()
    assert type(course).objects.filter(pk=course.pk).exists()


def test_lesson_without_learner_records_can_be_deleted(client, editor, course):
    lesson = course.lessons.last()
    client.force_login(editor)
    response = client.post(admin_url(Lesson, "delete", lesson.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Lesson.objects.filter(pk=lesson.pk).exists()


def test_question_with_answers_cannot_be_deleted(client, editor, learner, course):
    from quizzes.models import Attempt

    quiz = make_quiz(lesson=course.lessons.first())
    question = quiz.questions.first()
    attempt = Attempt.objects.create(learner=learner, quiz=quiz, number=1)
    attempt.answers.create(
        question=question, position=1, is_correct=True, prompt="p", given="g", expected="e"
    )
    client.force_login(editor)
    assert client.get(admin_url(Question, "delete", question.pk)).status_code == 403


def test_publish_and_unpublish_actions(client, editor, learner, course):
    draft = make_lesson(course, 4, slug="new-one", title="Brand new", published_at=None)
    learner_client = type(client)()
    learner_client.force_login(learner)
    assert learner_client.get(draft.get_absolute_url()).status_code == 404
    client.force_login(editor)
    client.post(admin_url(Lesson), {"action": "publish", "_selected_action": [draft.pk]})
    assert learner_client.get(draft.get_absolute_url()).status_code == 200
    client.post(admin_url(Lesson), {"action": "unpublish", "_selected_action": [draft.pk]})
    assert learner_client.get(draft.get_absolute_url()).status_code == 404


def test_draft_course_is_invisible_to_learners(client, learner):
    course = make_course(lessons=1)
    course.published_at = None
    course.save()
    client.force_login(learner)
    assert client.get(course.get_absolute_url()).status_code == 404
    assert client.get(course.lessons.first().get_absolute_url()).status_code == 404
    assert course.title not in client.get(reverse("courses:catalogue")).content.decode()


def test_preview_shows_a_draft_rendered_and_sanitised_to_staff_only(
    client, editor, learner, course
):
    draft = make_lesson(
        course,
        4,
        slug="draft",
        title="Draft lesson",
        published_at=None,
        body_markdown="## Hello\n\n<script>alert(1)</script>**bold**",
    )
    url = reverse("preview_lesson", args=[draft.pk])
    client.force_login(learner)
    assert client.get(url).status_code == 404
    client.force_login(editor)
    page = client.get(url).content.decode()
    assert "It is a draft: learners cannot see it" in page
    assert '<h2 id="s-hello">Hello</h2>' in page and "<strong>bold</strong>" in page
    assert "<script>alert" not in page
    assert len(re.findall(r"<h1[\s>]", page)) == 1
    admin_page = client.get(admin_url(Lesson, "change", draft.pk)).content.decode()
    assert "<strong>bold</strong>" in admin_page and url in admin_page


def test_editing_in_the_admin_is_recorded_in_history(client, editor, course):
    lesson = course.lessons.first()
    client.force_login(editor)
    data = {
        "course": course.pk,
        "title": "Retitled",
        "slug": lesson.slug,
        "position": 1,
        "minutes": "",
        "body_markdown": "New *body*",
    }
    assert client.post(admin_url(Lesson, "change", lesson.pk), data).status_code == 302
    lesson.refresh_from_db()
    assert (lesson.title, lesson.body_html) == ("Retitled", "<p>New <em>body</em></p>")
    entry = LogEntry.objects.get(object_id=str(lesson.pk))
    assert entry.user == editor and "Title" in entry.get_change_message()


def test_course_list_shows_lessons_learners_and_completion(
    client, editor, course, learner, second_learner
):
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    record_lesson_completion(second_learner, course.lessons.first())
    client.force_login(editor)
    row = next(
        r for r in text(client.get(admin_url(type(course)))).split("<tr") if course.title in r
    )
    cells = re.findall(r'<td class="field-(\w+)[^"]*">([^<]*)<', row)
    values = dict(cells)
    # 2 learners started; 4 of 6 possible lesson completions
    assert (values["lesson_count"], values["learners_started"], values["average_completion"]) == (
        "3",
        "2",
        "66%",
    )


def test_course_preview_shows_a_draft_course_to_staff_only(client, editor, learner):
    course = make_course(lessons=2, title="Draft course")
    course.published_at = None
    course.save()
    url = reverse("preview_course", args=[course.pk])
    client.force_login(learner)
    assert client.get(url).status_code == 404
    client.force_login(editor)
    page = text(client.get(url))
    assert "It is a draft: learners cannot see it" in page and "Lesson title 2" in page


def test_content_editors_manage_a_courses_media(editor):
    # The course page's media inline (issue 12) needs these; people and teams stay out.
    for action in ("add", "change", "delete", "view"):
        assert editor.has_perm(f"courses.{action}_mediafile")
