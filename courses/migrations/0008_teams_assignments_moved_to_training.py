"""Teams, assignments and reminders now belong to the training app (issue 11):
forgotten here, state only; ``training.0001`` took over their tables."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0007_trainer_permissions"),
        ("training", "0001_move_from_courses"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Assignment"),
                migrations.DeleteModel(name="ReminderSent"),
                migrations.DeleteModel(name="Team"),
            ],
        ),
    ]
