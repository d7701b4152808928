"""The result page teaches (issue 20): a typo forgiven says what the answer was taken
for, a wrong true/false or short answer gets its feedback; on a phone and a desktop,
light and dark, in English and German."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations, start_quiz
from tests.factories import make_quiz

SETUPS = {
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
}


@pytest.fixture
def feedback_quiz(transactional_db, course):
    return make_quiz(
        lesson=course.lessons.first(),
        questions=[
            {
                "type": "true_false",
                "prompt": "A company name on an account means nobody reads your reply.",
                "feedback": "Somebody opens every email, even one sent to a company.",
                "choices": [("True", False), ("False", True)],
            },
            {
                "type": "short",
                "prompt": "What do we call a colleague who relies on your work?",
                "accepted_answers": ["internal customer"],
                "feedback": "Think about where the person works.",
            },
            {
                "type": "short",
                "prompt": "Out of 50 regulars, how many are likely to be hard work?",
                "accepted_answers": ["10"],
                "wrong_answers": [
                    {"answer": "40", "feedback": "40 is the easy majority, not the hard fifth."}
                ],
            },
        ],
    )


@pytest.mark.parametrize("setup", SETUPS)
def test_the_result_page_explains_wrong_answers_and_forgiven_typos(
    browser, live_server, learner, feedback_quiz, setup
):
    context = browser.new_context(**SETUPS[setup])
    page = context.new_page()
    log_in(page, live_server, learner.username)
    page.goto(live_server.url + feedback_quiz.get_absolute_url())
    start_quiz(page)
    statement, colleague, regulars = feedback_quiz.questions.order_by("position")
    page.locator(f"#choice-{statement.choices.get(text='True').pk}").check()
    page.locator(f"#answer-{colleague.pk}").fill("Internal custmers")
    page.locator(f"#answer-{regulars.pk}").fill("about forty")
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_url("**/quizzes/attempts/*/")

    expect(page.get_by_text("Score: 1 / 3 (33%)")).to_be_visible()
    expect(page.get_by_text("accepted as “internal customer” (spelling)")).to_be_visible()
    expect(page.get_by_text("Somebody opens every email")).to_be_visible()
    expect(page.get_by_text("40 is the easy majority, not the hard fifth.")).to_be_visible()
    assert not has_sideways_scroll(page)
    assert serious_axe_violations(page) == []
    context.close()


def test_the_result_page_reads_in_german(browser, live_server, learner, feedback_quiz):
    context = browser.new_context(**SETUPS["phone-light"])
    page = context.new_page()
    log_in(page, live_server, learner.username)
    context.add_cookies([{"name": "django_language", "value": "de", "url": live_server.url}])
    page.goto(live_server.url + feedback_quiz.get_absolute_url())
    start_quiz(page)
    expect(page.get_by_label("Wahr")).to_have_count(1)
    statement, colleague, regulars = feedback_quiz.questions.order_by("position")
    page.get_by_label("Wahr").check()
    page.locator(f"#answer-{colleague.pk}").fill("internal custmer")
    page.locator(f"#answer-{regulars.pk}").fill("10")
    page.get_by_role("button", name="Antworten abgeben").click()
    page.wait_for_url("**/quizzes/attempts/*/")
    expect(page.get_by_text("als „internal customer“ gewertet (Schreibweise)")).to_be_visible()
    assert not has_sideways_scroll(page)
    context.close()
