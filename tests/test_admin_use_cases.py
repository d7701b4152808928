"""The assignment admin goes through the trainer pages' use cases (issue 22): each rule
the site enforces, tried through the admin's add, change and delete, refuses with the
site's message and changes nothing; what it allows is logged and emailed as the
trainer pages do."""

import datetime
import re

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from lessons.models import Lesson
from tests.factories import make_course, make_user
from training.models import Assignment, AssignmentChangeEmail, AssignmentEvent
from training.services import assign_course

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:training_assignment_add")


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def text(response) -> str:
    """The page's words, tags left out."""
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def change_url(assignment: Assignment) -> str:
    return reverse("admin:training_assignment_change", args=[assignment.pk])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def assigned(trainer, team, course):
    (assignment,) = assign_course(by=trainer, course=course, team=team, due_date=days(10))
    return assignment


def kept(assignment: Assignment) -> dict:
    """What the old change form also posted (course and assignee): the new one ignores it."""
    return {"course": assignment.course_id, "team": assignment.team_id or ""}


def lesson_options(response) -> dict[str, bool]:
    """The lessons the form offers: {id: selected}."""
    select = re.search(r'<select name="lessons".*?</select>', response.content.decode(), re.S)
    return {
        value: bool(selected)
        for value, selected in re.findall(r'<option value="(\d+)"( selected)?', select[0])
    }


def refused(response, message: str) -> None:
    """The admin's form again (no redirect), saying ``message``."""
    assert response.status_code == 200
    assert message in text(response), text(response)[-2000:]


# Adding ---------------------------------------------------------------------------------


def test_a_draft_course_is_refused(admin_client, learner):
    draft = make_course(lessons=1, title="Draft course")
    draft.published_at = None
    draft.save()
    response = admin_client.post(ADD_URL, {"course": draft.pk, "learner": learner.pk})
    refused(response, "“Draft course” is not published: only published courses can be assigned.")
    assert not Assignment.objects.exists() and not AssignmentEvent.objects.exists()


def test_lessons_of_another_course_are_refused(admin_client, course, learner):
    elsewhere = make_course(lessons=1).lessons.get()
    response = admin_client.post(
        ADD_URL, {"course": course.pk, "learner": learner.pk, "lessons": [elsewhere.pk]}
    )
    refused(response, "Choose lessons of this course.")
    assert not Assignment.objects.exists() and not AssignmentEvent.objects.exists()


def test_a_retired_lesson_is_not_offered(admin_client, course, learner):
    retired = course.lessons.order_by("position").last()
    Lesson.objects.filter(pk=retired.pk).update(retired_at=timezone.now())
    response = admin_client.post(
        ADD_URL, {"course": course.pk, "learner": learner.pk, "lessons": [retired.pk]}
    )
    refused(response, f"Select a valid choice. {retired.pk} is not one of the available choices.")
    assert not Assignment.objects.exists()


def test_a_fresh_completion_of_chosen_lessons_is_refused(admin_client, course, learner):
    first = course.lessons.order_by("position").first()
    response = admin_client.post(
        ADD_URL,
        {
            "course": course.pk,
            "learner": learner.pk,
            "lessons": [first.pk],
            "require_fresh_completion": "on",
        },
    )
    refused(response, "A fresh completion is for the whole course, not chosen lessons.")
    assert not Assignment.objects.exists()


def test_a_second_assignment_to_the_same_team_is_refused(admin_client, assigned, team):
    response = admin_client.post(ADD_URL, {"course": assigned.course_id, "team": team.pk})
    refused(
        response,
        f"“{assigned.course}” is already assigned to Support (due "
        f"{days(10).day} {days(10):%b %Y}). Change that assignment instead.",
    )
    assert Assignment.objects.count() == 1 and AssignmentEvent.objects.count() == 1


def test_a_team_and_a_learner_at_once_are_refused(admin_client, course, team, learner):
    response = admin_client.post(
        ADD_URL, {"course": course.pk, "team": team.pk, "learner": learner.pk}
    )
    refused(response, "Choose a team or one or more learners.")
    assert not Assignment.objects.exists()


def test_a_duplicate_made_meanwhile_is_a_message_not_a_500(
    admin_client, course, learner, trainer, team, monkeypatch
):
    """The use case refusing at the save, after the form's check passed (another
    admin's assignment arrived in between; made here in the same transaction, which
    the refusal rolls back with it): a message on the form, not a 500, nothing saved."""
    model_admin = admin.site._registry[Assignment]
    save_form = model_admin.save_form

    def meanwhile(request, form, change):
        assign_course(by=trainer, course=course, learners=[learner])
        return save_form(request, form, change)

    monkeypatch.setattr(model_admin, "save_form", meanwhile)
    response = admin_client.post(
        ADD_URL, {"course": course.pk, "learner": learner.pk, "note": "Mine"}, follow=True
    )
    assert response.status_code == 200
    assert f"“{course}” is already assigned to Alice Learner." in text(response)
    assert not Assignment.objects.filter(note="Mine").exists()
    assert not AssignmentEvent.objects.filter(actor__username="ada").exists()


