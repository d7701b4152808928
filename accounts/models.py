"""What the accounts app records: the invitations sent to provisioned people."""

from django.conf import settings
from django.db import models


class Invitation(models.Model):
    """A person created by ``import_people`` is owed one invitation email (a link to
    choose a password). The row is written with the person, in the import's
    transaction; ``sent_at`` is claimed just before the email goes out (and cleared
    again if sending fails), so a retry sends what is owed and never sends twice.
    A person invited this way who has not chosen a password yet may also use
    "Forgot your password?" (Django refuses that to accounts without a password)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="accounts_one_invitation_per_user")
        ]

    def __str__(self) -> str:
        state = f"sent {self.sent_at:%Y-%m-%d %H:%M}" if self.sent_at else "not sent yet"
        return f"Invitation to {self.user_id}: {state}"


class Profile(models.Model):
    """What a person chooses for themselves. Created on first choice: a person without
    a row has made no choice (the browser's language applies)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Empty: follow the browser. Otherwise one of settings.LANGUAGES (checked by
    # accounts.language.choose_language; no choices= here, so adding a language
    # needs no migration).
    language = models.CharField(max_length=10, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user_id}: {self.language or 'browser language'}"
