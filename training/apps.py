from django.apps import AppConfig


class TrainingConfig(AppConfig):
    """Teams, assignments, due states, the trainer's dashboard, CSV, reminders,
    assignment emails and question analytics."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "training"
    verbose_name = "Training"

    def ready(self) -> None:
        from training import navigation, receivers  # noqa: F401 (connects the receivers)

        navigation.connect()
