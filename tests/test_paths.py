"""Learning paths (issue 23): the progress rule ("Course 2 of 4"), completions and their
certificates, assigning a path like a course, and the pages."""

from __future__ import annotations

import datetime
import io
import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from courses.models import Course, CourseRequirement, Visibility
from lessons.models import CourseCompletion
from paths.models import Path, PathCertificate, PathCompletion, PathCourse
from paths.rules import path_progress, paths_progress
from paths.services import record_due_path_completions, record_path_completions
from progress.services import complete_lesson, record_lesson_completion
from tests.factories import make_course, make_user
from training.models import Assignment, PathAssignment
from training.paths import (
    assign_path,
    assigned_paths,
    paths_visible_to,
    remove_path_assignment,
)
from training.recertification import archive_run
from training.services import AssignmentError, assign_course

pytestmark = pytest.mark.django_db


def make_path(*courses: Course, slug: str = "onboarding", title: str = "Onboarding") -> Path:
    path = Path.objects.create(slug=slug, title=title, published_at=timezone.now())
    for position, course in enumerate(courses, start=1):
        PathCourse.objects.create(path=path, course=course, position=position)
    return path


def finish(learner, course: Course) -> CourseCompletion:
    for lesson in course.lessons.order_by("position"):
        complete_lesson(learner, lesson)
    return CourseCompletion.objects.current().get(learner=learner, course=course)


def expire(completion: CourseCompletion, days_ago: int = 1) -> None:
    completion.valid_until = timezone.localdate() - datetime.timedelta(days=days_ago)
    completion.save(update_fields=["valid_until"])


def text(response) -> str:
    return " ".join(response.content.decode().split())


@pytest.fixture
def courses(db) -> list[Course]:
    return [make_course(lessons=1, title=title) for title in ("Induction", "Tills", "Cash")]


@pytest.fixture
def path(courses) -> Path:
    return make_path(*courses)


# The rule -----------------------------------------------------------------------------


def test_a_new_learner_is_at_course_1_of_3(learner, path, courses):
    progress = path_progress(learner, path)
    assert (progress.label, progress.percent, progress.next_course) == (
        "Course 1 of 3",
        0,
        courses[0],
    )


def test_completing_the_first_course_moves_to_course_2(learner, path, courses):
    finish(learner, courses[0])
    progress = path_progress(learner, path)
    assert (progress.label, progress.percent, progress.completed) == ("Course 2 of 3", 33, 1)
    assert progress.next_course == courses[1]


def test_the_next_course_is_the_first_not_done_in_the_paths_order(learner, path, courses):
    finish(learner, courses[1])
    progress = path_progress(learner, path)
    assert (progress.label, progress.next_course) == ("Course 1 of 3", courses[0])


def test_every_course_done_is_complete_at_100_percent(learner, path, courses):
    for course in courses:
        finish(learner, course)
    progress = path_progress(learner, path)
    assert (progress.is_complete, progress.percent, progress.label) == (True, 100, "Course 3 of 3")


def test_an_expired_completion_does_not_count(learner, path, courses):
    expire(finish(learner, courses[0]))
    progress = path_progress(learner, path)
    assert progress.completed == 0
    assert progress.expired == {courses[0].pk}


def test_a_completion_that_still_counts_today_counts(learner, path, courses):
    expire(finish(learner, courses[0]), days_ago=0)  # its last day is today
    assert path_progress(learner, path).completed == 1


def test_a_superseded_completion_does_not_count(learner, path, courses):
    completion = finish(learner, courses[0])
    archive_run(learner.pk, completion)  # a renewal or a fresh start: the course again
    assert path_progress(learner, path).completed == 0


def test_a_draft_course_is_left_out_of_the_path(learner, path, courses):
    Course.objects.filter(pk=courses[2].pk).update(published_at=None)
    finish(learner, courses[0])
    assert path_progress(learner, path).label == "Course 2 of 2"


def test_the_bulk_rule_gives_what_the_rule_for_one_path_gives(learner, courses):
    paths = [
        make_path(courses[0], courses[1], slug="a"),
        make_path(courses[2], slug="b"),
        make_path(courses[1], courses[2], courses[0], slug="c"),
        make_path(slug="empty"),
    ]
    finish(learner, courses[1])
    expire(finish(learner, courses[2]))
    bulk = paths_progress(learner, paths)
    assert {path.pk: path_progress(learner, path) for path in paths} == bulk
    assert [bulk[path.pk].label for path in paths] == [
        "Course 1 of 2",
        "Course 1 of 1",
        "Course 2 of 3",
        "Course 0 of 0",
    ]


