from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from courses.models import Course, Visibility
from courses.roles import may_preview_content
from lessons.http import post_only
from lessons.models import Lesson, ProgressState
from lessons.services import (
    as_new_learner,
    courses_with_progress,
    learner_course,
    lesson_to_continue,
    progress_from_lessons,
    record_course_completion,
)
from training.assignments import assigned_courses, fresh_start_asked
from training.roles import can_follow
from training.services import AssignmentError, start_fresh_run


def home(request: HttpRequest) -> HttpResponse:
    """The site's front door: a trainer's (or superuser's) dashboard, everyone
    else's My learning. A plain 302, so a bookmark of / follows the role."""
    return redirect("training:dashboard" if can_follow(request.user) else "courses:my_learning")


def my_learning(request: HttpRequest) -> HttpResponse:
    """Assignments first (soonest due first), then other courses in progress."""
    assigned = assigned_courses(request.user)
    others = courses_with_progress(
        request.user,
        Course.objects.visible_to(request.user).exclude(pk__in=[a.course.pk for a in assigned]),
    )
    return render(
        request,
        "courses/my_learning.html",
        {
            "assigned": assigned,
            "in_progress": [(course, progress) for course, progress in others if progress.started],
        },
    )


def catalogue(request: HttpRequest) -> HttpResponse:
    """Open courses anyone may start, with the learner's progress in each."""
    return render(
        request,
        "courses/catalogue.html",
        {
            "course_rows": courses_with_progress(
                request.user,
                Course.objects.filter(visibility=Visibility.OPEN, published_at__isnull=False),
            )
        },
    )


def _learner_course(request: HttpRequest, course_slug: str):
    course = get_object_or_404(Course.objects.visible_to(request.user), slug=course_slug)
    state = learner_course(request.user, course)
    if not state.lessons:
        raise Http404("This course has no lessons yet.")
    return course, state


def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, state = _learner_course(request, course_slug)
    current = lesson_to_continue(state.lessons)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
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


def continue_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """ "Start" and "Continue" both land here: the first unfinished lesson reached."""
    course, state = _learner_course(request, course_slug)
    if state.progress.awaiting_final:
        return redirect(state.final)
    lesson = lesson_to_continue(state.lessons)
    lesson.course = course
    return redirect(lesson)


def course_complete(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, state = _learner_course(request, course_slug)
    progress = state.progress
    if progress.awaiting_final:
        messages.info(request, "Pass the final assessment to complete the course.")
        return redirect(state.final)
    if progress.state != ProgressState.COMPLETED:
        messages.info(
            request,
            f"You have {progress.remaining} of {progress.total} lessons still to finish.",
        )
        return redirect(course)
    completion = state.completion or record_course_completion(request.user, course)
    return render(
        request,
        "courses/course_complete.html",
        {
            "course": course,
            "lessons": state.lessons,
            "progress": progress,
            "final": state.final,
            "completion": completion,
            "certificate": getattr(completion, "certificate", None),
        },
    )


@post_only(lambda request, course_slug: reverse("courses:detail", args=[course_slug]))
def start_again(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A trainer asked for a fresh completion: begin a new run of the course."""
    course = get_object_or_404(Course.objects.visible_to(request.user), slug=course_slug)
    try:
        start_fresh_run(request.user, course)
    except AssignmentError as exc:
        messages.error(request, str(exc))
        return redirect(course)
    messages.success(
        request,
        f"You are starting “{course}” again. Your earlier completion and results are kept.",
    )
    return redirect("courses:continue", course.slug)


def preview_course(request: HttpRequest, course_id: int) -> HttpResponse:
    """A course, draft or not, as a learner would see it before starting. Content
    staff only: trainers see courses as learners do."""
    if not may_preview_content(request.user):
        raise Http404("No such page.")
    course = get_object_or_404(Course, pk=course_id)
    lessons = as_new_learner(
        list(
            Lesson.objects.filter(course=course, retired_at__isnull=True)
            .defer("body_markdown", "body_html")
            .order_by("position", "id")
        )
    )
    return render(
        request,
        "courses/course_detail.html",
        {
            "preview": True,
            "course": course,
            "lessons": lessons,
            "final": None,
            "progress": progress_from_lessons(lessons),
            "current_lesson": lessons[0] if lessons else None,
            "current_number": 1,
        },
    )
