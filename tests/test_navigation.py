"""The navigation's one permission question (the Trainer link) is cached per person
and follows changes of groups and permissions."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from training.roles import ensure_trainers_group

pytestmark = pytest.mark.django_db
TRAINER_LINK = f'href="{reverse("training:dashboard")}"'


def my_learning(client) -> str:
    return client.get(reverse("courses:my_learning")).content.decode()


def test_a_learner_sees_no_trainer_link(learner_client):
    assert TRAINER_LINK not in my_learning(learner_client)


def test_a_trainer_sees_the_link(client, trainer):
    trainer.groups.add(ensure_trainers_group())
    client.force_login(trainer)
    assert TRAINER_LINK in my_learning(client)


def test_a_superuser_sees_the_link(client, admin_user):
    client.force_login(admin_user)
    assert TRAINER_LINK in my_learning(client)


def test_pages_after_the_first_ask_no_permission_queries(learner_client):
    my_learning(learner_client)
    with CaptureQueriesContext(connection) as context:
        my_learning(learner_client)
    assert not [q for q in context.captured_queries if "auth_permission" in q["sql"]]


def test_joining_the_trainers_shows_the_link_at_once(learner_client, learner):
    assert TRAINER_LINK not in my_learning(learner_client)
    learner.groups.add(ensure_trainers_group())
    assert TRAINER_LINK in my_learning(learner_client)


def test_leaving_the_trainers_hides_it_at_once(client, trainer):
    group = ensure_trainers_group()
    trainer.groups.add(group)
    client.force_login(trainer)
    assert TRAINER_LINK in my_learning(client)
    trainer.groups.remove(group)
    assert TRAINER_LINK not in my_learning(client)


def test_a_permission_given_to_a_group_shows_it(learner_client, learner):
    group = Group.objects.create(name="Leads")
    learner.groups.add(group)
    assert TRAINER_LINK not in my_learning(learner_client)
    group.permissions.add(Permission.objects.get(codename="view_dashboard"))
    assert TRAINER_LINK in my_learning(learner_client)


def test_a_deleted_group_takes_the_link_away(client, trainer):
    group = Group.objects.create(name="Leads")
    group.permissions.add(Permission.objects.get(codename="view_dashboard"))
    trainer.groups.add(group)
    client.force_login(trainer)
    assert TRAINER_LINK in my_learning(client)
    group.delete()
    assert TRAINER_LINK not in my_learning(client)