def test_the_bulk_rule_costs_two_queries_whatever_the_number_of_paths(learner, courses):
    paths = [make_path(*courses, slug=f"p{n}") for n in range(6)]
    with CaptureQueriesContext(connection) as few:
        paths_progress(learner, paths[:1])
    with CaptureQueriesContext(connection) as many:
        paths_progress(learner, paths)
    assert len(few) == len(many) == 2


# Completions and certificates ---------------------------------------------------------


def test_completing_the_last_course_records_the_path_and_its_certificate(learner, path, courses):
    for course in courses[:2]:
        finish(learner, course)
    assert not PathCompletion.objects.exists()
    last = finish(learner, courses[2])
    completion = PathCompletion.objects.get()
    assert (completion.learner, completion.path, completion.run) == (learner, path, 1)
    assert (completion.completed_by, completion.completed_at) == (last, last.completed_at)
    assert [item["slug"] for item in completion.courses] == [c.slug for c in courses]
    certificate = completion.certificate
    assert (certificate.learner_name, certificate.path_title) == ("Alice Learner", "Onboarding")
    assert len(certificate.code) == 14


def test_a_path_completion_counts_until_its_earliest_course_expires(learner, path, courses):
    for course in courses:
        course.valid_for_months = 24
        course.save()
    courses[1].valid_for_months = 12
    courses[1].save()
    for course in courses:
        finish(learner, course)
    valid = dict(CourseCompletion.objects.values_list("course_id", "valid_until"))
    assert PathCompletion.objects.get().valid_until == valid[courses[1].pk]
    assert valid[courses[1].pk] < valid[courses[0].pk]


def test_a_path_whose_courses_never_expire_never_expires(learner, path, courses):
    for course in courses:
        finish(learner, course)
    assert PathCompletion.objects.get().valid_until is None


def test_an_expired_course_keeps_the_path_from_being_completed(learner, path, courses):
    expire(finish(learner, courses[0]))
    finish(learner, courses[1])
    finish(learner, courses[2])
    assert not PathCompletion.objects.exists()


def test_the_same_course_completion_records_the_path_once(learner, path, courses):
    for course in courses:
        last = finish(learner, course)
    assert record_path_completions(last) == []
    assert record_due_path_completions(path) == 0
    assert (PathCompletion.objects.count(), PathCertificate.objects.count()) == (1, 1)


def test_completing_a_course_again_completes_the_path_anew(learner, path, courses):
    for course in courses:
        finish(learner, course)
    archive_run(learner.pk, CourseCompletion.objects.get(course=courses[1]))
    assert not path_progress(learner, path).is_complete
    finish(learner, courses[1])
    runs = list(PathCompletion.objects.order_by("run").values_list("run", flat=True))
    assert runs == [1, 2]
    assert PathCertificate.objects.count() == 2


def test_a_draft_path_records_nothing(learner, path, courses):
    Path.objects.filter(pk=path.pk).update(published_at=None)
    for course in courses:
        finish(learner, course)
    assert not PathCompletion.objects.exists()


def test_a_path_made_after_its_courses_records_the_completions_due(learner, courses):
    for course in courses:
        finish(learner, course)
    path = make_path(*courses)
    assert record_due_path_completions(path) == 1
    assert PathCompletion.objects.get().learner == learner
    assert record_due_path_completions(path) == 0


def test_a_path_completion_is_not_due_while_a_course_is_expired(learner, courses):
    for course in courses:
        finish(learner, course)
    expire(CourseCompletion.objects.get(course=courses[0]))
    assert record_due_path_completions(make_path(*courses)) == 0


@pytest.mark.django_db(transaction=True)
def test_finishing_the_last_two_courses_at_once_records_one_path_completion():
    learner = make_user("racer", password="pw")
    first, second = make_course(lessons=1), make_course(lessons=1)
    make_path(first, second)
    barrier = threading.Barrier(2)
    errors = []

    def finish_course(course):
        client = Client()
        client.force_login(learner)
        lesson = course.lessons.get()
        try:
            barrier.wait()
            response = client.post(reverse("lessons:complete", args=[course.slug, lesson.slug]))
            if response.status_code != 302:
                errors.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=finish_course, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert CourseCompletion.objects.count() == 2
    assert (PathCompletion.objects.count(), PathCertificate.objects.count()) == (1, 1)


# Assigning a path ---------------------------------------------------------------------


