"""Lesson search (lessons/search.py): what it finds, for whom, and the index kept in step."""

import shutil

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from authoring.importing import import_content
from courses.models import Course, Visibility
from lessons.models import Lesson
from lessons.search import MAX_QUERY_LENGTH, POSTGRES_TABLE, SQLITE_TABLE, search_lessons
from tests.factories import make_course, make_lesson
from training.models import Assignment

pytestmark = pytest.mark.django_db

URL = reverse("search")


def found(user, query: str) -> list[str]:
    """Titles of the lessons found, best first (highlighting taken out)."""
    return [
        str(result.title).replace("<mark>", "").replace("</mark>", "")
        for result in search_lessons(user, query)
    ]


def index_rows(lesson_ids) -> int:
    """Index rows of these lessons (a transactional test's flush elsewhere in the run
    empties the lessons, not the index, which has no foreign key to them)."""
    ids = list(lesson_ids)
    postgres = connection.vendor == "postgresql"
    table, key = (POSTGRES_TABLE, "lesson_id") if postgres else (SQLITE_TABLE, "rowid")
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {key} IN ({marks})", ids)
        return cursor.fetchone()[0]


@pytest.fixture
def library(db):
    """One open course with lessons about different things."""
    course = make_course(lessons=0, title="Handling money")
    make_lesson(course, 1, slug="refunds", title="Refunds", body_markdown="Give the money back.")
    make_lesson(
        course,
        2,
        slug="receipts",
        title="Receipts",
        body_markdown="## Why\n\nA receipt proves the refunds were paid.\n\nKeep it for **taxes**.",
    )
    make_lesson(course, 3, slug="greetings", title="Greetings", body_markdown="Say hello.")
    return course


# What it finds ------------------------------------------------------------------


def test_finds_a_lesson_by_its_title(learner, library):
    assert found(learner, "greetings") == ["Greetings"]


def test_finds_a_lesson_by_its_text(learner, library):
    assert found(learner, "proves") == ["Receipts"]


def test_every_word_must_match(learner, library):
    assert found(learner, "receipt paid") == ["Receipts"]
    assert found(learner, "receipt hello") == []


def test_finds_other_forms_of_a_word(learner, library):
    # Stemming on both databases: "tax" finds "taxes".
    assert found(learner, "tax") == ["Receipts"]


def test_the_last_word_may_be_unfinished(learner, library):
    assert found(learner, "greet") == ["Greetings"]


def test_markdown_syntax_is_not_searched(learner, library):
    assert found(learner, "##") == []
    assert found(learner, "strong") == []  # the <strong> of **taxes**


def test_a_title_match_ranks_above_a_text_match(learner, library):
    assert found(learner, "refunds") == ["Refunds", "Receipts"]


def test_results_link_to_the_lesson_and_its_course(learner, library):
    (result,) = search_lessons(learner, "greetings")
    assert result.url == reverse("lessons:detail", args=[library.slug, "greetings"])
    assert result.course_title == "Handling money"
    assert result.course_url == library.get_absolute_url()


def test_snippets_highlight_the_matched_words(learner, library):
    (result,) = search_lessons(learner, "proves")
    assert "receipt <mark>proves</mark> the refunds were paid." in result.snippet


def test_snippets_and_titles_are_escaped(learner, course):
    make_lesson(
        course,
        9,
        slug="html",
        title="<b>Bold</b> & markup",
        body_markdown="Type `<script>alert(1)</script>` and markup & more.",
    )
    (result,) = search_lessons(learner, "markup")
    assert result.title == "&lt;b&gt;Bold&lt;/b&gt; &amp; <mark>markup</mark>"
    assert "<script>" not in result.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and <mark>markup</mark> &amp; more" in (
        result.snippet
    )


# Who finds what -----------------------------------------------------------------


def test_drafts_are_never_found(learner, admin_user, course):
    make_lesson(course, 9, slug="draft", title="Secret draft", published_at=None)
    assert found(learner, "secret") == []
    assert found(admin_user, "secret") == []  # content staff: as learners see it


