"""The learner's pages, the sign-in pages and their emails in German (issue 12):
each page asked for in German speaks German, and no English UI words are left.
The English pages are covered, word for word, by the other tests."""

import io
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Invitation, Profile
from accounts.provisioning import send_invitations
from lessons.models import Certificate
from lessons.services import start_lesson
from progress.services import complete_lesson
from tests.conftest import PASSWORD
from tests.factories import make_course, make_quiz, make_user
from training.models import Assignment

pytestmark = pytest.mark.django_db
DE = {"HTTP_ACCEPT_LANGUAGE": "de"}


def text(response) -> str:
    return text_of(response.content.decode())


def text_of(html: str) -> str:
    """The page's visible words: tags dropped, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def assert_german(page: str, german: list[str], english: list[str]) -> None:
    for word in german:
        assert word in page, word
    for word in english:
        assert word not in page, word


def finish(learner, course) -> None:
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)


def test_the_navigation_and_footer_are_german(learner_client):
    response = learner_client.get(reverse("courses:my_learning"), **DE)
    assert '<html lang="de">' in response.content.decode()
    assert 'placeholder="Lektionen durchsuchen"' in response.content.decode()
    assert_german(
        text(response),
        ["Zum Hauptinhalt springen", "Mein Lernen", "Katalog", "Meine Ergebnisse", "Abmelden"],
        ["Skip to main content", "My results", "Log out", "Self-paced learning"],
    )


def test_my_learning_in_german(learner_client, learner, course, team):
    Assignment.objects.create(course=course, team=team, due_date=timezone.localdate())
    other = make_course(lessons=2, title="Another course")
    start_lesson(learner, other.lessons.first())
    page = text(learner_client.get(reverse("courses:my_learning"), **DE))
    assert_german(
        page,
        ["Ihnen zugewiesen", "In Bearbeitung", "von 3 Lektionen abgeschlossen", "Beginnen"],
        ["Assigned to you", "lessons completed", "Continue"],
    )


def test_the_in_progress_cards_are_not_read_as_assignments(learner_client, learner, course, team):
    """The page's list of assignments is no card's own assignment (it once made the
    in-progress cards show an empty due badge and "of lessons completed")."""
    Assignment.objects.create(course=course, team=team, due_date=timezone.localdate())
    other = make_course(lessons=2, title="Another course")
    start_lesson(learner, other.lessons.first())
    page = text(learner_client.get(reverse("courses:my_learning")))
    assert "0 of 2 lessons completed" in page


def test_the_catalogue_in_german(learner_client, course):
    page = text(learner_client.get(reverse("courses:catalogue"), **DE))
    assert_german(page, ["Kurskatalog", "0 % abgeschlossen"], ["Course catalogue", "Complete"])


def test_the_course_page_in_german(learner_client, learner, course):
    start_lesson(learner, course.lessons.first())
    make_quiz(course=course, pass_mark=75)
    page = text(learner_client.get(course.get_absolute_url(), **DE))
    assert_german(
        page,
        ["Ihr Stand", "Lektion 1 von 3", "Lektionen", "Abschlusstest", "Bestehensgrenze 75 %"],
        ["Where you are", "Lessons", "Final assessment", "pass mark", "Continue where"],
    )


def test_the_lesson_page_in_german(learner_client, learner, course):
    lesson = course.lessons.first()
    page = text(learner_client.get(lesson.get_absolute_url(), **DE))
    assert_german(
        page,
        ["Kursübersicht", "Als abgeschlossen markieren", "Kurs: 0 von 3 Lektionen", "Weiter ›"],
        ["Course outline", "Mark complete", "Next ›", "Not started", "In Progress"],
    )


def test_a_message_of_a_view_is_german(learner_client, course):
    response = learner_client.get(reverse("courses:complete", args=[course.slug]), **DE)
    page = text(learner_client.get(response["Location"], **DE))
    assert "Sie müssen noch 3 von 3 Lektionen abschließen." in page


def test_the_course_complete_page_in_german(learner_client, learner, course):
    finish(learner, course)
    page = text(learner_client.get(reverse("courses:complete", args=[course.slug]), **DE))
    assert_german(
        page,
        ["Kurs abgeschlossen", "Alle 3 Lektionen abgeschlossen.", "Abgeschlossen am", "PDF"],
        ["Course complete", "lessons completed", "Completed on", "Back to My learning"],
    )


def test_the_certificate_its_pdf_and_its_check_in_german(learner_client, learner, course):
    finish(learner, course)
    certificate = Certificate.objects.get(completion__learner=learner)
    page = text(learner_client.get(certificate.get_absolute_url(), **DE))
    assert_german(
        page,
        ["Teilnahmezertifikat", "Zertifikatscode"],
        ["Certificate of completion", "Check it at"],
    )
    # The month is German too: Django's date filter follows the active language.
    month = timezone.localtime(certificate.completion.completed_at).month
    german_months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August"]
    german_months += ["September", "Oktober", "November", "Dezember"]
    assert german_months[month - 1] in page
    pdf = learner_client.get(reverse("certificate_pdf", args=[certificate.code]), **DE)
    reader = PdfReader(
        io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
    )
    pdf_text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
    assert "Teilnahmezertifikat" in pdf_text and "Certificate of completion" not in pdf_text
    verify = text(learner_client.get(reverse("verify_certificate", args=[certificate.code]), **DE))
    assert_german(verify, ["Gültiges Zertifikat", "Ausgestellt für"], ["Valid certificate"])


def test_search_in_german(learner_client, course):
    page = text(learner_client.get(reverse("search") + "?q=zzzunknown", **DE))
    assert_german(page, ["Keine Lektion passt zu"], ["No lessons match", "Search lessons"])


def test_the_error_pages_are_german(learner_client):
    page = text(learner_client.get("/no-such-page/", **DE))
    assert_german(page, ["Seite nicht gefunden", "Zurück zu Mein Lernen"], ["Page not found"])


def test_the_login_and_reset_pages_are_german(client):
    page = text(client.get(reverse("login"), **DE))
    assert_german(
        page, ["Anmelden", "Benutzername oder E-Mail-Adresse", "Passwort vergessen?"], ["Log in"]
    )
    page = text(client.get(reverse("password_reset"), **DE))
    assert_german(page, ["Passwort zurücksetzen"], ["Reset your password", "Email me a link"])


def test_a_wrong_password_is_refused_in_german(client, learner):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"}, **DE)
    assert "Bitte geben Sie einen gültigen Benutzernamen" in text(response)


def test_the_lockout_page_is_german_with_its_plural(client, learner, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "alice", "password": "x"}, **DE)
    assert response.status_code == 429
    minutes = settings.LOGIN_COOLOFF_MINUTES
    assert_german(
        text(response),
        ["Zu viele fehlgeschlagene Anmeldungen", f"für {minutes} Minute"],
        ["Too many failed logins", "minute(s)"],
    )


def test_the_reset_email_is_in_the_account_holders_language(client, learner, mailoutbox):
    Profile.objects.create(user=learner, language="de")
    client.post(reverse("password_reset"), {"email": "alice@example.com"})  # English browser
    email = mailoutbox[0]
    assert email.subject == "Legen Sie ein neues Passwort für Course Player fest"
    days = settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60)
    assert "Hallo Alice," in email.body and f"{days} Tage lang" in email.body
    assert "/accounts/reset/" in email.body


def test_the_reset_email_without_a_choice_is_english(client, learner, mailoutbox):
    client.post(reverse("password_reset"), {"email": "alice@example.com"}, **DE)
    assert mailoutbox[0].subject == "Choose a new password for Course Player"
    assert "Hello Alice," in mailoutbox[0].body


def test_an_invitation_is_in_the_invitees_language(mailoutbox):
    invited = make_user("ivy", first_name="Ivy", email="ivy@example.com")
    Profile.objects.create(user=invited, language="de")
    Invitation.objects.create(user=invited)
    plain = make_user("ian", first_name="Ian", email="ian@example.com")
    Invitation.objects.create(user=plain)
    assert send_invitations() == (2, 0)
    by_to = {email.to[0]: email for email in mailoutbox}
    assert by_to["ivy@example.com"].subject.startswith("Ihr Course-Player-Konto ist bereit")
    assert "Ihr Benutzername: ivy" in by_to["ivy@example.com"].body
    assert by_to["ian@example.com"].subject.startswith("Your Course Player account is ready")


def test_the_import_people_page_is_german(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("admin:auth_user_import"), **DE).content.decode()
    assert 'value="Nur die Datei prüfen"' in html and "Check the file only" not in html
    assert "CSV-Datei" in text_of(html) and "CSV file" not in text_of(html)


def test_the_german_my_learning_costs_the_same_for_more_courses(
    learner_client, learner, django_assert_max_num_queries
):
    """Labels, plurals and dates are translated in memory: no query per card."""

    def queries() -> int:
        learner_client.get(reverse("courses:my_learning"), **DE)  # the session's first use
        with CaptureQueriesContext(connection) as german:
            learner_client.get(reverse("courses:my_learning"), **DE)
        return len(german)

    start_lesson(learner, make_course(lessons=2, slug="one").lessons.first())
    few = queries()
    for slug in ("two", "three", "four"):
        start_lesson(learner, make_course(lessons=2, slug=slug).lessons.first())
    assert queries() == few
    with django_assert_max_num_queries(few):
        learner_client.get(reverse("courses:my_learning"), **DE)


def test_a_signed_in_persons_profile_language_wins_over_the_browser(client, learner):
    Profile.objects.create(user=learner, language="de")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    page = text(client.get(reverse("courses:my_learning"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Mein Lernen" in page
    assert get_user_model().objects.get(pk=learner.pk).profile.language == "de"
