"""The interface's second language: the catalogue is complete and compiled, and a
person's choice (profile, switcher, browser) decides the language of every page."""

import datetime
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from accounts.models import Profile
from tests.conftest import PASSWORD
from training.models import Assignment

CATALOGUES = {
    code: Path(settings.LOCALE_PATHS[0]) / code / "LC_MESSAGES"
    for code, _ in settings.LANGUAGES
    if code != settings.LANGUAGE_CODE
}


# What `make messages` leaves out (MESSAGE_SOURCES in the Makefile).
IGNORED = ["tests", "bench", "content", "course_player.egg-info", "scripts"]


def catalogue(code: str) -> polib.POFile:
    return polib.pofile(str(CATALOGUES[code] / "django.po"))


def key(entry: polib.POEntry) -> tuple:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


@pytest.mark.parametrize("code", CATALOGUES)
def test_every_message_is_translated(code):
    untranslated = [e.msgid for e in catalogue(code) if not e.translated() or e.fuzzy]
    assert untranslated == []


@pytest.mark.parametrize("code", CATALOGUES)
def test_the_compiled_catalogue_matches_its_source(code):
    """The .mo Django reads is the .po as committed (`make messages` compiles it)."""
    source = {key(e): (e.msgstr, e.msgstr_plural) for e in catalogue(code) if e.translated()}
    compiled = polib.mofile(str(CATALOGUES[code] / "django.mo"))
    assert {key(e): (e.msgstr, e.msgstr_plural) for e in compiled if e.msgid} == source


@pytest.mark.parametrize("code", CATALOGUES)
def test_translations_keep_their_placeholders(code):
    """msgfmt --check: every %(name)s of the English is in the German, and no other."""
    result = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(CATALOGUES[code] / "django.po")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_every_marked_string_is_in_the_catalogue(tmp_path, monkeypatch):
    """makemessages over the code finds nothing the committed catalogue lacks.

    It runs in a copy of the tree made of links, with a copy of the catalogue:
    makemessages writes to the locale folder nearest each file, so run in the
    repository it would rewrite the committed catalogue."""
    tree = tmp_path / "tree"
    tree.mkdir()
    skipped = {"locale", ".git", ".venv", "node_modules", "staticfiles", *IGNORED}
    for entry in Path(settings.BASE_DIR).iterdir():
        if entry.name not in skipped and not entry.name.startswith("."):
            (tree / entry.name).symlink_to(entry)
    for code, folder in CATALOGUES.items():
        (tree / "locale" / code / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(folder / "django.po", tree / "locale" / code / "LC_MESSAGES" / "django.po")
    monkeypatch.chdir(tree)
    with override_settings(LOCALE_PATHS=[tree / "locale"]):
        call_command(
            "makemessages",
            locale=list(CATALOGUES),
            no_obsolete=True,
            symlinks=True,
            add_location="file",
            verbosity=0,
        )
    for code in CATALOGUES:
        po = tree / "locale" / code / "LC_MESSAGES" / "django.po"
        found = {key(e) for e in polib.pofile(str(po))}
        committed = {key(e) for e in catalogue(code)}
        assert sorted(found - committed, key=str) == [], "run `make messages` and translate"
        assert sorted(committed - found, key=str) == [], "run `make messages` (obsolete entries)"


# --- Choosing the language -------------------------------------------------------


def test_the_browser_language_is_used_without_a_choice(learner_client):
    page = learner_client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="de")
    assert '<html lang="de"' in page.content.decode()
    assert "Ihr Profil" in page.content.decode()


def test_english_is_the_default(learner_client):
    page = learner_client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<html lang="en-gb"' in page.content.decode()
    assert "Your profile" in page.content.decode()


def profile_form(learner, language: str) -> dict:
    return {
        "first_name": learner.first_name,
        "last_name": learner.last_name,
        "email": "alice@example.com",
        "language": language,
    }


