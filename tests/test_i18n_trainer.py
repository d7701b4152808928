"""German on the quiz and trainer pages, in their emails and messages; what stays
English whatever the language (the CSV export, the audit log, reminder records)."""

import csv
import datetime
import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.models import Profile
from quizzes.models import Attempt
from tests.factories import answer_sheet, make_quiz, make_user, press_start
from training.assignments import completed_label, due_label
from training.emails import send_assignment_emails
from training.models import AssignmentEvent, ReminderSent
from training.services import assign_course, describe_due

pytestmark = pytest.mark.django_db
DE = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """A request activates its language for the thread and nothing resets it after:
    later tests in this process must not run in German."""
    yield
    translation.deactivate()


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(response.content.decode().split())


@pytest.fixture
def quiz(course):
    return make_quiz(lesson=course.lessons.first(), max_attempts=3)


@pytest.fixture
def assigned(trainer, team, course):
    (assignment,) = assign_course(
        by=trainer, course=course, team=team, due_date=timezone.localdate() + datetime.timedelta(3)
    )
    return assignment


@pytest.fixture
def trainer_client(client, trainer, team):
    client.force_login(trainer)
    return client


def open_attempt(client, quiz) -> Attempt:
    press_start(client, quiz)
    html = client.get(reverse("quizzes:take", args=[quiz.pk]), **DE).content.decode()
    return Attempt.objects.get(pk=re.search(r'name="attempt" value="(\d+)"', html).group(1))


# --- The learner's quiz pages ------------------------------------------------------


def test_the_quiz_page_in_german(learner_client, quiz):
    press_start(learner_client, quiz)
    page = text(learner_client.get(reverse("quizzes:take", args=[quiz.pk]), **DE))
    assert "Antworten abgeben" in page and "Frage 1." in page
    assert "Bestehensgrenze 80 %" in page and "0 von 3 Versuchen verbraucht" in page
    assert "Submit answers" not in page and "Pass mark" not in page


def test_the_result_page_in_german(learner_client, quiz):
    attempt = open_attempt(learner_client, quiz)
    learner_client.post(reverse("quizzes:take", args=[quiz.pk]), answer_sheet(quiz, attempt))
    page = text(learner_client.get(reverse("quizzes:result", args=[attempt.pk]), **DE))
    assert "Ergebnis:" in page and "Ihre Antworten" in page and "Bestanden" in page
    assert "1 von 3 Versuchen verbraucht" in page
    assert "Erneut versuchen" not in page  # passed: the retake is on the lesson page
    assert "Your answers" not in page and "Try again" not in page


def test_a_blank_answer_sheet_is_refused_in_german(learner_client, quiz):
    attempt = open_attempt(learner_client, quiz)
    response = learner_client.post(
        reverse("quizzes:take", args=[quiz.pk]), {"attempt": attempt.pk}, **DE
    )
    assert "Beantworten Sie vor dem Abgeben jede Frage" in text(response)


def test_my_results_in_german(learner_client, quiz):
    attempt = open_attempt(learner_client, quiz)
    learner_client.post(reverse("quizzes:take", args=[quiz.pk]), answer_sheet(quiz, attempt))
    page = text(learner_client.get(reverse("quizzes:my_results"), **DE))
    assert "Meine Ergebnisse" in page and "Zertifikate" in page and "1 von 3 Versuch" in page
    assert "Certificates" not in page and "My results" not in page


def test_english_attempt_counts_say_one_attempt():
    """The plural follows the number it counts ("1 of 1 attempts" was wrong)."""
    from quizzes.models import Quiz

    with translation.override("en-gb"):
        assert Quiz(max_attempts=1).attempts_label(1) == "1 of 1 attempt used"
        assert Quiz(max_attempts=3).attempts_label(1) == "1 of 3 attempts used"
        assert Quiz(max_attempts=0).attempts_label(1) == "1 attempt used"


# --- The trainer's pages --------------------------------------------------------------


def test_the_dashboard_in_german(trainer_client, assigned, course, team):
    url = reverse("training:dashboard") + f"?team={team.pk}&course={course.slug}"
    page = text(trainer_client.get(url, **DE))
    assert "Trainer-Dashboard" in page and "CSV exportieren" in page
    assert "Nicht begonnen" in page and "Überfällig" in page and "Fällig" in page
    assert "Trainer dashboard" not in page and "Export CSV" not in page


def test_the_german_dashboard_costs_no_more_queries(
    trainer_client, assigned, course, team, django_assert_max_num_queries
):
    url = reverse("training:dashboard") + f"?team={team.pk}&course={course.slug}"
    trainer_client.get(url)  # the session and caches warm
    with django_assert_max_num_queries(12):  # as many as in English
        text(trainer_client.get(url, **DE))


