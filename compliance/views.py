"""The compliance pages: the matrix (a trainer's people, or everyone for an admin),
its CSV and XLSX exports, and granting an exemption."""

from __future__ import annotations

import csv
import datetime
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.http import MalformedInput, parse_choice, parse_id, parse_page, parse_text
from compliance.digests import choose_digest
from compliance.matrix import (
    CellState,
    Matrix,
    Row,
    all_rows,
    people_in_order,
    required_courses,
    rows_of,
    with_state,
)
from compliance.models import DigestChoice, Weekday
from compliance.reports import build_report
from compliance.services import ExemptionError, grant_exemption
from courses.models import Course
from training.dashboard import CSV_LANGUAGE, neutralise
from training.models import Team
from training.roles import learners_followed_by, teams_managed_by
from training.views.dashboard import require_trainer

User = get_user_model()
PER_PAGE = 50
MAX_SEARCH = 100
SORTS = {
    "name": gettext_lazy("Name"),
    "-name": gettext_lazy("Name (Z to A)"),
    "least": gettext_lazy("Least compliant first"),
}
SORT_CHOICES = ("name", "-name", "least")


@dataclass(frozen=True)
class Choice:
    """What the matrix is asked to show, from the query string (a 400 for anything
    the form does not offer, a 404 for a team or course that is not the trainer's)."""

    people: QuerySet
    teams: list[Team]
    team: Team | None
    courses: list[Course]
    course: Course | None
    state: str
    query: str
    sort: str
    day: datetime.date


def parse_day(value: str) -> datetime.date:
    """ "As of": a past day or today, YYYY-MM-DD; empty is today."""
    today = timezone.localdate()
    if not value:
        return today
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise MalformedInput("as_of: a date as YYYY-MM-DD.") from None
    if day > today:
        raise MalformedInput("as_of: today or a day before.")
    return day


def _people(request: HttpRequest, team: Team | None, query: str) -> QuerySet:
    people = learners_followed_by(request.user)
    if team is not None:
        people = people.filter(teams=team)
    if query:
        for word in query.split()[:5]:
            people = people.filter(
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
                | Q(email__icontains=word)
            )
    return people


def _choice(request: HttpRequest) -> Choice:
    require_trainer(request)
    get = request.GET
    teams = list(teams_managed_by(request.user))
    team = None
    if team_id := get.get("team", ""):
        team = next((t for t in teams if str(t.pk) == team_id), None)
        if team is None:
            raise Http404("No such team.")
    query = parse_text(get.get("q", ""), name="q", max_length=MAX_SEARCH)
    people = _people(request, team, query)
    all_courses = required_courses(people)
    course = None
    if slug := get.get("course", ""):
        course = next((c for c in all_courses if c.slug == slug), None)
        if course is None:
            raise Http404("No such course.")
    return Choice(
        people=people,
        teams=teams,
        team=team,
        courses=all_courses,
        course=course,
        state=parse_choice(get.get("state", ""), ["", *CellState.values], name="state"),
        query=query,
        sort=parse_choice(get.get("sort") or "name", SORT_CHOICES, name="sort"),
        day=parse_day(get.get("as_of", "")),
    )


def _columns(choice: Choice) -> list[Course]:
    return [choice.course] if choice.course else choice.courses


def _people_shown(choice: Choice) -> QuerySet:
    """The people the page lists: a state filter is the rule in SQL (with_state)."""
    people = choice.people
    if choice.state:
        people = with_state(people, choice.state, _columns(choice), choice.day)
    return people


def _least_compliant_first(choice: Choice) -> list[Row]:
    """Everyone's rows, least compliant first (reads every cell, in chunks)."""
    people = people_in_order(_people_shown(choice), "name")
    rows = list(all_rows(people, _columns(choice), choice.day))
    rows.sort(key=lambda row: row.worst)  # stable: by name within a state
    return rows


def build_page(choice: Choice, page_number: int) -> tuple[Matrix, object]:
    columns = _columns(choice)
    if choice.sort == "least":
        page = Paginator(_least_compliant_first(choice), PER_PAGE).get_page(page_number)
        rows = list(page.object_list)
    elif choice.state:
        # The state filter is evaluated once: the matching people's ids in order
        # (one query), then the page's people by id.
        ids = list(people_in_order(_people_shown(choice), choice.sort).values_list("pk", flat=True))
        page = Paginator(ids, PER_PAGE).get_page(page_number)
        found = people_in_order(choice.people.filter(pk__in=list(page.object_list)), choice.sort)
        rows = rows_of(list(found), columns, choice.day)
    else:
        people = people_in_order(choice.people, choice.sort)
        page = Paginator(people, PER_PAGE).get_page(page_number)
        rows = rows_of(list(page.object_list), columns, choice.day)
    return Matrix(columns, rows, choice.day), page


def matrix(request: HttpRequest) -> HttpResponse:
    choice = _choice(request)
    table, page = build_page(choice, parse_page(request.GET.get("page", "")))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "compliance/matrix.html",
        {
            "choice": choice,
            "matrix": table,
            "page": page,
            "states": CellState.choices,
            "sorts": SORTS,
            "today": timezone.localdate(),
            # The date input's value is ISO, whatever the language (what it submits).
            "as_of_value": choice.day.isoformat(),
            "today_value": timezone.localdate().isoformat(),
            "query_string": query.urlencode(),
        },
    )


