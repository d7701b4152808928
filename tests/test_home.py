"""The front door: a trainer's or superuser's dashboard, a learner's My learning."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_home_is_my_learning_for_a_learner(learner_client):
    response = learner_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:my_learning") == "/my-learning/"


@pytest.mark.parametrize("who", ["trainer", "admin_user"])
def test_home_is_the_dashboard_for_trainers_and_superusers(client, team, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("training:dashboard")


def test_home_asks_an_anonymous_visitor_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who, lands", [("tara", "/trainer/"), ("alice", "/my-learning/")])
def test_logging_in_lands_at_home(client, team, who, lands):
    response = client.post(reverse("login"), {"username": who, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[0] == ("/", 302)
    assert response.redirect_chain[-1][0] == lands and response.status_code == 200


def test_a_trainer_sees_both_the_dashboard_and_my_learning(client, trainer, team):
    client.force_login(trainer)
    html = client.get(reverse("courses:my_learning")).content.decode()
    assert f'href="{reverse("training:dashboard")}"' in html
    assert f'href="{reverse("courses:my_learning")}"' in html


def test_a_learner_sees_no_dashboard_link(learner_client, team):
    html = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert f'href="{reverse("training:dashboard")}"' not in html


def test_home_is_cheap(client, trainer, team, django_assert_num_queries):
    client.force_login(trainer)
    with django_assert_num_queries(4):  # session, user, its permissions and its groups'
        assert client.get("/").status_code == 302


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_nav_adds_no_query_per_link(client, learner, trainer, team):
    """A trainer's My learning costs a learner's plus the permission lookup Django
    caches on the user (the nav's links ask that cache, not the database)."""
    client.force_login(learner)
    learners = queries(client, reverse("courses:my_learning"))
    client.force_login(trainer)
    assert queries(client, reverse("courses:my_learning")) <= learners + 2
