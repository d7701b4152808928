from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from courses.models import Course, MediaFile, Visibility
from courses.roles import may_preview_content
from lessons.models import Lesson, ProgressState
from lessons.services import (
    as_new_learner,
    courses_with_progress,
    learner_course,
    lesson_to_continue,
    progress_from_lessons,
    record_course_completion,
)
from lessons.translations import show_in_language


def catalogue(request: HttpRequest) -> HttpResponse:
    """Open courses anyone may start, with the learner's progress in each."""
    rows = courses_with_progress(
        request.user,
        Course.objects.filter(visibility=Visibility.OPEN, published_at__isnull=False),
    )
    show_in_language(courses=[course for course, _progress in rows])
    return render(request, "courses/catalogue.html", {"course_rows": rows})


def visible_course(request: HttpRequest, course_slug: str) -> Course:
    """The course, if the person may see it (Course.is_visible_to), else a 404."""
    course = get_object_or_404(Course, slug=course_slug)
    if not course.is_visible_to(request.user):
        raise Http404("No such course.")
    return course


def learner_course_or_404(request: HttpRequest, course_slug: str):
    """The course and the learner's state in it (lessons.services.learner_course), or a
    404 when they may not see it or it has no lessons yet."""
    course = visible_course(request, course_slug)
    state = learner_course(request.user, course)
    if not state.lessons:
        raise Http404("This course has no lessons yet.")
    return course, state


def continue_course(request: HttpRequest, course_slug: str) -> HttpResponse:
    """ "Start" and "Continue" both land here: the first unfinished lesson reached."""
    course, state = learner_course_or_404(request, course_slug)
    if state.progress.awaiting_final:
        return redirect(state.final)
    lesson = lesson_to_continue(state.lessons)
    lesson.course = course
    return redirect(lesson)


def course_complete(request: HttpRequest, course_slug: str) -> HttpResponse:
    course, state = learner_course_or_404(request, course_slug)
    progress = state.progress
    if progress.awaiting_final:
        messages.info(request, _("Pass the final assessment to complete the course."))
        return redirect(state.final)
    if progress.state != ProgressState.COMPLETED:
        messages.info(
            request,
            ngettext(
                "You have %(remaining)s of %(total)s lesson still to finish.",
                "You have %(remaining)s of %(total)s lessons still to finish.",
                progress.total,
            )
            % {"remaining": progress.remaining, "total": progress.total},
        )
        return redirect(course)
    completion = state.completion or record_course_completion(request.user, course)
    show_in_language([course], state.lessons)
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


@require_safe
def media_file(request: HttpRequest, course_slug: str, name: str) -> HttpResponse:
    """An image or document of a course, to those who may see the course (content
    staff: any course, as in their previews). Anything else is a 404."""
    if may_preview_content(request.user):
        courses = Course.objects.all()
    else:
        courses = Course.objects.visible_to(request.user)
    media = get_object_or_404(
        MediaFile.objects.filter(course__in=courses.values("pk")),
        course__slug=course_slug,
        path=f"media/{name}",
    )
    try:
        stored = media.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing from storage.") from None
    return _media_response(media, stored, current=request.GET.get("v") == media.version)


def _media_response(media: MediaFile, stored, current: bool) -> FileResponse:
    # Images are shown; anything else is downloaded, never rendered as a page of ours.
    response = FileResponse(
        stored,
        content_type=media.content_type,
        as_attachment=not media.is_image,
        filename=media.path.rsplit("/", 1)[-1],
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # The address names the content (?v=): kept for good in this browser only (it is
    # not public); an old or missing version is asked for again each time.
    response["Cache-Control"] = (
        "private, max-age=31536000, immutable" if current else "private, no-cache"
    )
    return response
