"""Learning paths' pages: the learner's path page and their path certificate (page and
PDF), and the trainer's paths page, where paths are assigned and their assignments
removed. The path page asks paths.rules (where the learner stands), progress.rules
(each course's state) and progress.prerequisites (what unlocks a course), so it lives
here, above all three."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from courses.models import Course
from lessons.translations import show_in_language
from paths.certificates import (
    find_path_certificate,
    path_certificate_context,
    path_certificate_pdf,
)
from paths.models import PathCertificate, PathCourse
from paths.rules import PathProgress, path_progress
from progress.prerequisites import Lock, mark_course_locks
from progress.rules import CourseProgress, CourseState, NextStep, courses_with_next_step
from training.assignments import due_label
from training.path_forms import PathAssignmentForm
from training.paths import (
    assign_path,
    latest_path_completion,
    path_assignee_name,
    path_assignments_managed_by,
    path_assignments_of,
    paths_assignable_by,
    paths_visible_to,
    remove_path_assignment,
)
from training.roles import can_assign, follows_learner
from training.services import AssignmentError
from training.views.dashboard import require_trainer

# The learner's path page ---------------------------------------------------------------

EXPIRED = "expired"
LOCKED = "locked"


@dataclass(frozen=True)
class PathStep:
    """One course of the path as its page shows it."""

    number: int
    course: Course
    progress: CourseProgress | None  # None: no published lesson, or not visible to them
    step: NextStep | None
    lock: Lock | None
    state: str  # a CourseState value, or EXPIRED, or LOCKED
    is_next: bool

    @property
    def course_state(self) -> CourseState | None:
        """The state as a course's badge shows it (None: expired or locked)."""
        return CourseState(self.state) if self.state in CourseState.values else None


def _steps(learner, progress: PathProgress) -> list[PathStep]:
    """The path's courses in order, each with the learner's state in it: two queries
    (progress.rules), and those of the prerequisites when a course requires another."""
    ids = [course.pk for course in progress.courses]
    rows = courses_with_next_step(learner, Course.objects.visible_to(learner).filter(pk__in=ids))
    found = {course.pk: (course, course_progress, step) for course, course_progress, step in rows}
    completed = {pk for pk, (_c, done, _s) in found.items() if done.completed_at}
    courses = [found[course.pk][0] if course.pk in found else course for course in progress.courses]
    required = mark_course_locks(learner, courses, completed)
    show_in_language(courses=courses + required)
    following = progress.next_course
    steps = []
    for number, course in enumerate(courses, start=1):
        _row, course_progress, step = found.get(course.pk, (course, None, None))
        lock = getattr(course, "lock", None)
        steps.append(
            PathStep(
                number,
                course,
                course_progress,
                step,
                lock,
                _state(progress, course, course_progress, lock),
                following is not None and following.pk == course.pk,
            )
        )
    return steps


def _state(
    progress: PathProgress, course: Course, course_progress: CourseProgress | None, lock
) -> str:
    if course.pk in progress.counted:
        return CourseState.COMPLETED.value
    if course.pk in progress.expired:
        return EXPIRED
    if lock is not None:
        return LOCKED
    return course_progress.course_state.value if course_progress else CourseState.NOT_STARTED.value


def path_detail(request: HttpRequest, path_slug: str) -> HttpResponse:
    """A path: its courses in order with the learner's state in each, "Course 2 of 4",
    the due date if it is assigned to them, and the certificate once complete."""
    path = get_object_or_404(paths_visible_to(request.user), slug=path_slug)
    progress = path_progress(request.user, path)
    assignment = path_assignments_of(request.user).filter(path=path).order_by("due_date").first()
    today = timezone.localdate()
    due = None
    if assignment is not None and not progress.is_complete:
        overdue = assignment.due_date is not None and assignment.due_date < today
        due = {"label": due_label(assignment.due_date, today), "overdue": overdue}
    return render(
        request,
        "paths/path_detail.html",
        {
            "path": path,
            "progress": progress,
            "steps": _steps(request.user, progress),
            "completion": latest_path_completion(request.user, path),
            "due": due,
        },
    )


