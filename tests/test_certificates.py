"""Certificates: issued on completion, their page and PDF, who may see them, the
public verification page, revoking in the admin, and the links to them."""

import datetime
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from courses.roles import ensure_content_editors_group
from lessons.certificates import (
    CertificateError,
    find_certificate,
    normalise_code,
    revoke_certificate,
    verification_url,
)
from lessons.models import Certificate, CourseCompletion
from progress.services import complete_lesson, submit_quiz
from quizzes.services import open_attempt, quiz_status
from tests.factories import answer_sheet, as_post, make_course, make_quiz, make_user

pytestmark = pytest.mark.django_db

HOSTILE_FIRST = "<script>alert(1)</script>"
HOSTILE_LAST = "Robert'); DROP TABLE"


def text(response) -> str:
    return " ".join(response.content.decode().split())


def h1_count(response) -> int:
    return len(re.findall(r"<h1[\s>]", response.content.decode()))


def pdf_text(data: bytes) -> str:
    """The PDF's text, whitespace collapsed (pypdf, from the dev extras)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pass_quiz(learner, quiz, correct: bool | int = True):
    """Take the quiz as the quiz page does: open an attempt, submit an answer sheet."""
    attempt = open_attempt(learner, quiz, quiz_status(learner, quiz).used)
    return submit_quiz(learner, quiz, attempt.pk, as_post(answer_sheet(quiz, attempt, correct)))


def complete(learner, course, final=None, correct: bool | int = True) -> Certificate:
    """Complete every lesson ("Mark complete") and pass the final assessment, if any."""
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    if final is not None:
        pass_quiz(learner, final, correct)
    return Certificate.objects.select_related("completion").get(
        completion__learner=learner, completion__course=course
    )


@pytest.fixture
def final_course(db):
    """Two lessons and a final assessment of four questions, passed at 50%."""
    course = make_course(lessons=2, title="Serving customers")
    return course, make_quiz(course=course, pass_mark=50)


@pytest.fixture
def certificate(learner, final_course):
    """The learner's certificate, with 3 of 4 right in the final assessment (75%)."""
    course, final = final_course
    return complete(learner, course, final, correct=3)


def page_url(certificate) -> str:
    return reverse("certificate", args=[certificate.code])


def pdf_url(certificate) -> str:
    return reverse("certificate_pdf", args=[certificate.code])


def verify_url(code: str) -> str:
    return reverse("verify_certificate", args=[code])


# Issuing -----------------------------------------------------------------------


def test_completing_a_course_issues_a_certificate(learner, final_course, certificate):
    course, _final = final_course
    completion = certificate.completion
    assert completion.learner == learner and completion.course == course
    assert completion.final_percent == 75 and completion.final_attempt.percent == 75
    assert certificate.learner_name == "Alice Learner"
    assert certificate.course_title == "Serving customers"
    assert certificate.issued_at == completion.completed_at
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", certificate.code)
    assert certificate.is_valid


def test_a_learner_without_a_full_name_gets_their_username(db):
    nameless = make_user("jdoe")
    course = make_course(lessons=2)
    certificate = complete(nameless, course)
    assert certificate.learner_name == "jdoe"
    assert certificate.completion.final_percent is None


def test_no_certificate_before_the_final_assessment_is_passed(learner, final_course):
    course, final = final_course
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    pass_quiz(learner, final, correct=1)  # 25%: not passed
    assert not Certificate.objects.exists()


def test_course_complete_page_shows_the_date_score_and_certificate_links(
    learner_client, final_course, certificate
):
    course, _final = final_course
    page = text(learner_client.get(reverse("courses:complete", args=[course.slug])))
    date = shown_date(certificate.completion.completed_at)
    assert f"Completed on {date}" in page
    assert "Final assessment: 75%" in page
    assert f'href="{page_url(certificate)}">View your certificate' in page
    assert f'href="{pdf_url(certificate)}">Download PDF' in page


def _site_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings.TIME_ZONE)


def shown_date(moment: datetime.datetime) -> str:
    """The day as pages show it in English: DATE_FORMAT, "7 Dec 2026" in en-gb."""
    return f"{moment.astimezone(_site_tz()):%-d %b %Y}"


# Who may see a certificate ---------------------------------------------------------


@pytest.fixture
def certificate_viewer(db):
    """Staff allowed to read certificates (say, HR), following no team."""
    user = make_user("hilda", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="lessons", codename="view_certificate")
    )
    return user


@pytest.fixture
def content_editor(db):
    user = make_user("edna", is_staff=True)
    user.groups.add(ensure_content_editors_group())
    return user


