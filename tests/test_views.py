"""The learner's pages over HTTP."""

import pytest
from django.urls import reverse
from django.utils import timezone

from lessons.models import LessonProgress, ProgressState
from lessons.services import start_lesson
from progress.services import complete_lesson
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def lesson_url(lesson) -> str:
    return reverse("lessons:detail", args=[lesson.course.slug, lesson.slug])


def complete_url(lesson) -> str:
    return reverse("lessons:complete", args=[lesson.course.slug, lesson.slug])


def page_text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize(
    "name, args",
    [
        ("courses:my_learning", []),
        ("courses:detail", ["course-x"]),
        ("courses:continue", ["course-x"]),
        ("courses:complete", ["course-x"]),
        ("lessons:detail", ["course-x", "lesson-1"]),
    ],
)
def test_learning_pages_require_login(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_login_and_logout(client, learner):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    assert response["Location"] == reverse("courses:home")
    assert client.get(reverse("courses:home"))["Location"] == reverse("courses:my_learning")
    assert client.get(reverse("courses:my_learning")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("courses:my_learning")).status_code == 302


def test_wrong_password_shows_an_error(client, learner):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_catalogue_offers_start_for_a_new_course(learner_client, course):
    text = page_text(learner_client.get(reverse("courses:catalogue")))
    assert course.title in text
    assert "Not started" in text and "0% Complete" in text
    assert f'href="{reverse("courses:continue", args=[course.slug])}">Start' in text


def test_my_learning_lists_courses_in_progress_only(learner_client, learner, course):
    assert course.title not in page_text(learner_client.get(reverse("courses:my_learning")))
    start_lesson(learner, course.lessons.first())
    assert course.title in page_text(learner_client.get(reverse("courses:my_learning")))


def test_my_learning_offers_continue_then_review(learner_client, learner, course):
    first, *others = course.lessons.all()
    complete_lesson(learner, first)
    text = page_text(learner_client.get(reverse("courses:my_learning")))
    assert "In Progress" in text and "33% Complete" in text and ">Continue<" in text
    for lesson in others:
        complete_lesson(learner, lesson)
    text = page_text(learner_client.get(reverse("courses:my_learning")))
    assert "Completed" in text and "100% Complete" in text and ">Review<" in text


def test_course_page_shows_where_the_learner_is(learner_client, learner, course):
    complete_lesson(learner, course.lessons.first())
    text = page_text(learner_client.get(course.get_absolute_url()))
    assert "Lesson 2 of 3 · Lesson title 2" in text
    assert "33% Complete" in text
    assert "Continue where you left off" in text
    assert "Welcome to the course." in text


def test_opening_a_lesson_marks_it_in_progress(learner_client, learner, course):
    lesson = course.lessons.first()
    learner_client.get(lesson_url(lesson))
    # The page's script records the start once the page has loaded (the GET writes nothing).
    learner_client.post(reverse("lessons:start", args=[course.slug, lesson.slug]))
    text = page_text(learner_client.get(lesson_url(lesson)))
    assert "Lesson 1 of 3 · In Progress" in text
    assert LessonProgress.objects.get(learner=learner, lesson=lesson).state == "in_progress"


def test_lesson_page_has_previous_next_and_mark_complete(learner_client, course):
    second = course.lessons.get(position=2)
    text = page_text(learner_client.get(lesson_url(second)))
    assert "‹ Previous" in text and "Next" in text
    assert f'action="{complete_url(second)}"' in text
    assert "Mark complete" in text


def test_mark_complete_goes_to_the_next_lesson(learner_client, learner, course):
    first, second, _ = course.lessons.all()
    response = learner_client.post(complete_url(first))
    assert response["Location"] == lesson_url(second)
    text = page_text(learner_client.get(lesson_url(second)))
    assert "Lesson 2 of 3 · In Progress" in text and "33% Complete" in text


def test_completing_the_last_lesson_leads_to_course_complete(learner_client, learner, course):
    *earlier, last = course.lessons.all()
    for lesson in earlier:
        complete_lesson(learner, lesson)
    response = learner_client.post(complete_url(last), follow=True)
    assert response.redirect_chain[-1][0] == reverse("courses:complete", args=[course.slug])
    assert "Course complete" in page_text(response)


def test_last_lesson_with_gaps_goes_to_the_first_unfinished(learner_client, course):
    first, _second, last = course.lessons.all()
    response = learner_client.post(complete_url(last), follow=True)
    assert response.redirect_chain[-1][0] == lesson_url(first)
    assert "You have 2 of 3 lessons still to finish." in page_text(response)


def test_double_click_on_mark_complete_records_one_completion(learner_client, learner, course):
    lesson = course.lessons.first()
    learner_client.post(complete_url(lesson))
    learner_client.post(complete_url(lesson))
    assert LessonProgress.objects.filter(learner=learner, lesson=lesson).count() == 1


def test_mark_complete_needs_post(learner_client, course):
    lesson = course.lessons.first()
    response = learner_client.get(complete_url(lesson))
    # A GET (after signing in again, say) goes to the lesson, never a 405 page.
    assert response.status_code == 302 and response["Location"] == lesson_url(lesson)
    assert learner_client.put(complete_url(lesson)).status_code == 405
    assert not LessonProgress.objects.filter(state=ProgressState.COMPLETED).exists()


def test_mark_complete_without_csrf_token_is_refused(client, learner, course):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(learner)
    assert csrf_client.post(complete_url(course.lessons.first())).status_code == 403


def test_continue_redirects_to_the_lesson_to_continue(learner_client, learner, course):
    complete_lesson(learner, course.lessons.first())
    response = learner_client.get(reverse("courses:continue", args=[course.slug]))
    assert response["Location"] == lesson_url(course.lessons.get(position=2))


def test_course_complete_page_needs_a_completed_course(learner_client, course):
    response = learner_client.get(reverse("courses:complete", args=[course.slug]), follow=True)
    assert response.redirect_chain[-1][0] == course.get_absolute_url()
    assert "You have 3 of 3 lessons still to finish." in page_text(response)


def test_another_learners_progress_is_invisible(learner_client, second_learner, course):
    for lesson in course.lessons.all():
        complete_lesson(second_learner, lesson)
    text = page_text(learner_client.get(course.get_absolute_url()))
    assert "0% Complete" in text and "Completed" not in text
    assert "Lesson 1 of 3" in text


def test_retired_lesson_is_hidden_but_progress_kept(learner_client, learner, course):
    lesson = course.lessons.last()
    start_lesson(learner, lesson)
    lesson.retired_at = timezone.now()
    lesson.save()
    assert learner_client.get(lesson_url(lesson)).status_code == 404
    assert learner_client.post(complete_url(lesson)).status_code == 404
    assert lesson.title not in page_text(learner_client.get(course.get_absolute_url()))
    assert LessonProgress.objects.filter(lesson=lesson).exists()


@pytest.mark.parametrize("slug", ["no-such-course"])
def test_unknown_course_is_404(learner_client, slug):
    assert learner_client.get(reverse("courses:detail", args=[slug])).status_code == 404


def test_course_without_lessons_is_hidden(learner_client, course):
    course.lessons.update(retired_at=timezone.now())
    assert learner_client.get(course.get_absolute_url()).status_code == 404
    assert course.title not in page_text(learner_client.get(reverse("courses:my_learning")))
