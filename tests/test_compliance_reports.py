"""Reports over time (compliance/reports.py): completions per week, the compliance rate
per team per month and the overdue count per week, each the compliance rule on the
records as they stood then; the page, its charts and tables, its query count."""

import datetime

import pytest
from django.urls import reverse

from compliance.reports import build_report, month_ends, week_starts
from tests.factories import finish_course as finish
from tests.factories import make_course, make_user
from tests.factories import on_day as at
from training.models import Assignment, Team

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = D(2027, 6, 2)  # a Wednesday
URL = reverse("compliance:reports")


@pytest.fixture(autouse=True)
def today():
    with at(TODAY):
        yield


@pytest.fixture
def safety(db):
    course = make_course(lessons=1, slug="safety", title="Safety")
    course.valid_for_months = 12
    course.save()
    return course


def people(*users):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(pk__in=[u.pk for u in users])


def test_weeks_are_the_last_26_mondays():
    weeks = week_starts(TODAY)
    assert (len(weeks), weeks[-1], weeks[0]) == (26, D(2027, 5, 31), D(2026, 12, 7))


def test_months_end_on_their_last_day_and_today():
    ends = month_ends(TODAY)
    assert (len(ends), ends[-1], ends[-2], ends[0]) == (12, TODAY, D(2027, 5, 31), D(2026, 7, 31))


def test_completions_are_counted_in_their_week(learner, second_learner, safety):
    with at(D(2027, 5, 19)):
        finish(learner, safety)
    with at(D(2027, 5, 23)):  # a Sunday: the same week
        finish(second_learner, safety)
    report = build_report(people(learner, second_learner), safety)
    assert report.completions[-3:] == [2, 0, 0]
    assert sum(report.completions) == 2


def test_the_rate_per_month_follows_the_records(learner, second_learner, team, safety):
    team.members.add(second_learner)
    with at(D(2027, 1, 10)):
        Assignment.objects.create(course=safety, team=team, due_date=D(2027, 3, 1))
    with at(D(2027, 2, 15)):
        finish(learner, safety)
    with at(D(2027, 4, 20)):
        finish(second_learner, safety)
    report = build_report(people(learner, second_learner), safety)
    rates = dict(zip(report.months, report.rate, strict=True))
    assert rates[D(2026, 12, 31)] is None  # not assigned yet: nobody required
    assert rates[D(2027, 1, 31)] == 0
    assert rates[D(2027, 2, 28)] == 50
    assert rates[D(2027, 4, 30)] == 100
    assert report.teams[0].name == "Support" and report.teams[0].rates[-1] == 100


def test_overdue_per_week_counts_people_past_their_due_date(learner, team, safety):
    with at(D(2027, 4, 1)):
        Assignment.objects.create(course=safety, team=team, due_date=D(2027, 5, 5))
    report = build_report(people(learner), safety)
    overdue = dict(zip(report.weeks, report.overdue, strict=True))
    assert overdue[D(2027, 4, 26)] == 0  # week ending 2 May
    assert overdue[D(2027, 5, 3)] == 1  # week ending 9 May


def test_an_expired_completion_is_counted_as_expired(learner, team, safety):
    with at(D(2026, 5, 1)):
        Assignment.objects.create(course=safety, team=team)
        finish(learner, safety)
    report = build_report(people(learner), safety)
    assert report.expired[-1] == 1 and report.overdue[-1] == 0


def test_the_page_shows_charts_and_tables(client, trainer, learner, team, safety):
    Assignment.objects.create(course=safety, team=team)
    client.force_login(trainer)
    html = client.get(URL).content.decode()
    assert html.count('<svg class="chart"') == 3
    assert "Compliance rate per month: Safety" in html
    assert '<th scope="col">Support</th>' in html


def test_the_page_query_count_is_fixed(
    client, trainer, team, safety, django_assert_max_num_queries
):
    Assignment.objects.create(course=safety, team=team)
    for n in range(20):
        person = make_user(f"p{n}")
        team.members.add(person)
        if n % 2:
            finish(person, safety)
    client.force_login(trainer)
    # session, user, two permission reads, teams, courses, people, the histories (five),
    # the week's completions, the teams' members
    with django_assert_max_num_queries(15):
        assert client.get(URL).status_code == 200


def test_a_learner_gets_no_reports(client, learner):
    client.force_login(learner)
    assert client.get(URL).status_code == 404


def test_another_trainers_team_is_a_404(client, trainer, team, other_team):
    client.force_login(trainer)
    assert client.get(URL, {"team": other_team.pk}).status_code == 404


def test_a_course_not_required_here_is_a_404(client, trainer, team, safety):
    client.force_login(trainer)
    assert client.get(URL, {"course": safety.slug}).status_code == 404


def test_teams_are_in_the_table_by_name(client, trainer, learner, team, safety):
    night = Team.objects.create(name="Night shift")
    night.trainers.add(trainer)
    night.members.add(learner)
    Assignment.objects.create(course=safety, team=team)
    report = build_report(people(learner), safety)
    assert [t.name for t in report.teams] == ["Night shift", "Support"]