def test_the_csv_stays_english_for_a_german_trainer(trainer_client, assigned, course, team):
    url = reverse("training:export") + f"?team={team.pk}&course={course.slug}"
    response = trainer_client.get(url, **DE)
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["learner", "email", "team"]
    assert rows[1][4] == "Not started" and rows[1][12] == "no"
    assert response["Content-Disposition"].startswith('attachment; filename="support-')


def test_the_individual_csv_keeps_its_english_file_name(client, admin_user, learner, course):
    assign_course(by=admin_user, course=course, learners=[learner])
    client.force_login(admin_user)
    url = reverse("training:export") + f"?team=individual&course={course.slug}"
    response = client.get(url, **DE)
    assert 'filename="assigned-individually-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][2] == "Assigned individually"


def test_the_learner_page_in_german(trainer_client, assigned, learner):
    page = text(trainer_client.get(reverse("training:learner", args=[learner.pk]), **DE))
    assert "Zugewiesene Kurse" in page and "Fällig in 3 Tagen" in page
    assert "Über das Team Support" in page
    assert "Assigned courses" not in page and "Due in 3 days" not in page


def test_the_assign_page_in_german(trainer_client, course):
    page = text(trainer_client.get(reverse("training:assign", args=[course.slug]), **DE))
    assert "Fälligkeitsdatum" in page and "Erneuten Abschluss verlangen" in page
    assert 'value="Zuweisen"' in page
    assert "Due date" not in page and "Require a fresh completion" not in page


def test_a_past_due_date_asks_in_german(trainer_client, course, team):
    past = timezone.localdate() - datetime.timedelta(days=2)
    response = trainer_client.post(
        reverse("training:assign", args=[course.slug]),
        {"team": team.pk, "due_date": past.strftime("%d/%m/%Y")},
        **DE,
    )
    page = text(response)
    if "liegt in der Vergangenheit" not in page:  # the site's date format: ISO then
        response = trainer_client.post(
            reverse("training:assign", args=[course.slug]),
            {"team": team.pk, "due_date": past.isoformat()},
            **DE,
        )
        page = text(response)
    assert "liegt in der Vergangenheit" in page and "Noch ist nichts zugewiesen" in page


def test_the_assignment_page_in_german(trainer_client, assigned):
    page = text(trainer_client.get(reverse("training:assignment", args=[assigned.pk]), **DE))
    assert "Zuweisung ändern" in page and "Verlauf" in page and "Änderungen speichern" in page
    assert "Change the assignment" not in page and "History" not in page


def test_the_audit_log_stays_english_for_a_german_trainer(trainer_client, assigned):
    trainer_client.post(
        reverse("training:assignment", args=[assigned.pk]),
        {"due_date": "", "note": "Bitte bis Freitag"},
        **DE,
    )
    summaries = sorted(AssignmentEvent.objects.values_list("summary", flat=True))
    assert summaries[0].startswith("Assigned “") and ", due " in summaries[0]
    assert summaries[1].endswith(" → no due date; note changed.")
    assert not any("fällig" in s.lower() or "Notiz" in s for s in summaries)


def test_the_remove_page_in_german(trainer_client, assigned):
    page = text(trainer_client.get(reverse("training:remove_assignment", args=[assigned.pk]), **DE))
    assert "Zuweisung entfernen" in page and "Abbrechen" in page
    assert "Remove the assignment" not in page


def test_the_remove_page_says_who_keeps_it_in_german(trainer_client, trainer, assigned, course):
    liam = make_user("liam", first_name="Liam", last_name="Lee")
    assigned.team.members.add(liam)
    (own,) = assign_course(by=trainer, course=course, learners=[liam])
    page = text(trainer_client.get(reverse("training:remove_assignment", args=[own.pk]), **DE))
    with translation.override("de"):
        due = formats.date_format(assigned.due_date, "DATE_FORMAT")
    assert f"Liam Lee behält den Kurs über das Team Support (fällig am {due})" in page


def test_removing_says_so_in_german(trainer_client, assigned):
    response = trainer_client.post(
        reverse("training:remove_assignment", args=[assigned.pk]), follow=True, **DE
    )
    assert "wurde von Support entfernt" in text(response)


def test_the_analytics_page_in_german(trainer_client, assigned, quiz, course, team):
    url = reverse("training:analytics") + f"?team={team.pk}&course={course.slug}"
    page = text(trainer_client.get(url, **DE))
    assert "Fragenauswertung" in page and "Kurstrichter" in page and "Erste Versuche" in page
    assert "Question analytics" not in page and "Course funnel" not in page


