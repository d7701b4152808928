"""My learning in a real browser: a completed assigned course's card says when it was
completed, not the assignment's note or a due date; an unfinished one keeps both.
At 390 px and 1280 px, light and dark; screenshots under /tmp/shots/b/."""

import datetime
from pathlib import Path

import pytest
from django.utils import formats, timezone
from playwright.sync_api import expect

from progress.services import record_lesson_completion
from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import make_course
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course

SHOTS = Path("/tmp/shots/b")
NOTE = "Please finish this before the end of the month"
SETUPS = {
    f"{width}-{scheme}": {
        "viewport": {"width": width, "height": 844},
        "color_scheme": scheme,
    }
    for width in (390, 1280)
    for scheme in ("light", "dark")
}


@pytest.fixture
def two_assigned(transactional_db, learner, trainer):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    due = timezone.localdate() + datetime.timedelta(days=10)
    done = make_course(lessons=2, title="Handling complaints")
    open_ = make_course(lessons=3, title="Who is your customer?")
    for course in (done, open_):
        assign_course(by=trainer, course=course, team=team, due_date=due, note=NOTE)
    for lesson in done.lessons.all():
        record_lesson_completion(learner, lesson)
    record_lesson_completion(learner, open_.lessons.first())
    return done, open_


@pytest.mark.parametrize("setup", SETUPS)
def test_the_completed_card_says_when_and_nothing_else(
    browser, live_server, learner, two_assigned, setup
):
    done, open_ = two_assigned
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, learner.username)
    page.goto(f"{live_server.url}/my-learning/")
    completed = page.locator("article", has=page.locator(f"#course-{done.slug}"))
    unfinished = page.locator("article", has=page.locator(f"#course-{open_.slug}"))
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    expect(completed.locator(".due-label")).to_have_text(f"Completed on {today}")
    expect(completed).not_to_contain_text(NOTE)
    expect(completed).not_to_contain_text("Due in")
    expect(unfinished).to_contain_text(NOTE)
    expect(unfinished.locator(".due-label")).to_have_text("Due in 10 days")
    page.screenshot(path=str(SHOTS / f"my-learning-{setup}.png"), full_page=True)
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the page scrolls sideways")
    assert not problems, "\n".join(problems)