def test_an_add_is_logged_and_emailed_as_on_the_trainer_page(
    client,
    admin_user,
    trainer,
    team,
    other_team,
    course,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    first = course.lessons.order_by("position").first()
    fields = {"lessons": [first.pk], "due_date": days(5).isoformat(), "note": "Before May"}
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("training:assign", args=[course.slug]), {"team": team.pk, **fields})
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD_URL, {"course": course.pk, "team": other_team.pk, **fields})
    assert response.status_code == 302
    site, admin = AssignmentEvent.objects.order_by("id")
    assert (admin.action, admin.actor, admin.team) == ("assigned", admin_user, other_team)
    assert admin.changes == site.changes
    assert admin.summary == site.summary.replace("Support", "Sales")
    assert Assignment.objects.get(team=other_team).assigned_by == admin_user
    by_site, by_admin = mailoutbox  # one member in each team
    assert by_admin.to == ["bob@example.com"] and by_admin.subject == by_site.subject
    assert by_admin.body == (
        by_site.body.replace("Alice", "Bob")
        .replace("Tara Trainer", "Ada Admin")
        .replace("Support", "Sales")
    )


# Changing -------------------------------------------------------------------------------


def test_the_change_form_changes_due_date_note_and_lessons_only(admin_client, assigned, other_team):
    """Which course and for whom, and a fresh completion, are the assignment's
    creation (as on the trainer page): remove it and assign again instead."""
    other = make_course(lessons=1)
    response = admin_client.post(
        change_url(assigned),
        {
            "course": other.pk,
            "team": other_team.pk,
            "require_fresh_completion": "on",
            "due_date": days(10).isoformat(),
        },
    )
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert (assigned.course_id, assigned.team, assigned.require_fresh_completion) == (
        assigned.course_id,
        assigned.team,
        False,
    )
    assert assigned.course != other and assigned.team != other_team
    assert not AssignmentEvent.objects.filter(action="changed").exists()


def test_lessons_of_another_course_are_not_offered_on_change(admin_client, assigned):
    elsewhere = make_course(lessons=1).lessons.get()
    response = admin_client.post(
        change_url(assigned), {**kept(assigned), "due_date": days(10), "lessons": [elsewhere.pk]}
    )
    refused(response, f"Select a valid choice. {elsewhere.pk} is not one of the available choices.")
    assert not assigned.lessons.exists()
    assert not AssignmentEvent.objects.filter(action="changed").exists()


def test_a_fresh_completion_keeps_the_whole_course(admin_client, course, team, admin_user):
    (fresh,) = assign_course(by=admin_user, course=course, team=team, require_fresh_completion=True)
    first = course.lessons.order_by("position").first()
    response = admin_client.post(
        change_url(fresh),
        {
            **kept(fresh),
            "require_fresh_completion": "on",
            "due_date": days(3),
            "lessons": [first.pk],
        },
    )
    assert response.status_code == 302
    assert not fresh.lessons.exists()
    (event,) = AssignmentEvent.objects.filter(action="changed")
    assert set(event.changes) == {"due_date"}


def test_a_retired_chosen_lesson_stays_chosen(admin_client, trainer, team, course):
    first, second, third = course.lessons.order_by("position")
    (assignment,) = assign_course(by=trainer, course=course, team=team, lessons=[first, second])
    Lesson.objects.filter(pk=second.pk).update(retired_at=timezone.now())
    # The form offers the published lessons of the course; the retired one is not among them.
    offered = lesson_options(admin_client.get(change_url(assignment)))
    assert offered == {str(first.pk): True, str(third.pk): False}
    response = admin_client.post(
        change_url(assignment), {**kept(assignment), "due_date": days(7), "lessons": [first.pk]}
    )
    assert response.status_code == 302
    assert set(assignment.lessons.all()) == {first, second}
    (event,) = AssignmentEvent.objects.filter(action="changed")
    assert set(event.changes) == {"due_date"}


def test_a_change_is_logged_and_emailed_as_on_the_trainer_page(
    client, admin_user, trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("training:assignment", args=[assigned.pk]),
            {"due_date": days(20).isoformat(), "note": "", "confirm_past_due": "on"},
        )
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(assigned), {**kept(assigned), "due_date": days(30), "note": ""}
        )
    assert response.status_code == 302
    site, admin = AssignmentEvent.objects.filter(action="changed").order_by("id")
    assert (admin.actor, admin.changes["due_date"]) == (
        admin_user,
        [days(20).isoformat(), days(30).isoformat()],
    )
    assert set(admin.changes) == set(site.changes) == {"due_date"}
    assert AssignmentChangeEmail.objects.filter(event=admin).count() == 1  # Alice
    assert len(mailoutbox) == 2 and "Ada Admin changed the assignment" in mailoutbox[1].body


