"""Course.is_visible_to (one course, cheap) agrees with CourseQuerySet.visible_to
(the rule every list of courses uses) for every kind of course and person."""

import itertools

import pytest
from django.utils import timezone

from courses.models import Course, Visibility
from tests.factories import make_course, make_user
from training.models import Assignment, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    people = {
        "learner": make_user("lena"),
        "team member": make_user("tom"),
        "someone else": make_user("sam"),
        "superuser": make_user("sue", is_superuser=True, is_staff=True),
        "staff": make_user("stan", is_staff=True),
    }
    team = Team.objects.create(name="Desk")
    team.members.add(people["team member"])
    courses = {}
    for visibility, published, assigned in itertools.product(
        Visibility.values, (True, False), ("nobody", "learner", "team")
    ):
        course = make_course(lessons=1)
        Course.objects.filter(pk=course.pk).update(
            visibility=visibility, published_at=timezone.now() if published else None
        )
        if assigned == "learner":
            Assignment.objects.create(course=course, learner=people["learner"])
        elif assigned == "team":
            Assignment.objects.create(course=course, team=team)
        courses[(visibility, published, assigned)] = Course.objects.get(pk=course.pk)
    return people, courses


def test_one_course_and_the_list_agree(world):
    people, courses = world
    for (kind, course), (who, person) in itertools.product(courses.items(), people.items()):
        listed = Course.objects.visible_to(person).filter(pk=course.pk).exists()
        assert course.is_visible_to(person) == listed, (kind, who)


def test_an_open_published_course_needs_no_query(world, django_assert_num_queries):
    people, courses = world
    course = courses[(Visibility.OPEN, True, "nobody")]
    with django_assert_num_queries(0):
        assert course.is_visible_to(people["someone else"])


def test_published_is_every_course_with_a_publication_date(world):
    _people, courses = world
    expected = {course.pk for (_v, published, _a), course in courses.items() if published}
    assert set(Course.objects.published().values_list("pk", flat=True)) == expected
