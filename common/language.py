"""The language to write to a person in: one function, asked by every email."""

from __future__ import annotations

from django.conf import settings


def supported(code: str | None) -> str | None:
    """The code as one of settings.LANGUAGES, or None."""
    if not code:
        return None
    return code if code in dict(settings.LANGUAGES) else None


def language_for_user(user: object) -> str:
    """The language to write to this person in (emails): their choice (``Profile.language``,
    accounts), else the site's."""
    profile = getattr(user, "profile", None) if user is not None else None
    return supported(getattr(profile, "language", None)) or settings.LANGUAGE_CODE
