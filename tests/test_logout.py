"""Logging out says so (issue 20): the login page after "Log out" shows "You have
logged out.", in the language the person was reading."""

import pytest
from django.urls import reverse

from accounts.language import SESSION_KEY
from tests.visible_text import visible_text

pytestmark = pytest.mark.django_db


def log_out(client, **headers) -> str:
    """Press "Log out"; the visible text of the page it leads to."""
    response = client.post(reverse("logout"), **headers)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return visible_text(client.get(response["Location"], **headers).content.decode())


def test_the_page_after_logging_out_says_so(learner_client):
    page = log_out(learner_client)
    assert "You have logged out." in page
    assert "_auth_user_id" not in learner_client.session


def test_the_message_is_shown_once(learner_client):
    log_out(learner_client)
    again = visible_text(learner_client.get(reverse("login")).content.decode())
    assert "You have logged out." not in again


def test_the_message_is_in_the_language_the_person_chose(learner_client):
    learner_client.post(reverse("accounts:language"), {"language": "de", "next": "/"})
    assert learner_client.session[SESSION_KEY] == "de"
    page = log_out(learner_client)
    assert "Sie haben sich abgemeldet." in page and "Anmelden" in page
    assert "You have logged out." not in page


def test_a_choice_made_on_the_profile_page_carries_over_to_the_login_page(learner_client):
    session = learner_client.session
    session[SESSION_KEY] = "de"  # as after signing in with German chosen in the profile
    session.save()
    page = log_out(learner_client)
    assert "Sie haben sich abgemeldet." in page and "Anmelden" in page


def test_a_browser_asking_for_german_reads_it_in_german(learner_client):
    page = log_out(learner_client, HTTP_ACCEPT_LANGUAGE="de")
    assert "Sie haben sich abgemeldet." in page


def test_no_message_when_nobody_was_signed_in(client):
    page = log_out(client)
    assert "You have logged out." not in page
