"""How long a sign-in lasts: inactivity limits, shorter for staff, few session writes."""

import pytest
from django.urls import reverse

from accounts import sessions

pytestmark = pytest.mark.django_db

HOUR = 3600


@pytest.fixture
def clock(monkeypatch):
    """The middleware's clock, moved by hand."""
    now = {"t": 1_800_000_000}
    monkeypatch.setattr(sessions.time, "time", lambda: now["t"])
    return now


def my_learning(client):
    return client.get(reverse("courses:my_learning"))


def test_the_defaults_are_eight_hours_and_two_for_staff(settings):
    assert settings.SESSION_IDLE_SECONDS == 8 * HOUR
    assert settings.STAFF_SESSION_IDLE_SECONDS == 2 * HOUR
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False


def test_a_learner_back_within_the_limit_stays_signed_in(client, learner, clock):
    client.force_login(learner)
    assert my_learning(client).status_code == 200
    clock["t"] += 8 * HOUR - 60
    assert my_learning(client).status_code == 200


def test_a_learner_away_longer_than_the_limit_is_signed_out(client, learner, clock):
    client.force_login(learner)
    my_learning(client)
    clock["t"] += 8 * HOUR + 60
    response = my_learning(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_activity_keeps_a_learner_signed_in(client, learner, clock):
    client.force_login(learner)
    for _ in range(12):  # a page every hour for twelve hours
        clock["t"] += HOUR
        assert my_learning(client).status_code == 200


def test_staff_are_signed_out_sooner(client, admin_user, clock):
    client.force_login(admin_user)
    my_learning(client)
    clock["t"] += 2 * HOUR + 60
    assert my_learning(client).status_code == 302


def test_the_limits_come_from_the_settings(client, learner, clock, settings):
    settings.SESSION_IDLE_SECONDS = 10 * 60
    client.force_login(learner)
    my_learning(client)
    clock["t"] += 11 * 60
    assert my_learning(client).status_code == 302


def test_last_seen_is_not_written_on_every_request(client, learner, clock):
    client.force_login(learner)
    my_learning(client)
    first = client.session[sessions.LAST_SEEN]
    clock["t"] += 60  # within the refresh interval: nothing to write
    my_learning(client)
    assert client.session[sessions.LAST_SEEN] == first
    clock["t"] += 300
    my_learning(client)
    assert client.session[sessions.LAST_SEEN] == first + 360


def test_the_refresh_interval_is_a_tenth_of_the_limit_at_most_five_minutes():
    assert sessions.refresh_interval(8 * HOUR) == 300
    assert sessions.refresh_interval(600) == 60
    assert sessions.refresh_interval(5) == 1
