"""The trainers' weekly compliance digest (compliance/digests.py), sent by run_scheduled:
the day, once a week, the off switch, what it says, and its settings page."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from compliance.digests import build_digest, send_digests
from compliance.models import DigestChoice, DigestSent, Weekday
from tests.factories import finish_course as finish
from tests.factories import make_course
from tests.factories import on_day as at
from training.models import Assignment

pytestmark = pytest.mark.django_db
D = datetime.date
MONDAY = D(2027, 6, 7)


@pytest.fixture
def safety(db, team):
    course = make_course(lessons=1, slug="safety", title="Safety")
    course.valid_for_months = 12
    course.save()
    Assignment.objects.create(course=course, team=team, due_date=D(2027, 6, 1))
    return course


def digests_to(trainer) -> list:
    return [e for e in mail.outbox if e.to == [trainer.email]]


def test_a_trainer_gets_the_digest_on_monday(trainer, learner, safety):
    with at(MONDAY):
        assert send_digests(MONDAY) == 1
    [email] = digests_to(trainer)
    assert email.subject == "Compliance this week: 0%"
    assert "Compliance rate: 0% (0 of 1 required courses held)." in email.body
    assert "- Alice Learner · Safety · Overdue" in email.body


def test_once_a_week(trainer, learner, safety):
    for day in range(7):
        with at(MONDAY + datetime.timedelta(days=day)):
            send_digests(MONDAY + datetime.timedelta(days=day))
    assert len(digests_to(trainer)) == 1
    assert DigestSent.objects.get().week_of == MONDAY


def test_nothing_before_the_chosen_day(trainer, learner, safety):
    DigestChoice.objects.create(trainer=trainer, weekday=Weekday.WEDNESDAY)
    with at(MONDAY):
        send_digests(MONDAY)
    assert digests_to(trainer) == []
    with at(MONDAY + datetime.timedelta(days=2)):
        send_digests(MONDAY + datetime.timedelta(days=2))
    assert len(digests_to(trainer)) == 1


def test_a_missed_day_is_caught_up_later_that_week(trainer, learner, safety):
    DigestChoice.objects.create(trainer=trainer, weekday=Weekday.WEDNESDAY)
    with at(MONDAY + datetime.timedelta(days=4)):  # no run on Wednesday
        send_digests(MONDAY + datetime.timedelta(days=4))
    assert len(digests_to(trainer)) == 1


def test_switched_off_sends_nothing(trainer, learner, safety):
    DigestChoice.objects.create(trainer=trainer, enabled=False)
    with at(MONDAY):
        assert send_digests(MONDAY) == 0


def test_a_learner_gets_no_digest(learner, safety):
    with at(MONDAY):
        send_digests(MONDAY)
    assert [e for e in mail.outbox if e.to == [learner.email]] == []


def test_who_lapsed_in_the_last_week(trainer, learner, safety):
    with at(D(2026, 6, 2)):
        finish(learner, safety)  # valid until 2 Jun 2027: expired on the 3rd
    with at(MONDAY):
        digest = build_digest(trainer, MONDAY)
    assert digest.lapsed == [("Alice Learner", "Safety", D(2027, 6, 3))]
    assert digest.overdue == [("Alice Learner", "Safety", "Expired")]


def test_a_compliant_team_has_a_full_rate(trainer, learner, safety):
    with at(D(2027, 5, 1)):
        finish(learner, safety)
    with at(MONDAY):
        digest = build_digest(trainer, MONDAY)
    assert (digest.rate, digest.overdue, digest.lapsed) == (100, [], [])


def test_a_failed_send_releases_the_claim(trainer, learner, safety, monkeypatch):
    from django.core.mail import EmailMessage

    def fail(self, fail_silently=False):
        raise OSError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", fail)
    with at(MONDAY):
        assert send_digests(MONDAY) == 0
    assert not DigestSent.objects.exists()


def test_the_settings_page_saves_the_choice(client, trainer, team):
    client.force_login(trainer)
    assert client.get(reverse("compliance:digest")).status_code == 200
    response = client.post(reverse("compliance:digest"), {"weekday": "4"})
    assert response.status_code == 302
    choice = DigestChoice.objects.get(trainer=trainer)
    assert (choice.enabled, choice.weekday) == (False, Weekday.FRIDAY)


def test_a_tampered_weekday_is_a_400(client, trainer, team):
    client.force_login(trainer)
    assert (
        client.post(reverse("compliance:digest"), {"weekday": "9", "enabled": "on"}).status_code
        == 400
    )


def test_a_learner_has_no_digest_settings(client, learner):
    client.force_login(learner)
    assert client.get(reverse("compliance:digest")).status_code == 404
