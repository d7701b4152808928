"""What the navigation shows a person, remembered for a while.

Every page draws the navigation, and the "Trainer" link asks the permission rule
(training.roles.can_follow), which costs two queries (the person's own and their
groups' permissions) on every page of every learner. The answer is kept in the
cache per person; a change of groups or permissions bumps a version that every key
carries, and keys expire after ``NAVIGATION_SECONDS`` anyway (with a local-memory
cache per process, a bump is seen only by the process that made it). Only the
link is cached: the trainer pages themselves ask can_follow afresh.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from training.roles import can_follow

NAVIGATION_SECONDS = 60
_VERSION_KEY = "navigation:version"


def _version() -> int:
    return int(cache.get_or_set(_VERSION_KEY, 1, timeout=None) or 1)


def forget_navigation(**kwargs) -> None:
    """Groups or permissions changed: every person's cached navigation is stale."""
    try:
        cache.incr(_VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any new value will do
        cache.set(_VERSION_KEY, 2, timeout=None)


def shows_trainer_link(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    # The join date tells apart two people who got the same id (a reused row id).
    key = f"navigation:trainer:{user.pk}:{user.date_joined.timestamp()}:{_version()}"
    shown = cache.get(key)
    if shown is None:
        shown = can_follow(user)
        cache.set(key, shown, NAVIGATION_SECONDS)
    return shown


def navigation(request: HttpRequest) -> dict:
    """Context processor: ``show_trainer_link``, asked only when a page draws it."""
    return {"show_trainer_link": SimpleLazyObject(lambda: shows_trainer_link(request.user))}


def connect() -> None:
    User = get_user_model()
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(forget_navigation, sender=through, dispatch_uid=f"nav:{through}")
    post_delete.connect(forget_navigation, sender=Group, dispatch_uid="nav:group-deleted")
