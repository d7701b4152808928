from django.apps import AppConfig


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"

    def ready(self) -> None:
        # Connect the receivers: the search index's, and the course structure's version.
        from lessons import signals, structure  # noqa: F401
