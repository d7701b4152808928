"""Django's ``flush``, in audit maintenance (audit.maintenance): emptying the whole
database empties the audit log too, which its triggers refuse to anything else.
Django's test cases call this command between transactional tests."""

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand

from audit.maintenance import maintenance


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        with maintenance(options["database"]):
            super().handle(**options)
