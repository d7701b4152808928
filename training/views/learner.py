"""The learner's pages that are about assignments: the front door, My learning (assigned
courses first) and the course page (which offers a fresh start a trainer asked for).
Mounted in the ``courses`` namespace by config/urls.py, so their names are unchanged."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.http import post_only
from courses.models import Course
from lessons.translations import show_in_language
from progress.prerequisites import mark_course_locks, page_locks
from progress.rules import courses_with_next_step, lesson_to_continue, next_steps_among
from progress.views import learner_course_or_404, visible_course
from training.assignments import assigned_courses, fresh_start_asked
from training.paths import assigned_paths
from training.roles import can_follow
from training.services import AssignmentError, start_fresh_run


def home(request: HttpRequest) -> HttpResponse:
    """The site's front door: a trainer's (or superuser's) dashboard, everyone
    else's My learning. A plain 302, so a bookmark of / follows the role."""
    return redirect("training:dashboard" if can_follow(request.user) else "courses:my_learning")


def my_learning(request: HttpRequest) -> HttpResponse:
    """Assignments first (soonest due first), then other courses in progress; each
    with its next lesson and the time left."""
    assigned = assigned_courses(request.user)
    # One query for every visible course, assigned ones included: their next steps
    # come from it too, so the page costs what it did before next steps were shown.
    rows = courses_with_next_step(request.user, Course.objects.visible_to(request.user))
    steps = {course.pk: step for course, _progress, step in rows}
    # An assignment of chosen lessons: the next of those, and their time left.
    chosen = [lesson_id for item in assigned if item.lesson_ids for lesson_id in item.lesson_ids]
    steps.update(next_steps_among(request.user, chosen) if chosen else {})
    assigned_ids = {item.course.pk for item in assigned}
    # A locked course says what unlocks it (progress.prerequisites).
    required = mark_course_locks(
        request.user,
        [course for course, _p, _s in rows],
        {course.pk for course, progress, _s in rows if progress.completed_at},
        [item.course for item in assigned],
    )
    show_in_language(
        courses=[item.course for item in assigned] + [course for course, _p, _s in rows] + required,
        lessons=[step.lesson for step in steps.values() if step and step.lesson],
    )
    return render(
        request,
        "courses/my_learning.html",
        {
            "assigned": [(item, steps.get(item.course.pk)) for item in assigned],
            # Assigned learning paths, "Course 2 of 4" (paths.rules).
            "paths": assigned_paths(request.user),
            "in_progress": [
                (course, progress, step)
                for course, progress, step in rows
                if progress.started and course.pk not in assigned_ids
            ],
        },
    )


def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, state = learner_course_or_404(request, course_slug)
    lock = page_locks(request.user, course, state.lessons, state.completion is not None).course
    show_in_language(courses=lock.courses if lock else [], lessons=state.lessons, full=[course])
    current = lesson_to_continue(state.lessons)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "lock": lock,
            "lessons": state.lessons,
            "final": state.final,
            "progress": state.progress,
            "completion": state.completion,
            "new_lessons": state.new_lessons,
            "fresh_start": fresh_start_asked(request.user, course, state.completion),
            "current_lesson": current,
            "current_number": state.lessons.index(current) + 1,
        },
    )


@post_only(lambda request, course_slug: reverse("courses:detail", args=[course_slug]))
def start_again(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A trainer asked for a fresh completion: begin a new run of the course."""
    course = visible_course(request, course_slug)
    try:
        start_fresh_run(request.user, course)
    except AssignmentError as exc:
        messages.error(request, str(exc))
        return redirect(course)
    messages.success(
        request,
        _("You are starting “%(course)s” again. Your earlier completion and results are kept.")
        % {"course": course},
    )
    return redirect("courses:continue", course.slug)