def test_assigning_a_path_assigns_each_course_once_linked_to_it(trainer, team, path, courses):
    (made,) = assign_path(by=trainer, path=path, team=team, due_date=datetime.date(2031, 3, 1))
    assignments = Assignment.objects.filter(team=team)
    assert sorted(a.course_id for a in assignments) == sorted(c.pk for c in courses)
    assert {a.due_date for a in assignments} == {datetime.date(2031, 3, 1)}
    assert set(made.assignments.all()) == set(assignments)


def test_a_course_assigned_already_keeps_its_own_assignment(trainer, team, path, courses):
    (own,) = assign_course(by=trainer, course=courses[1], team=team)
    (made,) = assign_path(by=trainer, path=path, team=team)
    assert own not in made.assignments.all()
    assert made.assignments.count() == 2
    remove_path_assignment(trainer, made)
    assert list(Assignment.objects.all()) == [own]
    assert not PathAssignment.objects.exists()


def test_removing_a_path_assignment_removes_its_course_assignments(
    trainer, team, learner, path, courses
):
    (made,) = assign_path(by=trainer, path=path, team=team)
    finish(learner, courses[0])
    remove_path_assignment(trainer, made)
    assert not Assignment.objects.exists()
    assert CourseCompletion.objects.filter(learner=learner).count() == 1  # kept


def test_removing_it_twice_says_it_is_gone(trainer, team, path):
    (made,) = assign_path(by=trainer, path=path, team=team)
    remove_path_assignment(trainer, made)
    with pytest.raises(AssignmentError, match="removed meanwhile"):
        remove_path_assignment(trainer, made)


def test_a_path_is_assigned_to_several_learners_all_or_nothing(trainer, team, learner, path):
    outsider = make_user("olga")
    with pytest.raises(AssignmentError, match="learners in your teams"):
        assign_path(by=trainer, path=path, learners=[learner, outsider])
    assert not Assignment.objects.exists()
    assert not PathAssignment.objects.exists()


def test_a_path_assigned_there_already_is_refused(trainer, team, path):
    assign_path(by=trainer, path=path, team=team)
    with pytest.raises(AssignmentError, match="already assigned to Support"):
        assign_path(by=trainer, path=path, team=team)


def test_a_draft_path_cannot_be_assigned(trainer, team, path):
    Path.objects.filter(pk=path.pk).update(published_at=None)
    path.refresh_from_db()
    with pytest.raises(AssignmentError, match="not published"):
        assign_path(by=trainer, path=path, team=team)


def test_a_trainer_cannot_remove_another_teams_path_assignment(trainer, team, other_team, path):
    (made,) = assign_path(by=other_team.trainers.get(), path=path, team=other_team)
    with pytest.raises(AssignmentError, match="your teams"):
        remove_path_assignment(trainer, made)
    assert Assignment.objects.count() == 3


def test_my_learning_lists_assigned_paths_with_where_the_learner_stands(
    trainer, team, learner, path, courses
):
    assign_path(by=trainer, path=path, team=team, due_date=timezone.localdate())
    finish(learner, courses[0])
    (item,) = assigned_paths(learner)
    assert (item.path, item.progress.label, item.due_label) == (path, "Course 2 of 3", "Due today")


# Who sees a path --------------------------------------------------------------------


def test_a_path_of_open_courses_is_visible_to_everyone(learner, path):
    assert list(paths_visible_to(learner)) == [path]


def test_a_path_with_an_assigned_only_course_is_visible_once_assigned(
    trainer, team, learner, path, courses
):
    Course.objects.filter(pk=courses[2].pk).update(visibility=Visibility.ASSIGNED)
    assert not paths_visible_to(learner).exists()
    assign_path(by=trainer, path=path, team=team)
    assert list(paths_visible_to(learner)) == [path]


def test_a_draft_path_is_visible_to_nobody(learner, admin_user, path):
    Path.objects.filter(pk=path.pk).update(published_at=None)
    assert not paths_visible_to(learner).exists()
    assert not paths_visible_to(admin_user).exists()


# Pages ------------------------------------------------------------------------------


def test_the_path_page_shows_each_course_in_order_with_its_state(
    learner_client, learner, path, courses
):
    CourseRequirement.objects.create(course=courses[2], required=courses[1])
    finish(learner, courses[0])
    page = text(learner_client.get(path.get_absolute_url()))
    assert "Course 2 of 3 · Tills" in page
    assert page.count("<h1") == 1
    assert "1 of 3 courses completed" in page
    assert 'aria-valuenow="33"' in page
    listed = page[page.index('id="path-courses"') :]
    order = [listed.index(f">{title}<") for title in ("Induction", "Tills", "Cash")]
    assert order == sorted(order)
    assert "Unlocks after “Tills”" in page
    assert reverse("courses:detail", args=[courses[1].slug]) in page


