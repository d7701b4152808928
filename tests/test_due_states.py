"""One due rule (training.assignments.due_state) on every page, the dashboard and the CSV.

The assignment that applies to a learner is the earliest-due one they have not
finished, whether it is theirs or their team's; its note is the one shown.
"""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from lessons.services import start_lesson
from progress.services import record_lesson_completion
from tests.factories import make_course, make_user
from training.assignments import CourseRecord, Covering, assigned_courses, due_state
from training.dashboard import build_dashboard
from training.models import Assignment, Team
from training.roles import (
    follows_learner,
    learners_assignable_by,
    learners_followed_by,
)
from training.services import assign_course

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return " ".join(response.content.decode().split())


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def dashboard_url(team, course, **extra) -> str:
    key = team if isinstance(team, str) else team.pk
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    return reverse("training:dashboard") + f"?team={key}&course={course.slug}&{query}"


def export(client, team, course) -> tuple[list[str], list[list[str]]]:
    key = team if isinstance(team, str) else team.pk
    response = client.get(reverse("training:export") + f"?team={key}&course={course.slug}")
    header, *rows = csv.reader(io.StringIO(b"".join(response.streaming_content).decode()))
    return header, rows


@pytest.fixture
def kira(team):
    kira = make_user("kira", first_name="Kira", last_name="Kowalski", email="kira@example.com")
    team.members.add(kira)
    return kira


# The pure rule ----------------------------------------------------------------------


def _record(done=(), published=(1, 2, 3)):
    from progress.rules import CourseProgress

    now = timezone.now()
    return CourseRecord(
        progress=CourseProgress(completed=len(done), total=len(published), started=bool(done)),
        published=frozenset(published),
        done=dict.fromkeys(done, now),
    )


def _assignment(pk, due, note="", **fields):
    return Assignment(pk=pk, due_date=due, note=note, created_at=timezone.now(), **fields)


def test_the_earliest_due_unfinished_assignment_applies():
    team = _assignment(1, days(10), "Team note")
    own = _assignment(2, days(-3), "Your note")
    state = due_state([Covering(team), Covering(own)], _record(), timezone.localdate())
    assert (state.assignment, state.note, state.is_overdue) == (own, "Your note", True)
    assert state.due_label == "Overdue by 3 days"


def test_a_finished_assignment_gives_way_to_the_next():
    own = Covering(_assignment(2, days(-3), "First lesson first"), frozenset({1}))
    team = Covering(_assignment(1, days(10), "Team note"))
    state = due_state([own, team], _record(done=[1]), timezone.localdate())
    assert (state.assignment, state.note, state.is_overdue) == (team.assignment, "Team note", False)
    assert state.due_label == "Due in 10 days"


def test_all_finished_is_completed_with_the_date():
    own = Covering(_assignment(2, days(-3)), frozenset({1}))
    team = Covering(_assignment(1, None), frozenset({1, 2}))
    state = due_state([own, team], _record(done=[1, 2]), timezone.localdate())
    assert state.is_complete and not state.is_overdue
    assert state.due_label.startswith("Completed on")


def test_no_due_date_comes_last():
    undated = _assignment(1, None)
    dated = _assignment(2, days(30))
    state = due_state([Covering(undated), Covering(dated)], _record(), timezone.localdate())
    assert state.assignment == dated


def test_nothing_covering_is_no_due_state():
    assert due_state([], _record(), timezone.localdate()) is None


# Kira, as the tester saw her -----------------------------------------------------------


@pytest.fixture
def kira_overdue(trainer, team, kira, course):
    assign_course(by=trainer, course=course, team=team, due_date=days(10), note="Team note")
    assign_course(by=trainer, course=course, learners=[kira], due_date=days(-3), note="Kira note")


def test_my_learning_and_the_learner_page_say_overdue_with_her_own_note(
    client, trainer, kira, course, kira_overdue
):
    client.force_login(kira)
    page = text(client.get(reverse("courses:my_learning")))
    assert "Overdue by 3 days" in page and "Kira note" in page and "Team note" not in page
    client.force_login(trainer)
    page = text(client.get(reverse("training:learner", args=[kira.pk])))
    assert "Overdue by 3 days" in page


def test_the_dashboard_shows_her_own_due_date_and_counts_her_overdue(
    client, trainer, team, kira, course, kira_overdue
):
    client.force_login(trainer)
    page = text(client.get(dashboard_url(team, course)))
    assert 'id="count-overdue">1<' in page
    overdue_only = text(client.get(dashboard_url(team, course, state="overdue")))
    assert "Kira Kowalski" in overdue_only and "Alice Learner" not in overdue_only
    (row,) = [r for r in build_dashboard(team, course).rows if r.learner == kira]
    assert (row.due.due_date, row.overdue) == (days(-3), True)


