"""Named users reused everywhere, and small course fixtures."""

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM is
# called from that same thread by fixtures and live_server. See the testing recipes.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.conf import settings  # noqa: E402

from tests.factories import make_course, make_user  # noqa: E402

PASSWORD = "correct horse battery staple"


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
    from courses.models import Course
    from courses.services import import_content

    import_content(settings.CONTENT_DIR)
    return Course.objects.get(slug="who-is-your-customer")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client
