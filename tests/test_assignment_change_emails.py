"""Learners get an email when an assignment of theirs changes its due date or note, or
is removed: one each, in their language, after the commit, never twice; not those
who have already finished it."""

import datetime
import smtplib

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Profile
from progress.services import record_lesson_completion
from progress.structure import course_structure
from tests.factories import make_user
from training.change_emails import send_change_emails
from training.models import AssignmentChangeEmail, AssignmentEvent, Team
from training.services import assign_course, change_assignment, remove_assignment

pytestmark = pytest.mark.django_db

OLD = datetime.date(2099, 12, 12)
NEW = datetime.date(2099, 12, 31)


@pytest.fixture
def site(settings):
    settings.SITE_URL = "https://learn.example.com"


@pytest.fixture
def kira(team):
    kira = make_user("kira", first_name="Kira", last_name="Jones")
    team.members.add(kira)
    return kira


@pytest.fixture
def assigned(trainer, team, course, kira, django_capture_on_commit_callbacks, mailoutbox):
    """The team's assignment, its "assigned" emails already sent and cleared."""
    with django_capture_on_commit_callbacks(execute=True):
        (assignment,) = assign_course(by=trainer, course=course, team=team, due_date=OLD)
    mailoutbox.clear()
    return assignment


def change(trainer, assignment, callbacks, **fields):
    fields = {"due_date": assignment.due_date, "note": assignment.note, **fields}
    with callbacks(execute=True):
        return change_assignment(trainer, assignment, **fields)


# A changed due date --------------------------------------------------------------------


def test_a_new_due_date_emails_each_learner_of_the_team_once(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "kira@example.com"]


def test_the_email_names_the_course_and_both_dates(
    trainer, assigned, course, mailoutbox, site, django_capture_on_commit_callbacks
):
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    email = next(m for m in mailoutbox if m.to == ["kira@example.com"])
    assert email.subject == f"New due date for {course.title}: 31 Dec 2099"
    assert "Hello Kira," in email.body
    assert f"Tara Trainer changed the assignment of the course “{course.title}”" in email.body
    assert "(to your team Support)" in email.body
    assert "New due date: 31 Dec 2099 (it was 12 Dec 2099)." in email.body
    assert f"https://learn.example.com{reverse('courses:detail', args=[course.slug])}" in (
        email.body
    )


def test_a_due_date_taken_away_says_so(
    trainer, assigned, course, mailoutbox, django_capture_on_commit_callbacks
):
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=None)
    email = mailoutbox[0]
    assert email.subject == f"No due date any more for {course.title}"
    assert "New due date: no due date (it was 12 Dec 2099)." in email.body


def test_a_new_note_is_emailed_with_the_unchanged_date(
    trainer, assigned, course, mailoutbox, django_capture_on_commit_callbacks
):
    change(trainer, assigned, django_capture_on_commit_callbacks, note="Read lesson 2 twice")
    email = mailoutbox[0]
    assert email.subject == f"Your assignment changed: {course.title}"
    assert "Due: 12 Dec 2099 (unchanged)." in email.body
    assert "Note: Read lesson 2 twice" in email.body


def test_the_email_is_in_each_learners_language(
    trainer, assigned, course, learner, mailoutbox, django_capture_on_commit_callbacks
):
    Profile.objects.create(user=learner, language="de")
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    german = next(m for m in mailoutbox if m.to == [learner.email])
    english = next(m for m in mailoutbox if m.to == ["kira@example.com"])
    assert german.subject == f"Neues Fälligkeitsdatum für {course.title}: 31. Dezember 2099"
    assert "Hallo Alice," in german.body
    assert "Neues Fälligkeitsdatum: 31. Dezember 2099 (bisher 12. Dezember 2099)." in german.body
    assert english.subject.startswith("New due date")
    assert translation.get_language() == "en-gb"  # the sender leaves no language behind


