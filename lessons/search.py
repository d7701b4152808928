"""Lesson search: the index, kept in step with lessons, and the one query.

The index holds each lesson's title and its plain text (the rendered, sanitised
``body_html`` with the tags taken out, so Markdown syntax and HTML are never
matched). It lives beside ``lessons_lesson`` in a table Django does not manage
(migration 0005): an FTS5 table on SQLite (the lesson id is its rowid), a table
with a stored, weighted ``tsvector`` and a GIN index on PostgreSQL. No foreign
key: a test's flush truncates the model tables only, and PostgreSQL refuses to
truncate a table another one references.

It is kept in step on every ``Lesson.save()`` and delete (``lessons.signals``):
the admin and the importer both save lessons one by one. ``rebuild_index`` (the
``rebuild_search_index`` command) rewrites it from the lessons, for recovery.

Translations (``LessonTranslation``) have a second index of the same shape
(migration 0007): ``lessons_translation_fts`` (rowid: the translation id) and
``lessons_translation_search`` (with the text-search configuration of the
translation's language, :func:`text_search_config`). A row holds the text a
learner of that language sees (``courses.translations.shown``): the translated
title and text, the lesson's own where the translation leaves one empty; so a
lesson's save re-indexes its translations too. A learner reading in a translated
language (``content_language()``) searches the translations in it and, for the
lessons without one, the base index: each lesson found in the text they would read.

Which lessons a learner may find is not in the index: every search joins the
lessons of ``Course.objects.visible_to(user)`` that are ``published()``, so a
lesson retired, unpublished or unassigned is gone from search at once.
"""

import re
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from django.db import connection
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from common.http import CONTROL_CHARACTERS
from courses.models import Course
from courses.translations import content_language, shown
from lessons.models import Lesson, LessonTranslation

SQLITE_TABLE = "lessons_lesson_fts"
POSTGRES_TABLE = "lessons_lesson_search"
TRANSLATION_SQLITE_TABLE = "lessons_translation_fts"
TRANSLATION_POSTGRES_TABLE = "lessons_translation_search"
# PostgreSQL's built-in text-search configurations, by language code; a language
# without one is indexed word for word ('simple': no stemming, no stop words).
TEXT_SEARCH_CONFIGS = {
    "ar": "arabic", "ca": "catalan", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "eu": "basque", "fi": "finnish", "fr": "french",
    "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian",
    "nb": "norwegian", "nn": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}  # fmt: skip
# The search box's limit (a longer query is a 400) and the words of it used: a
# pasted paragraph is not a search.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 12
DEFAULT_LIMIT = 50
# Marks around matched words in the database's snippets. Control characters are
# stripped from indexed text (and refused in requests), so these only ever come
# from the database; the snippet is escaped, then they become <mark> tags.
START, STOP = "\x02", "\x03"
# PostgreSQL's text-search parser reads "<script>" in a lesson's text as a tag, and
# ts_headline drops it: "<" is swapped for this before parsing and back after.
LESS_THAN = "\x01"
ELLIPSIS = "…"
# Letters and digits: what both databases' tokenisers call a word. Everything
# else (quotes, *, :, &, !, NEAR, parentheses) separates words and never reaches
# the query syntax of FTS5 or to_tsquery.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchResult:
    lesson_id: int
    url: str
    title: SafeString  # escaped, matches in <mark>
    snippet: SafeString  # escaped, matches in <mark>
    course_title: str
    course_url: str


# The index -------------------------------------------------------------------

# Elements that flow within a line: no space is added around them, so "<em>co</em>de"
# stays one word. Every other tag separates words ("<p>a</p><p>b</p>" is "a b").
INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "i", "ins", "kbd"}
    | {"mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
)


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag not in INLINE:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(html: str) -> str:
    """The words of rendered lesson HTML, one space between them, no control characters."""
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = CONTROL_CHARACTERS.sub(" ", "".join(parser.parts))
    return " ".join(text.split())


def _clean_title(title: str) -> str:
    return " ".join(CONTROL_CHARACTERS.sub(" ", title).split())