def test_the_csv_says_overdue_with_her_due_date(client, trainer, team, kira, course, kira_overdue):
    client.force_login(trainer)
    header, rows = export(client, team, course)
    hers = {
        (r[header.index("due date")], r[header.index("overdue")]) for r in rows if "Kira" in r[0]
    }
    alices = {
        (r[header.index("due date")], r[header.index("overdue")]) for r in rows if "Alice" in r[0]
    }
    assert hers == {(days(-3).isoformat(), "yes")}
    assert alices == {(days(10).isoformat(), "no")}


def test_the_learner_page_lists_each_assignment_with_its_note_and_link(
    client, trainer, kira, course, kira_overdue
):
    client.force_login(trainer)
    page = text(client.get(reverse("training:learner", args=[kira.pk])))
    team_assignment, own = Assignment.objects.order_by("-due_date")
    assert "Through the team Support" in page and "Assigned individually" in page
    assert "Note: Team note" in page and "Note: Kira note" in page
    for assignment in (team_assignment, own):
        assert reverse("training:assignment", args=[assignment.pk]) in page


def test_finishing_her_lessons_hands_over_to_the_team_assignment(
    client, trainer, team, kira, course
):
    first = course.lessons.first()
    assign_course(by=trainer, course=course, team=team, due_date=days(10), note="Team note")
    assign_course(
        by=trainer, course=course, learners=[kira], lessons=[first], due_date=days(-3), note="First"
    )
    record_lesson_completion(kira, first)
    (item,) = assigned_courses(kira)
    assert (item.due_date, item.note, item.is_overdue) == (days(10), "Team note", False)
    (row,) = [r for r in build_dashboard(team, course).rows if r.learner == kira]
    assert (row.due.due_date, row.overdue) == (days(10), False)


# Individual assignees on the team's dashboard ---------------------------------------------


def test_individual_assignees_show_on_their_teams_dashboard(client, trainer, team, kira, course):
    assign_course(by=trainer, course=course, learners=[kira], due_date=days(-3))
    client.force_login(trainer)
    page = text(client.get(dashboard_url(team, course)))
    assert "Kira Kowalski" in page and "Alice Learner" not in page
    assert 'id="count-assigned">1<' in page and 'id="count-overdue">1<' in page
    own = Assignment.objects.get()
    assert reverse("training:assignment", args=[own.pk]) in page
    header, rows = export(client, team, course)
    assert {r[0] for r in rows} == {"Kira Kowalski"}


def test_the_individual_view_lists_learners_outside_the_trainers_teams(
    client, admin_user, team, course
):
    loner = make_user("lou", first_name="Lou", last_name="Alone")
    assign_course(by=admin_user, course=course, learners=[loner], due_date=days(2))
    client.force_login(admin_user)
    page = text(client.get(dashboard_url("individual", course)))
    assert "Lou Alone" in page and 'id="count-assigned">1<' in page
    assert "Alice Learner" not in page  # in a team: on the team's dashboard
    header, rows = export(client, "individual", course)
    assert {r[0] for r in rows} == {"Lou Alone"}
    assert {r[header.index("team")] for r in rows} == {"Assigned individually"}


def test_a_trainer_follows_a_learner_they_assigned_who_left_the_team(
    client, trainer, team, kira, course
):
    assign_course(by=trainer, course=course, learners=[kira], due_date=days(2))
    team.members.remove(kira)
    assert follows_learner(trainer, kira.pk)
    assert not learners_assignable_by(trainer).filter(pk=kira.pk).exists()
    client.force_login(trainer)
    assert "Kira Kowalski" not in text(client.get(dashboard_url(team, course)))
    assert "Kira Kowalski" in text(client.get(dashboard_url("individual", course)))
    assert client.get(reverse("training:learner", args=[kira.pk])).status_code == 200


def test_a_trainer_does_not_follow_learners_someone_else_assigned(
    trainer, admin_user, course, second_learner
):
    assign_course(by=admin_user, course=course, learners=[second_learner])
    assert not learners_followed_by(trainer).filter(pk=second_learner.pk).exists()


# A course not assigned here -----------------------------------------------------------


