"""Who may do what: the roles of the site, and one function for each question.

Every page, form, use case and admin page asks these functions; nothing else
tests a permission or a group. The roles are Django groups made by migrations:

- **Trainers** work on the trainer pages (``/trainer/``) only, for the teams they
  train (``Team.trainers``). Their group holds two custom permissions on Course,
  which give no access to the Django admin: a trainer needs no staff status.
- **Content editors** (staff) edit courses, lessons and quizzes in the admin and
  preview drafts; they read learners' records but never people, teams or
  assignments.
- **Superusers** may do everything. The admin is for superusers and content staff.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models import QuerySet

from courses.models import Course, Team

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


CONTENT_EDITORS = "Content editors"
# Courses, lessons and quizzes; learners' records read-only; never users or teams.
CONTENT_EDITOR_PERMISSIONS = [
    (app, f"{action}_{model}")
    for app, model in [
        ("courses", "course"),
        ("lessons", "lesson"),
        ("quizzes", "quiz"),
        ("quizzes", "question"),
        ("quizzes", "choice"),
    ]
    for action in ("add", "change", "delete", "view")
] + [("lessons", "view_lessonprogress"), ("quizzes", "view_attempt"), ("quizzes", "view_answer")]


def ensure_content_editors_group() -> Group:
    group, _ = Group.objects.get_or_create(name=CONTENT_EDITORS)
    for app_label, codename in CONTENT_EDITOR_PERMISSIONS:
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
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


def courses_assignable_by(user) -> QuerySet[Course]:
    """The courses a user may assign on the trainer pages: published ones (a draft
    is for content staff; the dashboard shows only published courses)."""
    if not can_assign(user):
        return Course.objects.none()
    return Course.objects.filter(published_at__isnull=False)


def may_preview_content(user) -> bool:
    """May open the staff previews of any course or lesson, drafts and assigned-only
    courses included: content staff (content editors and superusers), who can edit
    that content anyway. Not trainers: they see what learners see."""
    return (
        user.is_active
        and user.is_staff
        and (user.has_perm("courses.change_course") or user.has_perm("lessons.change_lesson"))
    )
