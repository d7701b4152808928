"""Who may follow and assign for whom: the trainers' role, one function per question.

Every trainer page, form, use case, export and email asks these functions;
nothing else tests a trainer's permission or team. (Content roles are in
``courses.roles``.) The roles are Django groups made by migrations:

- **Trainers** work on the trainer pages (``/trainer/``) only, for the teams they
  train (``Team.trainers``). Their group holds two custom permissions on Course,
  which give no access to the Django admin: a trainer needs no staff status.
- **Superusers** may do everything, for every team and learner.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

from courses.models import Course
from training.models import Team

TRAINERS = "Trainers"
# What a trainer may do; which teams they may do it for is Team.trainers. Custom
# permissions only: a model permission would apply to every team in the admin.
TRAINER_PERMISSIONS = ["view_dashboard", "assign_courses"]


def ensure_trainers_group() -> Group:
    """The Trainers group with its permissions (a migration creates it; a flushed
    test database or a hand-edited one may have lost it)."""
    group, _ = Group.objects.get_or_create(name=TRAINERS)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="courses", codename__in=TRAINER_PERMISSIONS
        )
    )
    return group


# The questions ---------------------------------------------------------------------


def _is_superuser(user) -> bool:
    # As Django's own has_perm: a deactivated superuser has no rights left.
    return user.is_active and user.is_superuser


def can_follow(user) -> bool:
    """May use the trainer pages (dashboard, export, learner pages): trainers and
    superusers. For whom is ``teams_managed_by`` / ``learners_followed_by``."""
    return _is_superuser(user) or user.has_perm("courses.view_dashboard")


def can_assign(user) -> bool:
    """May assign courses (on the trainer pages, to the teams they train)."""
    return _is_superuser(user) or user.has_perm("courses.assign_courses")


def teams_managed_by(user) -> QuerySet[Team]:
    """The teams a user follows and assigns for: every team for a superuser, the
    teams they train for a trainer, none for anyone else (being named a team's
    trainer gives nothing without the Trainers group)."""
    if _is_superuser(user):
        return Team.objects.all()
    if not can_follow(user):
        return Team.objects.none()
    return Team.objects.filter(trainers=user)


def learners_followed_by(user) -> QuerySet:
    """The learners a user may see as a trainer: members of the teams they train
    (everyone active, for a superuser)."""
    User = get_user_model()
    if _is_superuser(user):
        return User.objects.filter(is_active=True)
    if not can_follow(user):
        return User.objects.none()
    return User.objects.filter(teams__trainers=user, is_active=True).distinct()


def follows_learner(user, learner_id: int) -> bool:
    """May see this learner's records as a trainer (their page, certificates)."""
    return can_follow(user) and learners_followed_by(user).filter(pk=learner_id).exists()


def courses_assignable_by(user) -> QuerySet[Course]:
    """The courses a user may assign on the trainer pages: published ones (a draft
    is for content staff; the dashboard shows only published courses)."""
    if not can_assign(user):
        return Course.objects.none()
    return Course.objects.filter(published_at__isnull=False)
