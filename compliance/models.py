"""The compliance app's records."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy


class ScheduleLock(models.Model):
    """Held by one ``run_scheduled`` at a time (a second run started meanwhile, on this
    server or another, exits). Taken with one conditional UPDATE (works the same on
    PostgreSQL and SQLite, no advisory locks); it lapses by itself at ``held_until``
    if its holder was killed."""

    name = models.CharField(max_length=50, unique=True)
    holder = models.CharField(max_length=100, blank=True)
    held_until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} · {self.holder or 'free'} · {self.held_until:%Y-%m-%d %H:%M}"


class Exemption(models.Model):
    """A learner need not hold a course (a specialist already certified elsewhere, long
    leave): with a reason, who decided and until when. Shown as Exempt on the
    compliance matrix while it lasts; revoking keeps the row (an auditor asks who was
    exempt on a past date)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exemptions"
    )
    course = models.ForeignKey(
        "courses.Course", on_delete=models.CASCADE, related_name="exemptions"
    )
    reason = models.TextField()
    starts_on = models.DateField()
    until = models.DateField(
        null=True, blank=True, help_text="The last day it applies; empty: until revoked."
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exemptions_granted",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="exemption_has_a_reason"),
            models.CheckConstraint(
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("starts_on")),
                name="exemption_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} · {self.course} · {self.reason[:40]}"

    def applies_on(self, day) -> bool:
        """THE exemption rule: it covers ``day``."""
        return (
            self.starts_on <= day
            and (self.until is None or day <= self.until)
            and (self.revoked_on is None or day < self.revoked_on)
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, gettext_lazy("Monday")
    TUESDAY = 1, gettext_lazy("Tuesday")
    WEDNESDAY = 2, gettext_lazy("Wednesday")
    THURSDAY = 3, gettext_lazy("Thursday")
    FRIDAY = 4, gettext_lazy("Friday")
    SATURDAY = 5, gettext_lazy("Saturday")
    SUNDAY = 6, gettext_lazy("Sunday")


class DigestChoice(models.Model):
    """A trainer's choice for the weekly compliance digest (without a row: on, Mondays)."""

    trainer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_choice"
    )
    enabled = models.BooleanField(default=True)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.MONDAY)

    def __str__(self) -> str:
        return f"{self.trainer} · {'on' if self.enabled else 'off'} · {self.get_weekday_display()}"


class DigestSent(models.Model):
    """A weekly digest, recorded (claimed) before it is sent: one per trainer and week."""

    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    week_of = models.DateField(help_text="The Monday of the week it is for.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trainer", "week_of"], name="one_digest_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.trainer} · {self.week_of}"
