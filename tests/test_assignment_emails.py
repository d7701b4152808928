"""Learners get an email when something is assigned to them: once, after the commit."""

import datetime
import smtplib

import pytest
from django.db import transaction
from django.urls import reverse

from tests.factories import make_user
from training.emails import send_assignment_emails
from training.models import AssignmentEmail
from training.services import assign_course

pytestmark = pytest.mark.django_db

DUE = datetime.date(2099, 12, 12)


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://learn.example.com"


def test_each_team_member_with_an_email_gets_one(
    trainer, team, course, learner, site, mailoutbox, django_capture_on_commit_callbacks
):
    team.members.add(
        make_user("kira", first_name="Kira"),
        make_user("noemail", email=""),
        make_user("gone", is_active=False),
    )
    with django_capture_on_commit_callbacks(execute=True):
        (assignment,) = assign_course(
            by=trainer, course=course, team=team, due_date=DUE, note="Before the audit"
        )
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "kira@example.com"]
    email = next(m for m in mailoutbox if m.to == ["alice@example.com"])
    assert email.subject == f"Assigned to you: {course.title} (due 12 Dec 2099)"
    assert "Hello Alice," in email.body and "Tara Trainer assigned" in email.body
    assert "(to your team Support)" in email.body
    assert "Due: 12 Dec 2099" in email.body and "Note: Before the audit" in email.body
    assert f"https://learn.example.com{reverse('courses:detail', args=[course.slug])}" in (
        email.body
    )
    assert AssignmentEmail.objects.filter(assignment=assignment).count() == 2


def test_an_individual_assignment_emails_that_person(
    trainer, team, course, learner, mailoutbox, django_capture_on_commit_callbacks
):
    first = course.lessons.order_by("position").first()
    with django_capture_on_commit_callbacks(execute=True):
        assign_course(by=trainer, course=course, learners=[learner], lessons=[first])
    (email,) = mailoutbox
    assert email.to == ["alice@example.com"]
    assert "Due: no due date" in email.body and "Note:" not in email.body
    assert f"- {first.title}" in email.body and "1 lesson of the course" in email.body


def test_nothing_is_sent_before_the_commit(
    trainer, team, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        assign_course(by=trainer, course=course, team=team)
        assert mailoutbox == []
    assert len(callbacks) == 1


def test_a_rolled_back_assignment_sends_nothing(
    trainer, team, course, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assign_course(by=trainer, course=course, team=team)
        raise RuntimeError("something after it failed")
    assert callbacks == [] and mailoutbox == []
    assert not AssignmentEmail.objects.exists()


def test_sending_twice_sends_once(
    trainer, team, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (assignment,) = assign_course(by=trainer, course=course, team=team)
    assert len(mailoutbox) == 1
    assert send_assignment_emails(assignment.pk) == 0  # a retry, or a second worker
    assert len(mailoutbox) == 1


def test_a_claim_taken_by_another_worker_is_skipped(trainer, team, course, learner, mailoutbox):
    (assignment,) = assign_course(by=trainer, course=course, team=team)  # not committed: no email
    AssignmentEmail.objects.create(assignment=assignment, learner=learner, course=course)
    assert send_assignment_emails(assignment.pk) == 0
    assert mailoutbox == []


def test_a_failure_to_send_is_logged_and_released_not_a_500(
    client, trainer, team, course, learner, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    client.force_login(trainer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("training:assign", args=[course.slug]), {"team": team.pk})
    assert response.status_code == 302
    assert "Could not send the assignment email" in caplog.text
    assert not AssignmentEmail.objects.exists()  # owed: a later run sends it
    monkeypatch.undo()
    assert send_assignment_emails(team.assignments.get().pk) == 1


def test_a_removed_assignment_sends_nothing(trainer, team, course, mailoutbox):
    (assignment,) = assign_course(by=trainer, course=course, team=team)
    pk = assignment.pk
    assignment.delete()
    assert send_assignment_emails(pk) == 0 and mailoutbox == []


def test_the_admin_sends_the_same_email(
    client, admin_user, course, learner, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:training_assignment_add"), {"course": course.pk, "learner": learner.pk}
        )
    assert response.status_code == 302
    (email,) = mailoutbox
    assert email.to == ["alice@example.com"] and "Ada Admin assigned" in email.body
