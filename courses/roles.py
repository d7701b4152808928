"""The roles of the site, as Django groups with permissions."""

from django.contrib.auth.models import Group, Permission

TRAINERS = "Trainers"
# What a trainer may do; which teams they may do it for is Team.trainers.
TRAINER_PERMISSIONS = [
    "view_dashboard",
    "view_course",
    "view_team",
    "view_assignment",
    "add_assignment",
    "change_assignment",
    "delete_assignment",
]


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
