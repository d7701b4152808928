"""Question analytics: how a team did on each quiz of a course, and the course funnel."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from common.http import parse_choice, parse_id
from training.analytics import (
    ATTEMPT_SCOPES,
    DEFAULT_SCOPE,
    LOW_DISCRIMINATION,
    course_analytics,
)
from training.dashboard import INDIVIDUAL
from training.roles import learners_followed_by, learners_outside_teams_of, teams_managed_by
from training.views.dashboard import followable_courses, require_trainer


def _choice(request: HttpRequest):
    """The team (None: everyone the user follows; "individual": as on the
    dashboard, those assigned individually outside the user's teams), course,
    scope and quiz from ?team=&course=&attempts=&quiz=. A malformed value is a
    400 (common.http); a team, course or quiz that is not theirs is a 404."""
    require_trainer(request)
    teams = list(teams_managed_by(request.user))
    team = None
    team_id = request.GET.get("team", "")
    if team_id == INDIVIDUAL:
        team = INDIVIDUAL
    elif team_id:
        team_id = parse_id(team_id, "team")
        team = next((t for t in teams if t.pk == team_id), None)
        if team is None:
            raise Http404("No such team.")
    courses = followable_courses()
    course = courses[0] if courses else None
    if slug := request.GET.get("course", ""):
        course = next((c for c in courses if c.slug == slug), None)
        if course is None:
            raise Http404("No such course.")
    scope = parse_choice(
        request.GET.get("attempts") or DEFAULT_SCOPE, ATTEMPT_SCOPES, name="attempts"
    )
    quiz_id = parse_id(request.GET["quiz"], "quiz") if request.GET.get("quiz") else None
    return teams, team, courses, course, scope, quiz_id


def analytics(request: HttpRequest) -> HttpResponse:
    teams, team, courses, course, scope, quiz_id = _choice(request)
    if team == INDIVIDUAL:
        # As the dashboard's view: those assigned this course individually.
        learners = learners_outside_teams_of(request.user).filter(assignments__course=course)
    else:
        learners = learners_followed_by(request.user)
        if team is not None:
            learners = learners.filter(teams=team)
    result = course_analytics(course, learners, scope, quiz_id) if course else None
    if result is not None and quiz_id is not None and not result.quizzes:
        raise Http404("No such quiz in this course.")
    return render(
        request,
        "training/analytics.html",
        {
            "teams": teams,
            "team": None if team == INDIVIDUAL else team,
            "individual": team == INDIVIDUAL,
            "courses": courses,
            "course": course,
            "scopes": ATTEMPT_SCOPES,
            "scope": scope,
            "quiz_id": quiz_id,
            "analytics": result,
            "low_discrimination": LOW_DISCRIMINATION,
        },
    )
