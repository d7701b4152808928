"""Assigning courses, and changing or removing an assignment."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from training.forms import AssignmentForm
from training.roles import can_assign, courses_assignable_by
from training.services import AssignmentError, assign_course
from training.views.dashboard import _require_trainer


def assign(request: HttpRequest, course_slug: str) -> HttpResponse:
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
            return redirect(f"{reverse('training:dashboard')}?{urlencode(query)}")
    return render(request, "training/assign.html", {"course": course, "form": form})


def assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """An assignment: change its due date, note and lessons; its audit log."""
    raise Http404("Not built yet.")  # issue 11: being built


def remove_assignment(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Remove an assignment (progress and scores are kept), after a confirmation."""
    raise Http404("Not built yet.")  # issue 11: being built
