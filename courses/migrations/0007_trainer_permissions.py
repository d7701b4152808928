"""Trainers keep to the trainer pages (issue 9).

The Trainers group held model permissions (view teams, add/change/delete
assignments, view courses), and in the Django admin those apply to every team,
user and course. It now holds two custom permissions on Course, which open no
admin page: the dashboard, and assigning for the teams a trainer trains.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# Removed from the group; other permissions an admin added by hand are left alone.
MODEL_PERMISSIONS = [
    "view_course",
    "view_team",
    "view_assignment",
    "add_assignment",
    "change_assignment",
    "delete_assignment",
]
TRAINER_PERMISSIONS = ["view_dashboard", "assign_courses"]


def _create_course_permissions(apps) -> None:
    # Permissions are normally created after migrations; the group needs the new one
    # now. Historical app configs have no models module, and create_permissions skips
    # an app without one: lend it one for the call, then put back what was there.
    app_config = apps.get_app_config("courses")
    missing = object()
    original = getattr(app_config, "models_module", missing)
    app_config.models_module = True if original in (missing, None) else original
    try:
        create_permissions(app_config, apps=apps, verbosity=0)
    finally:
        if original is missing:
            del app_config.models_module
        else:
            app_config.models_module = original


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="courses", codename__in=codenames)


def update_trainers_group(apps, schema_editor) -> None:
    _create_course_permissions(apps)
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="Trainers")
    group.permissions.remove(*_permissions(apps, MODEL_PERMISSIONS))
    group.permissions.add(*_permissions(apps, TRAINER_PERMISSIONS))


def restore_model_permissions(apps, schema_editor) -> None:
    _create_course_permissions(apps)
    group = apps.get_model("auth", "Group").objects.filter(name="Trainers").first()
    if group is not None:
        group.permissions.remove(*_permissions(apps, ["assign_courses"]))
        group.permissions.add(*_permissions(apps, MODEL_PERMISSIONS))


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0006_fresh_completion_imported_hash"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="course",
            options={
                "ordering": ["title"],
                "permissions": [
                    ("view_dashboard", "Can follow learners' progress on the dashboard"),
                    (
                        "assign_courses",
                        "Can assign courses to the teams they train, on the trainer pages",
                    ),
                ],
            },
        ),
        migrations.RunPython(update_trainers_group, restore_model_permissions),
    ]