# Exports: every row (no pages), read in chunks, words in English -----------------------


def _export_rows(choice: Choice) -> Iterator[list[str]]:
    columns = _columns(choice)
    with translation.override(CSV_LANGUAGE):
        yield ["as of", choice.day.isoformat()]
        yield ["learner", "username", "email", *(course.title for course in columns)]
        if choice.sort == "least":
            rows: Iterator[Row] = iter(_least_compliant_first(choice))
        else:
            people = people_in_order(_people_shown(choice), choice.sort)
            rows = all_rows(people, columns, choice.day)
        for row in rows:
            person = row.person
            yield [
                person.get_full_name() or person.get_username(),  # type: ignore[attr-defined]
                person.get_username(),  # type: ignore[attr-defined]
                person.email,  # type: ignore[attr-defined]
                *(_cell_text(cell) for cell in row.cells),
            ]


def _cell_text(cell) -> str:
    label = str(CellState(cell.state).label).lower()
    return f"{label} {cell.date.isoformat()}" if cell.date else label


class _Echo:
    def write(self, value: str) -> str:
        return value


def _filename(choice: Choice, extension: str) -> str:
    return f"compliance-{choice.day.isoformat()}.{extension}"


def matrix_csv(request: HttpRequest) -> StreamingHttpResponse:
    choice = _choice(request)
    writer = csv.writer(_Echo())
    lines = (writer.writerow([neutralise(value) for value in row]) for row in _export_rows(choice))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(choice, "csv")}"'
    return response


def matrix_xlsx(request: HttpRequest) -> FileResponse:
    """The same rows as an Excel workbook, written in openpyxl's write-only mode (rows
    go to a temporary file as they come: constant memory)."""
    from openpyxl import Workbook

    choice = _choice(request)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Compliance"))
    for row in _export_rows(choice):
        sheet.append([neutralise(value) for value in row])
    output = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    book.save(output)
    output.seek(0)
    return FileResponse(
        output,
        as_attachment=True,
        filename=_filename(choice, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# Exemptions -------------------------------------------------------------------------------


def _exemption_target(request: HttpRequest, data) -> tuple[object, Course]:
    learner_id = parse_id(data.get("learner", ""), "learner")
    course_id = parse_id(data.get("course", ""), "course")
    learner = learners_followed_by(request.user).filter(pk=learner_id).first()
    course = Course.objects.filter(pk=course_id).first()
    if learner is None or course is None:
        raise Http404("No such learner or course.")
    return learner, course


def new_exemption(request: HttpRequest) -> HttpResponse:
    require_trainer(request)
    data = request.POST if request.method == "POST" else request.GET
    learner, course = _exemption_target(request, data)
    error = ""
    if request.method == "POST":
        reason = parse_text(data.get("reason", ""), name="reason", max_length=1000)
        until_text = data.get("until", "")
        try:
            until = datetime.date.fromisoformat(until_text) if until_text else None
        except ValueError:
            raise MalformedInput("until: a date as YYYY-MM-DD.") from None
        try:
            grant_exemption(request.user, learner, course, reason=reason, until=until)
        except ExemptionError as exc:
            error = str(exc)
        else:
            messages.success(request, _("The exemption is recorded."))
            return HttpResponseRedirect(reverse("compliance:matrix"))
    return render(
        request,
        "compliance/exemption_form.html",
        {"learner": learner, "course": course, "error": error, "data": data},
        status=400 if error else 200,
    )


# Reports over time -------------------------------------------------------------------------


def reports(request: HttpRequest) -> HttpResponse:
    require_trainer(request)
    teams = list(teams_managed_by(request.user))
    team = None
    if team_id := request.GET.get("team", ""):
        team = next((t for t in teams if str(t.pk) == team_id), None)
        if team is None:
            raise Http404("No such team.")
    people = _people(request, team, "")
    courses = required_courses(people)
    course = courses[0] if courses else None
    if slug := request.GET.get("course", ""):
        course = next((c for c in courses if c.slug == slug), None)
        if course is None:
            raise Http404("No such course.")
    report = build_report(people, course) if course else None
    return render(
        request,
        "compliance/reports.html",
        {"teams": teams, "team": team, "courses": courses, "course": course, "report": report},
    )


# The weekly digest's settings ----------------------------------------------------------------


def digest_settings(request: HttpRequest) -> HttpResponse:
    require_trainer(request)
    choice = DigestChoice.objects.filter(trainer_id=request.user.pk).first()
    if request.method == "POST":
        weekday = parse_choice(
            request.POST.get("weekday", ""), [str(d) for d in Weekday.values], name="weekday"
        )
        choose_digest(
            request.user, enabled=request.POST.get("enabled") == "on", weekday=int(weekday)
        )
        messages.success(request, _("Your digest settings are saved."))
        return HttpResponseRedirect(reverse("compliance:digest"))
    return render(
        request,
        "compliance/digest_settings.html",
        {
            "enabled": choice.enabled if choice else True,
            "weekday": choice.weekday if choice else Weekday.MONDAY,
            "weekdays": Weekday.choices,
        },
    )
