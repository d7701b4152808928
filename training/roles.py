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
from django.db.models import Q, QuerySet

from courses.models import Course
from training.models import Assignment, Team

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
    """The learners a user may see as a trainer: members of the teams they train,
    and learners they assigned a course to individually (who may have left the
    team since, or been in none); everyone active, for a superuser."""
    User = get_user_model()
    if _is_superuser(user):
        return User.objects.filter(is_active=True)
    if not can_follow(user):
        return User.objects.none()
    # Two subqueries rather than joins: no duplicates, no DISTINCT over the users.
    return User.objects.filter(
        Q(pk__in=Team.members.through.objects.filter(team__trainers=user).values("user_id"))
        | Q(
            pk__in=Assignment.objects.filter(assigned_by=user, learner__isnull=False).values(
                "learner_id"
            )
        ),
        is_active=True,
    )


def trainers_of(learner_id: int) -> list:
    """The trainers who follow a learner (the inverse of ``learners_followed_by``,
    superusers left out: they follow everyone and are not told about each person):
    their teams' trainers and whoever assigned them a course individually, active and
    in the Trainers group."""
    User = get_user_model()
    candidates = User.objects.filter(
        Q(managed_teams__members=learner_id) | Q(assignments_made__learner=learner_id),
        is_active=True,
    ).distinct()
    return [user for user in candidates.order_by("pk") if can_follow(user)]


def learners_assignable_by(user) -> QuerySet:
    """The learners a user may assign a course to individually: members of the
    teams they train (everyone active, for a superuser). Narrower than
    ``learners_followed_by``: having assigned someone once does not let a
    trainer go on assigning them after they left the team."""
    User = get_user_model()
    if _is_superuser(user):
        return User.objects.filter(is_active=True)
    if not can_assign(user):
        return User.objects.none()
    return User.objects.filter(
        pk__in=Team.members.through.objects.filter(team__trainers=user).values("user_id"),
        is_active=True,
    )


def learners_outside_teams_of(user) -> QuerySet:
    """Learners a user follows who are in none of the teams they manage (the
    dashboard's "Assigned individually" view)."""
    in_teams = Team.members.through.objects.filter(team__in=teams_managed_by(user))
    return learners_followed_by(user).exclude(pk__in=in_teams.values("user_id"))


def follows_learner(user, learner_id: int) -> bool:
    """May see this learner's records as a trainer (their page, certificates)."""
    return can_follow(user) and learners_followed_by(user).filter(pk=learner_id).exists()


def courses_assignable_by(user) -> QuerySet[Course]:
    """The courses a user may assign on the trainer pages: published ones (a draft
    is for content staff; the dashboard shows only published courses)."""
    if not can_assign(user):
        return Course.objects.none()
    return Course.objects.published()


def may_manage_assignment(user, assignment: Assignment) -> bool:
    """May change or remove this assignment (and see its page and log): a
    superuser any; a trainer one for a team they train, or for a learner they
    follow (in their teams, or assigned by them). The same rule as assigning."""
    if _is_superuser(user):
        return True
    if not can_assign(user):
        return False
    if assignment.team_id is not None:
        return teams_managed_by(user).filter(pk=assignment.team_id).exists()
    return learners_followed_by(user).filter(pk=assignment.learner_id).exists()
