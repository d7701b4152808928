"""Choosing the language in a real browser: the switcher at the foot of the login
page (a form, no JavaScript) and the profile page, and a trainer's
due date typed in the German format; axe on the German pages."""

import datetime

import pytest
from playwright.sync_api import expect

from accounts.models import Profile
from tests.browser.conftest import serious_axe_violations
from tests.conftest import PASSWORD
from training.models import Assignment, Team
from training.roles import ensure_trainers_group


def test_a_visitor_switches_to_german_and_keeps_it_after_signing_in(
    browser, live_server, learner, sample_course
):
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.get_by_label("Language").select_option("de")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(learner.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Lernen")
    assert serious_axe_violations(page) == []
    # A visitor's choice stays with the browser (a shared computer's cookie does not
    # become the person's own choice); the profile is where a person makes it theirs.
    assert not Profile.objects.filter(user=learner).exists()


def test_the_profile_choice_wins_over_an_english_browser(browser, live_server, learner):
    Profile.objects.create(user=learner, language="de")
    page = browser.new_context(locale="en-GB").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill(learner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Profil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Profil")
    assert serious_axe_violations(page) == []
    page.locator("#id_language").select_option("en-gb")  # the profile's, not the footer's
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()


@pytest.fixture
def assignment(transactional_db, learner, trainer, sample_course):
    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Front Desk")
    team.members.add(learner)
    team.trainers.add(trainer)
    Profile.objects.create(user=trainer, language="de")
    return Assignment.objects.create(
        course=sample_course, team=team, assigned_by=trainer, due_date=datetime.date(2031, 3, 4)
    )


def test_a_german_trainer_types_a_due_date_in_the_german_format(
    browser, live_server, trainer, assignment
):
    page = browser.new_context(locale="de-DE").new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Benutzername oder E-Mail-Adresse").fill(trainer.username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"{live_server.url}/trainer/assignments/{assignment.pk}/")
    due = page.get_by_label("Fälligkeitsdatum")
    expect(due).to_have_value("04.03.2031")
    expect(due).to_have_attribute("placeholder", "31.12.2026")
    assert serious_axe_violations(page) == []
    due.fill("15.04.2031")
    with page.expect_navigation():
        page.locator("form").filter(has=due).locator("[type=submit]").first.click()
    assignment.refresh_from_db()
    assert assignment.due_date == datetime.date(2031, 4, 15)
