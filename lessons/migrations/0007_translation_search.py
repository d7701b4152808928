"""The search index of lesson translations (lessons/search.py), filled for the
translations there are.

The same shape as 0005's: an FTS5 table on SQLite (rowid: the translation id), a
table with a weighted tsvector and a GIN index on PostgreSQL, where each row carries
the text-search configuration of its language (search.text_search_config). No
foreign key, for 0005's reason. Kept in step by lessons.signals;
`rebuild_search_index` rewrites it.
"""

from django.db import migrations

SQLITE = [
    # The lesson index's tokenizer (0005), so both are searched alike.
    "CREATE VIRTUAL TABLE lessons_translation_fts USING fts5("
    "title, body, tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRES = [
    "CREATE TABLE lessons_translation_search ("
    " translation_id bigint PRIMARY KEY,"
    " config regconfig NOT NULL,"
    " title text NOT NULL,"
    " body text NOT NULL,"
    " document tsvector GENERATED ALWAYS AS ("
    # "<" swapped for chr(1), as in 0005.
    "  setweight(to_tsvector(config, replace(coalesce(title, ''), '<', chr(1))), 'A')"
    "  || setweight(to_tsvector(config, replace(coalesce(body, ''), '<', chr(1))), 'B')"
    " ) STORED)",
    "CREATE INDEX lessons_translation_search_document"
    " ON lessons_translation_search USING gin (document)",
]


def create_index(apps, schema_editor):
    from lessons.search import rebuild_translation_index

    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        return  # no search on other databases
    for statement in POSTGRES if vendor == "postgresql" else SQLITE:
        schema_editor.execute(statement)
    LessonTranslation = apps.get_model("lessons", "LessonTranslation")
    connection = schema_editor.connection
    rebuild_translation_index(LessonTranslation.objects.using(connection.alias), connection)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS lessons_translation_search")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS lessons_translation_fts")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0006_translations"),
    ]

    operations = [migrations.RunPython(create_index, drop_index)]
