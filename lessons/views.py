from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext

from common.http import parse_text, post_only
from courses.roles import may_preview_content
from lessons.certificates import (
    find_certificate,
    normalise_code,
)
from lessons.models import Lesson, ProgressState
from lessons.search import MAX_QUERY_LENGTH, search_lessons
from lessons.services import (
    LessonError,
    as_new_learner,
    complete_lesson,
    learner_course,
    progress_from_lessons,
    start_lesson,
)
from lessons.translations import show_in_language


def _published_lesson(request: HttpRequest, course_slug: str, lesson_slug: str) -> Lesson:
    lesson = get_object_or_404(
        Lesson.objects.published().select_related("course"),
        course__slug=course_slug,
        slug=lesson_slug,
    )
    if not lesson.course.is_visible_to(request.user):
        raise Http404("No such lesson.")
    return lesson


def _lesson_page(request: HttpRequest, context: dict) -> HttpResponse:
    """The lesson page. Its outline is shown twice (behind a disclosure on a phone, in
    a column on a desktop): rendered once here, with its dozens of links and labels."""
    context["outline"] = render_to_string("lessons/outline.html", context)
    return render(request, "lessons/lesson_detail.html", context)


def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _published_lesson(request, course_slug, lesson_slug)
    course_state = learner_course(request.user, lesson.course)
    lessons = course_state.lessons
    index = next((i for i, item in enumerate(lessons) if item.pk == lesson.pk), None)
    if index is None:  # retired while this request ran (lessons.structure)
        raise Http404("No such lesson.")
    current = lessons[index]
    if current.state == ProgressState.NOT_STARTED:
        current.state = ProgressState(start_lesson(request.user, lesson).state)
    show_in_language([lesson.course], lessons, full=[lesson])
    final = course_state.final
    return _lesson_page(
        request,
        {
            "course": lesson.course,
            "lesson": lesson,
            "current": current,
            "state": current.state,
            "number": index + 1,
            "lessons": lessons,
            "previous_lesson": lessons[index - 1] if index > 0 else None,
            "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
            "final": final,
            "progress": progress_from_lessons(lessons, final, course_state.completion),
        },
    )


@post_only(
    _published_lesson,
    gettext_lazy(
        "You were signed out before the lesson was marked complete. Mark it complete again."
    ),
)
def mark_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _published_lesson(request, course_slug, lesson_slug)
    try:
        complete_lesson(request.user, lesson)
    except LessonError as exc:
        messages.error(request, str(exc))
        return redirect(lesson)
    return redirect(next_step_after(request, lesson))


def next_step_after(request: HttpRequest, lesson: Lesson) -> str:
    """Where a learner goes after finishing a lesson: the next lesson, the final
    assessment, "Course complete", or back to the first unfinished lesson."""
    course = lesson.course
    course_state = learner_course(request.user, course)
    lessons, final, progress = course_state.lessons, course_state.final, course_state.progress
    if progress.state == ProgressState.COMPLETED and not course_state.new_lessons:
        return reverse("courses:complete", args=[course.slug])
    later = [item for item in lessons if item.position > lesson.position]
    if later:
        return reverse("lessons:detail", args=[course.slug, later[0].slug])
    if progress.awaiting_final:
        return final.get_absolute_url()
    messages.info(
        request,
        ngettext(
            "You have %(remaining)s of %(total)s lesson still to finish.",
            "You have %(remaining)s of %(total)s lessons still to finish.",
            progress.total,
        )
        % {"remaining": progress.remaining, "total": progress.total},
    )
    return reverse("courses:continue", args=[course.slug])


def preview_lesson(request: HttpRequest, lesson_id: int) -> HttpResponse:
    """A lesson, draft or not, as a learner would see it; records nothing. Content
    staff only: trainers see lessons as learners do."""
    if not may_preview_content(request.user):
        raise Http404("No such page.")
    lesson = get_object_or_404(Lesson.objects.select_related("course"), pk=lesson_id)
    lessons = list(
        Lesson.objects.filter(course=lesson.course, retired_at__isnull=True)
        .defer("body_markdown", "body_html")
        .order_by("position", "id")
    )
    if lesson.pk not in {item.pk for item in lessons}:
        lessons.append(lesson)
    as_new_learner(lessons)
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    return _lesson_page(
        request,
        {
            "preview": True,
            "course": lesson.course,
            "lesson": lesson,
            "current": lessons[index],
            "state": ProgressState.NOT_STARTED,
            "number": index + 1,
            "lessons": lessons,
            "previous_lesson": None,
            "next_lesson": None,
            "final": None,
            "progress": progress_from_lessons(lessons),
        },
    )


def search(request: HttpRequest) -> HttpResponse:
    """Every lesson the learner may see, by title and text (lessons/search.py)."""
    query = parse_text(request.GET.get("q", ""), name="Search", max_length=MAX_QUERY_LENGTH)
    results = search_lessons(request.user, query) if query else None
    return render(
        request,
        "lessons/search.html",
        {"query": query, "results": results, "max_length": MAX_QUERY_LENGTH},
    )


# Certificates ----------------------------------------------------------------


@login_not_required
def verify_certificate(request: HttpRequest, code: str = "") -> HttpResponse:
    """Public: anyone holding a certificate's code (an auditor, an employer) checks it.
    Shows only what the certificate itself says, and whether it still stands."""
    typed = request.GET.get("code", "").strip()
    if typed:  # the form on this page
        if normalised := normalise_code(typed):
            return redirect("verify_certificate", normalised)
        code = typed
    certificate = find_certificate(code) if code else None
    response = render(
        request,
        "lessons/verify.html",
        {"certificate": certificate, "code": code},
        status=404 if code and certificate is None else 200,
    )
    # Names of real people: keep these pages out of search engines.
    response["X-Robots-Tag"] = "noindex"
    return response
