"""Dates through Django's localisation (issue 20): every page outside training/ shows
dates in the named formats, so English reads "7 Dec 2026" and German
"7. Dezember 2026", never "7 Dez". Django's own en-GB and German formats are used
as they are (no FORMAT_MODULE_PATH): they already read that way.

training/ is converted by its owner; see test_no_literal_date_formats_outside_training."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from lessons.certificates import revoke_certificate
from lessons.models import Certificate, CourseCompletion
from progress.services import complete_lesson
from tests.factories import make_course
from tests.visible_text import visible_text

pytestmark = pytest.mark.django_db

# Noon in London on 7 December 2026: the same day in every time zone near it.
COMPLETED = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
REVOKED = datetime.datetime(2027, 3, 2, 12, 0, tzinfo=datetime.UTC)
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-gb"}
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}


@pytest.fixture
def certificate(learner) -> Certificate:
    course = make_course(lessons=1, slug="serving", title="Serving customers")
    for lesson in course.lessons.all():
        complete_lesson(learner, lesson)
    completion = CourseCompletion.objects.get(learner=learner, course=course)
    CourseCompletion.objects.filter(pk=completion.pk).update(completed_at=COMPLETED)
    return Certificate.objects.select_related("completion").get(completion=completion)


def page(client, url: str, headers: dict) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return visible_text(response.content.decode())


def learner_pages(certificate: Certificate) -> dict[str, str]:
    course = certificate.completion.course
    return {
        "course page": course.get_absolute_url(),
        "course complete": reverse("courses:complete", args=[course.slug]),
        "my results": reverse("quizzes:my_results"),
        "certificate": certificate.get_absolute_url(),
        "verify": reverse("verify_certificate", args=[certificate.code]),
    }


@pytest.mark.parametrize(
    "name", ["course page", "course complete", "my results", "certificate", "verify"]
)
def test_learner_pages_show_dates_in_english(learner_client, certificate, name):
    text = page(learner_client, learner_pages(certificate)[name], ENGLISH)
    assert "7 Dec 2026" in text
    assert "Dez" not in text and "December" not in text


@pytest.mark.parametrize(
    "name", ["course page", "course complete", "my results", "certificate", "verify"]
)
def test_learner_pages_show_dates_in_german(learner_client, certificate, name):
    text = page(learner_client, learner_pages(certificate)[name], GERMAN)
    assert "7. Dezember 2026" in text
    assert "7 Dez" not in text and "Dec" not in text


def test_the_course_page_says_when_in_each_language(learner_client, certificate):
    url = certificate.completion.course.get_absolute_url()
    assert "Completed on 7 Dec 2026" in page(learner_client, url, ENGLISH)
    assert "Abgeschlossen am 7. Dezember 2026" in page(learner_client, url, GERMAN)


def test_a_revoked_certificate_dates_its_revocation(client, learner, admin_user, certificate):
    revoke_certificate(certificate, by=admin_user, reason="Issued by mistake.")
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=REVOKED)
    verify = reverse("verify_certificate", args=[certificate.code])
    assert "revoked on 2 Mar 2027" in page(client, verify, ENGLISH)
    assert "2. März 2027" in page(client, verify, GERMAN)
    client.force_login(learner)
    assert "Revoked on 2 Mar 2027" in page(client, certificate.get_absolute_url(), ENGLISH)
    assert "2. März 2027" in page(client, certificate.get_absolute_url(), GERMAN)
    client.force_login(admin_user)
    revoke = reverse("admin:lessons_certificate_revoke", args=[certificate.pk])
    assert "revoked on 2 Mar 2027" in page(client, revoke, ENGLISH)
    assert "2. März 2027" in page(client, revoke, GERMAN)


# Literal formats: "j M Y", "j F Y", "H:i", strftime("%d %b") in what people read.
# Named formats only, or "c" (ISO 8601, for a <time datetime>), as in training/'s
# own check (tests/test_i18n_trainer.py).
LITERAL = re.compile(
    r"""\|\s*(?:date|time)\s*:\s*["'](?!(?:[A-Z_]+_FORMAT|c)["'])"""  # |date:"j M"
    r"""|\bstrftime\s*\(|dateformat\.format\("""  # when.strftime("%d %b")
    r"""|\bdate_format\s*\([^)]*,\s*["'](?![A-Z_]+_FORMAT["'])"""  # date_format(d, "j M")
)
# Not this slice's files; each reported to its owner.
PENDING = {
    # the quiz's owner: "ends at {{ time }}" with |time:"H:i" (TIME_FORMAT would do)
    "quizzes/templates/quizzes/take.html",
    # the importer's conflict message for content authors (a command's output, in
    # English only, with an ISO date and time)
    "authoring/importing.py",
}
SKIP = {".venv", "node_modules", "staticfiles", ".git", "tests", "bench", "migrations"}


def sources() -> list[Path]:
    root = Path(settings.BASE_DIR)
    found = []
    for pattern in ("**/*.py", "**/templates/**/*.html", "**/templates/**/*.txt"):
        for path in root.glob(pattern):
            parts = path.relative_to(root).parts
            if SKIP.intersection(parts) or parts[0] == "training":
                continue
            found.append(path)
    return sorted(set(found))


def test_no_literal_date_formats_outside_training():
    root = Path(settings.BASE_DIR)
    problems = []
    for path in sources():
        name = str(path.relative_to(root))
        if name in PENDING:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if LITERAL.search(line):
                problems.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not problems, "use a named format (DATE_FORMAT, ...):\n" + "\n".join(problems)


def test_the_pattern_finds_literal_formats():
    assert LITERAL.search('{{ when|date:"j M" }}')
    assert LITERAL.search("when.strftime('%d %b')")
    assert LITERAL.search('date_format(when, "j. F")')
    assert not LITERAL.search('{{ when|date:"DATE_FORMAT" }}')
    assert not LITERAL.search('date_format(when, "SHORT_DATE_FORMAT")')
    assert not LITERAL.search('<time datetime="{{ when|date:"c" }}">')
