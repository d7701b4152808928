"""Prerequisites (issue 23): what locks a course or a lesson for a learner and why
(progress.prerequisites), the same for one item and for a page of them, and the pages
and POSTs that ask it: a locked item says what unlocks it, its lessons and quizzes
refuse to open, My learning says what comes first."""

import datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courses.models import Course, CourseRequirement, Visibility
from lessons.models import CourseCompletion, LessonProgress, LessonRequirement
from progress.prerequisites import course_lock, course_locks, lesson_locks, lock_of
from progress.rules import lessons_with_state
from progress.services import record_lesson_completion
from progress.structure import course_structures
from quizzes.models import Attempt
from tests.factories import make_course, make_quiz
from training.models import Assignment

pytestmark = pytest.mark.django_db


def complete(learner, course, final_percent=None, superseded=False):
    """A recorded completion of ``course`` (as progress.services writes one)."""
    return CourseCompletion.objects.create(
        learner=learner,
        course=course,
        completed_at=timezone.now(),
        final_percent=final_percent,
        superseded_at=timezone.now() if superseded else None,
    )


def attempt(learner, quiz, percent, number=1, submitted=True):
    return Attempt.objects.create(
        learner=learner,
        quiz=quiz,
        number=number,
        submitted_at=timezone.now() if submitted else None,
        score=percent if submitted else None,
        max_score=100 if submitted else None,
        percent=percent if submitted else None,
        passed=percent >= quiz.pass_mark if submitted else None,
    )


@pytest.fixture
def induction(db):
    course = make_course(lessons=2, slug="induction", title="Induction")
    make_quiz(course=course)  # the final assessment, pass mark 80
    return course


@pytest.fixture
def tills(induction):
    """Till training requires Induction."""
    course = make_course(lessons=3, slug="till-training", title="Till training")
    CourseRequirement.objects.create(course=course, required=induction)
    return course


def require(course, required, min_score=None):
    CourseRequirement.objects.update_or_create(
        course=course, required=required, defaults={"min_score": min_score}
    )


# The rule for courses -------------------------------------------------------------------


def test_a_course_without_requirements_is_open_at_no_cost(learner, induction):
    course_structures([induction])  # cached, as after a page's first reader
    with CaptureQueriesContext(connection) as queries:
        assert course_lock(learner, induction) is None
    assert len(queries) == 0


def test_a_course_is_locked_until_the_required_course_is_completed(learner, tills, induction):
    lock = course_lock(learner, tills)
    assert lock.of_course
    assert lock.reasons == ["Finish “Induction” first."]
    assert lock.unlocks_after == "Unlocks after “Induction”"
    complete(learner, induction)
    assert course_lock(learner, tills) is None


def test_a_completion_followed_by_a_fresh_start_still_counts(learner, tills, induction):
    complete(learner, induction, superseded=True)
    assert course_lock(learner, tills) is None


def test_another_learners_completion_does_not_count(learner, second_learner, tills, induction):
    complete(second_learner, induction)
    assert course_lock(learner, tills) is not None


def test_a_score_needs_the_completion_to_have_reached_it(learner, tills, induction):
    require(tills, induction, 80)
    complete(learner, induction, final_percent=60)
    (reason,) = course_lock(learner, tills).reasons
    assert reason == (
        "Complete “Induction” with 80% or more in its final assessment. Your best so far: 60%."
    )
    CourseCompletion.objects.update(final_percent=85)
    assert course_lock(learner, tills) is None


def test_a_better_attempt_since_the_completion_reaches_the_score(learner, tills, induction):
    require(tills, induction, 80)
    complete(learner, induction, final_percent=70)
    attempt(learner, induction.final_assessment, 90, number=2)
    assert course_lock(learner, tills) is None


def test_a_score_without_a_completion_does_not_unlock(learner, tills, induction):
    require(tills, induction, 80)
    attempt(learner, induction.final_assessment, 95)
    lock = course_lock(learner, tills)
    assert lock.unmet[0].best == 95
    assert lock.reasons[0].endswith("Your best so far: 95%.")


def test_a_score_not_yet_tried_shows_no_best(learner, tills, induction):
    require(tills, induction, 80)
    assert course_lock(learner, tills).reasons == [
        "Complete “Induction” with 80% or more in its final assessment."
    ]


def test_a_score_on_a_course_whose_final_was_retired_asks_the_completion_only(
    learner, tills, induction
):
    require(tills, induction, 80)
    complete(learner, induction)
    final = induction.final_assessment
    final.retired_at = timezone.now()
    final.save()
    assert course_lock(learner, tills) is None