def index_lessons(lessons, using=None) -> None:
    """Write (or rewrite) the index rows of ``lessons`` (with ``body_html`` rendered).
    ``using``: a database connection (migrations pass theirs)."""
    using = using or connection
    rows = [(row.pk, _clean_title(row.title), plain_text(row.body_html)) for row in lessons]
    if not rows:
        return
    with using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.executemany(
                f"INSERT INTO {POSTGRES_TABLE} (lesson_id, title, body) VALUES (%s, %s, %s)"
                " ON CONFLICT (lesson_id) DO UPDATE"
                " SET title = EXCLUDED.title, body = EXCLUDED.body",
                rows,
            )
        else:
            # FTS5 has no upsert: delete, then insert.
            cursor.executemany(
                f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [row[:1] for row in rows]
            )
            cursor.executemany(
                f"INSERT INTO {SQLITE_TABLE} (rowid, title, body) VALUES (%s, %s, %s)", rows
            )


def text_search_config(language: str) -> str:
    """PostgreSQL's text-search configuration for a language code ("de-at": 'german')."""
    return TEXT_SEARCH_CONFIGS.get(language.lower().split("-")[0], "simple")


def index_translations(translations, using=None) -> None:
    """Write (or rewrite) the index rows of ``translations`` (``body_html`` rendered,
    ``lesson`` loaded: an empty title or text is indexed as the lesson's own)."""
    using = using or connection
    rows = [
        (
            row.pk,
            _clean_title(shown(row.lesson.title, row.title)),
            plain_text(shown(row.lesson.body_html, row.body_html)),
            text_search_config(row.language),
        )
        for row in translations
    ]
    if not rows:
        return
    with using.cursor() as cursor:
        if using.vendor == "postgresql":
            cursor.executemany(
                f"INSERT INTO {TRANSLATION_POSTGRES_TABLE} (translation_id, title, body, config)"
                " VALUES (%s, %s, %s, %s::regconfig)"
                " ON CONFLICT (translation_id) DO UPDATE SET title = EXCLUDED.title,"
                " body = EXCLUDED.body, config = EXCLUDED.config",
                rows,
            )
        else:
            cursor.executemany(
                f"DELETE FROM {TRANSLATION_SQLITE_TABLE} WHERE rowid = %s",
                [row[:1] for row in rows],
            )
            cursor.executemany(
                f"INSERT INTO {TRANSLATION_SQLITE_TABLE} (rowid, title, body) VALUES (%s, %s, %s)",
                [row[:3] for row in rows],
            )


def unindex_translation(translation_id: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {TRANSLATION_POSTGRES_TABLE} WHERE translation_id = %s",
                [translation_id],
            )
        else:
            cursor.execute(
                f"DELETE FROM {TRANSLATION_SQLITE_TABLE} WHERE rowid = %s", [translation_id]
            )


def unindex_lesson(lesson_id: int) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DELETE FROM {POSTGRES_TABLE} WHERE lesson_id = %s", [lesson_id])
        else:
            cursor.execute(f"DELETE FROM {SQLITE_TABLE} WHERE rowid = %s", [lesson_id])


def _rewrite(table: str, rows, index, using, batch_size: int) -> int:
    with using.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")
    batch, count = [], 0
    for row in rows.iterator(batch_size):
        batch.append(row)
        if len(batch) == batch_size:
            index(batch, using)
            count, batch = count + len(batch), []
    index(batch, using)
    return count + len(batch)


def rebuild_index(lessons=None, using=None, batch_size: int = 500, translations=None) -> int:
    """Empty the index and index every lesson again (``lessons``: a queryset of them,
    the migration's historical model), then the translations' index the same way
    (``translations``: likewise; unless ``lessons`` is given without them, as
    migration 0005 does, before the translation index exists); returns how many
    lessons were indexed."""
    using = using or connection
    postgres = using.vendor == "postgresql"
    if lessons is None:
        lessons = Lesson.objects.using(using.alias)
        translations = LessonTranslation.objects.using(using.alias)
    count = _rewrite(
        POSTGRES_TABLE if postgres else SQLITE_TABLE,
        lessons.only("pk", "title", "body_html").order_by("pk"),
        index_lessons,
        using,
        batch_size,
    )
    if translations is not None:
        rebuild_translation_index(translations, using, batch_size)
    return count


def rebuild_translation_index(translations, using, batch_size: int = 500) -> int:
    """Empty the translations' index and index every one of ``translations`` again."""
    return _rewrite(
        TRANSLATION_POSTGRES_TABLE if using.vendor == "postgresql" else TRANSLATION_SQLITE_TABLE,
        translations.select_related("lesson")
        .only("pk", "language", "title", "body_html", "lesson__title", "lesson__body_html")
        .order_by("pk"),
        index_translations,
        using,
        batch_size,
    )


