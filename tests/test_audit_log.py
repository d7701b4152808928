"""The audit log (issue 23, audit/): every completion, graded attempt, certificate
issued or revoked, assignment change and deletion of one of these is an event, in
the transaction of the record, chained to the event before it in its learner's (or
team's) chain, with who, when, from where and the content version."""

from __future__ import annotations

import datetime
import hashlib
import json
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import log
from audit.context import acting_as, command_name
from audit.log import GENESIS, learner_chain, record_event, team_chain
from audit.models import ChainHead, Event, EventKind
from audit.verify import verify_all
from lessons.certificates import revoke_certificate
from lessons.models import CourseCompletion, LessonTranslation
from progress.services import complete_lesson
from quizzes.models import Question
from tests.factories import make_course, make_quiz, make_user, take_quiz
from training.services import assign_course, change_assignment, remove_assignment

pytestmark = pytest.mark.django_db

MOMENT = datetime.datetime(2027, 3, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def complete_course(learner, course) -> CourseCompletion:
    for lesson in course.lessons.order_by("position"):
        complete_lesson(learner, lesson)
    return CourseCompletion.objects.get(learner=learner, course=course, superseded_at=None)


def events_of(learner) -> list[Event]:
    return list(Event.objects.filter(chain=learner_chain(learner.pk)).order_by("seq"))


def kinds(events) -> list[str]:
    return [event.kind for event in events]


def sha256(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# What is logged --------------------------------------------------------------------


def test_a_course_completion_logs_the_completion_and_its_certificate(learner, course):
    completion = complete_course(learner, course)
    events = events_of(learner)
    assert kinds(events) == [EventKind.COURSE_COMPLETED, EventKind.CERTIFICATE_ISSUED]
    completed, issued = events
    assert (completed.object_type, completed.object_id) == (
        "lessons.coursecompletion",
        completion.pk,
    )
    assert completed.data["course"] == course.slug
    assert completed.data["course_title"] == course.title
    assert completed.data["run"] == 1
    assert issued.data["code"] == completion.certificate.code
    assert (completed.learner_id, completed.learner_name) == (learner.pk, "Alice Learner")


def test_the_completion_records_the_content_version_of_its_lessons(learner, course):
    complete_course(learner, course)
    lessons = list(course.lessons.order_by("position"))
    expected = sha256(
        [
            {
                "slug": lesson.slug,
                "title": lesson.title,
                "body": lesson.body_markdown,
                "translations": {},
            }
            for lesson in lessons
        ]
    )
    completed, issued = events_of(learner)
    assert completed.content_version == expected
    assert issued.content_version == expected  # the certificate is for that content


def test_a_changed_lesson_text_gives_a_new_content_version(learner, second_learner, course):
    complete_course(learner, course)
    lesson = course.lessons.order_by("position").first()
    lesson.body_markdown += " One more sentence."
    lesson.save()
    complete_course(second_learner, course)
    first, second = events_of(learner)[0], events_of(second_learner)[0]
    assert first.content_version != second.content_version


def test_the_same_text_gives_the_same_content_version(learner, second_learner, course):
    complete_course(learner, course)
    complete_course(second_learner, course)
    assert events_of(learner)[0].content_version == events_of(second_learner)[0].content_version


def test_the_same_texts_in_another_course_give_the_same_content_version(learner, course):
    """Lessons are named by slug, not id: a course imported again (new rows, the same
    files) has the same version."""
    copy = make_course(lessons=3)  # the factory's slugs, titles and bodies again
    complete_course(learner, course)
    complete_course(learner, copy)
    first, _issued, second, _issued_again = events_of(learner)
    assert first.content_version == second.content_version


def test_a_lessons_translation_is_part_of_its_content_version(learner, second_learner, course):
    complete_course(learner, course)
    lesson = course.lessons.order_by("position").first()
    LessonTranslation.objects.create(
        lesson=lesson, language="de", title="Lektion", body_markdown="Text."
    )
    complete_course(second_learner, course)
    assert events_of(learner)[0].content_version != events_of(second_learner)[0].content_version


def test_a_submitted_quiz_is_logged_with_its_score_and_content_version(learner, course):
    quiz = make_quiz(lesson=course.lessons.order_by("position").first())
    attempt = take_quiz(learner, quiz, correct=2)
    (event,) = [e for e in events_of(learner) if e.kind == EventKind.QUIZ_SUBMITTED]
    assert (event.object_type, event.object_id) == ("quizzes.attempt", attempt.pk)
    assert (event.data["score"], event.data["max_score"], event.data["percent"]) == (2, 4, 50)
    assert event.data["passed"] is False
    assert event.data["course"] == course.slug and event.data["lesson"] == "lesson-1"
    assert len(event.content_version) == 64


def test_an_open_attempt_is_not_logged(learner, course):
    from quizzes.services import open_attempt

    quiz = make_quiz(lesson=course.lessons.first())
    open_attempt(learner, quiz, 0)
    assert events_of(learner) == []


def test_a_changed_question_gives_a_new_quiz_content_version(learner, course):
    quiz = make_quiz(lesson=course.lessons.order_by("position").first())
    take_quiz(learner, quiz)
    Question.objects.filter(quiz=quiz, position=1).update(prompt="Pick the colleague, please.")
    take_quiz(learner, quiz)
    first, second = [e for e in events_of(learner) if e.kind == EventKind.QUIZ_SUBMITTED]
    assert first.content_version != second.content_version


def test_the_quiz_content_version_ignores_the_attempts_shuffle(learner, course):
    quiz = make_quiz(lesson=course.lessons.order_by("position").first(), shuffle=True)
    for _ in range(3):
        take_quiz(learner, quiz)
    versions = {e.content_version for e in events_of(learner) if e.kind == EventKind.QUIZ_SUBMITTED}
    assert len(versions) == 1


def test_revoking_a_certificate_is_logged_with_the_reason(learner, course, admin_user):
    completion = complete_course(learner, course)
    revoke_certificate(completion.certificate, by=admin_user, reason="Sat the quiz for someone")
    event = events_of(learner)[-1]
    assert event.kind == EventKind.CERTIFICATE_REVOKED
    assert event.data["revoked_reason"] == "Sat the quiz for someone"
    assert event.data["revoked_by"] == admin_user.pk


def test_starting_again_logs_the_superseded_completion(learner, course, trainer, team):
    complete_course(learner, course)
    assign_course(by=trainer, course=course, team=team, require_fresh_completion=True)
    from training.services import start_fresh_run

    start_fresh_run(learner, course)
    event = events_of(learner)[-1]
    assert event.kind == EventKind.COMPLETION_SUPERSEDED
    assert "superseded_at" in event.data


def test_an_individual_assignment_is_logged_in_the_learners_chain(learner, trainer, team, course):
    (assignment,) = assign_course(by=trainer, course=course, learners=[learner])
    change_assignment(trainer, assignment, due_date=datetime.date(2031, 1, 31), note="", lessons=[])
    remove_assignment(trainer, assignment)
    events = events_of(learner)
    assert kinds(events) == [
        EventKind.ASSIGNED,
        EventKind.ASSIGNMENT_CHANGED,
        EventKind.ASSIGNMENT_REMOVED,
    ]
    assert events[1].data["changes"]["due_date"] == [None, "2031-01-31"]
    assert {(e.actor_id, e.actor_name) for e in events} == {(trainer.pk, "Tara Trainer")}


def test_a_team_assignment_is_logged_in_the_teams_chain(learner, trainer, team, course):
    assign_course(by=trainer, course=course, team=team)
    (event,) = Event.objects.filter(chain=team_chain(team.pk))
    assert event.kind == EventKind.ASSIGNED
    assert event.learner_id is None
    assert event.data["assignee"] == "Support"
    assert events_of(learner) == []


def test_deleting_a_record_is_logged_with_the_row_as_it_was(learner, course):
    quiz = make_quiz(lesson=course.lessons.first())
    attempt = take_quiz(learner, quiz)
    attempt_id = attempt.pk
    attempt.delete()
    event = events_of(learner)[-1]
    assert event.kind == EventKind.RECORD_DELETED
    assert (event.object_type, event.object_id) == ("quizzes.attempt", attempt_id)
    assert event.data["row"]["percent"] == 100


# The chain -------------------------------------------------------------------------


def test_each_event_carries_the_hash_of_the_one_before(learner, course):
    quiz = make_quiz(lesson=course.lessons.order_by("position").first())
    take_quiz(learner, quiz)
    for lesson in course.lessons.order_by("position")[1:]:
        complete_lesson(learner, lesson)
    events = events_of(learner)
    assert [e.seq for e in events] == [1, 2, 3]
    assert (events[0].prev_id, events[0].prev_hash) == (None, GENESIS)
    for before, after in zip(events, events[1:], strict=False):
        assert (after.prev_id, after.prev_hash) == (before.pk, before.hash)


def test_the_hash_is_sha256_of_the_documented_fields(learner, course):
    complete_course(learner, course)
    event = events_of(learner)[0]
    fields = {
        "chain": event.chain,
        "prev_id": event.prev_id,
        "prev_hash": event.prev_hash,
        "at": event.at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
        "kind": event.kind,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "ip": event.ip,
        "learner_id": event.learner_id,
        "learner_name": event.learner_name,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "content_version": event.content_version,
    }
    assert event.hash == sha256(fields)


def test_the_chains_head_names_the_last_event(learner, course):
    complete_course(learner, course)
    last = events_of(learner)[-1]
    head = ChainHead.objects.get(chain=learner_chain(learner.pk))
    assert (head.seq, head.last_event_id, head.hash) == (2, last.pk, last.hash)


def test_the_event_is_written_at_the_clocks_time(learner, course, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: MOMENT)
    complete_course(learner, course)
    assert {event.at for event in events_of(learner)} == {MOMENT}
    assert verify_all().ok  # the stored time hashes as it was written


def test_no_record_is_saved_when_its_event_cannot_be_written(learner, course, monkeypatch):
    def broken(*args, **kwargs):
        raise IntegrityError("the log is full")

    monkeypatch.setattr(log.Event, "save", broken)
    with pytest.raises(IntegrityError):
        complete_course(learner, course)
    assert not CourseCompletion.objects.filter(learner=learner).exists()


def test_record_event_can_be_called_for_events_of_other_kinds(learner):
    from audit.context import person

    event = record_event(
        EventKind.COMPLETION_CHANGED,
        learner=person(learner),
        obj=("compliance.exemption", 7),
        data={"reason": "On leave", "until": datetime.date(2027, 6, 30)},
    )
    assert (event.chain, event.seq) == (learner_chain(learner.pk), 1)
    assert event.data == {"reason": "On leave", "until": "2027-06-30"}


def test_an_event_about_no_learner_goes_to_the_sites_chain():
    event = record_event(EventKind.COMPLETION_CHANGED, learner=None, obj=None, data={})
    assert event.chain == "site"


# Who and from where ---------------------------------------------------------------


def test_a_learners_request_names_them_and_their_address(learner, course):
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(learner)
    first, second = course.lessons.order_by("position")[:2]
    complete_lesson(learner, first)
    complete_lesson(learner, second)
    last = course.lessons.order_by("position").last()
    response = client.post(reverse("lessons:complete", args=[course.slug, last.slug]))
    assert response.status_code == 302
    completed = events_of(learner)[0]
    assert (completed.actor_id, completed.actor_name, completed.ip) == (
        learner.pk,
        "Alice Learner",
        "203.0.113.9",
    )


def test_behind_a_trusted_proxy_the_address_is_the_clients(learner, course, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4")
    client.force_login(learner)
    for lesson in course.lessons.order_by("position")[:2]:
        complete_lesson(learner, lesson)
    last = course.lessons.order_by("position").last()
    client.post(reverse("lessons:complete", args=[course.slug, last.slug]))
    assert events_of(learner)[0].ip == "198.51.100.4"


def test_without_a_request_the_actor_is_the_system(learner, course):
    complete_course(learner, course)
    assert {(e.actor_id, e.actor_name, e.ip) for e in events_of(learner)} == {(None, "system", "")}


def test_a_management_command_is_named_as_the_actor():
    assert command_name(["manage.py", "import_content", "content"]) == "manage.py import_content"
    assert command_name(["/usr/bin/pytest", "tests"]) == "system"


def test_a_job_can_name_itself_as_the_actor(learner, course):
    with acting_as("run_scheduled"):
        complete_course(learner, course)
    assert {e.actor_name for e in events_of(learner)} == {"run_scheduled"}


def test_an_admin_change_names_the_admin_and_says_so(learner, course, admin_user):
    completion = complete_course(learner, course)
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.force_login(admin_user)
    url = reverse("admin:lessons_certificate_revoke", args=[completion.certificate.pk])
    assert client.post(url, {"reason": "Wrong person"}).status_code == 302
    event = events_of(learner)[-1]
    assert event.kind == EventKind.CERTIFICATE_REVOKED
    assert (event.actor_id, event.ip, event.data["via"]) == (admin_user.pk, "192.0.2.7", "admin")


def test_a_page_that_writes_nothing_logs_nothing(learner_client, course):
    learner_client.get(reverse("courses:detail", args=[course.slug]))
    assert not Event.objects.exists()


# The admin -----------------------------------------------------------------------------


def test_the_admin_shows_events_and_changes_none(learner, course, admin_user):
    complete_course(learner, course)
    event = events_of(learner)[0]
    client = Client()
    client.force_login(admin_user)
    changelist = reverse("admin:audit_event_changelist")
    page = client.get(changelist + "?q=Alice").content.decode()
    assert "Alice Learner" in page and 'name="action"' not in page
    assert client.get(changelist + "?kind__exact=quiz_submitted").context["cl"].result_count == 0
    assert client.get(reverse("admin:audit_event_add")).status_code == 403
    change = reverse("admin:audit_event_change", args=[event.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"learner_name": "Someone"}).status_code == 403
    assert (
        client.post(
            reverse("admin:audit_event_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    bulk = {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    client.post(changelist, bulk)
    assert Event.objects.filter(pk=event.pk, learner_name="Alice Learner").exists()


# Two requests at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_writers_on_one_chain_queue_and_do_not_fork_it():
    """Two connections append to one learner's chain at once: the second waits for the
    first's lock and links to its event (PostgreSQL: row locks; SQLite writes one
    transaction at a time anyway)."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL (SQLite runs one writing transaction at a time)")
    learner = make_user("kim")
    party = log.Party(id=learner.pk, name="Kim")
    # The chain exists already: both writers go the usual way (its head's row lock).
    earlier = record_event(EventKind.COMPLETION_CHANGED, learner=party, obj=None, data={"n": 0})
    first_written, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                results["first"] = record_event(
                    EventKind.COMPLETION_CHANGED, learner=party, obj=None, data={"n": 1}
                )
                first_written.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def second() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                results["second_pid"] = cursor.fetchone()[0]
            first_written.wait(timeout=30)
            with transaction.atomic():
                results["second"] = record_event(
                    EventKind.COMPLETION_CHANGED, learner=party, obj=None, data={"n": 2}
                )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_written.wait(timeout=30)
    assert _waits_for_a_lock(results), "the second writer never waited for the first"
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    first_event, second_event = results["first"], results["second"]
    assert (earlier.seq, first_event.seq, second_event.seq) == (1, 2, 3)
    assert (second_event.prev_id, second_event.prev_hash) == (first_event.pk, first_event.hash)
    assert verify_all().ok


def _waits_for_a_lock(results: dict) -> bool:
    """Whether the second connection is blocked by another (asked of PostgreSQL until
    it is, for at most a few seconds of the server's own waiting)."""
    with connections["default"].cursor() as cursor:
        for _ in range(200):
            pid = results.get("second_pid")
            if pid is not None:
                cursor.execute("SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid])
                if cursor.fetchone()[0]:
                    return True
            cursor.execute("SELECT pg_sleep(0.02)")  # the server waits, not the test's clock
    return False


def test_a_second_event_in_the_same_place_is_refused(learner):
    from audit.context import person

    event = record_event(EventKind.COMPLETION_CHANGED, learner=person(learner), obj=None, data={})
    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(
            chain=event.chain,
            seq=event.seq,
            at=event.at,
            kind=event.kind,
            actor_name="x",
            object_type="",
            prev_hash=GENESIS,
            hash=GENESIS,
        )


def test_an_event_links_to_no_other_table(learner, course):
    """Plain ids and names: deleting a user or a course never updates or deletes a log row."""
    assert not [field for field in Event._meta.get_fields() if field.is_relation]


# Compliance records reach the log (issue 23) ----------------------------------------------


def test_an_exemption_granted_and_revoked_is_logged(trainer, learner, team):
    from audit.models import Event
    from compliance.services import grant_exemption, revoke_exemption
    from tests.factories import make_course

    course = make_course(lessons=1)
    exemption = grant_exemption(trainer, learner, course, reason="On leave")
    revoke_exemption(trainer, exemption)
    kinds = list(Event.objects.filter(chain=f"learner:{learner.pk}").values_list("kind", flat=True))
    assert kinds[-2:] == ["exemption_granted", "exemption_revoked"]
    assert Event.objects.get(kind="exemption_granted").data["reason"] == "On leave"


def test_a_renewal_and_an_expiry_are_logged(learner, team, trainer):
    import datetime

    import time_machine

    from audit.models import Event
    from compliance.scheduling import run_scheduled
    from progress.services import record_lesson_completion
    from tests.factories import make_course
    from training.models import Assignment, Recurrence

    course = make_course(lessons=1)
    course.valid_for_months = 12
    course.save()
    with time_machine.travel(datetime.datetime(2026, 3, 15, 9), tick=False):
        Assignment.objects.create(course=course, team=team, recurrence=Recurrence.AFTER_COMPLETION)
        record_lesson_completion(learner, course.lessons.get())
    for day in (datetime.datetime(2027, 2, 13, 9), datetime.datetime(2027, 3, 17, 9)):
        with time_machine.travel(day, tick=False):
            run_scheduled()
    renewal = Event.objects.get(kind="renewal_opened")
    expired = Event.objects.get(kind="completion_expired")
    assert renewal.data["due_date"] == "2027-03-15" and renewal.actor_name == "system"
    assert expired.data["valid_until"] == "2027-03-15"
