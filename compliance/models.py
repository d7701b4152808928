"""The compliance app's records."""

from django.db import models


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