def test_choosing_german_on_the_profile_keeps_it(learner_client, learner):
    response = learner_client.post(
        reverse("accounts:profile"), profile_form(learner, "de"), follow=True
    )
    assert "Ihr Profil ist gespeichert." in response.content.decode()
    assert Profile.objects.get(user=learner).language == "de"
    # An English browser does not override the person's own choice.
    page = learner_client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert '<html lang="de"' in page.content.decode()


def test_the_choice_follows_the_person_to_a_new_browser(client, learner):
    Profile.objects.create(user=learner, language="de")
    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})
    page = client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert '<html lang="de"' in page.content.decode()


def test_back_to_the_browser_language(learner_client, learner):
    Profile.objects.create(user=learner, language="de")
    learner_client.post(reverse("accounts:profile"), profile_form(learner, ""))
    assert Profile.objects.get(user=learner).language == ""
    page = learner_client.get(reverse("accounts:profile"), HTTP_ACCEPT_LANGUAGE="en-GB")
    assert '<html lang="en-gb"' in page.content.decode()


def test_a_tampered_profile_language_is_a_form_error(learner_client, learner):
    page = learner_client.post(reverse("accounts:profile"), profile_form(learner, "xx"))
    assert page.status_code == 200
    assert not Profile.objects.filter(user=learner).exists()


def test_the_switcher_sets_a_cookie_for_a_visitor(client):
    response = client.post(
        reverse("accounts:language"), {"language": "de", "next": "/accounts/login/"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    page = client.get(reverse("login"))
    assert '<html lang="de"' in page.content.decode()
    # A visitor's choice writes no session.
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_the_switcher_saves_a_signed_in_persons_choice(learner_client, learner):
    learner_client.post(reverse("accounts:language"), {"language": "de", "next": "/my-learning/"})
    assert Profile.objects.get(user=learner).language == "de"


def test_the_switcher_refuses_an_unknown_language(client):
    response = client.post(reverse("accounts:language"), {"language": "xx", "next": "/"})
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_switcher_never_sends_people_elsewhere(client):
    response = client.post(
        reverse("accounts:language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_every_page_has_the_switcher(learner_client):
    page = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert f'action="{reverse("accounts:language")}"' in page


# --- The date field shows the site's format ---------------------------------------


@pytest.fixture
def assignment(team, course, trainer):
    return Assignment.objects.create(
        course=course,
        team=team,
        assigned_by=trainer,
        due_date=datetime.date(2026, 12, 3),
    )


@pytest.mark.parametrize(
    ("language", "shown"), [("en-GB", 'value="03/12/2026"'), ("de", 'value="03.12.2026"')]
)
def test_the_due_date_is_shown_in_the_languages_format(
    client, trainer, assignment, language, shown
):
    client.force_login(trainer)
    page = client.get(
        reverse("training:assignment", args=[assignment.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert shown in page
    assert 'type="date"' not in page


@pytest.mark.parametrize(
    ("language", "typed"),
    [("en-GB", "24/12/2026"), ("de", "24.12.2026"), ("de", "2026-12-24")],
)
def test_a_due_date_typed_in_the_languages_format_is_understood(
    client, trainer, assignment, language, typed
):
    client.force_login(trainer)
    client.post(
        reverse("training:assignment", args=[assignment.pk]),
        {"due_date": typed, "note": ""},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assignment.refresh_from_db()
    assert assignment.due_date == datetime.date(2026, 12, 24)


def test_an_american_date_is_refused_not_swapped(client, trainer, assignment):
    client.force_login(trainer)
    page = client.post(
        reverse("training:assignment", args=[assignment.pk]),
        {"due_date": "12/24/2026", "note": ""},
        HTTP_ACCEPT_LANGUAGE="en-GB",
    )
    assert page.status_code == 200
    assignment.refresh_from_db()
    assert assignment.due_date == datetime.date(2026, 12, 3)


@pytest.mark.parametrize("target", ["1", "//evil.example/", "javascript:alert(1)", ""])
def test_a_strange_next_goes_home(client, target):
    response = client.post(reverse("accounts:language"), {"language": "de", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"