def test_a_draft_required_course_locks_nothing(learner, tills, induction):
    induction.published_at = None
    induction.save()
    assert course_lock(learner, tills) is None


def test_every_unmet_requirement_is_told_in_order(learner, tills, induction):
    safety = make_course(lessons=1, slug="a-safety", title="Safety")
    require(tills, safety)
    lock = course_lock(learner, tills)
    assert [item.item for item in lock.unmet] == [induction, safety]  # as the structure reads them
    assert lock.unlocks_after == "Unlocks after “Induction”, “Safety”"


def test_a_completed_course_stays_open(learner, tills):
    assert course_lock(learner, tills, completed=True) is None
    complete(learner, tills)
    assert lock_of(learner, tills) is None


def test_a_required_course_the_learner_cannot_see_is_named_without_a_link(
    learner, tills, induction
):
    induction.visibility = Visibility.ASSIGNED
    induction.save()
    (unmet,) = course_lock(learner, tills).unmet
    assert unmet.url == ""
    assert "<a " not in unmet.reason_html
    Assignment.objects.create(course=induction, learner=learner)
    (unmet,) = course_lock(learner, tills).unmet
    assert unmet.url == induction.get_absolute_url()
    assert (
        f'<a class="alert-link" href="{induction.get_absolute_url()}">Induction</a>'
        in unmet.reason_html
    )


def test_a_title_is_escaped_in_the_linked_reason(learner, tills, induction):
    induction.title = "Fish & <Chips>"
    induction.save()
    (unmet,) = course_lock(learner, tills).unmet
    assert "Fish &amp; &lt;Chips&gt;</a>" in unmet.reason_html


def test_a_requirement_added_is_seen_at_once(learner, induction):
    """As a page reads the course row: its content version follows the change."""
    other = make_course(lessons=1)
    assert course_lock(learner, Course.objects.get(pk=other.pk)) is None  # now cached
    CourseRequirement.objects.create(course=other, required=induction)
    assert course_lock(learner, Course.objects.get(pk=other.pk)) is not None
    CourseRequirement.objects.all().delete()
    assert course_lock(learner, Course.objects.get(pk=other.pk)) is None


def test_a_lesson_requirement_added_is_seen_at_once(learner, course):
    first, second, _third = course.lessons.order_by("position")
    assert lock_of(learner, Course.objects.get(pk=course.pk), second) is None
    LessonRequirement.objects.create(lesson=second, required=first)
    assert lock_of(learner, Course.objects.get(pk=course.pk), second) is not None


# Many courses at once: the same answer, in one query ---------------------------------------


@pytest.fixture
def many(learner, induction):
    """Five courses: two locked plainly, two by a score (one met), one open."""
    courses = [make_course(lessons=1, title=f"Course {n}") for n in range(5)]
    require(courses[0], induction)
    require(courses[1], induction)
    require(courses[2], induction, 80)
    safety = make_course(lessons=1, slug="safety", title="Safety")
    make_quiz(course=safety)
    complete(learner, safety, final_percent=90)
    require(courses[3], safety, 80)
    return courses


def test_the_bulk_answer_is_the_single_answer(learner, many):
    locks = course_locks(learner, many)
    assert set(locks) == {many[0].pk, many[1].pk, many[2].pk}
    for course in many:
        single = course_lock(learner, course)
        assert (locks.get(course.pk) is None) == (single is None)
        if single is not None:
            assert locks[course.pk].reasons == single.reasons


def test_the_bulk_answer_costs_two_queries_whatever_the_number_of_courses(learner, many):
    course_structures(many)
    with CaptureQueriesContext(connection) as queries:
        course_locks(learner, many)
    # the required courses with the learner's completions; their finals' attempts
    assert len(queries) == 2
    more = many + [make_course(lessons=1) for _ in range(5)]
    for course in more[5:]:
        require(course, many[4])
    course_structures(more)
    with CaptureQueriesContext(connection) as queries:
        course_locks(learner, more)
    assert len(queries) == 2


def test_without_scores_the_bulk_answer_is_one_query(learner, tills):
    course_structures([tills])
    with CaptureQueriesContext(connection) as queries:
        course_locks(learner, [tills])
    assert len(queries) == 1


# The rule for lessons ---------------------------------------------------------------------