# --- Due states and dates -------------------------------------------------------------


def test_due_states_and_month_names_in_german():
    today = datetime.date(2026, 12, 1)
    with translation.override("de"):
        assert due_label(datetime.date(2026, 12, 4), today) == "Fällig in 3 Tagen"
        assert due_label(datetime.date(2026, 11, 30), today) == "Seit 1 Tag überfällig"
        assert describe_due(datetime.date(2026, 12, 4)) == "4. Dezember 2026"
        assert completed_label(datetime.date(2026, 12, 7)) == "Abgeschlossen am 7. Dezember 2026"
    with translation.override("en-gb"):
        assert due_label(datetime.date(2026, 11, 30), today) == "Overdue by 1 day"
        assert describe_due(datetime.date(2026, 12, 4)) == "4 Dec 2026"


# --- Emails in the recipient's language -----------------------------------------------


def test_the_assignment_email_is_in_each_recipients_language(
    trainer, team, course, learner, second_learner, django_capture_on_commit_callbacks
):
    team.members.add(second_learner)
    Profile.objects.create(user=learner, language="de")
    with django_capture_on_commit_callbacks(execute=True):
        assign_course(by=trainer, course=course, team=team)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    german, english = by_recipient[learner.email], by_recipient[second_learner.email]
    assert german.subject == f"Ihnen zugewiesen: {course.title}"
    assert "Hallo Alice," in german.body and "kein Fälligkeitsdatum" in german.body
    assert english.subject == f"Assigned to you: {course.title}"
    assert "Hello Bob," in english.body and "Due: no due date" in english.body
    assert send_assignment_emails(team.assignments.get().pk) == 0  # nothing twice


def test_the_reminder_is_german_and_its_record_english(trainer, team, course, learner):
    Profile.objects.create(user=learner, language="de")
    today = timezone.localdate()
    assign_course(by=trainer, course=course, team=team, due_date=today - datetime.timedelta(2))
    mail.outbox.clear()
    call_command("send_reminders", f"--date={today:%Y-%m-%d}", stdout=io.StringIO())
    (message,) = mail.outbox
    assert message.subject == "1 Kurs wartet auf Sie"
    assert "Seit 2 Tagen überfällig" in message.body and "Nicht begonnen" in message.body
    assert ReminderSent.objects.get().courses == f"{course.title} (Overdue by 2 days)"


def test_a_learner_without_a_choice_gets_english(trainer, team, course, learner):
    make_user("carol").teams.add(team)  # another recipient, no profile either
    today = timezone.localdate()
    assign_course(by=trainer, course=course, team=team, due_date=today)
    mail.outbox.clear()
    call_command("send_reminders", f"--date={today:%Y-%m-%d}", stdout=io.StringIO())
    assert {m.subject for m in mail.outbox} == {"1 course waiting for you"}


# --- Refusals ---------------------------------------------------------------------------


def test_a_refused_request_says_why_in_german(client):
    response = client.get("/my-learning/?q=a%00b", **DE)
    assert response.status_code == 400
    assert "Die Abfragezeichenfolge enthält Steuerzeichen." in response.content.decode()


def test_a_refused_request_says_why_in_english(client):
    response = client.get("/my-learning/?q=a%00b")
    assert "The query string contains control characters." in response.content.decode()


# Literal date formats in training/: "j M", "j M Y, H:i", dateformat.format(...) in
# a template filter or code. Named formats only (DATE_FORMAT, SHORT_DATE_FORMAT, ...),
# or "c" (ISO 8601, for a <time datetime>); the CSVs write ISO dates (isoformat).
LITERAL_DATE = re.compile(r"""\|date:["'](?!(?:[A-Z_]+|c)["'])|\|time:["']|dateformat\.format\(""")


def test_training_uses_named_date_formats_only():
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.BASE_DIR) / "training"
    found = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in sorted(root.rglob("*"))
        if path.suffix in {".py", ".html", ".txt"}
        for match in LITERAL_DATE.finditer(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_dashboard_dates_in_german(trainer_client, assigned, course, team, learner):
    from progress.services import record_lesson_completion

    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    page = text(trainer_client.get(reverse("training:dashboard") + f"?team={team.pk}", **DE))
    with translation.override("de"):
        due = formats.date_format(assigned.due_date, "DATE_FORMAT")
        completed = formats.date_format(timezone.localdate(), "SHORT_DATE_FORMAT")
    assert f"fällig am {due}" in page  # "fällig am 10. Dezember 2026"
    assert completed in page  # the completion, in the table: "07.12.2026"
