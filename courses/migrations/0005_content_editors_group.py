from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT_EDITOR_PERMISSIONS = [
    (app, f"{action}_{model}")
    for app, model in [
        ("courses", "course"),
        ("lessons", "lesson"),
        ("quizzes", "quiz"),
        ("quizzes", "question"),
        ("quizzes", "choice"),
    ]
    for action in ("add", "change", "delete", "view")
] + [("lessons", "view_lessonprogress"), ("quizzes", "view_attempt"), ("quizzes", "view_answer")]


def create_content_editors_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Content editors")
    for app_label, codename in CONTENT_EDITOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def remove_content_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Content editors").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_drafts"),
        ("lessons", "0002_drafts"),
        ("quizzes", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_content_editors_group, remove_content_editors_group)
    ]
