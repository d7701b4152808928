"""The analytics page in a real browser: charts and tables, no serious axe-core
violation, no sideways scrolling on a phone, the form works without JavaScript."""

import pytest
from playwright.sync_api import expect

from lessons.services import start_lesson
from tests.browser.conftest import has_sideways_scroll, serious_axe_violations
from tests.conftest import PASSWORD
from tests.factories import default_questions, make_course, make_quiz, make_user, take_quiz
from training.models import Team
from training.roles import ensure_trainers_group

SETUPS = {
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark"},
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light"},
}


@pytest.fixture
def team_with_attempts(transactional_db, trainer):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.trainers.add(trainer)
    course = make_course(lessons=4, title="Who is your customer, really, in a long title?")
    lessons = list(course.lessons.all())
    questions = default_questions()
    questions[0]["choices"] = questions[0]["choices"][:2]  # one wrong choice each
    quiz = make_quiz(lesson=lessons[1], questions=questions, max_attempts=0)
    make_quiz(lesson=lessons[3], questions=questions)  # not tried yet
    for n in range(6):
        member = make_user(f"member{n}", first_name=f"Member{n}", last_name="Learner")
        team.members.add(member)
        start_lesson(member, lessons[0])
        take_quiz(member, quiz, correct=n % 4)
        take_quiz(member, quiz, correct=True)
    return team


def open_analytics(browser, live_server, trainer, **context):
    page = browser.new_context(**context).new_page()
    # Logged in through the form with ?next=, wherever the home page sends a trainer.
    page.goto(f"{live_server.url}/accounts/login/?next=/trainer/analytics/")
    page.get_by_label("Username or email").fill(trainer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/trainer/analytics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Question analytics")
    return page


def test_the_form_works_without_javascript(browser, live_server, trainer, team_with_attempts):
    page = open_analytics(browser, live_server, trainer, java_script_enabled=False)
    page.get_by_label("Learners", exact=True).select_option(label="Front Desk")
    page.get_by_label("Attempts", exact=True).select_option(label="All attempts")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_url(f"**/trainer/analytics/?team={team_with_attempts.pk}&*attempts=all")
    expect(page.locator("#learner-count")).to_have_text("6")
    page.get_by_role("link", name="Next quiz").click()
    expect(page.get_by_role("link", name="Previous quiz")).to_be_visible()


@pytest.mark.parametrize("setup", SETUPS)
def test_analytics_is_accessible_and_fits(browser, live_server, trainer, team_with_attempts, setup):
    page = open_analytics(browser, live_server, trainer, **SETUPS[setup])
    page.goto(f"{live_server.url}/trainer/analytics/?team={team_with_attempts.pk}&attempts=all")
    expect(page.get_by_role("img", name="Course funnel")).to_be_visible()
    expect(page.get_by_role("img", name="Score distribution").first).to_be_visible()
    expect(page.get_by_role("img", name="Percent correct per question").first).to_be_visible()
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the page scrolls sideways")
    assert not problems, "\n".join(problems)
