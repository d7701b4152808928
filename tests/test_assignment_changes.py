"""Trainers change and remove assignments on their own pages; everything is logged."""

import datetime
import re
import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from lessons.models import Certificate, CourseCompletion, LessonProgress
from progress.services import record_lesson_completion
from quizzes.models import Attempt
from tests.factories import make_course, make_graded_attempt, make_quiz, make_user
from training.models import Assignment, AssignmentAction, AssignmentEvent, Team
from training.roles import may_manage_assignment
from training.services import (
    AssignmentError,
    assign_course,
    change_assignment,
    remove_assignment,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def text(response) -> str:
    """The page's words, tags left out."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def page_url(assignment) -> str:
    return reverse("training:assignment", args=[assignment.pk])


def remove_url(assignment) -> str:
    return reverse("training:remove_assignment", args=[assignment.pk])


@pytest.fixture
def assigned(trainer, team, course):
    (assignment,) = assign_course(by=trainer, course=course, team=team, due_date=days(10))
    return assignment


@pytest.fixture
def kira(team):
    kira = make_user("kira", first_name="Kira", last_name="Jones")
    team.members.add(kira)
    return kira


@pytest.fixture
def trainer_client(client, trainer, team):
    client.force_login(trainer)
    return client


# The use cases ----------------------------------------------------------------------


def test_assigning_logs_one_event_per_assignment(trainer, team, course, kira, learner):
    made = assign_course(by=trainer, course=course, learners=[kira, learner], due_date=days(3))
    events = AssignmentEvent.objects.order_by("id")
    assert [(e.assignment, e.action, e.actor, e.actor_name) for e in events] == [
        (a, AssignmentAction.ASSIGNED, trainer, "Tara Trainer") for a in made
    ]
    assert {e.assignee_name for e in events} == {"Kira Jones", "Alice Learner"}
    assert events[0].changes["due_date"] == [None, days(3).isoformat()]


def test_changing_the_due_date_logs_before_and_after(trainer, assigned):
    assert change_assignment(trainer, assigned, due_date=days(20), note="Read it all")
    assigned.refresh_from_db()
    assert (assigned.due_date, assigned.note) == (days(20), "Read it all")
    event = AssignmentEvent.objects.filter(action=AssignmentAction.CHANGED).get()
    assert event.changes == {
        "due_date": [days(10).isoformat(), days(20).isoformat()],
        "note": ["", "Read it all"],
    }
    assert (event.actor, event.course_id, event.team_id) == (
        trainer,
        assigned.course_id,
        assigned.team_id,
    )
    assert "Due date" in event.summary and "note changed" in event.summary


def test_changing_nothing_logs_nothing(trainer, assigned):
    assert not change_assignment(trainer, assigned, due_date=days(10), note="")
    assert not AssignmentEvent.objects.filter(action=AssignmentAction.CHANGED).exists()


def test_choosing_lessons_and_back_to_the_whole_course(trainer, assigned, course):
    first, second = course.lessons.order_by("position")[:2]
    change_assignment(trainer, assigned, due_date=days(10), note="", lessons=[first, second])
    assert set(assigned.lessons.all()) == {first, second}
    change_assignment(trainer, assigned, due_date=days(10), note="", lessons=[])
    assert not assigned.lessons.exists()
    changes = [
        e.changes["lessons"]
        for e in AssignmentEvent.objects.filter(action="changed").order_by("id")
    ]
    assert changes == [[[], [first.title, second.title]], [[first.title, second.title], []]]


def test_lessons_of_another_course_are_refused(trainer, assigned):
    other = make_course(lessons=1).lessons.get()
    with pytest.raises(AssignmentError, match="lessons of this course"):
        change_assignment(trainer, assigned, due_date=None, note="", lessons=[other])


def test_another_teams_trainer_may_not_change_or_remove(assigned, other_team):
    otto = other_team.trainers.get()
    assert not may_manage_assignment(otto, assigned)
    with pytest.raises(AssignmentError):
        change_assignment(otto, assigned, due_date=None, note="")
    with pytest.raises(AssignmentError):
        remove_assignment(otto, assigned)
    assert Assignment.objects.filter(pk=assigned.pk).exists()
    assert AssignmentEvent.objects.count() == 1  # the assigning only


def test_a_learner_may_not_manage_their_own_assignment(trainer, course, learner, team):
    (own,) = assign_course(by=trainer, course=course, learners=[learner])
    assert not may_manage_assignment(learner, own)
    assert may_manage_assignment(trainer, own)


def test_removing_keeps_progress_attempts_completions_and_certificates(
    trainer, team, learner, course, assigned
):
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    completion = CourseCompletion.objects.get(learner=learner, course=course)
    assert Certificate.objects.filter(completion=completion).exists()
    make_graded_attempt(learner, make_quiz(lesson=course.lessons.first()))
    before = (
        LessonProgress.objects.filter(learner=learner).count(),
        Attempt.objects.filter(learner=learner).count(),
    )

    remove_assignment(trainer, assigned)

    assert not Assignment.objects.exists()
    assert (
        LessonProgress.objects.filter(learner=learner).count(),
        Attempt.objects.filter(learner=learner).count(),
    ) == before
    assert CourseCompletion.objects.filter(pk=completion.pk).exists()
    assert Certificate.objects.filter(completion=completion).exists()
    event = AssignmentEvent.objects.get(action=AssignmentAction.REMOVED)
    assert (event.assignment, event.course, event.team, event.actor) == (
        None,
        course,
        team,
        trainer,
    )
    assert "Removed" in event.summary and "Support" in event.summary


def test_removing_twice_is_refused_and_logged_once(trainer, assigned):
    stale = Assignment.objects.get(pk=assigned.pk)  # what a second click's request holds
    remove_assignment(trainer, assigned)
    with pytest.raises(AssignmentError, match="removed meanwhile"):
        remove_assignment(trainer, stale)
    assert AssignmentEvent.objects.filter(action=AssignmentAction.REMOVED).count() == 1


def test_changing_a_removed_assignment_is_refused(trainer, assigned):
    stale = Assignment.objects.get(pk=assigned.pk)
    remove_assignment(trainer, assigned)
    with pytest.raises(AssignmentError, match="removed meanwhile"):
        change_assignment(trainer, stale, due_date=days(1), note="")


def test_the_log_outlives_the_assignment(trainer, assigned):
    change_assignment(trainer, assigned, due_date=days(1), note="")
    remove_assignment(trainer, assigned)
    assert list(AssignmentEvent.objects.values_list("action", flat=True)) == [
        "removed",
        "changed",
        "assigned",
    ]


# The assignment page ------------------------------------------------------------------


def test_the_page_names_everything_and_shows_the_log_newest_first(
    trainer_client, trainer, assigned
):
    change_assignment(trainer, assigned, due_date=days(20), note="")
    page = text(trainer_client.get(page_url(assigned)))
    assert f"“{assigned.course.title}” for Support" in page
    assert "by Tara Trainer" in page
    assert page.index("Changed by Tara Trainer") < page.rindex("Assigned by Tara Trainer")
    assert "Not required: an earlier completion counts." in page


def test_an_individual_assignment_names_the_person(trainer_client, trainer, course, kira):
    (own,) = assign_course(by=trainer, course=course, learners=[kira])
    response = trainer_client.get(page_url(own))
    assert "for Kira Jones" in text(response)
    assert reverse("training:learner", args=[kira.pk]) in response.content.decode()


@pytest.mark.parametrize("who", ["learner", "other_trainer", "anonymous"])
def test_nobody_else_learns_it_exists(client, assigned, learner, other_team, who):
    if who == "learner":
        client.force_login(learner)
    elif who == "other_trainer":
        client.force_login(other_team.trainers.get())
    for url in (page_url(assigned), remove_url(assigned)):
        response = client.get(url)
        expected = 302 if who == "anonymous" else 404
        assert response.status_code == expected, url
        assert client.post(url, {"due_date": "", "note": "x"}).status_code == expected
    assert Assignment.objects.get().note == ""


def test_an_unknown_assignment_is_404(trainer_client):
    assert trainer_client.get(reverse("training:assignment", args=[999999])).status_code == 404
    huge = reverse("training:assignment", args=[1]).replace("/1/", f"/{'9' * 30}/")
    assert trainer_client.get(huge).status_code == 404


def test_changing_on_the_page(trainer_client, assigned):
    response = trainer_client.post(
        page_url(assigned), {"due_date": days(30).isoformat(), "note": "New note"}
    )
    assert response.status_code == 302 and response["Location"] == page_url(assigned)
    assigned.refresh_from_db()
    assert (assigned.due_date, assigned.note) == (days(30), "New note")
    page = text(trainer_client.get(page_url(assigned)))
    assert "Changes saved." in page and "Changed by Tara Trainer" in page


def test_a_past_due_date_asks_first(trainer_client, assigned):
    data = {"due_date": days(-2).isoformat(), "note": ""}
    response = trainer_client.post(page_url(assigned), data)
    assert response.status_code == 200
    page = text(response)
    assert "is in the past" in page and "Yes, the date is in the past" in page
    assigned.refresh_from_db()
    assert assigned.due_date == days(10)
    response = trainer_client.post(page_url(assigned), {**data, "confirm_past_due": "on"})
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.due_date == days(-2)


def test_an_overdue_assignment_keeps_its_date_without_a_question(trainer_client, trainer, assigned):
    Assignment.objects.filter(pk=assigned.pk).update(due_date=days(-5))
    response = trainer_client.post(
        page_url(assigned), {"due_date": days(-5).isoformat(), "note": "Still due"}
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert assigned.note == "Still due"


def test_a_tampered_lesson_is_a_form_error(trainer_client, assigned):
    other = make_course(lessons=1).lessons.get()
    for value in (str(other.pk), "9" * 30, "x"):
        response = trainer_client.post(page_url(assigned), {"lessons": [value], "note": ""})
        assert response.status_code == 200, value
        assert "Select a valid choice" in text(response) or "not a valid value" in text(response)
    assert not assigned.lessons.exists()


def test_a_fresh_completion_assignment_offers_no_lessons(trainer_client, trainer, course, kira):
    (fresh,) = assign_course(
        by=trainer, course=course, learners=[kira], require_fresh_completion=True
    )
    page = text(trainer_client.get(page_url(fresh)))
    assert 'name="lessons"' not in page and "Required: only a completion after" in page
    lesson = course.lessons.first()
    response = trainer_client.post(page_url(fresh), {"lessons": [lesson.pk], "note": "x"})
    assert response.status_code == 302
    assert not fresh.lessons.exists()


def test_the_page_does_not_grow_with_the_team(
    trainer_client, trainer, team, assigned, django_assert_max_num_queries
):
    for n in range(2):
        change_assignment(trainer, assigned, due_date=days(11 + n), note="")
    with django_assert_max_num_queries(10):
        assert trainer_client.get(page_url(assigned)).status_code == 200
    team.members.add(*[make_user(f"member{n}") for n in range(30)])
    for n in range(10):
        change_assignment(trainer, assigned, due_date=days(20 + n), note="")
    with django_assert_max_num_queries(10):
        assert trainer_client.get(page_url(assigned)).status_code == 200


# Removing on the site -------------------------------------------------------------------


def test_the_remove_page_says_progress_is_kept(trainer_client, assigned):
    page = text(trainer_client.get(remove_url(assigned)))
    assert "Progress and scores are kept" in page
    assert Assignment.objects.filter(pk=assigned.pk).exists()


def test_the_remove_page_says_who_keeps_it_through_their_team(
    trainer_client, trainer, team, course
):
    liam = make_user("liam", first_name="Liam", last_name="Lee")
    team.members.add(liam)
    assign_course(by=trainer, course=course, team=team, due_date=days(10))
    (own,) = assign_course(by=trainer, course=course, learners=[liam], due_date=days(3))
    page = text(trainer_client.get(remove_url(own)))
    assert "will no longer see it as assigned" not in page
    assert "Liam Lee keeps the course through the team Support (due " in page


def test_the_remove_page_lists_members_who_keep_it_another_way(
    trainer_client, trainer, team, course, kira, assigned
):
    (own,) = assign_course(by=trainer, course=course, learners=[kira])
    page = text(trainer_client.get(remove_url(assigned)))
    assert "Kira Jones: their own assignment (no due date)" in page
    assert "Alice Learner" not in page  # she has it through Support only


def test_the_remove_page_names_another_team(
    trainer_client, admin_user, team, course, kira, assigned
):
    sales = Team.objects.create(name="Sales")
    sales.members.add(kira)
    assign_course(by=admin_user, course=course, team=sales, due_date=days(30))
    page = text(trainer_client.get(remove_url(assigned)))
    assert "Kira Jones: the team Sales (due " in page


def test_the_remove_page_says_when_nobody_keeps_it(trainer_client, assigned):
    page = text(trainer_client.get(remove_url(assigned)))
    assert "Nobody in Support will see it as assigned any more" in page
    assert "keeps the course" not in page and "keep the course" not in page


def test_removing_redirects_to_the_dashboard_with_a_message(trainer_client, assigned, team):
    response = trainer_client.post(remove_url(assigned))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("training:dashboard"))
    assert f"team={team.pk}" in response["Location"]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Removed “{assigned.course.title}” from Support. Their progress and scores are kept."
    ]
    assert not Assignment.objects.exists()


def test_a_second_click_on_remove_is_a_404_not_a_500_and_logs_once(trainer_client, assigned):
    assert trainer_client.post(remove_url(assigned)).status_code == 302
    assert trainer_client.post(remove_url(assigned)).status_code == 404
    assert AssignmentEvent.objects.filter(action="removed").count() == 1


def test_other_methods_are_refused(trainer_client, assigned):
    assert trainer_client.put(remove_url(assigned)).status_code == 405
    assert trainer_client.delete(page_url(assigned)).status_code == 405
    assert Assignment.objects.exists()


def test_saving_a_change_queries(trainer_client, assigned, django_assert_max_num_queries):
    # 15 for the change and its log, then the emails it owes (training.change_emails):
    # who finished it (the dashboard's five reads), the recipients, one INSERT. A fixed
    # number whatever the team's size (tests/test_assignment_change_emails.py). Four more
    # for the audit log's event (audit/): the course's name, the chain's head, the
    # event, the head moved on. One for the course's requirements, read with its
    # structure (issue 23's prerequisites).
    with django_assert_max_num_queries(27):
        assert trainer_client.post(page_url(assigned), {"note": "x"}).status_code == 302


def test_the_remove_page_queries(trainer_client, assigned, django_assert_max_num_queries):
    # session, user, the two permission reads (is a trainer?), the assignment, its
    # lessons, may this trainer manage it, then who keeps the course: assignments
    # and memberships (and, when someone keeps it, their names)
    with django_assert_max_num_queries(9):
        trainer_client.get(remove_url(assigned))
    # 18, plus its lessons for the log and the emails, plus four for the audit log's
    # event; issue 23: the course's requirements (read with its structure), and
    # deleting what hangs on the assignment: its reminder notices, its renewals (read
    # first: the audit log is told of each), its links to paths.
    with django_assert_max_num_queries(34):
        trainer_client.post(remove_url(assigned))


def test_the_remove_page_does_not_grow_with_who_keeps_it(
    trainer_client, trainer, admin_user, team, course, assigned, django_assert_max_num_queries
):
    sales = Team.objects.create(name="Sales")
    assign_course(by=admin_user, course=course, team=sales)
    members = [make_user(f"member{n}", first_name=f"M{n}") for n in range(30)]
    team.members.add(*members)
    sales.members.add(*members[::2])
    assign_course(by=trainer, course=course, learners=members[1::2])
    with django_assert_max_num_queries(10):  # as above, plus the keepers' names
        page = text(trainer_client.get(remove_url(assigned)))
    assert page.count("the team Sales") == 15 and page.count("their own assignment") == 15


# The assign form ------------------------------------------------------------------------


def assign_url(course) -> str:
    return reverse("training:assign", args=[course.slug])


def test_assigning_with_a_past_date_asks_first(trainer_client, team, course):
    data = {"team": team.pk, "due_date": days(-1).isoformat()}
    response = trainer_client.post(assign_url(course), data)
    assert response.status_code == 200
    assert "is in the past" in text(response) and "Yes, the date is in the past" in text(response)
    assert not Assignment.objects.exists()
    response = trainer_client.post(assign_url(course), {**data, "confirm_past_due": "on"})
    assert response.status_code == 302
    assert Assignment.objects.get().due_date == days(-1)


def test_assigning_someone_who_has_it_through_a_team_says_which_date_applies(
    trainer_client, trainer, team, course, kira
):
    assign_course(by=trainer, course=course, team=team, due_date=datetime.date(2099, 12, 12))
    data = {"learners": [kira.pk], "due_date": "2099-12-20"}
    response = trainer_client.post(assign_url(course), data)
    assert response.status_code == 200
    assert (
        "Kira Jones already has this course through Support (due 12 Dec 2099). "
        "Until one of them is finished, the earlier date applies: 12 Dec 2099."
    ) in text(response)
    assert Assignment.objects.count() == 1
    response = trainer_client.post(assign_url(course), {**data, "confirm_overlap": "on"})
    assert response.status_code == 302
    assert Assignment.objects.filter(learner=kira).exists()


def test_the_learner_choices_and_the_message_name_people(trainer_client, course, kira, learner):
    page = text(trainer_client.get(assign_url(course)))
    assert "Kira Jones (kira)" in page
    response = trainer_client.post(
        assign_url(course), {"learners": [kira.pk, learner.pk]}, follow=True
    )
    assert f"Assigned “{course.title}” to Alice Learner and Kira Jones." in text(response) or (
        f"Assigned “{course.title}” to Kira Jones and Alice Learner." in text(response)
    )


def test_a_team_assignment_message_names_the_team(trainer_client, team, course):
    response = trainer_client.post(assign_url(course), {"team": team.pk}, follow=True)
    assert f"Assigned “{course.title}” to Support." in text(response)


def test_the_assign_page_does_not_grow_with_the_team(
    trainer_client, team, course, django_assert_max_num_queries
):
    team.members.add(*[make_user(f"member{n}") for n in range(30)])
    with django_assert_max_num_queries(9):
        assert trainer_client.get(assign_url(course)).status_code == 200


def test_a_learner_who_left_the_team_is_not_offered(trainer_client, trainer, team, course, kira):
    assign_course(by=trainer, course=make_course(lessons=1), learners=[kira])
    team.members.remove(kira)
    assert "Kira Jones" not in text(trainer_client.get(assign_url(course)))


# The admin writes the same log -----------------------------------------------------------


def test_an_admin_change_and_delete_are_logged(client, admin_user, assigned):
    client.force_login(admin_user)
    url = reverse("admin:training_assignment_change", args=[assigned.pk])
    response = client.post(
        url,
        {
            "course": assigned.course_id,
            "team": assigned.team_id,
            "learner": "",
            "due_date": days(40).isoformat(),
            "note": "From the admin",
        },
    )
    assert response.status_code == 302
    event = AssignmentEvent.objects.get(action="changed")
    assert (event.actor, event.actor_name) == (admin_user, "Ada Admin")
    assert set(event.changes) == {"due_date", "note"}
    assert "From the admin" not in event.summary  # the note's text is in changes only
    assert "Changed by Ada Admin" in text(client.get(url))

    client.post(reverse("admin:training_assignment_delete", args=[assigned.pk]), {"post": "yes"})
    assert not Assignment.objects.exists()
    assert AssignmentEvent.objects.filter(action="removed", actor=admin_user).count() == 1


def test_an_admin_bulk_delete_is_logged(client, admin_user, trainer, course, team):
    second = Team.objects.create(name="Second")
    made = [
        *assign_course(by=admin_user, course=course, team=team),
        *assign_course(by=admin_user, course=course, team=second),
    ]
    client.force_login(admin_user)
    client.post(
        reverse("admin:training_assignment_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in made], "post": "yes"},
    )
    assert not Assignment.objects.exists()
    assert AssignmentEvent.objects.filter(action="removed").count() == 2


def test_an_admin_add_is_logged(client, admin_user, course, learner):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:training_assignment_add"), {"course": course.pk, "learner": learner.pk}
    )
    assert response.status_code == 302
    event = AssignmentEvent.objects.get()
    assert (event.action, event.actor, event.learner) == ("assigned", admin_user, learner)


# Two requests at once -------------------------------------------------------------------


def run_together(*calls) -> list:
    """Run the calls in threads started together (each on its own connection, as two
    requests are); what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 (the outcome under test)
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_a_double_click_on_remove_removes_and_logs_once(trainer, team, course):
    (assignment,) = assign_course(by=trainer, course=course, team=team)
    first, second = (Assignment.objects.get(pk=assignment.pk) for _ in range(2))
    results = run_together(
        lambda: remove_assignment(trainer, first), lambda: remove_assignment(trainer, second)
    )
    assert sorted(type(r).__name__ for r in results) == ["AssignmentError", "NoneType"]
    assert not Assignment.objects.exists()
    assert AssignmentEvent.objects.filter(action="removed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_trainers_changing_at_once_are_both_logged_in_turn(trainer, admin_user, team, course):
    (assignment,) = assign_course(by=trainer, course=course, team=team, due_date=days(10))
    mine, theirs = (Assignment.objects.get(pk=assignment.pk) for _ in range(2))
    results = run_together(
        lambda: change_assignment(trainer, mine, due_date=days(20), note=""),
        lambda: change_assignment(admin_user, theirs, due_date=days(30), note=""),
    )
    assert results == [True, True]
    events = list(AssignmentEvent.objects.filter(action="changed").order_by("id"))
    # The second saw the first's date as its "before": the log is one unbroken chain.
    assert events[0].changes["due_date"][1] == events[1].changes["due_date"][0]
    assert Assignment.objects.get().due_date.isoformat() == events[1].changes["due_date"][1]