@pytest.fixture
def steps(learner):
    """A course whose lesson 2 has a quiz; lesson 2 requires lesson 1, lesson 3 requires
    lesson 2's quiz passed with 90 %."""
    course = make_course(lessons=3, title="Tills")
    first, second, third = course.lessons.order_by("position")
    quiz = make_quiz(lesson=second)
    LessonRequirement.objects.create(lesson=second, required=first)
    LessonRequirement.objects.create(lesson=third, required=second, min_score=90)
    return course, (first, second, third), quiz


def locks_now(learner, course):
    return lesson_locks(lessons_with_state(learner, course))


def test_a_lesson_is_locked_until_the_lesson_it_requires_is_completed(learner, steps):
    course, (first, second, third), _quiz = steps
    locks = locks_now(learner, course)
    assert set(locks) == {second.pk, third.pk}
    assert locks[second.pk].reasons == ["Finish lesson 1, “Lesson title 1”, first."]
    assert locks[second.pk].unlocks_after == "Unlocks after lesson 1"
    assert not locks[second.pk].of_course
    record_lesson_completion(learner, first)
    assert second.pk not in locks_now(learner, course)


def test_a_score_needs_the_quiz_passed_with_that_score(learner, steps):
    course, (first, second, third), quiz = steps
    record_lesson_completion(learner, first)
    attempt(learner, quiz, 60)
    assert locks_now(learner, course)[third.pk].reasons == [
        "Pass the quiz of lesson 2, “Lesson title 2”, with 90% or more. Your best so far: 60%."
    ]
    attempt(learner, quiz, 85, number=2)
    record_lesson_completion(learner, second)  # passed (pass mark 80): the lesson is done
    assert locks_now(learner, course)[third.pk].unmet[0].best == 85
    attempt(learner, quiz, 95, number=3)
    assert third.pk not in locks_now(learner, course)


def test_a_completed_lesson_stays_open(learner, steps):
    course, (first, second, third), _quiz = steps
    record_lesson_completion(learner, second)  # done before the requirement, say
    assert second.pk not in locks_now(learner, course)


def test_a_retired_required_lesson_locks_nothing(learner, steps):
    course, (first, second, third), _quiz = steps
    first.retired_at = timezone.now()
    first.save()
    assert second.pk not in locks_now(learner, course)


def test_lock_of_a_lesson_is_the_pages_answer(learner, steps):
    course, lessons, _quiz = steps
    locks = locks_now(learner, course)
    for lesson in lessons:
        single = lock_of(learner, course, lesson)
        assert (single.reasons if single else None) == (
            locks[lesson.pk].reasons if lesson.pk in locks else None
        )


def test_a_locked_course_locks_each_lesson(learner, tills):
    for lesson in tills.lessons.all():
        assert lock_of(learner, tills, lesson).of_course


def test_lock_of_costs_nothing_without_requirements(learner, induction):
    lesson = induction.lessons.first()
    course_structures([induction])
    with CaptureQueriesContext(connection) as queries:
        assert lock_of(learner, induction, lesson) is None
    assert len(queries) == 0


# Pages ----------------------------------------------------------------------------------