@pytest.mark.parametrize(
    "role, status",
    [
        ("learner", 200),
        ("trainer", 200),  # manages the learner's team
        ("admin_user", 200),
        ("certificate_viewer", 200),
        ("second_learner", 404),
        ("other_trainer", 404),  # manages another team
        ("content_editor", 404),  # staff, but certificates are not theirs to read
    ],
)
def test_who_may_see_the_certificate_page_and_pdf(
    request, client, team, other_team, certificate, role, status
):
    user = other_team.trainers.get() if role == "other_trainer" else None
    client.force_login(user or request.getfixturevalue(role))
    assert client.get(page_url(certificate)).status_code == status
    assert client.get(pdf_url(certificate)).status_code == status


def test_anonymous_is_sent_to_log_in(client, certificate):
    for url in (page_url(certificate), pdf_url(certificate)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_code_is_404_for_everyone(admin_client):
    assert admin_client.get(reverse("certificate", args=["AAAA-BBBB-CCCC"])).status_code == 404
    assert admin_client.get(reverse("certificate_pdf", args=["not-a-code"])).status_code == 404


# The page and the PDF --------------------------------------------------------------


def test_certificate_page_shows_everything_the_certificate_says(learner_client, certificate):
    response = learner_client.get(page_url(certificate))
    page = text(response)
    date = shown_date(certificate.completion.completed_at)
    assert "Alice Learner" in page and "Serving customers" in page
    assert f"on {date}" in page
    assert "Final assessment: 75%" in page
    assert certificate.code in page
    absolute = settings.SITE_URL + verify_url(certificate.code)
    assert absolute.startswith("http") and f'href="{absolute}">{absolute}</a>' in page
    assert f'href="{pdf_url(certificate)}">Download PDF' in page
    assert "Revoked" not in page
    assert h1_count(response) == 1


def test_the_date_is_shown_in_the_site_time_zone(settings, learner_client, certificate):
    settings.TIME_ZONE = "Europe/London"
    late = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)  # 00:30 on 1 July there
    CourseCompletion.objects.filter(pk=certificate.completion_id).update(completed_at=late)
    page = text(learner_client.get(page_url(certificate)))
    assert "on 1 Jul 2026" in page and "30 Jun" not in page


def test_pdf_is_a_real_pdf_with_the_certificate_text(learner_client, certificate):
    response = learner_client.get(pdf_url(certificate))
    assert response["Content-Type"] == "application/pdf"
    disposition = f'attachment; filename="certificate-{certificate.code}.pdf"'
    assert response["Content-Disposition"] == disposition
    assert response.content.startswith(b"%PDF-")
    body = pdf_text(response.content)
    assert "Certificate of completion" in body
    assert "Alice Learner" in body and "Serving customers" in body
    assert "Final assessment: 75%" in body
    assert certificate.code in body
    assert "Revoked" not in body


def test_page_and_pdf_render_one_certificate_template(certificate):
    """The PDF is the page's include in a document of its own: one <h1>, no inline
    style or script (a strict CSP is coming)."""
    html = render_to_string(
        "lessons/certificate_pdf.html",
        {"certificate": certificate, "verify_url": verification_url(certificate)},
    )
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    templates = Path(settings.BASE_DIR, "lessons", "templates", "lessons")
    mine = [*templates.glob("certificate*.html"), *templates.glob("admin/*.html")]
    for template in [*mine, templates / "verify.html"]:
        source = template.read_text()
        assert "style=" not in source and "<style" not in source, template
        assert "<script" not in source and "|safe" not in source, template


def test_hostile_names_are_text_in_the_page_the_pdf_and_the_verification_page(client, db):
    mallory = make_user("mallory", first_name=HOSTILE_FIRST, last_name=HOSTILE_LAST)
    course = make_course(lessons=1, title="<b>Bold</b> & <i>co</i>")
    certificate = complete(mallory, course)
    assert certificate.learner_name == f"{HOSTILE_FIRST} {HOSTILE_LAST}"
    client.force_login(mallory)
    for url, shows_name in (
        (page_url(certificate), True),
        (verify_url(certificate.code), True),
        (reverse("quizzes:my_results"), False),  # the learner's own list: course titles
    ):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<b>Bold</b>" not in html, url
        assert "&lt;b&gt;Bold&lt;/b&gt; &amp; &lt;i&gt;co&lt;/i&gt;" in html, url
        if shows_name:
            assert "&lt;script&gt;alert(1)&lt;/script&gt; Robert&#x27;); DROP TABLE" in html
    body = pdf_text(client.get(pdf_url(certificate)).content)
    assert f"{HOSTILE_FIRST} {HOSTILE_LAST}" in body
    assert "<b>Bold</b> & <i>co</i>" in body


