"""Assigning courses, and changing or removing an assignment."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from training import services
from training.assignments import kept_elsewhere
from training.forms import AssignmentForm, ChangeAssignmentForm
from training.models import Assignment
from training.roles import can_assign, courses_assignable_by, may_manage_assignment
from training.services import (
    AssignmentError,
    assign_course,
    assignee_name,
    change_assignment,
    person_name,
)
from training.views.dashboard import require_trainer


def _names(assignments: list[Assignment]) -> str:
    """ "Support", "Kira Jones and Sam Lee", "A, B and C"."""
    names = [assignee_name(a) for a in assignments]
    if len(names) == 1:
        return names[0]
    return _("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


def _dashboard_url(assignment: Assignment) -> str:
    query = {"course": assignment.course.slug} if assignment.course.published_at else {}
    if assignment.team_id:
        query["team"] = assignment.team_id
    return (
        f"{reverse('training:dashboard')}?{urlencode(query)}"
        if query
        else reverse("training:dashboard")
    )


def assign(request: HttpRequest, course_slug: str) -> HttpResponse:
    require_trainer(request)
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
                renewal=form.renewal,
            )
        except AssignmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Assigned “%(course)s” to %(names)s.")
                % {"course": course, "names": _names(created)},
            )
            return redirect(_dashboard_url(created[0]))
    return render(request, "training/assign.html", {"course": course, "form": form})


def _managed(request: HttpRequest, assignment_id: int) -> Assignment:
    """The assignment, if the user may manage it; else 404 (no hint it exists)."""
    require_trainer(request)
    assignment = get_object_or_404(
        Assignment.objects.select_related(
            "course", "team", "learner", "assigned_by"
        ).prefetch_related("lessons"),
        pk=assignment_id,
    )
    if not may_manage_assignment(request.user, assignment):
        raise Http404("No such assignment.")
    return assignment


@require_http_methods(["GET", "HEAD", "POST"])
def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """An assignment: change its due date, note and lessons; its audit log."""
    assignment = _managed(request, assignment_id)
    form = ChangeAssignmentForm(request.POST or None, assignment=assignment)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = change_assignment(
                request.user,
                assignment,
                due_date=data["due_date"],
                note=data["note"],
                lessons=data.get("lessons", []),
            )
        except AssignmentError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Changes saved.") if changed else _("Nothing was changed."))
            return redirect("training:assignment", assignment.pk)
    return render(
        request,
        "training/assignment.html",
        {
            "assignment": assignment,
            "assignee": assignee_name(assignment),
            "assigned_by": person_name(assignment.assigned_by) if assignment.assigned_by else "",
            "lessons": [lesson for lesson in assignment.lessons.all() if lesson.is_published],
            "form": form,
            "events": assignment.events.all(),
            "dashboard_url": _dashboard_url(assignment),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def remove_assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Remove an assignment (progress and scores are kept), after a confirmation."""
    assignment = _managed(request, assignment_id)
    if request.method != "POST":
        return render(
            request,
            "training/remove_assignment.html",
            {
                "assignment": assignment,
                "assignee": assignee_name(assignment),
                # Who keeps the course through another assignment (the one rule).
                "kept": kept_elsewhere(assignment),
            },
        )
    try:
        services.remove_assignment(request.user, assignment)
    except AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Removed “%(course)s” from %(assignee)s. Their progress and scores are kept.")
            % {"course": assignment.course, "assignee": assignee_name(assignment)},
        )
    return redirect(_dashboard_url(assignment))
