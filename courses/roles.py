"""Who may do what with content: the content editors' role and its one question.

- **Content editors** (staff) edit courses, lessons and quizzes in the admin and
  preview drafts; they read learners' records but never people, teams or
  assignments.
- **Superusers** may do everything.

Trainers' roles (who follows and assigns for whom) are the training app's:
``training.roles``.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

CONTENT_EDITORS = "Content editors"
# Courses, lessons and quizzes; learners' records read-only; never users or teams.
CONTENT_EDITOR_PERMISSIONS = [
    (app, f"{action}_{model}")
    for app, model in [
        ("courses", "course"),
        ("courses", "mediafile"),  # issue 12: images and files of lessons
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


# The question ----------------------------------------------------------------------


def may_preview_content(user) -> bool:
    """May open the staff previews of any course or lesson, drafts and assigned-only
    courses included: content staff (content editors and superusers), who can edit
    that content anyway. Not trainers: they see what learners see."""
    return (
        user.is_active
        and user.is_staff
        and (user.has_perm("courses.change_course") or user.has_perm("lessons.change_lesson"))
    )
