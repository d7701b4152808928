"""Log in with a username in any case, or with an email address."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

User = get_user_model()


def find_account(login: str):
    """The one account a login name points to, or None.

    A username matches in any case; if two usernames differ only in case, only the
    exact spelling matches. Otherwise an email address matches the one active
    account that has it, in any case. An email shared by two active accounts
    matches nobody: logging in by it would pick one of two people at random, so
    both must use their usernames (which still work)."""
    login = login.strip()
    if not login:
        return None
    by_username = list(User._default_manager.filter(username__iexact=login)[:10])
    if len(by_username) == 1:
        return by_username[0]
    for user in by_username:
        if user.get_username() == login:
            return user
    if by_username or "@" not in login:
        return None  # several accounts differ only in case, none spelt this way
    by_email = list(User._default_manager.filter(email__iexact=login, is_active=True)[:2])
    return by_email[0] if len(by_email) == 1 else None


class UsernameOrEmailBackend(ModelBackend):
    """ModelBackend (permissions included) with ``find_account`` for the lookup."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = find_account(username)
        if user is None:
            # Hash anyway, as ModelBackend does, so the time taken does not tell
            # whether the account exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
