"""The lesson search index (lessons/search.py), filled for the lessons there are.

Not a model: an FTS5 table on SQLite, a table with a weighted tsvector and a GIN
index on PostgreSQL. Kept in step by lessons.signals; `rebuild_search_index`
rewrites it.
"""

from django.db import migrations

SQLITE = [
    # rowid is the lesson id. Porter stemming, like PostgreSQL's 'english'
    # configuration: "taxes" finds "tax".
    "CREATE VIRTUAL TABLE lessons_lesson_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRES = [
    "CREATE TABLE lessons_lesson_search ("
    " lesson_id bigint PRIMARY KEY,"
    " title text NOT NULL,"
    " body text NOT NULL,"
    " document tsvector GENERATED ALWAYS AS ("
    # "<" swapped for chr(1): the parser would read "<b>" in a lesson's text as a tag.
    "  setweight(to_tsvector('english', replace(title, '<', chr(1))), 'A')"
    "  || setweight(to_tsvector('english', replace(body, '<', chr(1))), 'B')) STORED)",
    "CREATE INDEX lessons_lesson_search_document ON lessons_lesson_search USING gin (document)",
]


def create_index(apps, schema_editor):
    from lessons.search import rebuild_index

    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return  # no search on other databases
    for statement in POSTGRES if vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)
    Lesson = apps.get_model("lessons", "Lesson")
    connection = schema_editor.connection
    rebuild_index(Lesson.objects.using(connection.alias), using=connection)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS lessons_lesson_search")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS lessons_lesson_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0004_backfill_completions"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