def test_a_revoked_certificate_says_so_on_its_page_and_pdf(learner_client, admin_user, certificate):
    revoke_certificate(certificate, by=admin_user, reason="Exam taken by someone else")
    page = text(learner_client.get(page_url(certificate)))
    assert "Revoked on" in page and "no longer valid" in page
    assert "Exam taken by someone else" not in page  # the reason stays internal
    body = pdf_text(learner_client.get(pdf_url(certificate)).content)
    assert "Revoked on" in body and "no longer valid" in body


# Public verification ------------------------------------------------------------------


def test_verification_works_logged_out_and_shows_only_the_certificate(client, certificate):
    response = client.get(verify_url(certificate.code))
    assert response.status_code == 200
    page = text(response)
    date = shown_date(certificate.completion.completed_at)
    assert "Valid certificate" in page
    assert "Alice Learner" in page and "Serving customers" in page and date in page
    assert "example.com" not in page and "@" not in page  # no email
    assert "75%" not in page  # no score
    assert "/trainer/" not in page and "alice" not in page  # no link to the learner
    assert h1_count(response) == 1
    assert response["X-Robots-Tag"] == "noindex"


def test_codes_are_case_insensitive_and_dashes_optional(client, certificate):
    typed = certificate.code.replace("-", "").lower()
    response = client.get(verify_url(typed))
    assert response.status_code == 200 and "Valid certificate" in text(response)
    assert normalise_code(f" {certificate.code.lower()} ") == certificate.code
    assert find_certificate(typed) == certificate


def test_the_form_sends_a_typed_code_to_its_page(client, certificate):
    typed = certificate.code.replace("-", " ").lower()
    response = client.get(reverse("verify_certificate"), {"code": typed})
    assert response.status_code == 302
    assert response["Location"] == verify_url(certificate.code)
    empty = client.get(reverse("verify_certificate"))
    assert empty.status_code == 200 and h1_count(empty) == 1
    assert 'name="code"' in empty.content.decode()


def test_an_unknown_code_is_404_in_the_site_layout(client, certificate):
    unknown = "AAAA-BBBB-CCCC" if certificate.code != "AAAA-BBBB-CCCC" else "AAAA-BBBB-DDDD"
    for response in (
        client.get(verify_url(unknown)),
        client.get(verify_url("no-such-thing")),
        client.get(reverse("verify_certificate"), {"code": "<script>x</script>"}),
    ):
        assert response.status_code == 404
        page = text(response)
        assert "No certificate has this code" in page
        assert "Course Player" in page and "<footer" in page  # base.html
        assert h1_count(response) == 1
        assert "<script>x" not in page


def test_a_revoked_certificate_verifies_as_revoked_with_its_date_not_its_reason(
    client, admin_user, certificate
):
    revoke_certificate(certificate, by=admin_user, reason="Internal: exam irregularity")
    page = text(client.get(verify_url(certificate.code)))
    revoked_on = shown_date(certificate.revoked_at)
    assert "Revoked" in page and f"revoked on {revoked_on}" in page
    assert "Valid certificate" not in page
    assert "irregularity" not in page and admin_user.username not in page


# Revoking in the admin ---------------------------------------------------------------


def revoke_url(certificate) -> str:
    return reverse("admin:lessons_certificate_revoke", args=[certificate.pk])


def change_url(certificate) -> str:
    return reverse("admin:lessons_certificate_change", args=[certificate.pk])


def test_an_admin_revokes_a_certificate_with_a_reason(client, admin_user, certificate):
    client.force_login(admin_user)
    change = text(client.get(change_url(certificate)))
    assert f'href="{revoke_url(certificate)}">Revoke' in change
    form = client.get(revoke_url(certificate))
    assert form.status_code == 200 and "Alice Learner" in text(form)
    response = client.post(revoke_url(certificate), {"reason": "  Exam taken by a colleague  "})
    assert response.status_code == 302 and response["Location"] == change_url(certificate)
    certificate.refresh_from_db()
    assert not certificate.is_valid
    assert certificate.revoked_by == admin_user
    assert certificate.revoked_reason == "Exam taken by a colleague"
    entry = LogEntry.objects.get(object_id=str(certificate.pk), action_flag=CHANGE)
    assert entry.user == admin_user and "Revoked" in entry.get_change_message()
    client.logout()
    assert "Revoked" in text(client.get(verify_url(certificate.code)))


def test_a_blank_reason_is_refused(client, admin_user, certificate):
    client.force_login(admin_user)
    response = client.post(revoke_url(certificate), {"reason": "   "})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    certificate.refresh_from_db()
    assert certificate.is_valid and not LogEntry.objects.exists()


def test_revoking_twice_is_refused(client, admin_user, certificate):
    client.force_login(admin_user)
    client.post(revoke_url(certificate), {"reason": "First"})
    again = client.post(revoke_url(certificate), {"reason": "Second"})
    assert again.status_code == 200 and "was revoked on" in text(again)
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "First"
    assert f'href="{revoke_url(certificate)}"' not in text(client.get(change_url(certificate)))


