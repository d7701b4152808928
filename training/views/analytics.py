"""Question analytics: how a team did on each quiz of a course, and the course funnel."""

from django.http import Http404, HttpRequest, HttpResponse


def analytics(request: HttpRequest) -> HttpResponse:
    raise Http404("Not built yet.")  # issue 11: being built
