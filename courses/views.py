import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from courses.assignments import (
    AssignmentError,
    assign_course,
    assigned_courses,
    fresh_start_asked,
    start_fresh_run,
)
from courses.dashboard import SORTS, STATE_FILTERS, build_dashboard, export_rows
from courses.forms import AssignmentForm
from courses.models import Assignment, Course, Visibility
from courses.roles import (
    can_assign,
    can_follow,
    courses_assignable_by,
    learners_followed_by,
    may_preview_content,
    teams_managed_by,
)
from lessons.http import parse_choice, parse_page, parse_text, post_only
from lessons.models import CourseCompletion, Lesson, ProgressState
from lessons.services import (
    as_new_learner,
    courses_with_progress,
    learner_course,
    lesson_to_continue,
    progress_from_lessons,
    record_course_completion,
)
from quizzes.models import Attempt


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


# Trainers ------------------------------------------------------------------------


def _require_trainer(request: HttpRequest) -> None:
    # 404, not 403: a learner gets no hint that these pages exist.
    if not can_follow(request.user):
        raise Http404("No such page.")


# The dashboard's search box: a name or an email address, a few words.
MAX_SEARCH = 100


def _dashboard_choice(request: HttpRequest):
    """The team and course the dashboard (or export) is for, from ?team=&course=."""
    _require_trainer(request)
    teams = list(teams_managed_by(request.user))
    if team_id := request.GET.get("team", ""):
        # Compared as text with the trainer's own teams: an odd or huge id never reaches
        # the database, and is "no such team" (a 404, like every team not theirs).
        team = next((t for t in teams if str(t.pk) == team_id), None)
        if team is None:
            raise Http404("No such team.")
    else:
        team = teams[0] if teams else None
    courses = list(
        Course.objects.filter(
            published_at__isnull=False, pk__in=Lesson.objects.published().values("course")
        )
    )
    slug = request.GET.get("course", "")
    if slug:
        course = next((c for c in courses if c.slug == slug), None)
        if course is None:
            raise Http404("No such course.")
    else:
        assigned = (
            set(Assignment.objects.filter(team=team).values_list("course_id", flat=True))
            if team
            else set()
        )
        course = next((c for c in courses if c.pk in assigned), courses[0] if courses else None)
    return teams, team, courses, course


def _dashboard_filters(request: HttpRequest) -> dict[str, str]:
    """The dashboard's filters from the query string; the export uses the same.
    A state or sort our form does not offer is a 400 (lessons.http), like any
    malformed parameter; an empty one is the default."""
    return {
        "state": parse_choice(request.GET.get("state", ""), STATE_FILTERS, name="state"),
        "query": parse_text(request.GET.get("q", ""), name="q", max_length=MAX_SEARCH),
        "sort": parse_choice(request.GET.get("sort") or "name", SORTS, name="sort"),
    }


def trainer_dashboard(request: HttpRequest) -> HttpResponse:
    teams, team, courses, course = _dashboard_choice(request)
    filters = _dashboard_filters(request)
    page = parse_page(request.GET.get("page", ""))
    dashboard = None
    if team and course:
        dashboard = build_dashboard(team, course, **filters, page=page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "courses/trainer/dashboard.html",
        {
            "teams": teams,
            "team": team,
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


def trainer_export(request: HttpRequest) -> StreamingHttpResponse:
    _teams, team, _courses, course = _dashboard_choice(request)
    if team is None or course is None:
        raise Http404("Nothing to export.")
    writer = csv.writer(_Echo())
    rows = export_rows(team, course, **_dashboard_filters(request))
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    filename = f"{slugify(team.name)}-{course.slug}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def trainer_learner(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_trainer(request)
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
        "courses/trainer/learner.html",
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


def trainer_assign(request: HttpRequest, course_slug: str) -> HttpResponse:
    _require_trainer(request)
    if not can_assign(request.user):
        raise Http404("No such page.")
    course = get_object_or_404(courses_assignable_by(request.user), slug=course_slug)
    form = AssignmentForm(request.POST or None, trainer=request.user, course=course)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = assign_course(
                by=request.user,
                course=course,
                team=data["team"],
                learners=data["learners"],
                lessons=data["lessons"],
                due_date=data["due_date"],
                note=data["note"],
                require_fresh_completion=data["require_fresh_completion"],
            )
        except AssignmentError as exc:
            messages.error(request, str(exc))
        else:
            who = ", ".join(str(a.assignee) for a in created)
            messages.success(request, f"Assigned “{course}” to {who}.")
            query = {"course": course.slug}
            if data["team"]:
                query["team"] = data["team"].pk
            return redirect(f"{reverse('courses:trainer_dashboard')}?{urlencode(query)}")
    return render(request, "courses/trainer/assign.html", {"course": course, "form": form})


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
