"""Teams, assignments and reminders moved from ``courses`` to ``training`` (issue 11).

The migration is run backwards to the database of before the move, data is
written with the models of then, and the migration forwards must keep every
row, link and permission.
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lessons.models import Lesson
from tests.factories import make_user
from training.models import Assignment, ReminderSent, Team

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("courses", "0007_trainer_permissions"), ("training", None)]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


def latest(executor: MigrationExecutor):
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def before_the_move():
    """The database as it was before issue 11; brought forward again afterwards,
    so later tests find the schema they expect even when an assertion fails."""
    executor = migrate(BEFORE)
    yield executor.loader.project_state(BEFORE[0]).apps
    migrate(latest(MigrationExecutor(connection)))


def test_the_move_keeps_teams_assignments_reminders_and_permissions(before_the_move):
    old = before_the_move
    kira = make_user("kira", first_name="Kira", last_name="Jones")
    trainer = make_user("tess")
    # The course as the code of then wrote it: today's Course has columns the old
    # schema lacks. The lesson without save(), whose receivers write to today's.
    course = old.get_model("courses", "Course").objects.create(
        slug="who-is-your-customer", title="Who is your customer?"
    )
    (lesson,) = Lesson.objects.bulk_create(
        [Lesson(course_id=course.pk, position=1, slug="internal-customers", title="Internal")]
    )

    OldTeam = old.get_model("courses", "Team")
    OldAssignment = old.get_model("courses", "Assignment")
    OldReminder = old.get_model("courses", "ReminderSent")
    team = OldTeam.objects.create(name="Sales")
    team.members.add(kira.pk)
    team.trainers.add(trainer.pk)
    for_team = OldAssignment.objects.create(
        course_id=course.pk, team=team, due_date=datetime.date(2026, 12, 1), note="Before Q1"
    )
    for_kira = OldAssignment.objects.create(
        course_id=course.pk, learner_id=kira.pk, assigned_by_id=trainer.pk
    )
    for_kira.lessons.add(lesson.pk)
    OldReminder.objects.create(learner_id=kira.pk, sent_on=datetime.date(2026, 11, 20))
    # A people admin given a permission on teams by hand: it must follow the model.
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    team_type, _ = ContentType.objects.get_or_create(app_label="courses", model="team")
    change_team, _ = Permission.objects.get_or_create(
        content_type=team_type, codename="change_team", defaults={"name": "Can change team"}
    )
    old.get_model("auth", "User").objects.get(pk=trainer.pk).user_permissions.add(change_team)

    migrate(latest(MigrationExecutor(connection)))

    team = Team.objects.get(name="Sales")
    assert list(team.members.all()) == [kira]
    assert list(team.trainers.all()) == [trainer]
    assert Assignment.objects.get(pk=for_team.pk).team == team
    assert Assignment.objects.get(pk=for_team.pk).note == "Before Q1"
    moved = Assignment.objects.get(pk=for_kira.pk)
    assert (moved.learner, moved.assigned_by) == (kira, trainer)
    assert [item.pk for item in moved.lessons.all()] == [lesson.pk]
    assert ReminderSent.objects.get().learner == kira
    trainer.refresh_from_db()
    assert type(trainer).objects.get(pk=trainer.pk).has_perm("training.change_team")
    # The tables now carry the app's name; new rows get fresh ids after the old ones.
    assert Team._meta.db_table == "training_team"
    assert Team.objects.create(name="Support").pk > team.pk


def test_the_move_can_be_reversed_with_the_data(before_the_move):
    old = before_the_move
    old.get_model("courses", "Team").objects.create(name="Sales")
    migrate(latest(MigrationExecutor(connection)))
    assert Team.objects.filter(name="Sales").exists()

    executor = migrate(BEFORE)
    reverted = executor.loader.project_state(BEFORE[0]).apps
    assert reverted.get_model("courses", "Team").objects.filter(name="Sales").exists()