# The query -------------------------------------------------------------------


def query_words(query: str) -> list[str]:
    """The words of a typed query, lower-cased, at most MAX_WORDS of them."""
    return WORD.findall(query.lower())[:MAX_WORDS]


def _fts5_query(words: list[str]) -> str:
    # Each word a quoted FTS5 string (no operator inside a string), all required;
    # the last one a prefix, for a word not finished.
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(words: list[str]) -> str:
    # Input to to_tsquery: each word a quoted operand (letters and digits only, so
    # nothing inside can be syntax); the last one a prefix. Stop words drop out.
    operands = [f"'{word}'" for word in words]
    operands[-1] += ":*"
    return " & ".join(operands)


def _visible_lessons_sql(user) -> tuple[str, tuple]:
    visible = (
        Lesson.objects.published().filter(course__in=Course.objects.visible_to(user)).values("pk")
    )
    return visible.query.get_compiler(using=visible.db).as_sql()


def _untranslated(language, lesson_id="l.id"):
    """SQL (and params) keeping only the lessons without a translation in ``language``
    (None: every lesson), and the course title in it (``shown``: a non-empty one wins)."""
    if language is None:
        return "", [], "c.title", "", []
    return (
        "AND NOT EXISTS (SELECT 1 FROM lessons_lessontranslation t"
        f" WHERE t.lesson_id = {lesson_id} AND t.language = %s)",
        [language],
        *_course_title(language),
    )


def _course_title(language):
    return (
        "COALESCE(NULLIF(ct.title, ''), c.title)",
        "LEFT JOIN courses_coursetranslation ct ON ct.course_id = c.id AND ct.language = %s",
        [language],
    )


def _sqlite_search(words, visible_sql, visible_params, limit, language=None):
    # language: only the lessons with no translation in it (found by _sqlite_translated).
    untranslated, untranslated_params, course_title, join, join_params = _untranslated(language)
    sql = f"""
        SELECT l.id, l.slug, c.slug, {course_title},
               highlight({SQLITE_TABLE}, 0, %s, %s),
               snippet({SQLITE_TABLE}, 1, %s, %s, %s, 24)
        FROM {SQLITE_TABLE}
        JOIN lessons_lesson l ON l.id = {SQLITE_TABLE}.rowid
        JOIN courses_course c ON c.id = l.course_id
        {join}
        WHERE {SQLITE_TABLE} MATCH %s AND l.id IN ({visible_sql}) {untranslated}
        -- bm25: lower is better; a match in the title counts ten times one in the text.
        ORDER BY bm25({SQLITE_TABLE}, 10.0, 1.0), l.id
        LIMIT %s
    """
    params = [START, STOP, START, STOP, ELLIPSIS, *join_params, _fts5_query(words)]
    params += [*visible_params, *untranslated_params, limit]
    return sql, params


def _sqlite_translated(words, visible_sql, visible_params, limit, language):
    table = TRANSLATION_SQLITE_TABLE
    course_title, join, join_params = _course_title(language)
    sql = f"""
        SELECT l.id, l.slug, c.slug, {course_title},
               highlight({table}, 0, %s, %s),
               snippet({table}, 1, %s, %s, %s, 24)
        FROM {table}
        JOIN lessons_lessontranslation t ON t.id = {table}.rowid
        JOIN lessons_lesson l ON l.id = t.lesson_id
        JOIN courses_course c ON c.id = l.course_id
        {join}
        WHERE {table} MATCH %s AND t.language = %s AND l.id IN ({visible_sql})
        ORDER BY bm25({table}, 10.0, 1.0), l.id
        LIMIT %s
    """
    params = [START, STOP, START, STOP, ELLIPSIS, *join_params, _fts5_query(words), language]
    params += [*visible_params, limit]
    return sql, params


def _headline_options():
    headline = f"StartSel={START}, StopSel={STOP}"
    return [
        f"{headline}, HighlightAll=true",
        f'{headline}, MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "',
    ]