def test_the_path_page_says_when_a_completion_expired(learner_client, learner, path, courses):
    expire(finish(learner, courses[0]))
    page = text(learner_client.get(path.get_absolute_url()))
    assert "Your completion has expired" in page
    assert "Course 1 of 3" in page


def test_a_complete_path_links_its_certificate(learner_client, learner, path, courses):
    for course in courses:
        finish(learner, course)
    certificate = PathCertificate.objects.get()
    page = text(learner_client.get(path.get_absolute_url()))
    assert "Path completed on" in page
    assert certificate.get_absolute_url() in page


def test_the_path_page_of_a_draft_is_not_found(learner_client, path):
    Path.objects.filter(pk=path.pk).update(published_at=None)
    assert learner_client.get(path.get_absolute_url()).status_code == 404


def test_the_path_page_queries(learner_client, learner, path, courses, django_assert_num_queries):
    CourseRequirement.objects.create(course=courses[2], required=courses[1])
    finish(learner, courses[0])
    learner_client.get(reverse("accounts:profile"))  # the navigation's flag cached
    learner_client.get(path.get_absolute_url())  # the courses' structures cached
    # session, user, the path, its courses, the learner's completions of them, their
    # assignment of it, the courses with completion and final passed, their lesson
    # progress, the required courses' standing, the latest path completion
    with django_assert_num_queries(10):
        learner_client.get(path.get_absolute_url())


def test_the_path_page_does_not_grow_with_courses(learner_client, learner):
    counts = []
    for size in (2, 8):
        path = make_path(*[make_course(lessons=2) for _ in range(size)], slug=f"size-{size}")
        learner_client.get(path.get_absolute_url())
        with CaptureQueriesContext(connection) as context:
            learner_client.get(path.get_absolute_url())
        counts.append(len(context))
    assert counts[0] == counts[1]


def test_the_path_certificate_page_pdf_and_public_check(
    client, learner_client, learner, path, courses
):
    for course in courses:
        finish(learner, course)
    certificate = PathCertificate.objects.get()
    page = text(learner_client.get(certificate.get_absolute_url()))
    assert "completed the learning path" in page and "Onboarding" in page
    assert "Induction" in page and "Cash" in page
    response = learner_client.get(reverse("paths:certificate_pdf", args=[certificate.code]))
    assert response["Content-Type"] == "application/pdf"
    pdf = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert "Alice Learner" in pdf and certificate.code in pdf
    verify = client.get(reverse("paths:verify", args=[certificate.code.lower()]))
    assert verify.status_code == 200 and "Valid certificate" in text(verify)


def test_an_expired_path_certificate_verifies_as_expired(client, learner, path, courses):
    for course in courses:
        finish(learner, course)
    completion = PathCompletion.objects.get()
    completion.valid_until = timezone.localdate() - datetime.timedelta(days=3)
    completion.save()
    code = completion.certificate.code
    page = text(client.get(reverse("paths:verify", args=[code])))
    assert "Expired" in page and "Valid certificate" not in page


def test_an_unknown_path_certificate_code_is_not_found(client):
    response = client.get(reverse("paths:verify", args=["7KQ2-M9XD-4HPA"]))
    assert response.status_code == 404
    assert "No certificate has this code" in text(response)


def test_another_learner_cannot_open_a_path_certificate(client, learner, path, courses):
    for course in courses:
        finish(learner, course)
    client.force_login(make_user("eve"))
    certificate = PathCertificate.objects.get()
    assert client.get(certificate.get_absolute_url()).status_code == 404


def test_my_learning_shows_the_assigned_path(learner_client, trainer, team, learner, path, courses):
    assign_path(by=trainer, path=path, team=team)
    finish(learner, courses[0])
    page = text(learner_client.get(reverse("courses:my_learning")))
    assert "Learning paths assigned to you" in page
    assert "Course 2 of 3 · Tills" in page
    assert path.get_absolute_url() in page


def test_a_trainer_assigns_and_removes_a_path_on_their_pages(client, trainer, team, path):
    client.force_login(trainer)
    assert "Onboarding" in text(client.get(reverse("training:paths")))
    response = client.post(
        reverse("training:assign_path", args=[path.slug]), {"team": team.pk, "note": "Soon"}
    )
    assert response.status_code == 302
    made = PathAssignment.objects.get()
    assert made.assignments.count() == 3
    remove_url = reverse("training:remove_path_assignment", args=[made.pk])
    assert "Remove the path “Onboarding” from Support?" in text(client.get(remove_url))
    assert client.post(remove_url).status_code == 302
    assert not Assignment.objects.exists() and not PathAssignment.objects.exists()