@pytest.mark.parametrize(
    "role, status",
    [
        ("content_editor", 403),  # staff without the permission
        ("certificate_viewer", 403),  # may read certificates, not revoke them
        ("trainer", 302),  # not staff: the admin asks them to log in
    ],
)
def test_users_without_the_permission_cannot_revoke(
    request, client, team, certificate, role, status
):
    client.force_login(request.getfixturevalue(role))
    assert client.post(revoke_url(certificate), {"reason": "No"}).status_code == status
    certificate.refresh_from_db()
    assert certificate.is_valid


def test_viewers_see_the_record_without_a_revoke_button(client, certificate_viewer, certificate):
    client.force_login(certificate_viewer)
    response = client.get(change_url(certificate))
    assert response.status_code == 200
    assert revoke_url(certificate) not in response.content.decode()


def test_revoke_certificate_is_the_one_rule(admin_user, learner, certificate):
    with pytest.raises(CertificateError, match="cannot revoke"):
        revoke_certificate(certificate, by=learner, reason="Because")
    with pytest.raises(CertificateError, match="reason"):
        revoke_certificate(certificate, by=admin_user, reason=" \n ")
    revoke_certificate(certificate, by=admin_user, reason="Because")
    with pytest.raises(CertificateError, match="already revoked"):
        revoke_certificate(certificate, by=admin_user, reason="Again")


def test_admin_lists_and_finds_certificates_and_completions(client, admin_user, certificate):
    client.force_login(admin_user)
    listing = text(client.get(reverse("admin:lessons_certificate_changelist")))
    assert certificate.code in listing and "Alice Learner" in listing and "Valid" in listing
    typed = certificate.code.replace("-", "").lower()
    found = text(client.get(reverse("admin:lessons_certificate_changelist"), {"q": typed}))
    assert certificate.code in found
    completions = text(client.get(reverse("admin:lessons_coursecompletion_changelist")))
    assert "Serving customers" in completions and "75%" in completions
    assert client.get(reverse("admin:lessons_certificate_add")).status_code == 403
    assert client.get(reverse("admin:lessons_coursecompletion_add")).status_code == 403


# Links: My results, the trainer's learner page ---------------------------------------


def test_my_results_lists_certificates_newest_first(learner_client, learner, admin_user):
    first = complete(learner, make_course(lessons=1, title="Earlier course"))
    second = complete(learner, make_course(lessons=1, title="Later course"))
    CourseCompletion.objects.filter(pk=first.completion_id).update(
        completed_at=second.completion.completed_at - datetime.timedelta(days=3)
    )
    revoke_certificate(first, by=admin_user, reason="Mistake")
    page = text(learner_client.get(reverse("quizzes:my_results")))
    assert "Certificates" in page
    assert page.index("Later course") < page.index("Earlier course")
    assert "Valid" in page and "Revoked" in page
    for certificate in (first, second):
        assert f'href="{page_url(certificate)}"' in page
        assert f'href="{pdf_url(certificate)}"' in page


def test_my_results_shows_only_my_certificates(client, second_learner, certificate):
    client.force_login(second_learner)
    page = text(client.get(reverse("quizzes:my_results")))
    assert certificate.code not in page and "No certificates yet" in page


def test_trainer_learner_page_lists_completions_and_certificates(
    client, trainer, team, learner, certificate
):
    client.force_login(trainer)
    page = text(client.get(reverse("training:learner", args=[learner.pk])))
    assert "Completions and certificates" in page
    assert "Serving customers" in page and "75%" in page and "Valid" in page
    assert f'href="{page_url(certificate)}"' in page and f'href="{pdf_url(certificate)}"' in page


# Query counts ----------------------------------------------------------------------------


def test_certificate_page_queries(
    client, learner, trainer, team, certificate, django_assert_max_num_queries
):
    # Session, user, the certificate with its completion, the navigation bar's
    # permission check (2); the trainer adds one "do they follow this learner".
    for user, most in ((learner, 5), (trainer, 6)):
        client.force_login(user)
        with django_assert_max_num_queries(most):
            assert client.get(page_url(certificate)).status_code == 200


def test_verify_page_queries(client, certificate, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the certificate with its completion
        assert client.get(verify_url(certificate.code)).status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get(verify_url("AAAA-BBBB-CCCC")).status_code in (200, 404)


def test_my_results_queries_do_not_grow_with_certificates(
    learner_client, learner, django_assert_max_num_queries
):
    for _ in range(5):
        complete(learner, make_course(lessons=1))
    # Session, user, attempts, certificates, the navigation bar's permissions (2).
    with django_assert_max_num_queries(6):
        assert learner_client.get(reverse("quizzes:my_results")).status_code == 200
