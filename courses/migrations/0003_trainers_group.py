from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINER_PERMISSIONS = [
    ("courses", "view_dashboard"),
    ("courses", "view_course"),
    ("courses", "view_team"),
    ("courses", "view_assignment"),
    ("courses", "add_assignment"),
    ("courses", "change_assignment"),
    ("courses", "delete_assignment"),
]


def create_trainers_group(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Trainers")
    for app_label, codename in TRAINER_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_trainers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Trainers").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0002_teams_assignments"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_trainers_group, remove_trainers_group)]