def test_a_course_not_assigned_shows_progress_only(client, trainer, team, learner):
    course = make_course(lessons=2, title="Unassigned course")
    start_lesson(learner, course.lessons.first())
    client.force_login(trainer)
    page = text(client.get(dashboard_url(team, course)))
    assert "not assigned to this team" in page
    assert 'id="count-assigned"' not in page and "Export CSV" not in page
    assert "Alice Learner" in page  # she started it
    assert reverse("training:assign", args=[course.slug]) in page
    export_url = reverse("training:export") + f"?team={team.pk}&course={course.slug}"
    assert client.get(export_url).status_code == 404


def test_a_course_nobody_started_offers_to_assign_it(client, trainer, team):
    course = make_course(lessons=2)
    client.force_login(trainer)
    page = text(client.get(dashboard_url(team, course)))
    assert 'id="not-assigned"' in page and 'id="count-assigned"' not in page
    export_url = reverse("training:export") + f"?team=individual&course={course.slug}"
    assert client.get(export_url).status_code == 404


def test_the_dashboard_links_the_assignment_and_analytics(client, trainer, team, course):
    (assignment,) = assign_course(by=trainer, course=course, team=team)
    client.force_login(trainer)
    page = text(client.get(dashboard_url(team, course)))
    assert reverse("training:assignment", args=[assignment.pk]) in page
    assert reverse("training:analytics") + f"?team={team.pk}&amp;course={course.slug}" in page


def test_bad_filters_are_400_in_the_individual_view(client, admin_user, course):
    client.force_login(admin_user)
    assert client.get(dashboard_url("individual", course, state="bogus")).status_code == 400
    assert (
        client.get(dashboard_url("individual", course, state="awaiting_final")).status_code == 200
    )


# Query counts --------------------------------------------------------------------------


def _busy_team(size: int, course, admin_user) -> Team:
    team = Team.objects.create(name=f"Busy {size}")
    members = [
        make_user(f"b{size}-{n}", last_name=f"Long-Surname-{n}" * 3, email=f"b{n}@example.com")
        for n in range(size)
    ]
    team.members.add(*members)
    first = course.lessons.first()
    assign_course(by=admin_user, course=course, team=team, due_date=days(5))
    for member in members[::3]:
        assign_course(by=admin_user, course=course, learners=[member], due_date=days(-1))
    for member in members[1::3]:
        assign_course(by=admin_user, course=course, learners=[member], lessons=[first])
        record_lesson_completion(member, first)
    return team


def test_dashboard_and_export_stay_flat_with_individual_assignments(
    client, admin_user, course, django_assert_max_num_queries
):
    client.force_login(admin_user)
    for size in (3, 30):
        team = _busy_team(size, course, admin_user)
        # Session, user, teams, courses, lessons, quizzes, learners, assignments (with
        # their lessons), memberships, progress on chosen lessons, the page's cells (2).
        with django_assert_max_num_queries(12):
            assert client.get(dashboard_url(team, course)).status_code == 200
        with django_assert_max_num_queries(12):
            assert client.get(dashboard_url("individual", course)).status_code == 200
        with django_assert_max_num_queries(12):
            export(client, team, course)


# A completed course's card on My learning ------------------------------------------------

NOTE = "Please finish this before the end of the month"


@pytest.fixture
def completed_with_a_note(trainer, team, learner, course):
    assign_course(by=trainer, course=course, team=team, due_date=days(10), note=NOTE)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)


def my_learning_card(client, learner, course) -> str:
    client.force_login(learner)
    page = client.get(reverse("courses:my_learning")).content.decode()
    start = page.index(f'id="course-{course.slug}"')
    return " ".join(page[start : page.index("</article>", start)].split())


def test_a_completed_courses_card_shows_no_note(client, learner, course, completed_with_a_note):
    assert NOTE not in my_learning_card(client, learner, course)


def test_a_completed_courses_card_says_when_not_when_due(
    client, learner, course, completed_with_a_note
):
    card = my_learning_card(client, learner, course)
    (item,) = assigned_courses(learner)
    assert item.is_complete and item.completed_on == timezone.localdate()
    assert f"Completed on {formats.date_format(timezone.localdate(), 'DATE_FORMAT')}" in card
    assert "Due in" not in card and "Due:" not in card


def test_an_unfinished_courses_card_keeps_its_note(client, trainer, team, learner, course):
    assign_course(by=trainer, course=course, team=team, due_date=days(10), note=NOTE)
    record_lesson_completion(learner, course.lessons.first())
    card = my_learning_card(client, learner, course)
    assert NOTE in card and "Due in 10 days" in card