def test_retired_lessons_are_never_found(learner, course):
    lesson = make_lesson(course, 9, slug="old", title="Retired lesson")
    lesson.retired_at = timezone.now()
    lesson.save(update_fields=["retired_at", "updated_at"])
    assert found(learner, "retired") == []


def test_lessons_of_a_draft_course_are_never_found(learner):
    course = make_course(lessons=0)
    make_lesson(course, 1, title="Unreleased")
    Course.objects.filter(pk=course.pk).update(published_at=None)
    assert found(learner, "unreleased") == []


def test_assigned_only_courses_are_found_by_those_assigned(learner, second_learner):
    course = make_course(lessons=0)
    course.visibility = Visibility.ASSIGNED
    course.save()
    make_lesson(course, 1, title="Confidential procedures")
    Assignment.objects.create(course=course, learner=second_learner)
    assert found(learner, "confidential") == []
    assert found(second_learner, "confidential") == ["Confidential procedures"]


def test_assigned_only_courses_are_found_through_a_team(learner, team):
    course = make_course(lessons=0)
    course.visibility = Visibility.ASSIGNED
    course.save()
    make_lesson(course, 1, title="Team procedures")
    Assignment.objects.create(course=course, team=team)
    assert found(learner, "procedures") == ["Team procedures"]


# The index in step ---------------------------------------------------------------


def test_a_saved_lesson_is_found_by_its_new_text_not_its_old(learner, library):
    lesson = Lesson.objects.get(slug="greetings")
    lesson.title = "Farewells"
    lesson.body_markdown = "Say goodbye."
    lesson.save()
    assert found(learner, "hello") == []
    assert found(learner, "greetings") == []
    assert found(learner, "goodbye") == ["Farewells"]


def test_a_deleted_lesson_is_gone(learner, library):
    ids = list(library.lessons.values_list("pk", flat=True))
    Lesson.objects.get(slug="greetings").delete()
    assert found(learner, "greetings") == []
    assert index_rows(ids) == len(ids) - 1


def test_a_deleted_course_takes_its_lessons_out_of_the_index(library):
    ids = list(library.lessons.values_list("pk", flat=True))
    assert index_rows(ids) == len(ids) > 0
    library.delete()
    assert index_rows(ids) == 0


def test_the_admin_keeps_the_index_in_step(admin_user, client, learner, library):
    lesson = Lesson.objects.get(slug="greetings")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:lessons_lesson_change", args=[lesson.pk]),
        {
            "course": library.pk,
            "slug": lesson.slug,
            "title": "Welcomes",
            "position": lesson.position,
            "body_markdown": "Say welcome aboard.",
            "published_at_0": "2024-01-01",
            "published_at_1": "00:00:00",
        },
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # the form's fields differ: show why
        pytest.fail(str(response.context["adminform"].form.errors))
    assert found(learner, "aboard") == ["Welcomes"]
    assert found(learner, "hello") == []


@pytest.fixture
def content(tmp_path):
    shutil.copytree(settings.CONTENT_DIR, tmp_path / "content")
    return tmp_path / "content"


def test_the_importer_keeps_the_index_in_step(learner, content):
    import_content(content)
    assert found(learner, "lights") == ["External customers"]
    lesson_file = content / "who-is-your-customer" / "02-external-customers.md"
    lesson_file.write_text(
        lesson_file.read_text().replace("keep the lights on", "pay the zookeepers")
    )
    import_content(content)
    assert found(learner, "lights") == []
    assert found(learner, "zookeepers") == ["External customers"]


def test_rebuild_search_index_restores_a_lost_index(learner, library, capsys):
    table = POSTGRES_TABLE if connection.vendor == "postgresql" else SQLITE_TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    assert found(learner, "greetings") == []
    call_command("rebuild_search_index")
    assert found(learner, "greetings") == ["Greetings"]
    assert "Indexed 3 lessons" in capsys.readouterr().out


