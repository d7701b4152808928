from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from courses.models import Course
from lessons.models import ProgressState
from lessons.services import (
    courses_with_progress,
    final_assessment_for,
    lesson_to_continue,
    lessons_with_state,
    progress_from_lessons,
)


def my_learning(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "courses/my_learning.html",
        {"course_rows": courses_with_progress(request.user)},
    )


def _course_and_lessons(request: HttpRequest, course_slug: str):
    course = get_object_or_404(Course, slug=course_slug)
    lessons = lessons_with_state(request.user, course)
    if not lessons:
        raise Http404("This course has no lessons yet.")
    return course, lessons


def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, lessons = _course_and_lessons(request, course_slug)
    final = final_assessment_for(request.user, course)
    progress = progress_from_lessons(lessons, final)
    current = lesson_to_continue(lessons)
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "final": final,
            "progress": progress,
            "current_lesson": current,
            "current_number": lessons.index(current) + 1,
        },
    )


def continue_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """ "Start" and "Continue" both land here: the first unfinished lesson reached."""
    course, lessons = _course_and_lessons(request, course_slug)
    final = final_assessment_for(request.user, course)
    if progress_from_lessons(lessons, final).awaiting_final:
        return redirect(final)
    lesson = lesson_to_continue(lessons)
    lesson.course = course
    return redirect(lesson)


def course_complete(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, lessons = _course_and_lessons(request, course_slug)
    final = final_assessment_for(request.user, course)
    progress = progress_from_lessons(lessons, final)
    if progress.awaiting_final:
        messages.info(request, "Pass the final assessment to complete the course.")
        return redirect(final)
    if progress.state != ProgressState.COMPLETED:
        messages.info(
            request,
            f"You have {progress.remaining} of {progress.total} lessons still to finish.",
        )
        return redirect(course)
    return render(
        request,
        "courses/course_complete.html",
        {"course": course, "lessons": lessons, "progress": progress, "final": final},
    )
