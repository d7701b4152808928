"""Teams, assignments and reminders move from ``courses`` to ``training`` (issue 11).

Nothing in the database changes here: this migration tells Django that the
existing ``courses_*`` tables now belong to this app (``courses.0008`` forgets
them on its side), and moves their content types so the permissions people and
groups hold on them come along. ``0002`` then renames the tables.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["team", "assignment", "remindersent"]


def move_content_types(apps, schema_editor) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label="training", model=model).exists():
            continue
        ContentType.objects.filter(app_label="courses", model=model).update(app_label="training")


def move_content_types_back(apps, schema_editor) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if ContentType.objects.filter(app_label="courses", model=model).exists():
            continue
        ContentType.objects.filter(app_label="training", model=model).update(app_label="courses")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("courses", "0007_trainer_permissions"),
        ("lessons", "0004_backfill_completions"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Team",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("members", models.ManyToManyField(blank=True, related_name="teams", to=settings.AUTH_USER_MODEL)),
                        ("trainers", models.ManyToManyField(blank=True, related_name="managed_teams", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={"ordering": ["name"], "db_table": "courses_team"},
                ),
                migrations.CreateModel(
                    name="ReminderSent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("sent_on", models.DateField()),
                        ("sent_at", models.DateTimeField(auto_now_add=True)),
                        ("courses", models.TextField(help_text="What the email listed.")),
                        ("learner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="reminders", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "courses_remindersent",
                        "constraints": [models.UniqueConstraint(fields=("learner", "sent_on"), name="one_reminder_a_day")],
                    },
                ),
                migrations.CreateModel(
                    name="Assignment",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("due_date", models.DateField(blank=True, null=True)),
                        ("note", models.TextField(blank=True)),
                        ("require_fresh_completion", models.BooleanField(default=False, help_text="Only a completion after this assignment counts (e.g. yearly compliance): learners who completed the course before start it again.")),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("assigned_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="assignments_made", to=settings.AUTH_USER_MODEL)),
                        ("course", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to="courses.course")),
                        ("learner", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to=settings.AUTH_USER_MODEL)),
                        ("lessons", models.ManyToManyField(blank=True, help_text="Leave empty to assign the whole course.", to="lessons.lesson")),
                        ("team", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="assignments", to="training.team")),
                    ],
                    options={
                        "ordering": ["due_date", "id"],
                        "db_table": "courses_assignment",
                        "constraints": [
                            models.CheckConstraint(condition=models.Q(models.Q(("learner__isnull", True), ("team__isnull", False)), models.Q(("learner__isnull", False), ("team__isnull", True)), _connector="OR"), name="assignment_to_a_team_or_a_learner"),
                            models.UniqueConstraint(condition=models.Q(("team__isnull", False)), fields=("course", "team"), name="one_assignment_per_course_and_team"),
                            models.UniqueConstraint(condition=models.Q(("learner__isnull", False)), fields=("course", "learner"), name="one_assignment_per_course_and_learner"),
                        ],
                    },
                ),
            ],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
