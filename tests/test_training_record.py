""" "Show me Ann's training record" (issue 23, audit/record.py): one page and one PDF
with every course, run, score, date, content version and certificate, and whether
the learner's chain of the audit log verifies. For the learner, a trainer who follows
them and superusers."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import Event, EventKind
from lessons.certificates import verification_url
from lessons.models import CourseCompletion
from progress.services import complete_lesson
from tests.factories import make_course, make_quiz, make_user, take_quiz
from tests.test_permissions import changed_tables, snapshot
from training.services import assign_course, start_fresh_run

pytestmark = pytest.mark.django_db


def record_url(learner) -> str:
    return reverse("audit:training_record", args=[learner.pk])


def pdf_url(learner) -> str:
    return reverse("audit:training_record_pdf", args=[learner.pk])


def finish(learner, course) -> CourseCompletion:
    """Pass the first lesson's quiz (half right first), the other lessons, the final."""
    lessons = list(course.lessons.order_by("position"))
    take_quiz(learner, lessons[0].quiz, correct=2)
    take_quiz(learner, lessons[0].quiz)
    for lesson in lessons[1:]:
        complete_lesson(learner, lesson)
    take_quiz(learner, course.final_assessment)
    return CourseCompletion.objects.get(learner=learner, course=course, superseded_at=None)


@pytest.fixture
def safety(db):
    course = make_course(lessons=2, slug="fire-safety", title="Fire safety")
    make_quiz(lesson=course.lessons.get(position=1))
    make_quiz(course=course)
    return course


@pytest.fixture
def completed(learner, safety) -> CourseCompletion:
    return finish(learner, safety)


def page_of(client: Client, learner) -> str:
    response = client.get(record_url(learner))
    assert response.status_code == 200
    return response.content.decode()


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# Who may see it ---------------------------------------------------------------------------


def test_the_learner_sees_their_own_record(learner_client, learner, completed):
    assert "Training record: Alice Learner" in page_of(learner_client, learner)


def test_a_trainer_who_follows_the_learner_sees_it(client, learner, trainer, team, completed):
    client.force_login(trainer)
    assert "Fire safety" in page_of(client, learner)


def test_a_superuser_sees_anyones(client, learner, admin_user, completed):
    client.force_login(admin_user)
    assert "Fire safety" in page_of(client, learner)


@pytest.mark.parametrize("who", ["second_learner", "other_trainer", "staff"])
def test_anyone_else_gets_a_404(client, learner, other_team, completed, who):
    others = {
        "second_learner": lambda: other_team.members.get(),
        "other_trainer": lambda: other_team.trainers.get(),
        "staff": lambda: make_user("sam", is_staff=True),
    }
    client.force_login(others[who]())
    assert client.get(record_url(learner)).status_code == 404
    assert client.get(pdf_url(learner)).status_code == 404


def test_a_visitor_is_sent_to_log_in(client, learner):
    response = client.get(record_url(learner))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# What it shows ----------------------------------------------------------------------------


def test_it_shows_the_completion_certificate_and_content_version(
    learner_client, learner, completed
):
    page = page_of(learner_client, learner)
    certificate = completed.certificate
    version = Event.objects.get(kind=EventKind.COURSE_COMPLETED).content_version
    assert certificate.code in page
    assert f'href="{verification_url(certificate)}"' in page
    assert version in page
    assert "Run 1" in visible(page) and "Does not expire" in page


def test_it_shows_each_quizs_best_score_and_the_version_it_was_taken_on(
    learner_client, learner, completed
):
    text = visible(page_of(learner_client, learner))
    assert "Quiz: Lesson title 1 · best 100% of 2 attempts · Passed" in text
    assert "Final assessment: Fire safety · best 100% of 1 attempt · Passed" in text
    passing = Event.objects.filter(kind=EventKind.QUIZ_SUBMITTED, data__percent=100).first()
    assert passing.content_version in text


def test_each_run_is_its_own_with_its_own_attempts(learner_client, learner, trainer, team, safety):
    finish(learner, safety)
    assign_course(by=trainer, course=safety, team=team, require_fresh_completion=True)
    start_fresh_run(learner, safety)
    take_quiz(learner, safety.lessons.get(position=1).quiz, correct=1)
    text = visible(page_of(learner_client, learner))
    first, second = text.split("Run 1", 1)[1].split("Run 2", 1)
    assert "Earlier run" in first and "best 100% of 2 attempts" in first
    assert "In progress" in second and "best 25% of 1 attempt · Not passed" in second


