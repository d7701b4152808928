from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from lessons.models import Lesson, ProgressState
from lessons.services import (
    LessonUnavailable,
    complete_lesson,
    lessons_with_state,
    progress_from_lessons,
    start_lesson,
)


def _published_lesson(course_slug: str, lesson_slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.published().select_related("course"),
        course__slug=course_slug,
        slug=lesson_slug,
    )


def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _published_lesson(course_slug, lesson_slug)
    lessons = lessons_with_state(request.user, lesson.course)
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    if lessons[index].state == ProgressState.NOT_STARTED:
        lessons[index].state = ProgressState(start_lesson(request.user, lesson).state)
    for item in lessons:
        item.course = lesson.course  # for get_absolute_url without a query
    return render(
        request,
        "lessons/lesson_detail.html",
        {
            "course": lesson.course,
            "lesson": lesson,
            "state": lessons[index].state,
            "number": index + 1,
            "lessons": lessons,
            "previous_lesson": lessons[index - 1] if index > 0 else None,
            "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
            "progress": progress_from_lessons(lessons),
        },
    )


@require_POST
def mark_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _published_lesson(course_slug, lesson_slug)
    try:
        complete_lesson(request.user, lesson)
    except LessonUnavailable as exc:
        messages.error(request, str(exc))
        return redirect(lesson.course)
    lessons = lessons_with_state(request.user, lesson.course)
    progress = progress_from_lessons(lessons)
    if progress.state == ProgressState.COMPLETED:
        return redirect("courses:complete", lesson.course.slug)
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    if index + 1 < len(lessons):
        following = lessons[index + 1]
        following.course = lesson.course
        return redirect(following)
    messages.info(
        request,
        f"You have {progress.remaining} of {progress.total} lessons still to finish.",
    )
    return redirect(reverse("courses:continue", args=[lesson.course.slug]))
