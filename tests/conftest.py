"""Named users reused everywhere, and small course fixtures."""

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM is
# called from that same thread by fixtures and live_server. See the testing recipes.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402

from tests.factories import make_course, make_user  # noqa: E402

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    # PBKDF2 is slow on purpose; tests create many users and need no such protection.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def media_root_of_the_tests(tmp_path_factory):
    """Files the tests store go to a folder of their own, never the checkout's media/:
    import_content's cleanup removes stored files no row names, and the test database
    names none of a developer's."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (the navigation, rate limits...)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """A request in German leaves German active in the thread (the test client runs
    the middleware in it): every test starts, and ends, in the site's language."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    database = settings.DATABASES["default"]
    # Live-server request threads must not keep connections open, or PostgreSQL
    # refuses to drop the test database at the end.
    database["CONN_MAX_AGE"] = 0
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, not Django's in-memory default: every thread (live server, the
        # concurrency test) then gets its own connection, as in production.
        database.setdefault("TEST", {})["NAME"] = str(
            tmp_path_factory.mktemp("db") / "test.sqlite3"
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's own setup, plus a clean end on PostgreSQL.

    The session-scoped live server can leave an idle connection behind
    (pytest-dev/pytest-django#429), and then PostgreSQL refuses to drop the test
    database. End such sessions just before pytest-django drops it.
    """
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
        connection.close()


@pytest.fixture
def learner(db):
    return make_user("alice", first_name="Alice", last_name="Learner", password=PASSWORD)


@pytest.fixture
def second_learner(db):
    return make_user("bob", first_name="Bob", last_name="Learner", password=PASSWORD)


@pytest.fixture
def trainer(db):
    return make_user("tara", first_name="Tara", last_name="Trainer", password=PASSWORD)


@pytest.fixture
def admin_user(db):
    return make_user(
        "ada",
        first_name="Ada",
        last_name="Admin",
        password=PASSWORD,
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def course(db):
    """A small course of three lessons."""
    return make_course(lessons=3)


@pytest.fixture
def sample_course(db):
    """The real sample course, imported from content/ as `make run` does."""
    from authoring.importing import import_content
    from courses.models import Course

    import_content(settings.CONTENT_DIR)
    return Course.objects.get(slug="who-is-your-customer")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def team(learner, trainer):
    """The learner's team, managed by the trainer (who is in the Trainers group)."""
    from training.models import Team
    from training.roles import ensure_trainers_group

    trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Support")
    team.members.add(learner)
    team.trainers.add(trainer)
    return team


@pytest.fixture
def other_team(second_learner):
    """Another team: the second learner, managed by another trainer."""
    from training.models import Team
    from training.roles import ensure_trainers_group

    other_trainer = make_user("otto", first_name="Otto", last_name="Trainer", password=PASSWORD)
    other_trainer.groups.add(ensure_trainers_group())
    team = Team.objects.create(name="Sales")
    team.members.add(second_learner)
    team.trainers.add(other_trainer)
    return team
