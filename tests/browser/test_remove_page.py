"""The remove-assignment page in a real browser tells the truth: who keeps the course
through another assignment, and through which. At 390 px and 1280 px, light and
dark; no serious axe-core violation, no sideways scrolling; screenshots under
/tmp/shots/b/."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import has_sideways_scroll, log_in, serious_axe_violations
from tests.factories import make_course, make_user
from training.models import Team
from training.roles import ensure_trainers_group
from training.services import assign_course

SHOTS = Path("/tmp/shots/b")
SETUPS = {
    f"{width}-{scheme}": {"viewport": {"width": width, "height": 844}, "color_scheme": scheme}
    for width in (390, 1280)
    for scheme in ("light", "dark")
}


@pytest.fixture
def assignments(transactional_db, trainer, admin_user):
    trainer.groups.add(ensure_trainers_group())
    front = Team.objects.create(name="Front Desk")
    sales = Team.objects.create(name="Sales and Customer Experience (North-West region)")
    front.trainers.add(trainer)
    liam = make_user("liam", first_name="Liam", last_name="Lee")
    kira = make_user(
        "kira", first_name="Maximiliana-Josefina", last_name="Wolfeschlegelsteinhausen"
    )
    front.members.add(liam, kira, make_user("noor", first_name="Noor", last_name="Ali"))
    sales.members.add(kira)
    course = make_course(lessons=2, title="Who is your customer?")
    due = timezone.localdate() + datetime.timedelta(days=10)
    (team_assignment,) = assign_course(by=trainer, course=course, team=front, due_date=due)
    (own,) = assign_course(by=trainer, course=course, learners=[liam])
    assign_course(by=admin_user, course=course, team=sales, due_date=due)
    return team_assignment, own


@pytest.mark.parametrize("setup", SETUPS)
def test_the_remove_page_lists_who_keeps_it(browser, live_server, trainer, assignments, setup):
    team_assignment, own = assignments
    page = browser.new_context(**SETUPS[setup]).new_page()
    log_in(page, live_server, trainer.username)
    page.goto(f"{live_server.url}/trainer/assignments/{team_assignment.pk}/remove/")
    kept = page.locator("#kept-list li")
    expect(kept).to_have_count(2)
    expect(kept.nth(0)).to_contain_text("Liam Lee: their own assignment (no due date)")
    expect(kept.nth(1)).to_contain_text("Wolfeschlegelsteinhausen: the team Sales")
    expect(page.locator("#remove-effect")).to_contain_text("through the team any more")
    page.screenshot(path=str(SHOTS / f"remove-team-{setup}.png"), full_page=True)
    problems = serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the team's remove page scrolls sideways")

    page.goto(f"{live_server.url}/trainer/assignments/{own.pk}/remove/")
    expect(page.locator("#remove-effect")).to_contain_text(
        "Liam Lee keeps the course through the team Front Desk (due "
    )
    expect(page.get_by_text("will no longer see it as assigned")).to_have_count(0)
    page.screenshot(path=str(SHOTS / f"remove-own-{setup}.png"), full_page=True)
    problems += serious_axe_violations(page)
    if has_sideways_scroll(page):
        problems.append("the learner's remove page scrolls sideways")
    assert not problems, "\n".join(problems)
