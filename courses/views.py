"""A course's media files, served to those who may see the course. The learner's
course pages ask the course-progress rule or assignments, so they are progress's
(progress/views.py) and training's (training/views/learner.py)."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from courses.models import Course, MediaFile
from courses.roles import may_preview_content


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
