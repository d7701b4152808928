"""backup_db and restore_db (common/backup.py): a backup taken, the database wiped,
the backup restored, and every row of every table is back, on SQLite (the online
backup API) and on PostgreSQL (pg_dump / pg_restore)."""

import datetime
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.utils import timezone

from courses.models import Course
from lessons.models import LessonProgress
from quizzes.models import Attempt
from training.services import assign_course, start_fresh_run

pytestmark = pytest.mark.django_db(transaction=True)

# Our models, each of which must hold rows before the backup, so the test shows they
# come back; the tables of every other app are compared by their row counts.
MODELS = [
    "auth.User",
    "auth.Group",
    "courses.Course",
    "training.Team",
    "training.Assignment",
    "training.ReminderSent",
    "training.AssignmentEvent",
    "training.AssignmentEmail",
    "lessons.Lesson",
    "lessons.LessonProgress",
    "lessons.CourseCompletion",
    "lessons.Certificate",
    "quizzes.Quiz",
    "quizzes.Question",
    "quizzes.Choice",
    "quizzes.Attempt",
    "quizzes.Answer",
    "sessions.Session",
]


@pytest.fixture
def everything(settings):
    """The demo: the sample course, users, a team with varied progress, attempts,
    answers, completions and certificates; plus a reminder, a session, and one
    learner's earlier run archived by a fresh start."""
    call_command("import_content", stdout=StringIO())
    call_command("seed_demo", "--demo", stdout=StringIO())
    call_command("send_reminders", "--days", "30", stdout=StringIO())
    Client().force_login(get_user_model().objects.get(username="learner"))
    User = get_user_model()
    course = Course.objects.get(slug="who-is-your-customer")
    finished = User.objects.get(username="amara.okafor")  # completed the course
    assign_course(
        by=User.objects.get(username="trainer"),
        course=course,
        learners=[finished],
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        require_fresh_completion=True,
    )
    start_fresh_run(finished, course)
    assert LessonProgress.all_runs.filter(archived_in__isnull=False).exists()
    assert Attempt.all_runs.filter(archived_in__isnull=False).exists()


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
    return counts


def rows(label: str) -> list[tuple]:
    """Every row of the model, every field, earlier runs included (the base manager)."""
    return list(apps.get_model(label)._base_manager.order_by("pk").values_list())


def snapshot() -> dict:
    return {"tables": table_counts(), **{label: rows(label) for label in MODELS}}


def test_a_restored_backup_has_every_row_of_every_table(tmp_path, everything):
    before = snapshot()
    assert [label for label in MODELS if not before[label]] == []
    backup = tmp_path / "site.backup"

    call_command("backup_db", str(backup), stdout=StringIO())
    call_command("flush", interactive=False)
    assert not get_user_model().objects.exists()
    call_command("restore_db", str(backup), "--no-input", stdout=StringIO())

    after = snapshot()
    assert after["tables"] == before["tables"]
    for label in MODELS:
        assert after[label] == before[label], label


def test_new_rows_after_a_restore_get_new_ids(tmp_path, everything):
    backup = tmp_path / "site.backup"
    highest = get_user_model().objects.order_by("-pk").values_list("pk", flat=True).first()
    call_command("backup_db", str(backup), stdout=StringIO())
    call_command("flush", interactive=False)  # resets the id sequences
    call_command("restore_db", str(backup), "--no-input", stdout=StringIO())
    assert get_user_model().objects.create(username="newcomer").pk > highest


def test_a_backup_taken_while_the_site_writes_is_one_moment(tmp_path):
    """Online: another connection's uncommitted change neither blocks the backup nor
    gets into it."""
    get_user_model().objects.create(username="kim", first_name="Kim")
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            table = connection.ops.quote_name(get_user_model()._meta.db_table)
            cursor.execute(f"UPDATE {table} SET first_name = 'Changed'")
        backup = tmp_path / "site.backup"
        call_command("backup_db", str(backup), stdout=StringIO())
        other.commit()
    finally:
        other.close()
    assert get_user_model().objects.get(username="kim").first_name == "Changed"
    call_command("restore_db", str(backup), "--no-input", stdout=StringIO())
    assert get_user_model().objects.get(username="kim").first_name == "Kim"


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    get_user_model().objects.create(username="kim")
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    with pytest.raises(CommandError, match="is not an? (SQLite|PostgreSQL) backup"):
        call_command("restore_db", str(not_a_backup), "--no-input")
    assert get_user_model().objects.filter(username="kim").exists()


def test_restore_asks_first_and_changes_nothing_when_told_no(tmp_path, monkeypatch):
    backup = tmp_path / "site.backup"
    call_command("backup_db", str(backup), stdout=StringIO())
    get_user_model().objects.create(username="kim")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore_db", str(backup))
    assert get_user_model().objects.filter(username="kim").exists()


def test_a_failed_backup_leaves_no_file(tmp_path):
    backup = tmp_path / "missing-folder" / "site.backup"
    with pytest.raises(CommandError, match="No folder"):
        call_command("backup_db", str(backup), stdout=StringIO())
    assert not backup.exists()
    assert not backup.with_name("site.backup.partial").exists()
