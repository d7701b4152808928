from django.apps import AppConfig


class PathsConfig(AppConfig):
    """Learning paths (issue 23): an ordered set of courses, assigned like a course,
    with its own progress and certificate."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "paths"
    verbose_name = "Learning paths"
