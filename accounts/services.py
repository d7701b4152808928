"""The rules of a person's own account: their profile."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

User = get_user_model()


class AccountError(Exception):
    """A change to an account that the rules refuse; the message says why."""


def email_in_use(email: str, *, by_other_than=None) -> bool:
    """Whether another active account has this email, in any case. Email is how
    people log in and reset passwords, so two active accounts must not share one
    (inactive accounts may keep an old address)."""
    others = User._default_manager.filter(email__iexact=email, is_active=True)
    if by_other_than is not None:
        others = others.exclude(pk=by_other_than.pk)
    return others.exists()


def update_profile(user, *, first_name: str, last_name: str, email: str) -> None:
    """Change a person's name and email, as they asked on their profile page."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise AccountError(_("Enter a valid email address.")) from None
    if email_in_use(email, by_other_than=user):
        raise AccountError(_("Another account already uses this email address."))
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = email
    user.save(update_fields=["first_name", "last_name", "email"])
