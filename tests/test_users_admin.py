"""The admin's Users list: a "Teams" column and a filter by team, read without one
query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import make_user
from training.models import Team

pytestmark = pytest.mark.django_db

URL = reverse("admin:auth_user_changelist")


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.content.decode().split())


@pytest.fixture
def teams(learner, second_learner):
    support, sales = Team.objects.create(name="Support"), Team.objects.create(name="Sales")
    support.members.add(learner, second_learner)
    sales.members.add(second_learner)
    return support, sales


def row_of(page: str, username: str) -> str:
    start = page.index(f">{username}</a>")
    return page[start : page.index("</tr>", start)]


def test_the_list_has_a_teams_column(client, admin_user, learner, second_learner, teams):
    client.force_login(admin_user)
    page = text(client.get(URL))
    assert "Teams" in page
    assert ">Support<" in row_of(page, "alice")
    assert ">Sales, Support<" in row_of(page, "bob")  # by name
    assert 'class="field-team_names">-<' in row_of(page, "ada")  # in no team


def test_the_list_filters_by_team(client, admin_user, learner, second_learner, teams):
    support, sales = teams
    client.force_login(admin_user)
    page = text(client.get(URL + f"?teams__id__exact={sales.pk}"))
    assert ">bob</a>" in page and ">alice</a>" not in page and ">ada</a>" not in page
    page = text(client.get(URL))
    assert f"?teams__id__exact={support.pk}" in page  # the filter offers each team


def count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


def test_the_list_does_not_query_per_row(client, admin_user, teams):
    support, sales = teams
    client.force_login(admin_user)
    few = count(client)
    for n in range(30):
        user = make_user(f"member{n}")
        (support if n % 2 else sales).members.add(user)
    assert count(client) == few
