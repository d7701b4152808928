from django.apps import AppConfig


class CoursesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "courses"

    def ready(self) -> None:
        # Connect the receivers: content saved with LF line endings.
        from courses import line_endings  # noqa: F401