def test_a_learner_gets_no_trainer_path_page(learner_client, path):
    assert learner_client.get(reverse("training:paths")).status_code == 404
    url = reverse("training:assign_path", args=[path.slug])
    assert learner_client.get(url).status_code == 404


def test_recording_a_completion_elsewhere_needs_no_page(learner, path, courses):
    """The path completion is recorded with the step that completes the last course,
    whatever records it (here the use case, no page)."""
    for course in courses:
        for lesson in course.lessons.all():
            record_lesson_completion(learner, lesson)
    assert PathCompletion.objects.filter(learner=learner).count() == 1


# The admin ----------------------------------------------------------------------------


def admin_form(client, url: str, changes: dict) -> dict:
    from tests.test_permissions import form_data

    return form_data(client, url, changes)


def test_the_admin_swaps_two_courses_of_a_path(client, admin_user, path, courses):
    client.force_login(admin_user)
    url = reverse("admin:paths_path_change", args=[path.pk])
    data = admin_form(client, url, {})
    steps = {data[f"steps-{n}-course"][0]: n for n in range(3)}
    first, second = steps[str(courses[0].pk)], steps[str(courses[1].pk)]
    data[f"steps-{first}-position"], data[f"steps-{second}-position"] = ["2"], ["1"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    order = PathCourse.objects.filter(path=path).order_by("position")
    assert [step.course for step in order] == [courses[1], courses[0], courses[2]]


def test_the_admin_refuses_a_course_twice_in_a_path(client, admin_user, path, courses):
    client.force_login(admin_user)
    url = reverse("admin:paths_path_change", args=[path.pk])
    data = admin_form(client, url, {"steps-3-course": [str(courses[0].pk)]})
    data["steps-3-position"] = ["4"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "is in the path twice" in response.content.decode()
    assert PathCourse.objects.filter(path=path).count() == 3


def test_saving_a_path_in_the_admin_records_the_completions_it_made_due(
    client, admin_user, learner, courses
):
    finish(learner, courses[0])
    path = make_path(courses[1])
    client.force_login(admin_user)
    url = reverse("admin:paths_path_change", args=[path.pk])
    data = admin_form(client, url, {"steps-0-course": [str(courses[0].pk)]})
    assert client.post(url, data).status_code == 302
    assert PathCompletion.objects.get().learner == learner


def test_the_admin_assigns_a_path_and_removes_it_with_its_course_assignments(
    client, admin_user, team, path
):
    client.force_login(admin_user)
    add = reverse("admin:training_pathassignment_add")
    response = client.post(
        add, admin_form(client, add, {"path": str(path.pk), "team": str(team.pk)})
    )
    assert response.status_code == 302
    made = PathAssignment.objects.get()
    assert (made.assigned_by, made.assignments.count()) == (admin_user, 3)
    delete = reverse("admin:training_pathassignment_delete", args=[made.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not Assignment.objects.exists()


def test_an_admin_revokes_a_path_certificate(client, admin_user, learner, path, courses):
    for course in courses:
        finish(learner, course)
    certificate = PathCertificate.objects.get()
    client.force_login(admin_user)
    url = reverse("admin:paths_pathcertificate_revoke", args=[certificate.pk])
    assert client.post(url, {"reason": "Issued in error"}).status_code == 302
    certificate.refresh_from_db()
    assert certificate.is_revoked and not certificate.is_valid
    verify = client.get(reverse("paths:verify", args=[certificate.code]))
    assert "Revoked" in text(verify)


# The audit log (issue 23) ----------------------------------------------------------------


def test_a_path_completion_and_its_certificate_are_in_the_audit_log(learner, path, courses):
    from audit.models import Event

    for course in courses:
        finish(learner, course)
    completion = PathCompletion.objects.get()
    events = Event.objects.filter(chain=f"learner:{learner.pk}")
    path_event = events.get(kind="path_completed")
    issued = events.get(kind="path_certificate_issued")
    assert path_event.data["path"] == "onboarding" and path_event.data["run"] == 1
    assert issued.data["code"] == completion.certificate.code


def test_the_chain_still_verifies_after_a_path_completion(learner, path, courses):
    from io import StringIO

    from django.core.management import call_command

    for course in courses:
        finish(learner, course)
    out = StringIO()
    call_command("verify_records", stdout=out)
    assert out.getvalue().startswith("OK:")