def test_the_course_page_of_a_locked_course_says_what_unlocks_it(learner_client, tills, induction):
    response = learner_client.get(tills.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "This course is locked" in page
    assert (
        f'Finish “<a class="alert-link" href="{induction.get_absolute_url()}">Induction</a>” first.'
        in page
    )
    assert "Start the course" not in page
    assert reverse("courses:continue", args=[tills.slug]) not in page


def test_a_lesson_of_a_locked_course_refuses_to_open(learner_client, tills):
    lesson = tills.lessons.first()
    response = learner_client.get(lesson.get_absolute_url())
    assert response.status_code == 403
    page = response.content.decode()
    assert "This course is locked" in page and "Finish “" in page
    assert "Some text." not in page  # the lesson's body
    assert "lesson-start" not in page and "Mark complete" not in page


def test_a_locked_lesson_refuses_to_open_and_links_the_lesson_it_requires(learner_client, steps):
    course, (first, second, third), _quiz = steps
    response = learner_client.get(second.get_absolute_url())
    assert response.status_code == 403
    page = response.content.decode()
    assert "This lesson is locked" in page
    assert f'“<a class="alert-link" href="{first.get_absolute_url()}">Lesson title 1</a>”' in page
    assert "## Part 2" not in page and "Part 2</h2>" not in page


def test_the_course_page_marks_locked_lessons(learner_client, steps):
    course, (first, second, third), _quiz = steps
    page = learner_client.get(course.get_absolute_url()).content.decode()
    assert page.count("Unlocks after lesson") == 2
    assert "Unlocks after lesson 1" in page and "Unlocks after lesson 2" in page


def test_the_quiz_of_a_locked_lesson_refuses_to_open(learner_client, steps):
    course, lessons, quiz = steps
    response = learner_client.get(reverse("quizzes:take", args=[quiz.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert "This lesson is locked" in page
    assert "Start quiz" not in page


def test_the_final_assessment_of_a_locked_course_refuses_to_open(learner_client, tills):
    final = make_quiz(course=tills)
    response = learner_client.get(reverse("quizzes:take", args=[final.pk]))
    assert response.status_code == 403
    assert "This course is locked" in response.content.decode()


def test_continue_on_a_locked_course_goes_to_the_course_page(learner_client, tills):
    response = learner_client.get(reverse("courses:continue", args=[tills.slug]))
    assert response.status_code == 302
    assert response.url == tills.get_absolute_url()


def test_a_staff_preview_is_not_locked(client, admin_user, steps):
    course, (first, second, third), _quiz = steps
    client.force_login(admin_user)
    response = client.get(reverse("preview_lesson", args=[second.pk]))
    assert response.status_code == 200
    assert "Part 2" in response.content.decode()


def test_my_learning_says_what_comes_first_on_an_assigned_locked_course(
    learner_client, learner, tills, induction
):
    Assignment.objects.create(course=tills, learner=learner, due_date=datetime.date(2030, 1, 1))
    page = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert "Unlocks after “Induction”" in page
    assert "See what unlocks it" in page
    complete(learner, induction)
    page = learner_client.get(reverse("courses:my_learning")).content.decode()
    assert "Unlocks after" not in page


def test_the_catalogue_shows_a_locked_course(learner_client, tills):
    page = learner_client.get(reverse("courses:catalogue")).content.decode()
    assert page.count("Unlocks after “Induction”") == 1


# POSTs refuse to record work in a locked item ----------------------------------------------


def test_the_lesson_start_post_is_refused(learner_client, learner, steps):
    course, (first, second, third), _quiz = steps
    response = learner_client.post(reverse("lessons:start", args=[course.slug, second.slug]))
    assert response.status_code == 403
    assert "This lesson is locked. Finish lesson 1" in response.content.decode()
    assert not LessonProgress.objects.exists()


def test_mark_complete_is_refused_with_a_message(learner_client, learner, tills):
    lesson = tills.lessons.first()
    url = reverse("lessons:complete", args=[tills.slug, lesson.slug])
    response = learner_client.post(url, follow=True)
    assert response.redirect_chain[0][0] == lesson.get_absolute_url()
    assert response.status_code == 403
    assert "This course is locked. Finish “Induction” first." in response.content.decode()
    assert not LessonProgress.objects.exists()


def test_a_quiz_start_is_refused_with_a_message(learner_client, learner, steps):
    course, lessons, quiz = steps
    response = learner_client.post(reverse("quizzes:start", args=[quiz.pk]), follow=True)
    assert response.status_code == 403
    assert "This lesson is locked. Finish lesson 1" in response.content.decode()
    assert not Attempt.objects.exists()


def test_a_quiz_submit_is_refused_and_grades_nothing(learner_client, learner, steps):
    course, lessons, quiz = steps
    opened = attempt(learner, quiz, 0, submitted=False)  # opened before the lock, say
    data = {"attempt": str(opened.pk)}
    response = learner_client.post(reverse("quizzes:take", args=[quiz.pk]), data, follow=True)
    assert response.status_code == 403
    assert "This lesson is locked." in response.content.decode()
    opened.refresh_from_db()
    assert opened.submitted_at is None


def test_grading_a_timed_out_attempt_is_refused(learner_client, learner, steps):
    course, lessons, quiz = steps
    opened = attempt(learner, quiz, 0, submitted=False)
    response = learner_client.post(reverse("quizzes:close", args=[quiz.pk]), follow=True)
    assert response.status_code == 403
    opened.refresh_from_db()
    assert opened.submitted_at is None


def test_posts_in_an_unlocked_lesson_still_work(learner_client, learner, steps):
    course, (first, second, third), _quiz = steps
    url = reverse("lessons:complete", args=[course.slug, first.slug])
    assert learner_client.post(url).status_code == 302
    assert LessonProgress.objects.get(lesson=first).state == "completed"
    response = learner_client.post(reverse("lessons:start", args=[course.slug, second.slug]))
    assert response.status_code == 204


# Query counts: one query per page for the locks, not one per item ---------------------------


def count(client, url, status=200):
    """The page's queries once the caches are warm (the navigation's flag, the
    courses' structures), as on every visit after a course's first reader."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == status
    return len(queries)


def test_my_learning_reads_every_lock_in_one_query(learner_client, learner, induction):
    def add_locked():
        course = make_course(lessons=2)
        require(course, induction)
        Assignment.objects.create(course=course, learner=learner)

    add_locked()
    few = count(learner_client, reverse("courses:my_learning"))
    for _ in range(5):
        add_locked()
    assert count(learner_client, reverse("courses:my_learning")) == few


def test_a_locked_course_adds_one_query_to_my_learning(learner_client, learner, tills):
    Assignment.objects.create(course=tills, learner=learner)
    locked = count(learner_client, reverse("courses:my_learning"))
    CourseRequirement.objects.all().delete()
    # the required courses with the learner's completions
    assert count(learner_client, reverse("courses:my_learning")) == locked - 1


def test_the_course_page_adds_one_query_for_a_locked_course(learner_client, tills):
    plain = make_course(lessons=3)
    assert (
        count(learner_client, tills.get_absolute_url())
        == count(learner_client, plain.get_absolute_url()) + 1
    )


def test_the_lesson_page_reads_lesson_locks_without_a_query(learner_client, learner, steps):
    course, (first, second, third), _quiz = steps
    free = make_course(lessons=3)
    make_quiz(lesson=free.lessons.get(position=2))
    plain = count(learner_client, free.lessons.get(position=2).get_absolute_url())
    assert count(learner_client, second.get_absolute_url(), status=403) == plain


@pytest.mark.parametrize(
    ("page", "status", "queries"),
    [
        # session, user, the seven of training.assignments.assigned_courses, the
        # visible courses, the learner's progress, and one for every lock on the page:
        # the required courses with the learner's completions; the assigned learning paths
        ("my_learning", 200, 13),
        # session, user, the open courses, the learner's progress, the required courses
        ("catalogue", 200, 5),
        # session, user, course, the learner's progress, completion, the required courses
        ("locked_course", 200, 6),
        # session, user, lesson, then as the course page
        ("lesson_of_locked_course", 403, 6),
        # a lesson locked by a lesson: nothing more than the lesson page's own queries
        ("locked_lesson", 403, 6),
        ("quiz_of_locked_lesson", 403, 6),
    ],
)
def test_locked_pages_query_counts(
    learner_client, learner, tills, steps, page, status, queries, django_assert_num_queries
):
    Assignment.objects.create(course=tills, learner=learner)
    course, (first, second, third), quiz = steps
    url = {
        "my_learning": reverse("courses:my_learning"),
        "catalogue": reverse("courses:catalogue"),
        "locked_course": tills.get_absolute_url(),
        "lesson_of_locked_course": tills.lessons.first().get_absolute_url(),
        "locked_lesson": second.get_absolute_url(),
        "quiz_of_locked_lesson": reverse("quizzes:take", args=[quiz.pk]),
    }[page]
    learner_client.get(url)  # the caches warm, as after a page's first visit
    with django_assert_num_queries(queries):
        assert learner_client.get(url).status_code == status


def test_a_structure_read_costs_one_query_more_for_the_prerequisites(learner, steps, tills):
    """A course's first reader after a change reads its lessons, its quizzes and (one
    query, both tables at once) its prerequisites, whatever the number of courses."""
    course = steps[0]
    with CaptureQueriesContext(connection) as queries:
        structures = course_structures([course, tills])
    assert len(queries) == 3
    assert structures[tills.pk].requires[0].min_score is None
    assert len(structures[course.pk].lesson_requires) == 2


def test_lesson_requirements_are_told_in_the_courses_order(learner):
    course = make_course(lessons=4)
    first, second, _third, fourth = course.lessons.order_by("position")
    first.position = 5  # moved to the end: the lessons read 2, 3, 4, 1
    first.save()
    LessonRequirement.objects.create(lesson=fourth, required=first)
    LessonRequirement.objects.create(lesson=fourth, required=second)
    lock = locks_now(learner, Course.objects.get(pk=course.pk))[fourth.pk]
    assert [item.number for item in lock.unmet] == [1, 4]
    assert lock.unlocks_after == "Unlocks after lesson 1, lesson 4"


def test_a_german_learner_reads_why_in_german(learner_client, tills, induction):
    learner_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    page = learner_client.get(tills.lessons.first().get_absolute_url()).content.decode()
    assert "Dieser Kurs ist gesperrt" in page
    link = f'<a class="alert-link" href="{induction.get_absolute_url()}">Induction</a>'
    assert f"Schließen Sie zuerst „{link}“ ab." in page
