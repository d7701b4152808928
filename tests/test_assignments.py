"""Assignment rules, due states and course visibility, without HTTP."""

import datetime
from unittest import mock

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from courses.models import Course
from lessons.models import LessonProgress
from progress.services import record_lesson_completion
from tests.factories import make_course, make_quiz, make_user
from training.assignments import assigned_courses, due_label
from training.models import Assignment
from training.services import AssignmentError, assign_course

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def test_team_assignment_covers_members_and_later_joiners(trainer, team, course, learner):
    assign_course(by=trainer, course=course, team=team, due_date=days(3))
    newcomer = make_user("nia")
    assert [a.course for a in assigned_courses(learner, TODAY)] == [course]
    assert assigned_courses(newcomer, TODAY) == []
    team.members.add(newcomer)
    assert [a.course for a in assigned_courses(newcomer, TODAY)] == [course]


def test_leaving_the_team_removes_the_assignment_but_keeps_progress(trainer, team, course, learner):
    assign_course(by=trainer, course=course, team=team)
    record_lesson_completion(learner, course.lessons.first())
    team.members.remove(learner)
    assert assigned_courses(learner, TODAY) == []
    assert LessonProgress.objects.filter(learner=learner).count() == 1


def test_assigning_twice_is_refused_with_a_clear_message(trainer, team, course):
    assign_course(by=trainer, course=course, team=team, due_date=days(3))
    with pytest.raises(AssignmentError, match="already assigned to Support \\(due 4 Dec 2026\\)"):
        assign_course(by=trainer, course=course, team=team)
    assert Assignment.objects.count() == 1


def test_the_database_refuses_a_duplicate(team, course):
    Assignment.objects.create(course=course, team=team)
    with pytest.raises(IntegrityError):
        Assignment.objects.create(course=course, team=team)


def test_trainer_cannot_assign_outside_their_teams(
    trainer, team, other_team, course, second_learner
):
    with pytest.raises(AssignmentError, match="teams you manage"):
        assign_course(by=trainer, course=course, team=other_team)
    with pytest.raises(AssignmentError, match="learners in your teams"):
        assign_course(by=trainer, course=course, learners=[second_learner])
    assert not Assignment.objects.exists()


def test_a_learner_cannot_assign(learner, team, course):
    with pytest.raises(AssignmentError, match="cannot assign"):
        assign_course(by=learner, course=course, team=team)


def test_superuser_assigns_to_anyone(admin_user, course, second_learner):
    (assignment,) = assign_course(by=admin_user, course=course, learners=[second_learner])
    assert assignment.learner == second_learner


def test_chosen_lessons_complete_the_assignment(trainer, team, course, learner):
    first, second, _third = course.lessons.all()
    assign_course(by=trainer, course=course, team=team, lessons=[first, second])
    record_lesson_completion(learner, first)
    (item,) = assigned_courses(learner, TODAY)
    assert (item.completed, item.total, item.percent, item.is_complete) == (1, 2, 50, False)
    record_lesson_completion(learner, second)
    (item,) = assigned_courses(learner, TODAY)
    assert item.is_complete and item.due_label == f"Completed on {timezone.localdate():%-d %b %Y}"


def test_whole_course_needs_the_final_assessment(trainer, team, course, learner):
    make_quiz(course=course)
    assign_course(by=trainer, course=course, team=team)
    for lesson in course.lessons.all():
        record_lesson_completion(learner, lesson)
    (item,) = assigned_courses(learner, TODAY)
    assert (item.percent, item.is_complete) == (100, False)


def test_same_course_twice_shows_once_with_the_earlier_due_date(trainer, team, course, learner):
    assign_course(by=trainer, course=course, team=team, due_date=days(9))
    assign_course(by=trainer, course=course, learners=[learner], due_date=days(2))
    (item,) = assigned_courses(learner, TODAY)
    assert item.due_date == days(2)


def test_soonest_due_first_then_no_date_then_completed(trainer, team, learner):
    later, sooner, undated, done = (make_course(lessons=1) for _ in range(4))
    for course, due in ((later, days(5)), (sooner, days(1)), (undated, None), (done, days(0))):
        assign_course(by=trainer, course=course, team=team, due_date=due)
    record_lesson_completion(learner, done.lessons.first())
    assert [a.course for a in assigned_courses(learner, TODAY)] == [sooner, later, undated, done]


@pytest.mark.parametrize(
    "due, label",
    [
        (days(3), "Due in 3 days"),
        (days(1), "Due tomorrow"),
        (days(0), "Due today"),
        (days(-1), "Overdue by 1 day"),
        (days(-2), "Overdue by 2 days"),
        (None, "No due date"),
    ],
)
def test_due_labels(due, label):
    assert due_label(due, TODAY) == label


@pytest.mark.parametrize(
    "utc_now, label",
    [
        # New York is UTC-5 in December: 03:30 UTC on 4 Dec is still 3 Dec there.
        (datetime.datetime(2026, 12, 4, 3, 30, tzinfo=datetime.UTC), "Due today"),
        (datetime.datetime(2026, 12, 4, 5, 30, tzinfo=datetime.UTC), "Overdue by 1 day"),
    ],
)
def test_due_state_changes_at_midnight_in_the_site_time_zone(
    settings, trainer, team, course, learner, utc_now, label
):
    settings.TIME_ZONE = "America/New_York"
    assign_course(by=trainer, course=course, team=team, due_date=datetime.date(2026, 12, 3))
    with mock.patch("django.utils.timezone.now", return_value=utc_now):
        (item,) = assigned_courses(learner)
    assert item.due_label == label
    assert item.is_overdue is (label != "Due today")


def test_assigned_only_course_is_visible_only_to_assignees(trainer, team, learner, second_learner):
    course = make_course(lessons=1)
    course.visibility = "assigned"
    course.save()
    assert course not in Course.objects.visible_to(learner)
    assign_course(by=trainer, course=course, team=team)
    assert course in Course.objects.visible_to(learner)
    assert course not in Course.objects.visible_to(second_learner)


def test_assigned_only_pages_are_404_for_others(client, second_learner, trainer, team):
    course = make_course(lessons=1)
    course.visibility = "assigned"
    course.save()
    quiz = make_quiz(lesson=course.lessons.first())
    assign_course(by=trainer, course=course, team=team)
    client.force_login(second_learner)
    for url in (
        course.get_absolute_url(),
        course.lessons.first().get_absolute_url(),
        reverse("quizzes:take", args=[quiz.pk]),
        reverse("courses:continue", args=[course.slug]),
    ):
        assert client.get(url).status_code == 404, url
    assert course.title not in client.get(reverse("courses:catalogue")).content.decode()


def test_assignment_whose_chosen_lessons_were_all_retired_becomes_the_course(
    trainer, team, course, learner
):
    first, *_ = course.lessons.all()
    assign_course(by=trainer, course=course, team=team, lessons=[first])
    first.retired_at = timezone.now()
    first.save()
    (item,) = assigned_courses(learner, TODAY)
    assert (item.lesson_ids, item.total) == (None, 2)
