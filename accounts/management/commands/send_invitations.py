"""manage.py send_invitations: send the invitations import_people still owes."""

from django.core.management.base import BaseCommand

from accounts.provisioning import owed_invitations, send_invitations


class Command(BaseCommand):
    help = (
        "Send the invitation emails still owed to people created by import_people "
        "(a failed send, or more than the admin's upload page sends at once). Safe to "
        "run at any time, e.g. from cron: nobody is invited twice."
    )

    def handle(self, *args, **options) -> None:
        sent, failed = send_invitations()
        self.stdout.write(f"Invitations sent: {sent}; could not be sent: {failed}.")
        if left := owed_invitations().count():
            self.stdout.write(f"Still owed: {left} (see the log); run it again later.")
