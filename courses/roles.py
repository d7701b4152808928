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
