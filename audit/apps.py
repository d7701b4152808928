from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Records an auditor can verify: the append-only, hash-chained event log of
    completions, attempts, certificates, assignments and exemptions, the
    ``verify_records`` command, and a learner's training record (issue 23)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from audit import maintenance, receivers

        receivers.connect()
        # SQLite: the function the log's DELETE trigger asks (audit.maintenance).
        connection_created.connect(
            maintenance.register_sqlite_function, dispatch_uid="audit.sqlite_function"
        )
