"""A learner sees a course in their language where it is translated, the base text
where not; progress, attempts and scores are the same whatever the language."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.models import CourseTranslation
from lessons.models import LessonProgress, LessonTranslation
from quizzes.models import Attempt
from tests.factories import answer_sheet, make_course, make_quiz, press_start

pytestmark = pytest.mark.django_db

GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB"}


@pytest.fixture
def translated(db):
    """A course of two lessons: the first, with a quiz, in German; the second not."""
    course = make_course(lessons=2, title="Customers")
    first, second = course.lessons.order_by("position")
    quiz = make_quiz(lesson=first)
    CourseTranslation.objects.create(
        course=course,
        language="de",
        title="Kunden",
        description="Ein Kurs.",
        introduction_markdown="Willkommen im Kurs.",
    )
    LessonTranslation.objects.create(
        lesson=first,
        language="de",
        title="Erste Lektion",
        body_markdown="Deutscher Text.",
        quiz_texts={
            "q1": {
                "prompt": "Wähle den Kollegen.",
                "choices": [
                    {"text": "Der Kollege", "feedback": "Richtig so."},
                    {"text": "Der Lieferant", "feedback": ""},
                    {"text": "Niemand", "feedback": ""},
                ],
                "explanation": "Erklärung eins.",
            },
            "q4": {"prompt": "Wer ist ein Kollege?", "accept": ["interner Kunde"]},
        },
    )
    return course, first, second, quiz


def page(client, url, headers=GERMAN) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200
    return response.content.decode()


def test_a_german_learner_sees_the_german_lesson(learner_client, translated):
    course, first, _second, _quiz = translated
    html = page(learner_client, reverse("lessons:detail", args=[course.slug, first.slug]))
    assert "Erste Lektion" in html
    assert "Deutscher Text." in html
    assert "Kunden" in html
    assert "Some text." not in html


def test_a_german_learner_sees_english_where_there_is_no_translation(learner_client, translated):
    course, first, second, _quiz = translated
    html = page(learner_client, reverse("lessons:detail", args=[course.slug, second.slug]))
    assert "Lesson title 2" in html
    assert "## Part 2" not in html and "Part 2" in html
    assert "Erste Lektion" in html  # the outline and "previous" in German


def test_an_english_learner_sees_english(learner_client, translated):
    course, first, _second, _quiz = translated
    html = page(learner_client, reverse("lessons:detail", args=[course.slug, first.slug]), ENGLISH)
    assert "Lesson title 1" in html and "Erste Lektion" not in html
    assert "Customers" in html and "Kunden" not in html


def test_the_course_page_and_catalogue_are_in_german(learner_client, translated):
    course = translated[0]
    html = page(learner_client, reverse("courses:detail", args=[course.slug]))
    assert "Kunden" in html and "Willkommen im Kurs." in html and "Erste Lektion" in html
    assert "Lesson title 2" in html
    assert "Kunden" in page(learner_client, reverse("courses:catalogue"))


def test_the_quiz_is_in_german(learner_client, translated):
    quiz = translated[3]
    press_start(learner_client, quiz)
    html = page(learner_client, reverse("quizzes:take", args=[quiz.pk]))
    assert "Wähle den Kollegen." in html and "Der Kollege" in html
    assert "Pick the people inside the company." in html  # not translated


def test_a_german_short_answer_is_accepted_and_the_result_is_in_german(
    learner_client, learner, translated
):
    quiz = translated[3]
    press_start(learner_client, quiz)
    attempt = Attempt.objects.get(learner=learner)
    sheet = answer_sheet(quiz, attempt)
    short = quiz.questions.get(key="q4")
    sheet[f"question-{short.pk}"] = "Interner Kunde"
    response = learner_client.post(reverse("quizzes:take", args=[quiz.pk]), sheet, **GERMAN)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (4, True)
    html = page(learner_client, response.url)
    assert "Wähle den Kollegen." in html and "Richtig so." in html
    assert "Erklärung eins." in html and "interner Kunde" in html
    # Stored as the base text: records do not depend on the language.
    assert attempt.answers.get(question__key="q1").prompt == "Pick the colleague."


def open_lesson(client, course, lesson, headers=GERMAN) -> str:
    """The lesson page, then its script's start POST (the page's GET records nothing)."""
    html = page(client, reverse("lessons:detail", args=[course.slug, lesson.slug]), headers)
    start = reverse("lessons:start", args=[course.slug, lesson.slug])
    assert client.post(start, **headers).status_code == 204
    return html


def test_progress_is_recorded_once_whatever_the_language(learner_client, learner, translated):
    course, first, _second, _quiz = translated
    open_lesson(learner_client, course, first, GERMAN)
    open_lesson(learner_client, course, first, ENGLISH)
    assert LessonProgress.objects.filter(learner=learner).count() == 1


def test_my_learning_and_my_results_are_in_german(learner_client, learner, translated):
    course, first, _second, quiz = translated
    open_lesson(learner_client, course, first)
    assert "Kunden" in page(learner_client, reverse("courses:my_learning"))
    from tests.factories import take_quiz

    take_quiz(learner, quiz)
    assert "Erste Lektion" in page(learner_client, reverse("quizzes:my_results"))


def _count(client, url, headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, **headers).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "name",
    ["lesson", "course", "catalogue", "my_learning", "quiz", "result", "my_results"],
)
def test_german_pages_cost_one_query_more_and_english_none(
    learner_client, learner, translated, name, django_assert_max_num_queries
):
    course, first, _second, quiz = translated
    open_lesson(learner_client, course, first, ENGLISH)
    from tests.factories import take_quiz

    attempt = take_quiz(learner, quiz)
    url = {
        "lesson": reverse("lessons:detail", args=[course.slug, first.slug]),
        "course": reverse("courses:detail", args=[course.slug]),
        "catalogue": reverse("courses:catalogue"),
        "my_learning": reverse("courses:my_learning"),
        "quiz": reverse("quizzes:take", args=[quiz.pk]),
        "result": reverse("quizzes:result", args=[attempt.pk]),
        "my_results": reverse("quizzes:my_results"),
    }[name]
    if name == "quiz":
        press_start(learner_client, quiz)  # the page with its questions
    _count(learner_client, url, ENGLISH)  # warm caches (content types, sessions)
    english = _count(learner_client, url, ENGLISH)
    german = _count(learner_client, url, GERMAN)
    assert german == english + 1
    with django_assert_max_num_queries(QUERIES[name]):
        learner_client.get(url, **ENGLISH)
    with django_assert_max_num_queries(QUERIES[name] + 1):
        learner_client.get(url, **GERMAN)


# Measured in English on this fixture (SQLite and PostgreSQL alike).
QUERIES = {
    "lesson": 11,
    "course": 11,
    "catalogue": 5,
    "my_learning": 6,
    "quiz": 11,
    "result": 14,
    "my_results": 6,
}