def test_the_same_date_saved_again_sends_nothing(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    assert not change(trainer, assigned, django_capture_on_commit_callbacks, due_date=OLD)
    assert mailoutbox == [] and not AssignmentChangeEmail.objects.exists()


def test_a_rolled_back_change_sends_nothing(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        change_assignment(trainer, assigned, due_date=NEW, note="")
        raise RuntimeError("something after it failed")
    assert callbacks == [] and mailoutbox == []
    assert not AssignmentChangeEmail.objects.exists()


def test_nothing_is_sent_before_the_commit(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        change_assignment(trainer, assigned, due_date=NEW, note="")
        assert mailoutbox == []
    assert len(callbacks) == 1


def test_learners_who_finished_it_get_no_email(
    trainer, assigned, course, learner, mailoutbox, django_capture_on_commit_callbacks
):
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    assert [m.to for m in mailoutbox] == [["kira@example.com"]]


def test_learners_without_an_address_or_account_get_none(
    trainer, team, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    team.members.add(make_user("noemail", email=""), make_user("gone", is_active=False))
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    assert len(mailoutbox) == 2


def test_a_change_of_lessons_alone_sends_nothing(
    trainer, assigned, course, mailoutbox, django_capture_on_commit_callbacks
):
    first = course.lessons.first()
    assert change(trainer, assigned, django_capture_on_commit_callbacks, lessons=[first])
    assert mailoutbox == []


def test_a_double_click_on_save_emails_once(
    client, trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(trainer)
    url = reverse("training:assignment", args=[assigned.pk])
    for _click in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, {"due_date": NEW.isoformat(), "note": ""}).status_code == 302
    assert len(mailoutbox) == 2  # one each for Alice and Kira


def test_sending_again_sends_nothing(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    change(trainer, assigned, django_capture_on_commit_callbacks, due_date=NEW)
    event = AssignmentEvent.objects.get(action="changed")
    assert send_change_emails(event.pk) == 0  # a retry, or a second worker
    assert len(mailoutbox) == 2


def test_a_failure_to_send_is_logged_and_owed_not_a_500(
    client, trainer, assigned, monkeypatch, caplog, mailoutbox, django_capture_on_commit_callbacks
):
    def refuse(self, messages):
        raise smtplib.SMTPServerDisconnected("the mail server went away")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
    client.force_login(trainer)
    url = reverse("training:assignment", args=[assigned.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"due_date": NEW.isoformat(), "note": ""})
    assert response.status_code == 302
    assert "Could not send the assignment-change email" in caplog.text
    assert AssignmentChangeEmail.objects.filter(sent_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert send_change_emails(AssignmentEvent.objects.get(action="changed").pk) == 2


def test_the_admin_sends_the_same_email(
    client, admin_user, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:training_assignment_change", args=[assigned.pk]),
            {
                "course": assigned.course_id,
                "team": assigned.team_id,
                "learner": "",
                "due_date": NEW.isoformat(),
                "note": "",
            },
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 2
    assert "Ada Admin changed the assignment" in mailoutbox[0].body


# A removed assignment ---------------------------------------------------------------------


def test_removing_emails_each_learner_once(
    trainer, assigned, course, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        remove_assignment(trainer, assigned)
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.com", "kira@example.com"]
    email = mailoutbox[0]
    assert email.subject == f"No longer assigned to you: {course.title}"
    assert (
        f"Tara Trainer removed the assignment of the course “{course.title}” to your team "
        "Support. It was due 12 Dec 2099."
    ) in email.body
    assert "Nothing else assigns it to you now" in email.body
    assert "Your progress and scores are kept" in email.body


def test_removing_says_who_still_has_it_and_through_what(
    trainer, assigned, course, kira, mailoutbox, django_capture_on_commit_callbacks
):
    assign_course(by=trainer, course=course, learners=[kira], due_date=NEW)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        remove_assignment(trainer, assigned)
    kiras = next(m for m in mailoutbox if m.to == ["kira@example.com"])
    alices = next(m for m in mailoutbox if m.to == ["alice@example.com"])
    assert kiras.subject == f"One assignment removed: {course.title} (still assigned to you)"
    assert "You still have the course through:\n  - your own assignment (due 31 Dec 2099)" in (
        kiras.body
    )
    assert "Nothing else assigns it to you now" in alices.body


def test_removing_an_individual_assignment_names_the_team_that_keeps_it(
    trainer, assigned, course, kira, mailoutbox, django_capture_on_commit_callbacks
):
    (own,) = assign_course(by=trainer, course=course, learners=[kira])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        remove_assignment(trainer, own)
    (email,) = mailoutbox
    assert email.to == ["kira@example.com"]
    assert "removed your assignment of the course" in email.body
    assert "  - your team Support (due 12 Dec 2099)" in email.body


def test_a_rolled_back_removal_sends_nothing(
    trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        remove_assignment(trainer, assigned)
        raise RuntimeError("something after it failed")
    assert callbacks == [] and mailoutbox == []


def test_a_double_click_on_remove_emails_once(
    client, trainer, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(trainer)
    url = reverse("training:remove_assignment", args=[assigned.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 404
    assert len(mailoutbox) == 2


def test_removing_emails_nobody_who_finished_it(
    trainer, assigned, course, learner, mailoutbox, django_capture_on_commit_callbacks
):
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    with django_capture_on_commit_callbacks(execute=True):
        remove_assignment(trainer, assigned)
    assert [m.to for m in mailoutbox] == [["kira@example.com"]]


def test_the_removal_event_records_what_was_removed(trainer, assigned):
    remove_assignment(trainer, assigned)
    event = AssignmentEvent.objects.get(action="removed")
    assert event.changes == {"due_date": [OLD.isoformat(), None]}


# Cost --------------------------------------------------------------------------------------


def queries_to_change(trainer, assignment, day: datetime.date) -> int:
    with CaptureQueriesContext(connection) as captured:
        change_assignment(trainer, assignment, due_date=day, note="")
    return len(captured)


def test_owing_the_emails_does_not_grow_with_the_team(trainer, team, course, assigned):
    course_structure(course)  # cached, as once any page of the course was served
    few = queries_to_change(trainer, assigned, NEW)
    team.members.add(*[make_user(f"member{n}") for n in range(30)])
    record_lesson_completion(
        Team.objects.get(pk=team.pk).members.order_by("pk").last(), course.lessons.first()
    )
    assert queries_to_change(trainer, assigned, NEW + datetime.timedelta(days=1)) == few


def test_sending_does_not_grow_with_the_team(
    trainer, team, assigned, mailoutbox, django_capture_on_commit_callbacks
):
    """Per email: the claim (one UPDATE). The rest is fixed."""

    def queries_to_send(day):
        with django_capture_on_commit_callbacks() as callbacks:
            change_assignment(trainer, assigned, due_date=day, note="")
        with CaptureQueriesContext(connection) as captured:
            for callback in callbacks:
                callback()
        return (
            len(captured)
            - AssignmentChangeEmail.objects.filter(
                event=AssignmentEvent.objects.latest("id")
            ).count()
        )

    few = queries_to_send(NEW)
    team.members.add(*[make_user(f"member{n}") for n in range(20)])
    assert queries_to_send(timezone.localdate() + datetime.timedelta(days=400)) == few