def test_a_completion_past_its_last_day_shows_as_expired(
    learner_client, learner, completed, monkeypatch
):
    CourseCompletion.objects.filter(pk=completed.pk).update(valid_until=datetime.date(2027, 3, 31))
    later = datetime.datetime(2027, 4, 1, 12, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: later)
    learner_client.force_login(learner)  # a session of that day
    text = visible(page_of(learner_client, learner))
    assert "Valid until 31 Mar 2027 Expired" in text


def test_a_completion_before_its_last_day_is_not_expired(
    learner_client, learner, completed, monkeypatch
):
    CourseCompletion.objects.filter(pk=completed.pk).update(valid_until=datetime.date(2027, 3, 31))
    earlier = datetime.datetime(2027, 3, 31, 12, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: earlier)
    learner_client.force_login(learner)  # a session of that day
    text = visible(page_of(learner_client, learner))
    assert "Valid until 31 Mar 2027 Final score" in text


def test_a_verified_record_says_so_with_the_count(learner_client, learner, completed):
    count = Event.objects.filter(learner_id=learner.pk).count()
    text = visible(page_of(learner_client, learner))
    assert "Verified against the audit log" in text
    assert f"All {count} events of this learner's records are intact" in text


def test_a_tampered_record_says_which_event(learner_client, learner, completed):
    event = Event.objects.filter(learner_id=learner.pk).order_by("seq")[1]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        else:
            cursor.execute("DROP TRIGGER audit_event_no_update")
        cursor.execute("UPDATE audit_event SET actor_name = 'x' WHERE id = %s", [event.pk])
    text = visible(page_of(learner_client, learner))
    assert "The audit log does not verify" in text
    assert f"Event {event.pk} (number 2) was changed" in text


def test_a_learner_with_no_records_is_told_so(learner_client, learner):
    text = visible(page_of(learner_client, learner))
    assert "Nothing in the audit log yet" in text
    assert "No course completed and no quiz taken yet." in text


def test_the_page_has_one_heading_of_the_first_level(learner_client, learner, completed):
    assert len(re.findall(r"<h1[ >]", page_of(learner_client, learner))) == 1


def test_the_event_list_needs_no_script(learner_client, learner, completed):
    """The log is a <details> element: it opens without JavaScript."""
    page = page_of(learner_client, learner)
    assert re.search(r'<details class="record-events">\s*<summary', page)


def test_the_page_writes_nothing(learner_client, learner, completed):
    before = snapshot()
    page_of(learner_client, learner)
    learner_client.get(pdf_url(learner))
    assert changed_tables(before, snapshot()) == []


# Queries ----------------------------------------------------------------------------------


def test_the_page_query_count(learner_client, learner, completed, django_assert_num_queries):
    learner_client.get(record_url(learner))  # the session and the navigation's cache, once
    # Session, user, the learner, completions, attempts, the chain and its head.
    with django_assert_num_queries(7):
        learner_client.get(record_url(learner))


def test_the_query_count_does_not_grow_with_courses_and_runs(
    learner_client, learner, trainer, team, completed, safety
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    learner_client.get(record_url(learner))
    with CaptureQueriesContext(db) as one:
        learner_client.get(record_url(learner))
    for n in range(3):
        course = make_course(lessons=2, slug=f"more-{n}")
        make_quiz(lesson=course.lessons.get(position=1))
        make_quiz(course=course)
        finish(learner, course)
    assign_course(by=trainer, course=safety, team=team, require_fresh_completion=True)
    start_fresh_run(learner, safety)
    finish(learner, safety)
    with CaptureQueriesContext(db) as many:
        learner_client.get(record_url(learner))
    assert len(many) == len(one)


# The PDF ----------------------------------------------------------------------------------


def test_the_pdf_holds_the_record(learner_client, learner, completed):
    response = learner_client.get(pdf_url(learner))
    assert response["Content-Type"] == "application/pdf"
    assert re.fullmatch(
        r'attachment; filename="training-record-alice-\d{4}-\d{2}-\d{2}\.pdf"',
        response["Content-Disposition"],
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Training record: Alice Learner" in text
    assert completed.certificate.code in text
    assert "Verified against the audit log" in text
    version = Event.objects.get(kind=EventKind.COURSE_COMPLETED).content_version
    assert version[:16] in text.replace(" ", "")


# Where it is linked from ------------------------------------------------------------------


def test_the_trainers_learner_page_links_to_it(client, learner, trainer, team):
    client.force_login(trainer)
    page = client.get(reverse("training:learner", args=[learner.pk])).content.decode()
    assert f'href="{record_url(learner)}"' in page


def test_the_learners_profile_links_to_it(learner_client, learner):
    page = learner_client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{record_url(learner)}"' in page
