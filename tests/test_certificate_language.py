"""A certificate in its learner's language (issue 20): the page's certificate and its
PDF speak the learner's language (their own choice, else the language of the page),
with the course's title from the course's translation into it, whoever opens it. The
public check stays in its visitor's language."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Profile
from courses.models import CourseTranslation
from lessons.certificates import certificate_language, certificate_pdf, in_learners_language
from lessons.models import Certificate, CourseCompletion
from progress.services import complete_lesson
from tests.factories import make_course
from tests.visible_text import visible_text

pytestmark = pytest.mark.django_db

COMPLETED = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-gb"}
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
GERMAN_TITLE = "Kunden bedienen"


def complete(learner, title: str = "Serving customers", german: str | None = GERMAN_TITLE):
    course = make_course(lessons=1, title=title)
    if german:
        CourseTranslation.objects.create(course=course, language="de", title=german)
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    CourseCompletion.objects.filter(learner=learner, course=course).update(completed_at=COMPLETED)
    return Certificate.objects.select_related("completion").get(
        completion__learner=learner, completion__course=course
    )


def choose(user, language: str) -> None:
    Profile.objects.update_or_create(user=user, defaults={"language": language})


def page_text(client, certificate, headers) -> str:
    response = client.get(certificate.get_absolute_url(), **headers)
    assert response.status_code == 200
    return visible_text(response.content.decode())


def pdf_text(client, certificate, headers) -> str:
    response = client.get(reverse("certificate_pdf", args=[certificate.code]), **headers)
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def assert_german(text: str) -> None:
    assert "Teilnahmezertifikat" in text and GERMAN_TITLE in text
    assert "7. Dezember 2026" in text
    assert "Certificate of completion" not in text and "Serving customers" not in text


def assert_english(text: str) -> None:
    assert "Certificate of completion" in text and "Serving customers" in text
    assert "7 Dec 2026" in text
    assert "Teilnahmezertifikat" not in text and GERMAN_TITLE not in text


def test_a_learner_who_chose_german_gets_a_german_certificate_and_pdf(client, learner):
    choose(learner, "de")
    certificate = complete(learner)
    client.force_login(learner)
    assert_german(page_text(client, certificate, ENGLISH))  # whatever the browser says
    assert_german(pdf_text(client, certificate, ENGLISH))


def test_a_learner_reading_in_german_without_a_choice_gets_german(client, learner):
    certificate = complete(learner)
    client.force_login(learner)
    assert_german(page_text(client, certificate, GERMAN))
    assert_german(pdf_text(client, certificate, GERMAN))
    assert_english(page_text(client, certificate, ENGLISH))
    assert_english(pdf_text(client, certificate, ENGLISH))


def test_an_admin_reading_english_downloads_the_learners_german_certificate(
    client, learner, admin_user
):
    choose(learner, "de")
    choose(admin_user, "en-gb")
    certificate = complete(learner)
    client.force_login(admin_user)
    assert_german(pdf_text(client, certificate, ENGLISH))
    text = page_text(client, certificate, ENGLISH)
    assert_german(text)
    # Around the certificate, the page is the admin's: the navigation, the buttons.
    assert "My learning" in text and "Download PDF" in text


def test_a_trainer_sees_the_certificate_of_a_learner_with_no_choice_in_their_own(
    client, learner, trainer, team
):
    """With no choice of the learner's to go by, the certificate follows the page."""
    certificate = complete(learner)
    client.force_login(trainer)
    assert_english(pdf_text(client, certificate, ENGLISH))
    assert_german(pdf_text(client, certificate, GERMAN))


def test_without_a_german_title_the_title_stays_as_issued(client, learner):
    choose(learner, "de")
    certificate = complete(learner, title="Handling complaints", german=None)
    client.force_login(learner)
    text = pdf_text(client, certificate, ENGLISH)
    assert "Teilnahmezertifikat" in text and "Handling complaints" in text


def test_the_certificate_says_which_language_it_is_in(client, learner, admin_user):
    choose(learner, "de")
    certificate = complete(learner)
    client.force_login(admin_user)
    html = client.get(certificate.get_absolute_url(), **ENGLISH).content.decode()
    assert '<html lang="en-gb">' in html  # the admin's page
    assert '<article class="certificate" lang="de"' in html  # the learner's certificate


def test_the_public_check_stays_in_the_visitors_language(client, learner):
    choose(learner, "de")
    certificate = complete(learner)
    url = reverse("verify_certificate", args=[certificate.code])
    english = visible_text(client.get(url, **ENGLISH).content.decode())
    assert "Valid certificate" in english and "7 Dec 2026" in english
    assert "Serving customers" in english  # the title as issued
    german = visible_text(client.get(url, **GERMAN).content.decode())
    assert "Gültiges Zertifikat" in german and "7. Dezember 2026" in german


def test_the_functions_agree_with_the_pages(learner, settings):
    choose(learner, "de")
    certificate = complete(learner)
    assert certificate_language(certificate) == "de"
    (shown,) = in_learners_language(certificate)
    assert (shown.language, shown.course_title) == ("de", GERMAN_TITLE)
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(certificate_pdf(shown))).pages
    )
    assert "Teilnahmezertifikat" in text
    # The record keeps the title as issued; the localised copy cannot be saved over it.
    assert Certificate.objects.get(pk=certificate.pk).course_title == "Serving customers"
    with pytest.raises(RuntimeError):
        shown.save()


def test_my_results_lists_certificates_in_the_learners_language(client, learner):
    choose(learner, "de")
    complete(learner)
    complete(learner, title="Handling complaints", german="Mit Beschwerden umgehen")
    client.force_login(learner)
    text = visible_text(client.get(reverse("quizzes:my_results")).content.decode())
    assert GERMAN_TITLE in text and "Mit Beschwerden umgehen" in text
    assert "Serving customers" not in text and "Handling complaints" not in text


def test_the_german_certificate_page_costs_one_query_more(
    client, learner, django_assert_max_num_queries
):
    choose(learner, "de")
    certificate = complete(learner)
    client.force_login(learner)
    # Session, user, the certificate with its completion and the learner's profile,
    # the navigation's permission check (2), the course's German title.
    with django_assert_max_num_queries(6):
        assert client.get(certificate.get_absolute_url()).status_code == 200