# Removing -------------------------------------------------------------------------------


def test_a_delete_is_the_trainer_pages_removal(
    admin_client, admin_user, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:training_assignment_delete", args=[assigned.pk]), {"post": "yes"}
        )
    assert response.status_code == 302
    assert not Assignment.objects.exists()
    (event,) = AssignmentEvent.objects.filter(action="removed")
    assert (event.actor, event.assignment) == (admin_user, None)
    assert event.summary.startswith(f"Removed “{assigned.course}” from Support")
    (email,) = mailoutbox
    assert email.to == ["alice@example.com"]


def test_a_bulk_delete_removes_each_through_the_use_case(
    admin_client,
    admin_user,
    assigned,
    course,
    second_learner,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    (individual,) = assign_course(by=admin_user, course=course, learners=[second_learner])
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:training_assignment_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [assigned.pk, individual.pk],
                "post": "yes",
            },
        )
    assert not Assignment.objects.exists()
    removed = AssignmentEvent.objects.filter(action="removed")
    assert sorted(removed.values_list("assignee_name", flat=True)) == ["Bob Learner", "Support"]
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "bob@example.com"]


# Who may: the site's rules, not the model permissions alone -------------------------------


@pytest.fixture
def people_admin(client):
    """Staff given the assignment model permissions by hand, but no trainer: the site
    lets them assign nothing, so the admin does not either."""
    pam = make_user("pam", first_name="Pam", last_name="Staff", is_staff=True)
    pam.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="training", codename__endswith="_assignment"
        )
    )
    client.force_login(pam)
    return client


def test_a_people_admin_who_is_no_trainer_cannot_assign(people_admin, course, learner):
    response = people_admin.post(ADD_URL, {"course": course.pk, "learner": learner.pk})
    refused(response, "You cannot assign courses.")
    assert not Assignment.objects.exists()


def test_a_people_admin_who_is_no_trainer_cannot_change(people_admin, assigned):
    response = people_admin.post(change_url(assigned), {**kept(assigned), "due_date": days(1)})
    refused(response, "You can only change assignments of your teams and learners.")
    assigned.refresh_from_db()
    assert assigned.due_date == days(10)
    assert not AssignmentEvent.objects.filter(action="changed").exists()


def test_a_people_admin_who_is_no_trainer_cannot_delete(people_admin, assigned, course, learner):
    delete = reverse("admin:training_assignment_delete", args=[assigned.pk])
    response = people_admin.post(delete, {"post": "yes"}, follow=True)
    assert "You can only remove assignments of your teams and learners." in text(response)
    bulk = {"action": "delete_selected", "_selected_action": [assigned.pk], "post": "yes"}
    response = people_admin.post(reverse("admin:training_assignment_changelist"), bulk, follow=True)
    assert "You can only remove assignments of your teams and learners." in text(response)
    assert Assignment.objects.get() == assigned
    assert not AssignmentEvent.objects.filter(action="removed").exists()


def test_a_trainer_with_the_admins_permissions_assigns_only_to_their_teams(
    client, trainer, team, course, other_team
):
    trainer.is_staff = True
    trainer.save(update_fields=["is_staff"])
    trainer.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="training", codename="add_assignment")
    )
    client.force_login(trainer)
    response = client.post(ADD_URL, {"course": course.pk, "team": other_team.pk})
    refused(response, "You can only assign to teams you manage.")
    assert not Assignment.objects.exists()


# The pages' queries -----------------------------------------------------------------------


def test_the_admin_pages_query_counts(
    admin_client, trainer, team, course, django_assert_max_num_queries
):
    for n in range(10):
        member = make_user(f"m{n}")
        team.members.add(member)
        assign_course(by=trainer, course=make_course(lessons=3), learners=[member])
    (assignment,) = assign_course(
        by=trainer, course=course, team=team, lessons=course.lessons.all()[:2]
    )
    # Session, user, content types; the course, team and lesson choices.
    with django_assert_max_num_queries(6):
        assert admin_client.get(ADD_URL).status_code == 200
    # Session, user; the assignment, its lessons; its course, team and author (shown
    # read-only); the lessons of its course; its log.
    with django_assert_max_num_queries(9):
        assert admin_client.get(change_url(assignment)).status_code == 200
    # Session, user; the filters' courses and teams; two counts; the page's rows.
    with django_assert_max_num_queries(7):
        assert admin_client.get(reverse("admin:training_assignment_changelist")).status_code == 200
