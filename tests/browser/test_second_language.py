"""A learner whose browser asks for German: the German lesson, the English fallback
for a lesson not translated, a quiz completed in German; axe on the German page."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from courses.models import CourseTranslation
from lessons.models import LessonProgress, LessonTranslation
from quizzes.models import Attempt
from tests.browser.conftest import serious_axe_violations, start_quiz
from tests.factories import make_course, make_quiz


@pytest.fixture
def course(transactional_db):
    course = make_course(lessons=2, title="Customers")
    first = course.lessons.get(position=1)
    make_quiz(
        lesson=first,
        questions=[
            {
                "type": "single",
                "prompt": "Pick the colleague.",
                "choices": [("The colleague", True), ("The supplier", False)],
            },
            {"type": "short", "prompt": "Who is a colleague?", "accepted_answers": ["colleague"]},
        ],
    )
    CourseTranslation.objects.create(course=course, language="de", title="Kunden")
    LessonTranslation.objects.create(
        lesson=first,
        language="de",
        title="Wer ist Kunde?",
        body_markdown="## Kunden\n\nJeder, dem Sie helfen.",
        quiz_texts={
            "q1": {
                "prompt": "Wähle den Kollegen.",
                "choices": [{"text": "Der Kollege"}, {"text": "Der Lieferant"}],
            },
            "q2": {"prompt": "Wer ist ein Kollege?", "accept": ["Kollege"]},
        },
    )
    return course


@pytest.fixture
def page(browser, live_server, learner):
    """A German browser (Accept-Language: de), signed in as the learner."""
    context = browser.new_context(locale="de-DE")
    client = Client()
    client.force_login(learner)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context.new_page()


def test_a_german_learner_sees_german_and_the_english_fallback(page, live_server, course, learner):
    page.goto(f"{live_server.url}/courses/{course.slug}/lessons/lesson-1/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wer ist Kunde?")
    expect(page.get_by_text("Jeder, dem Sie helfen.")).to_be_visible()
    assert page.locator("html").get_attribute("lang", timeout=1000).startswith("de")
    assert serious_axe_violations(page) == []

    page.goto(f"{live_server.url}/courses/{course.slug}/lessons/lesson-2/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lesson title 2")
    expect(page.get_by_text("Some text.")).to_be_visible()

    quiz = course.lessons.get(position=1).quiz
    page.goto(live_server.url + quiz.get_absolute_url())
    expect(page.get_by_role("button", name="Quiz starten")).to_be_visible()
    assert serious_axe_violations(page) == []
    start_quiz(page)
    expect(page.get_by_text("Wähle den Kollegen.")).to_be_visible()
    page.get_by_label("Der Kollege").check()
    page.locator("input[type=text]").first.fill("kollege")
    page.locator("#quiz-form button[type=submit]").click()
    page.wait_for_url("**/quizzes/attempts/*/")
    expect(page.get_by_text("Wer ist ein Kollege?")).to_be_visible()
    attempt = Attempt.objects.get(learner=learner)
    assert (attempt.score, attempt.passed) == (2, True)
    # One progress row a lesson opened, whatever the language; the quiz completed it.
    states = dict(
        LessonProgress.objects.filter(learner=learner).values_list("lesson__slug", "state")
    )
    assert states == {"lesson-1": "completed", "lesson-2": "in_progress"}

    page.goto(f"{live_server.url}/courses/{course.slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kunden")
    expect(page.get_by_role("link", name="Lesson title 2")).to_be_visible()
