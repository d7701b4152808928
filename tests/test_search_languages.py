"""Search in the learner's language (lessons/search.py): a lesson translated into it
is found by its translation, one that is not by its base text; an English learner
never meets a translation. The translations' index kept in step."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import CourseTranslation
from lessons.models import Lesson, LessonTranslation
from lessons.search import (
    TRANSLATION_POSTGRES_TABLE,
    TRANSLATION_SQLITE_TABLE,
    search_lessons,
    text_search_config,
)
from tests.factories import make_course, make_lesson

pytestmark = pytest.mark.django_db

URL = reverse("search")
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB"}


def plain(text) -> str:
    return str(text).replace("<mark>", "").replace("</mark>", "")


def found(user, query: str, language: str = "de") -> list[str]:
    """Titles found (highlighting taken out) by a learner reading ``language``."""
    with translation.override(language):
        return [plain(result.title) for result in search_lessons(user, query)]


def translation_rows(translation_ids) -> int:
    ids = list(translation_ids)
    postgres = connection.vendor == "postgresql"
    table, key = (
        (TRANSLATION_POSTGRES_TABLE, "translation_id")
        if postgres
        else (TRANSLATION_SQLITE_TABLE, "rowid")
    )
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {key} IN ({marks})", ids)
        return cursor.fetchone()[0]


@pytest.fixture
def library(db):
    """A course translated into German: "Refunds" in German, "Receipts" not."""
    course = make_course(lessons=0, title="Handling money")
    CourseTranslation.objects.create(course=course, language="de", title="Umgang mit Geld")
    refunds = make_lesson(
        course, 1, slug="refunds", title="Refunds", body_markdown="Give the money back."
    )
    make_lesson(
        course,
        2,
        slug="receipts",
        title="Receipts",
        body_markdown="A receipt proves the payment was made.",
    )
    LessonTranslation.objects.create(
        lesson=refunds,
        language="de",
        title="Erstattungen",
        body_markdown="Gib dem Kunden das Geld zurück, ohne Diskussion.",
    )
    return course


def test_a_german_learner_finds_a_lesson_by_a_german_word(learner, library):
    with translation.override("de"):
        (result,) = search_lessons(learner, "Kunden")
    assert plain(result.title) == "Erstattungen"
    assert "<mark>Kunden</mark>" in result.snippet
    assert result.url == reverse("lessons:detail", args=[library.slug, "refunds"])
    assert result.course_title == "Umgang mit Geld"


def test_the_german_title_is_highlighted(learner, library):
    with translation.override("de"):
        (result,) = search_lessons(learner, "erstattungen")
    assert result.title == "<mark>Erstattungen</mark>"


def test_a_translated_lesson_is_not_found_by_its_english_text(learner, library):
    assert found(learner, "refunds") == []
    assert found(learner, "give money") == []


def test_an_untranslated_lesson_is_found_by_its_english_text(learner, library):
    with translation.override("de"):
        (result,) = search_lessons(learner, "proves")
    assert plain(result.title) == "Receipts"
    assert "<mark>proves</mark>" in result.snippet
    assert result.course_title == "Umgang mit Geld"  # the course in German all the same


def test_translated_lessons_come_first(learner, library):
    make_lesson(library, 3, slug="cash", title="Cash", body_markdown="Kunden pay cash.")
    assert found(learner, "kunden") == ["Erstattungen", "Cash"]


def test_an_english_learner_never_sees_german(learner, library):
    assert found(learner, "kunden", "en-gb") == []
    assert found(learner, "erstattungen", "en-gb") == []
    with translation.override("en-gb"):
        (result,) = search_lessons(learner, "refunds")
    assert result.title == "<mark>Refunds</mark>"
    assert result.course_title == "Handling money"


def test_an_empty_translated_field_is_searched_as_the_lessons_own(learner, library):
    receipts = Lesson.objects.get(slug="receipts")
    LessonTranslation.objects.create(lesson=receipts, language="de", title="Quittungen")
    assert found(learner, "quittungen") == ["Quittungen"]
    with translation.override("de"):
        (result,) = search_lessons(learner, "payment")  # the English text it shows
    assert plain(result.title) == "Quittungen"
    assert "<mark>payment</mark>" in result.snippet
    receipts.body_markdown = "A receipt shows the invoice was settled."
    receipts.save()  # the lesson's own text, shown in German too, re-indexed
    assert found(learner, "payment") == []
    assert found(learner, "invoice") == ["Quittungen"]


def test_a_course_title_not_translated_is_shown_in_english(learner, library):
    CourseTranslation.objects.filter(course=library).update(title="")
    with translation.override("de"):
        (result,) = search_lessons(learner, "kunden")
    assert result.course_title == "Handling money"


def test_visibility_applies_to_translations(learner, library):
    Lesson.objects.filter(slug="refunds").update(published_at=None)
    assert found(learner, "kunden") == []


def test_text_search_configs():
    assert text_search_config("de") == "german"
    assert text_search_config("de-at") == "german"
    assert text_search_config("xx") == "simple"


# The index in step ---------------------------------------------------------------


def test_a_saved_translation_is_found_by_its_new_text_not_its_old(learner, library):
    row = LessonTranslation.objects.get(language="de")
    row.body_markdown = "Zahle den Betrag sofort aus."
    row.save()
    assert found(learner, "kunden") == []
    assert found(learner, "betrag") == ["Erstattungen"]


def test_a_save_of_other_fields_leaves_the_index(learner, library):
    row = LessonTranslation.objects.get(language="de")
    LessonTranslation.objects.filter(pk=row.pk).update(title="Rückzahlungen")
    row.imported_hash = "x"
    row.save(update_fields=["imported_hash"])
    assert found(learner, "erstattungen") == ["Erstattungen"]


def test_a_deleted_translation_is_gone_and_the_lesson_found_in_english(learner, library):
    row = LessonTranslation.objects.get(language="de")
    assert translation_rows([row.pk]) == 1
    row.delete()
    assert translation_rows([row.pk]) == 0
    assert found(learner, "kunden") == []
    assert found(learner, "refunds") == ["Refunds"]


def test_a_deleted_lesson_takes_its_translations_out_of_the_index(library):
    ids = list(LessonTranslation.objects.values_list("pk", flat=True))
    assert translation_rows(ids) == 1
    library.delete()
    assert translation_rows(ids) == 0


def test_the_admin_keeps_the_translation_index_in_step(admin_user, client, learner, library):
    lesson = Lesson.objects.get(slug="refunds")
    row = lesson.translations.get()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:lessons_lesson_change", args=[lesson.pk]),
        {
            "course": library.pk,
            "slug": lesson.slug,
            "title": lesson.title,
            "position": lesson.position,
            "body_markdown": lesson.body_markdown,
            "translations-TOTAL_FORMS": "1",
            "translations-INITIAL_FORMS": "1",
            "translations-MIN_NUM_FORMS": "0",
            "translations-MAX_NUM_FORMS": "1000",
            "translations-0-id": row.pk,
            "translations-0-lesson": lesson.pk,
            "translations-0-language": "de",
            "translations-0-title": "Rückgaben",
            "translations-0-body_markdown": "Nimm die Ware freundlich zurück.",
            "translations-0-quiz_texts": "{}",
        },
    )
    if response.status_code == 200:  # the form's fields differ: show why
        context = response.context
        pytest.fail(f"{context['adminform'].form.errors} {context['inline_admin_formsets']}")
    assert response.status_code == 302
    assert found(learner, "ware") == ["Rückgaben"]
    assert found(learner, "kunden") == []


def test_rebuild_search_index_covers_translations(learner, library, capsys):
    table = (
        TRANSLATION_POSTGRES_TABLE
        if connection.vendor == "postgresql"
        else (TRANSLATION_SQLITE_TABLE)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    assert found(learner, "kunden") == []
    call_command("rebuild_search_index")
    assert found(learner, "kunden") == ["Erstattungen"]
    assert "Indexed 2 lessons" in capsys.readouterr().out


# The page ----------------------------------------------------------------------


def test_the_page_in_german(learner_client, library):
    html = learner_client.get(URL, {"q": "kunden"}, **GERMAN).content.decode()
    assert "Erstattungen" in html
    assert "<mark>Kunden</mark>" in html
    assert "Umgang mit Geld" in html
    assert "Refunds" not in html


def test_the_page_in_english(learner_client, library):
    html = learner_client.get(URL, {"q": "kunden"}, **ENGLISH).content.decode()
    assert "Erstattungen" not in html


@pytest.mark.parametrize("lessons", [1, 40])
def test_the_german_page_makes_one_query_more_than_the_english(
    learner_client, lessons, django_assert_num_queries
):
    course = make_course(lessons=0)
    for position in range(1, lessons + 1):
        lesson = make_lesson(course, position, title=f"Findable {position}")
        if position % 2:
            LessonTranslation.objects.create(
                lesson=lesson, language="de", title=f"Findbar {position} findable"
            )
    # The session, the user, the user's permissions (the navigation), the
    # translations searched, then the lessons without one.
    with django_assert_num_queries(6):
        response = learner_client.get(URL, {"q": "findable"}, **GERMAN)
    html = response.content.decode()
    assert html.count("<mark>Findable</mark>") + html.count("<mark>findable</mark>") == lessons


# The migration ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_the_translations_there_are_and_reverses(learner):
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor

    before = [("lessons", "0006_translations")]
    executor = migrate(before)
    try:
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
        assert TRANSLATION_SQLITE_TABLE not in tables
        assert TRANSLATION_POSTGRES_TABLE not in tables
        old_apps = executor.loader.project_state(before[0]).apps
        course = old_apps.get_model("courses", "Course").objects.create(
            slug="old", title="Old course", published_at=timezone.now()
        )
        lesson = old_apps.get_model("lessons", "Lesson").objects.create(
            course=course,
            slug="kept",
            title="Written before",
            position=1,
            body_html="<p>An old lesson.</p>",
            published_at=course.published_at,
        )
        old_apps.get_model("lessons", "LessonTranslation").objects.create(
            lesson=lesson,
            language="de",
            title="Vorher geschrieben",
            body_html="<p>Ein <em>Erbstück</em>.</p>",
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert found(learner, "erbstück") == ["Vorher geschrieben"]