def _postgres_search(words, visible_sql, visible_params, limit, language=None):
    # The inner query ranks and limits; ts_headline (slow: it re-parses the text)
    # runs only on the rows shown. language: as in _sqlite_search.
    untranslated, untranslated_params, course_title, join, join_params = _untranslated(
        language, lesson_id="s.lesson_id"
    )
    sql = f"""
        SELECT found.lesson_id, l.slug, c.slug, {course_title},
               ts_headline('english', replace(found.title, '<', chr(1)), found.q, %s),
               ts_headline('english', replace(found.body, '<', chr(1)), found.q, %s)
        FROM (
            SELECT s.lesson_id, s.title, s.body, q, ts_rank(s.document, q) AS rank
            FROM {POSTGRES_TABLE} s, to_tsquery('english', %s) q
            WHERE s.document @@ q AND s.lesson_id IN ({visible_sql}) {untranslated}
            ORDER BY rank DESC, s.lesson_id
            LIMIT %s
        ) found
        JOIN lessons_lesson l ON l.id = found.lesson_id
        JOIN courses_course c ON c.id = l.course_id
        {join}
        ORDER BY found.rank DESC, found.lesson_id
    """
    params = [*_headline_options(), _tsquery(words), *visible_params, *untranslated_params]
    params += [limit, *join_params]
    return sql, params


def _postgres_translated(words, visible_sql, visible_params, limit, language):
    course_title, join, join_params = _course_title(language)
    sql = f"""
        SELECT found.lesson_id, l.slug, c.slug, {course_title},
               ts_headline(found.config, replace(found.title, '<', chr(1)), found.q, %s),
               ts_headline(found.config, replace(found.body, '<', chr(1)), found.q, %s)
        FROM (
            SELECT t.lesson_id, s.config, s.title, s.body, q, ts_rank(s.document, q) AS rank
            FROM {TRANSLATION_POSTGRES_TABLE} s
            JOIN lessons_lessontranslation t ON t.id = s.translation_id,
            to_tsquery(%s::regconfig, %s) q
            WHERE s.document @@ q AND t.language = %s AND t.lesson_id IN ({visible_sql})
            ORDER BY rank DESC, t.lesson_id
            LIMIT %s
        ) found
        JOIN lessons_lesson l ON l.id = found.lesson_id
        JOIN courses_course c ON c.id = l.course_id
        {join}
        ORDER BY found.rank DESC, found.lesson_id
    """
    params = [*_headline_options(), text_search_config(language), _tsquery(words), language]
    params += [*visible_params, limit, *join_params]
    return sql, params


def highlighted(text: str) -> SafeString:
    """A database snippet as HTML: everything escaped, then the matches in <mark>."""
    text = text.replace(LESS_THAN, "<")
    marked = escape(text).replace(START, "<mark>").replace(STOP, "</mark>")
    return mark_safe(marked)  # noqa: S308 - escaped on the line above


def search_lessons(
    user, query: str, limit: int = DEFAULT_LIMIT, language: str | None = None
) -> list[SearchResult]:
    """The lessons ``user`` may see whose title or text has every word of ``query``
    (the last word may be the start of one), best first. One query in the default
    language; in a translated one (``language``, else ``content_language()``), two:
    the lessons translated into it by their translation, first, then the others by
    their base text; course titles in that language where translated."""
    words = query_words(query)
    if not words:
        return []
    language = content_language(language)
    visible_sql, visible_params = _visible_lessons_sql(user)
    postgres = connection.vendor == "postgresql"
    searches = []
    if language is not None:
        searches.append(_postgres_translated if postgres else _sqlite_translated)
    searches.append(_postgres_search if postgres else _sqlite_search)
    rows = []
    with connection.cursor() as cursor:
        for build in searches:
            if len(rows) >= limit:
                break
            if language is None:
                sql, params = build(words, visible_sql, visible_params, limit)
            else:
                sql, params = build(words, visible_sql, visible_params, limit - len(rows), language)
            cursor.execute(sql, params)
            rows += cursor.fetchall()
    return [
        SearchResult(
            lesson_id=lesson_id,
            url=reverse("lessons:detail", args=[course_slug, lesson_slug]),
            title=highlighted(title),
            snippet=highlighted(snippet),
            course_title=course_title,
            course_url=reverse("courses:detail", args=[course_slug]),
        )
        for lesson_id, lesson_slug, course_slug, course_title, title, snippet in rows
    ]
