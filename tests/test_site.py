"""Site-wide guards: every page, every role."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import get_resolver, reverse

from progress.services import record_lesson_completion
from tests.factories import make_graded_attempt, make_quiz

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "learner", "second_learner", "trainer", "admin_user"]


@pytest.fixture
def pages(course, learner):
    """Every learner-facing GET page, with real arguments (the attempt is the learner's)."""
    lesson = course.lessons.first()
    quiz = make_quiz(lesson=course.lessons.last())
    attempt = make_graded_attempt(learner, quiz)
    return {
        "quizzes:take": reverse("quizzes:take", args=[quiz.pk]),
        "quizzes:result": attempt.get_absolute_url(),
        "quizzes:my_results": reverse("quizzes:my_results"),
        "courses:catalogue": reverse("courses:catalogue"),
        "courses:home": reverse("courses:home"),
        "courses:my_learning": reverse("courses:my_learning"),
        "courses:detail": course.get_absolute_url(),
        "courses:continue": reverse("courses:continue", args=[course.slug]),
        "courses:complete": reverse("courses:complete", args=[course.slug]),
        "lessons:detail": lesson.get_absolute_url(),
        "login": reverse("login"),
    }


def app_url_names() -> set[str]:
    names = set()
    for namespace in ("courses", "lessons", "quizzes", "training"):
        _prefix, resolver = get_resolver().namespace_dict[namespace]
        names |= {f"{namespace}:{name}" for name in resolver.reverse_dict if isinstance(name, str)}
    return names


def test_the_page_list_covers_every_url(pages):
    post_only = {
        "lessons:start",
        "lessons:complete",
        "courses:start_again",
        "quizzes:start",
        "quizzes:close",
        "quizzes:save",
    }
    # A course's media files: tests/test_media.py and the permission table.
    files = {"courses:media"}
    # Guarded role by role in tests/test_permissions.py (and each page's own tests).
    trainer_pages = {
        "training:dashboard",
        "training:export",
        "training:summary",
        "training:learner",
        "training:assign",
        "training:assignment",
        "training:remove_assignment",
        "training:analytics",
        "training:paths",
        "training:assign_path",
        "training:remove_path_assignment",
    }
    assert app_url_names() - post_only - trainer_pages - files == set(pages) - {"login"}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_without_error_for_every_role(request, client, pages, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name, url in pages.items():
        response = client.get(url, follow=True)
        if name == "quizzes:result" and role not in ("learner", "anonymous"):
            assert response.status_code == 404, (role, url)  # someone else's attempt
        else:
            assert response.status_code == 200, (role, url)


@pytest.mark.parametrize("role", ["learner", "admin_user"])
def test_every_page_has_exactly_one_h1(request, client, pages, course, learner, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    for lesson in course.lessons.all():
        record_lesson_completion(user, lesson)  # so the course-complete page renders itself
    for name, url in pages.items():
        redirects = {"courses:home", "courses:continue", "login"}
        if name in redirects or (name == "quizzes:result" and user != learner):
            continue
        html = client.get(url).content.decode()
        assert len(re.findall(r"<h1[\s>]", html)) == 1, url
    client.logout()
    assert len(re.findall(r"<h1[\s>]", client.get(pages["login"]).content.decode())) == 1


def test_404_page_has_one_h1(learner_client):
    html = learner_client.get("/courses/nope/").content.decode()
    assert len(re.findall(r"<h1[\s>]", html)) == 1


def test_no_migration_is_missing():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def test_seed_demo_creates_three_accounts_once(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    users = get_user_model().objects.order_by("username")
    first = list(users.values())
    assert [u.username for u in users] == ["admin", "learner", "trainer"]
    assert users.get(username="admin").is_superuser
    assert users.get(username="learner").check_password("demo")
    call_command("seed_demo", stdout=StringIO())
    assert list(users.values()) == first


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("seed_demo")
    assert not get_user_model().objects.exists()


def test_the_trainers_migration_creates_the_group_with_its_permissions():
    # Run the migrations' functions themselves: a transactional test earlier in the
    # run may have flushed the group the real migrations created. 0003 creates the
    # group with model permissions; 0007 replaces them by the custom ones (issue 9).
    from importlib import import_module

    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from training.roles import TRAINER_PERMISSIONS

    created = import_module("courses.migrations.0003_trainers_group")
    updated = import_module("courses.migrations.0007_trainer_permissions")
    Group.objects.filter(name="Trainers").delete()
    # The models as they were then: teams and assignments were in courses (until issue 11).
    apps = MigrationLoader(connection).project_state(("courses", "0007_trainer_permissions")).apps
    created.create_trainers_group(apps, None)
    updated.update_trainers_group(apps, None)
    group = Group.objects.get(name="Trainers")
    assert sorted(group.permissions.values_list("codename", flat=True)) == sorted(
        TRAINER_PERMISSIONS
    )
    assert sorted(TRAINER_PERMISSIONS) == ["assign_courses", "view_dashboard"]


def test_trainer_pages_have_one_h1(client, admin_user, course):
    from training.models import Team

    team = Team.objects.create(name="T")
    team.members.add(admin_user)
    client.force_login(admin_user)
    for url in (
        reverse("training:dashboard"),
        reverse("training:learner", args=[admin_user.pk]),
        reverse("training:assign", args=[course.slug]),
    ):
        html = client.get(url).content.decode()
        assert len(re.findall(r"<h1[\s>]", html)) == 1, url


def test_every_admin_page_loads_for_a_superuser(client, admin_user, course, learner):
    from django.contrib import admin

    from training.models import Team

    Team.objects.create(name="T").members.add(learner)
    make_quiz(lesson=course.lessons.first())
    client.force_login(admin_user)
    for model in admin.site._registry:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200, name
        assert client.get(reverse(f"{name}_add")).status_code in (200, 403), name
        first = model.objects.first()
        if first is not None:
            change = client.get(reverse(f"{name}_change", args=[first.pk]))
            assert change.status_code == 200, name


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 302), ("learner", 404), ("trainer", 404), ("admin_user", 200)],
)
def test_preview_pages_answer_for_every_role(request, client, course, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("preview_course", args=[course.pk]),
        reverse("preview_lesson", args=[course.lessons.first().pk]),
    ):
        assert client.get(url).status_code == status, url


# Accounts (issue 10): sign-in, passwords and profile pages ----------------------------

ACCOUNT_PAGES = {
    # name: (args, what an anonymous visitor gets)
    "accounts:profile": ([], 302),
    "password_change": ([], 302),
    "password_change_done": ([], 302),
    "password_reset": ([], 200),
    "password_reset_done": ([], 200),
    "password_reset_confirm": (["MQ", "not-a-valid-token"], 200),  # "This link no longer works"
    "password_reset_complete": ([], 200),
}


@pytest.mark.parametrize("role", ROLES)
def test_account_pages_answer_for_every_role_with_one_h1(request, client, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    for name, (args, anonymous_status) in ACCOUNT_PAGES.items():
        response = client.get(reverse(name, args=args))
        expected = anonymous_status if role == "anonymous" else 200
        assert response.status_code == expected, (role, name)
        if expected == 200:
            assert len(re.findall(r"<h1[\s>]", response.content.decode())) == 1, (role, name)
        else:
            assert response["Location"].startswith(reverse("login")), (role, name)


def test_the_lockout_page_has_one_h1(client, learner, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert len(re.findall(r"<h1[\s>]", response.content.decode())) == 1


def test_the_import_people_page_has_one_h1(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("admin:auth_user_import")).content.decode()
    assert len(re.findall(r"<h1[\s>]", html)) == 1