# Path certificates ---------------------------------------------------------------------


def can_view_path_certificate(user, certificate: PathCertificate) -> bool:
    """As a course certificate (training.views.certificates.can_view_certificate): the
    learner it belongs to, a trainer who follows them, staff who may read path
    certificates in the admin."""
    if not user.is_authenticated:
        return False
    learner_id = certificate.completion.learner_id
    if user.pk == learner_id:
        return True
    if user.is_staff and (
        user.has_perm("paths.view_pathcertificate") or user.has_perm("paths.change_pathcertificate")
    ):
        return True
    return follows_learner(user, learner_id)


def _path_certificate_for(request: HttpRequest, code: str) -> PathCertificate:
    certificate = find_path_certificate(code, "completion__learner__profile")
    if certificate is None or not can_view_path_certificate(request.user, certificate):
        raise Http404("No such certificate.")
    return certificate


def path_certificate_page(request: HttpRequest, code: str) -> HttpResponse:
    certificate = _path_certificate_for(request, code)
    return render(request, "paths/certificate.html", path_certificate_context(certificate))


def path_certificate_download(request: HttpRequest, code: str) -> HttpResponse:
    certificate = _path_certificate_for(request, code)
    response = HttpResponse(path_certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="path-certificate-{certificate.code}.pdf"'
    )
    return response


# The trainer's paths page -----------------------------------------------------------------


def _require_assigner(request: HttpRequest) -> None:
    require_trainer(request)
    if not can_assign(request.user):
        raise Http404("No such page.")


def trainer_paths(request: HttpRequest) -> HttpResponse:
    """Every published path with its courses, and the assignments of it the trainer
    manages (each with Remove); Assign on each. Three queries."""
    _require_assigner(request)
    steps = PathCourse.objects.filter(course__published_at__isnull=False).select_related("course")
    paths = list(
        paths_assignable_by(request.user).prefetch_related(
            Prefetch("steps", queryset=steps.order_by("position"), to_attr="published_steps")
        )
    )
    assignments: dict[int, list] = {}
    for row in path_assignments_managed_by(request.user).filter(path__in=paths).order_by("pk"):
        assignments.setdefault(row.path_id, []).append((row, path_assignee_name(row)))
    return render(
        request,
        "training/paths.html",
        {"paths": [(path, assignments.get(path.pk, [])) for path in paths]},
    )


def assign_path_page(request: HttpRequest, path_slug: str) -> HttpResponse:
    _require_assigner(request)
    path = get_object_or_404(paths_assignable_by(request.user), slug=path_slug)
    form = PathAssignmentForm(request.POST or None, trainer=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            made = assign_path(
                by=request.user,
                path=path,
                team=data["team"],
                learners=data["learners"],
                due_date=data["due_date"],
                note=data["note"],
            )
        except AssignmentError as exc:
            messages.error(request, str(exc))
        else:
            names = ", ".join(path_assignee_name(row) for row in made)
            messages.success(
                request, _("Assigned “%(path)s” to %(names)s.") % {"path": path, "names": names}
            )
            return redirect("training:paths")
    return render(request, "training/assign_path.html", {"path": path, "form": form})


@require_http_methods(["GET", "HEAD", "POST"])
def remove_path_assignment_page(request: HttpRequest, assignment_id: int) -> HttpResponse:
    """Remove a path assignment and the course assignments made with it, after a
    confirmation (progress and scores are kept)."""
    _require_assigner(request)
    assignment = get_object_or_404(
        path_assignments_managed_by(request.user).prefetch_related("assignments__course"),
        pk=assignment_id,
    )
    assignee = path_assignee_name(assignment)
    if request.method != "POST":
        return render(
            request,
            "training/remove_path_assignment.html",
            {
                "assignment": assignment,
                "assignee": assignee,
                "courses": [row.course for row in assignment.assignments.all()],
            },
        )
    try:
        remove_path_assignment(request.user, assignment)
    except AssignmentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Removed “%(path)s” from %(assignee)s. Their progress and scores are kept.")
            % {"path": assignment.path, "assignee": assignee},
        )
    return redirect("training:paths")
