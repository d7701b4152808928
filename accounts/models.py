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


class LoginFailure(models.Model):
    """One failed password login whose password was checked (accounts/throttling.py):
    what the rules across names and across addresses count. Attempts refused
    unchecked (by any throttling rule) are not recorded. Rows older than the window
    (LOGIN_COOLOFF_MINUTES) are deleted as new ones come."""

    at = models.DateTimeField(db_index=True)
    # The client's address, or its /64 network for IPv6 ("" when unknown).
    address = models.CharField(max_length=64, blank=True)
    # The login name as typed, lowercased (the same as django-axes counts).
    name = models.CharField(max_length=255, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["address", "at"], name="accounts_failure_address_at"),
            models.Index(fields=["name", "at"], name="accounts_failure_name_at"),
        ]

    def __str__(self) -> str:
        return f"Failed login as {self.name!r} from {self.address} at {self.at:%Y-%m-%d %H:%M:%S}"


class LoginLock(models.Model):
    """An address or a login name whose password logins are refused until ``until``:
    it reached its lock limit (accounts/throttling.py). One row per address or name;
    an expired one is replaced by the next lock."""

    ADDRESS = "address"
    NAME = "name"
    RULES = [(ADDRESS, "address"), (NAME, "login name")]

    rule = models.CharField(max_length=10, choices=RULES)
    key = models.CharField(max_length=255)
    failures = models.PositiveIntegerField()
    locked_at = models.DateTimeField()
    until = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "key"], name="accounts_one_lock_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} {self.key} locked until {self.until:%Y-%m-%d %H:%M}"
