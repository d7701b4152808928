from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """Compliance training (issue 23): the compliance matrix, exemptions, reports over
    time, trainers' digests and ``run_scheduled``, the one command for the recurring
    work (renewals, reminders, digests)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance"
