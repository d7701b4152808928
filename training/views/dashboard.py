"""The trainer's pages: the dashboard, its CSV export, a learner's page."""

import csv

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.utils.text import slugify

from common.http import parse_choice, parse_page, parse_text
from courses.models import Course
from lessons.models import CourseCompletion, Lesson
from quizzes.models import Attempt
from training.assignments import assigned_courses
from training.dashboard import (
    CSV_LANGUAGE,
    INDIVIDUAL,
    SORTS,
    STATE_FILTERS,
    Audience,
    assigned_courses_of,
    build_board,
    build_dashboard,
    csv_rows,
    select_rows,
    summary_rows,
)
from training.models import Assignment
from training.roles import can_follow, learners_followed_by, teams_managed_by


def require_trainer(request: HttpRequest) -> None:
    """Every trainer page starts here. 404, not 403: a learner gets no hint that
    these pages exist."""
    if not can_follow(request.user):
        raise Http404("No such page.")


def followable_courses() -> list[Course]:
    """The courses a trainer can follow (dashboard, export, analytics): published,
    with a published lesson."""
    return list(
        Course.objects.published().filter(pk__in=Lesson.objects.published().values("course"))
    )


# The dashboard's search box: a name or an email address, a few words.
MAX_SEARCH = 100


def _dashboard_choice(request: HttpRequest):
    """The audience (a team, or "individual") and course the dashboard (or export)
    is for, from ?team=&course=."""
    require_trainer(request)
    teams = list(teams_managed_by(request.user))
    team_id = request.GET.get("team", "")
    if team_id == INDIVIDUAL or (not team_id and not teams):
        audience = Audience(None, request.user)
    else:
        # Compared as text with the trainer's own teams: an odd or huge id never reaches
        # the database, and is "no such team" (a 404, like every team not theirs).
        team = next((t for t in teams if str(t.pk) == team_id), None) if team_id else teams[0]
        if team is None:
            raise Http404("No such team.")
        audience = Audience(team, request.user)
    courses = followable_courses()
    slug = request.GET.get("course", "")
    if slug:
        course = next((c for c in courses if c.slug == slug), None)
        if course is None:
            raise Http404("No such course.")
    else:
        assigned = (
            Assignment.objects.filter(team=audience.team)
            if audience.team
            else Assignment.objects.filter(learner__in=audience.people().values("pk"))
        )
        ids = set(assigned.values_list("course_id", flat=True))
        course = next((c for c in courses if c.pk in ids), courses[0] if courses else None)
    return teams, audience, courses, course


def _dashboard_filters(request: HttpRequest) -> dict[str, str]:
    """The dashboard's filters from the query string; the export uses the same.
    A state or sort our form does not offer is a 400 (common.http), like any
    malformed parameter; an empty one is the default."""
    return {
        "state": parse_choice(request.GET.get("state", ""), STATE_FILTERS, name="state"),
        "query": parse_text(request.GET.get("q", ""), name="q", max_length=MAX_SEARCH),
        "sort": parse_choice(request.GET.get("sort") or "name", SORTS, name="sort"),
    }


def dashboard(request: HttpRequest) -> HttpResponse:
    teams, audience, courses, course = _dashboard_choice(request)
    filters = _dashboard_filters(request)
    page = parse_page(request.GET.get("page", ""))
    dashboard = build_dashboard(audience, course, **filters, page=page) if course else None
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "training/dashboard.html",
        {
            "teams": teams,
            "audience": audience,
            "individual": INDIVIDUAL,
            "courses": courses,
            "course": course,
            "dashboard": dashboard,
            "states": STATE_FILTERS,
            "sorts": SORTS,
            "current": {"state": filters["state"], "q": filters["query"], "sort": filters["sort"]},
            "query_string": query.urlencode(),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def export(request: HttpRequest) -> StreamingHttpResponse:
    _teams, audience, _courses, course = _dashboard_choice(request)
    filters = _dashboard_filters(request)
    board = build_board(audience, course) if course else None
    if board is None or not board.assigned:
        raise Http404("Nothing to export: the course is not assigned here.")
    writer = csv.writer(_Echo())
    rows = csv_rows(board, select_rows(board, **filters))
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    with translation.override(CSV_LANGUAGE):  # the file's name is English, like its cells
        filename = f"{slugify(audience.name)}-{course.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def summary(request: HttpRequest) -> StreamingHttpResponse:
    """The summary CSV: one row per learner and course, every course assigned to the
    dashboard's team (or individual view), with the dashboard's filters."""
    _teams, audience, courses, _course = _dashboard_choice(request)
    filters = _dashboard_filters(request)
    assigned = assigned_courses_of(audience, courses)
    if not assigned:
        raise Http404("Nothing to export: no course is assigned here.")
    writer = csv.writer(_Echo())
    rows = summary_rows(audience, assigned, teams=teams_managed_by(request.user), **filters)
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    with translation.override(CSV_LANGUAGE):
        filename = f"{slugify(audience.name)}-summary-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def learner(request: HttpRequest, user_id: int) -> HttpResponse:
    require_trainer(request)
    learner = get_object_or_404(learners_followed_by(request.user), pk=user_id)
    attempts = (
        # Earlier runs' attempts too: a trainer sees the whole history.
        Attempt.all_runs.filter(learner=learner, submitted_at__isnull=False)
        .select_related("quiz__lesson__course", "quiz__course")
        .prefetch_related("answers")
        .order_by("-submitted_at")
    )
    return render(
        request,
        "training/learner.html",
        {
            "learner": learner,
            "assigned": assigned_courses(learner),
            "teams": learner.teams.filter(pk__in=teams_managed_by(request.user)),
            "attempts": attempts,
            # Every completion, earlier runs included, with its certificate.
            "completions": CourseCompletion.objects.filter(learner=learner).select_related(
                "course", "certificate"
            ),
        },
    )
