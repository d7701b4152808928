"""Content editors manage a course's media files (issue 12), as they do its lessons."""

from django.db import migrations

MEDIA_PERMISSIONS = [f"{action}_mediafile" for action in ("add", "change", "delete", "view")]


def _create_course_permissions(apps) -> None:
    # Permissions are normally created after migrations; lend the historical app
    # config a models module for the call (see 0007), then put back what was there.
    from django.contrib.auth.management import create_permissions

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


def _media_permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(
        content_type__app_label="courses", codename__in=MEDIA_PERMISSIONS
    )


def give_media_permissions(apps, schema_editor) -> None:
    group = apps.get_model("auth", "Group").objects.filter(name="Content editors").first()
    if group is None:  # deleted by an admin: ensure_content_editors_group makes it again
        return
    _create_course_permissions(apps)
    group.permissions.add(*_media_permissions(apps))


def take_media_permissions(apps, schema_editor) -> None:
    group = apps.get_model("auth", "Group").objects.filter(name="Content editors").first()
    if group is not None:
        group.permissions.remove(*_media_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0009_media_files"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(give_media_permissions, take_media_permissions)]