# The page ----------------------------------------------------------------------


def test_the_page_lists_the_results(learner_client, library):
    response = learner_client.get(URL, {"q": "proves"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<h1") == 1
    assert 'href="/courses/' in html
    assert "receipt <mark>proves</mark>" in html
    assert "1 lesson match" in html


def test_the_page_says_when_nothing_matches(learner_client, library):
    response = learner_client.get(URL, {"q": "zebra"})
    assert "No lessons match <q>zebra</q>" in response.content.decode()


def test_an_empty_query_searches_nothing_and_gives_a_hint(
    learner_client, library, django_assert_max_num_queries
):
    # The session, the user, the user's permissions (the navigation): no search.
    with django_assert_max_num_queries(4):
        response = learner_client.get(URL, {"q": "   "})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Type one or more words" in html
    assert "No lessons match" not in html


def test_an_over_long_query_is_a_400(learner_client):
    response = learner_client.get(URL, {"q": "a" * (MAX_QUERY_LENGTH + 1)})
    assert response.status_code == 400


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(URL, {"q": "customer"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("lessons", [1, 40])
def test_the_page_makes_the_same_queries_for_one_result_or_many(
    learner_client, lessons, django_assert_num_queries
):
    for _ in range(3):  # other courses: more lessons than results
        make_course(lessons=5)
    course = make_course(lessons=0)
    for position in range(1, lessons + 1):
        make_lesson(course, position, title=f"Findable {position}")
    # The session, the user, the user's permissions (the navigation), the search.
    with django_assert_num_queries(5):
        response = learner_client.get(URL, {"q": "findable"})
    assert response.content.decode().count("<mark>Findable</mark>") == lessons


# Hostile input -------------------------------------------------------------------

# Every character but the C0 controls (the middleware refuses them with a 400), with
# the query syntaxes of FTS5 and to_tsquery over-represented.
HOSTILE = st.text(
    st.sampled_from(list("\"'*:&|!()^-+<>\\{}[],.;%_ "))
    | st.characters(min_codepoint=32, exclude_categories=["Cs"]),
    max_size=MAX_QUERY_LENGTH,
) | st.lists(
    st.sampled_from(
        [
            '"',
            "*",
            "NEAR",
            "NEAR(",
            "AND",
            "OR",
            "NOT",
            ":*",
            "&",
            "!",
            "|",
            "<->",
            "(",
            ")",
            "title:",
            "body:",
            "^",
            "'",
            "\\",
            "refunds",
            "é",
            "ǅ",
            "²",
            "a_b",
        ]
    ),
    max_size=30,
).map(" ".join)


@hypothesis_settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)
@given(query=HOSTILE)
def test_hostile_queries_never_fail(learner_client, library, query):
    response = learner_client.get(URL, {"q": query})
    assert response.status_code == (200 if len(query.strip()) <= MAX_QUERY_LENGTH else 400)


@pytest.mark.parametrize(
    "query",
    [
        '"refunds',
        'refunds"',
        "refunds*",
        "refunds:",
        "(refunds)",
        "refunds & !",
        "'refunds':*",
    ],
)
def test_query_syntax_typed_by_a_learner_is_taken_as_words(learner, library, query):
    assert found(learner, query)[0] == "Refunds"


# The migration ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_migration_indexes_the_lessons_there_are(learner):
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor

    before = [("lessons", "0004_backfill_completions")]
    executor = migrate(before)
    try:
        old_apps = executor.loader.project_state(before[0]).apps
        course = old_apps.get_model("courses", "Course").objects.create(
            slug="old", title="Old course", published_at=timezone.now()
        )
        old_apps.get_model("lessons", "Lesson").objects.create(
            course=course,
            slug="kept",
            title="Written before search",
            position=1,
            body_html="<p>An <em>heirloom</em> lesson.</p>",
            published_at=timezone.now(),
        )
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    assert found(learner, "heirloom") == ["Written before search"]
