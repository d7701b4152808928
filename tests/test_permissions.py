"""Who may open and change what (issue 9): every admin page and every site page, role
by role, against a table.

The tables say what each role may do. Every other cell must be refused (403, 404,
or a redirect to a login page), and a refused POST must leave the database as it
was. The admin's URLs are generated from its registry (each model's list, add,
change, delete and history pages, its own extra pages, every action, the
raw-id popups and the autocomplete endpoint for every relation) and the site's
from the URL resolver, so a new model or page is covered, or a test says what
the table is missing. Every HTML page of both walks must also show no template
syntax in its visible text (issue 20: a two-line comment printed on every page).

Trainers here have staff status too: the dangerous configuration the README used
to recommend. Their group holds no model permission, so the admin shows them nothing.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import import_module

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone

from compliance.models import Exemption
from courses.models import Course, MediaFile, Visibility
from courses.roles import ensure_content_editors_group, may_preview_content
from lessons.models import Certificate, CourseCompletion, Lesson, LessonProgress
from paths.models import Path, PathCertificate, PathCompletion, PathCourse
from paths.services import record_due_path_completions
from progress.services import complete_lesson, record_course_completion
from quizzes.models import Attempt, Question, Quiz
from tests.factories import make_course, make_quiz, make_user, take_quiz
from tests.visible_text import is_html, template_syntax_in
from training.models import Assignment, PathAssignment, Team
from training.roles import TRAINERS, can_assign, can_follow, learners_followed_by, teams_managed_by
from training.services import AssignmentError, assign_course

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "learner",  # alice, in team A
    "second_learner",  # bob, in team B
    "trainer_a",  # trains team A; Trainers group and staff status
    "trainer_b",  # trains team B; the same
    "content_editor",  # staff, Content editors group
    "content_viewer",  # staff who may only view content (how trainers saw courses before)
    "staff",  # staff status, no group, no permission
    "superuser",
]
ANYONE = frozenset(ROLES)
SIGNED_IN = ANYONE - {"anonymous"}
NOBODY: frozenset[str] = frozenset()
PASSWORD = "a new password 42!"


# The world: one of everything ---------------------------------------------------


@dataclass
class World:
    users: dict[str, object]  # role -> user (None for anonymous)
    loner: object  # a learner in no team
    team_a: Team
    team_b: Team
    course: Course  # open, two lessons, a quiz on the first; alice completed it
    quiz: Quiz
    attempt: Attempt
    completion: CourseCompletion
    certificate: Certificate
    secret: Course  # assigned only, to team A
    secret_lesson: Lesson
    secret_quiz: Quiz
    assignment: Assignment  # team A's assignment of the secret course
    draft: Course  # a draft course with a draft lesson
    draft_lesson: Lesson
    path: Path | None = None  # a learning path of the open course; alice completed it
    path_certificate: PathCertificate | None = None
    path_assignment: PathAssignment | None = None  # of the path, to team A
    admin_objects: dict[type[models.Model], models.Model] = field(default_factory=dict)


@pytest.fixture
def world(
    learner, second_learner, trainer, team, other_team, admin_user, settings, tmp_path
) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"  # the media file below is written there
    trainer_b = other_team.trainers.get()
    for person in (trainer, trainer_b):
        person.is_staff = True  # the dangerous configuration
        person.save(update_fields=["is_staff"])
    editor = make_user("edna", is_staff=True)
    editor.groups.add(ensure_content_editors_group())
    viewer = make_user("vera", is_staff=True)
    viewer.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[f"view_{m}" for m in ("course", "lesson", "quiz", "question", "choice")]
        )
    )
    staff = make_user("sam", is_staff=True)
    loner = make_user("nora", first_name="Nora", last_name="Alone")
    # An SSO account, so the admin's Social accounts pages have an object to show.
    SocialAccount.objects.create(user=loner, provider="sso", uid="nora-sub")

    course = make_course(lessons=2, slug="serving", title="Serving customers")
    first, second = course.lessons.order_by("position")
    quiz = make_quiz(lesson=first)
    attempt = take_quiz(learner, quiz)  # passed: the first lesson is complete
    complete_lesson(learner, second)
    completion = record_course_completion(learner, course)

    secret = make_course(lessons=1, slug="secret", title="Assigned only")
    secret.visibility = Visibility.ASSIGNED
    secret.save()
    secret_lesson = secret.lessons.get()
    secret_quiz = make_quiz(
        lesson=secret_lesson,
        questions=[
            {
                "type": "true_false",
                "prompt": "Is it secret?",
                "choices": [("True", True), ("False", False)],
            }
        ],
    )
    (assignment,) = assign_course(
        by=trainer,
        course=secret,
        team=team,
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )

    # A document of the assigned-only course (issue 12), served to those who see it.
    MediaFile.objects.create(
        course=secret,
        path="media/checklist.pdf",
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="checklist.pdf"),
        content_type="application/pdf",
        size=14,
        content_hash="0" * 64,
    )

    draft = make_course(lessons=1, slug="draft", title="Draft course")
    draft_lesson = draft.lessons.get()
    Course.objects.filter(pk=draft.pk).update(published_at=None)
    Lesson.objects.filter(pk=draft_lesson.pk).update(published_at=None)

    # A learning path (issue 23) of the open course, which alice completed: her path
    # completion is recorded as due; assigned to team A (with no course assignment).
    path = Path.objects.create(slug="basics", title="Basics", published_at=timezone.now())
    PathCourse.objects.create(path=path, course=course, position=1)
    record_due_path_completions(path)
    path_assignment = PathAssignment.objects.create(path=path, team=team, assigned_by=trainer)
    # An exemption (issue 23): alice need not hold the secret course.
    exemption = Exemption.objects.create(
        learner=learner, course=secret, reason="Certified elsewhere", starts_on=timezone.localdate()
    )

    world = World(
        users={
            "anonymous": None,
            "learner": learner,
            "second_learner": second_learner,
            "trainer_a": trainer,
            "trainer_b": trainer_b,
            "content_editor": editor,
            "content_viewer": viewer,
            "staff": staff,
            "superuser": admin_user,
        },
        loner=loner,
        team_a=team,
        team_b=other_team,
        course=course,
        quiz=quiz,
        attempt=attempt,
        completion=completion,
        certificate=completion.certificate,
        secret=secret,
        secret_lesson=secret_lesson,
        secret_quiz=secret_quiz,
        assignment=assignment,
        draft=draft,
        draft_lesson=draft_lesson,
        path=path,
        path_certificate=PathCertificate.objects.get(),
        path_assignment=path_assignment,
    )
    # The object each admin model's change, delete and history pages are opened for.
    world.admin_objects = {
        Group: Group.objects.get(name=TRAINERS),
        type(learner): learner,
        Course: secret,
        Team: team,
        Assignment: assignment,
        Lesson: first,
        LessonProgress: LessonProgress.objects.filter(learner=learner).first(),
        CourseCompletion: completion,
        Certificate: completion.certificate,
        Quiz: quiz,
        Question: quiz.questions.first(),
        Attempt: attempt,
        Path: path,
        PathCompletion: PathCompletion.objects.get(),
        PathCertificate: world.path_certificate,
        PathAssignment: path_assignment,
        Exemption: exemption,
    }
    return world


def client_for(world: World, role: str) -> Client:
    client = Client()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    return client


# Refusals and the database ---------------------------------------------------------


def refused(response) -> bool:
    """403, 404, or a redirect to the site's or the admin's login page."""
    if response.status_code in (403, 404):
        return True
    if response.status_code == 302:
        location = response["Location"]
        return location.startswith((reverse("login"), reverse("admin:login")))
    return False


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table (sessions aside: they change on every request)."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label == "sessions.Session":
            continue
        state[model._meta.label] = list(model._base_manager.order_by("pk").values_list())
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def describe(response) -> str:
    location = f" -> {response['Location']}" if response.status_code in (301, 302) else ""
    return f"{response.status_code}{location}"


def template_text_problem(where: str, response) -> str:
    """Template syntax in an HTML page's visible text (a comment that spans lines, a
    tag or variable printed as it is), or ''."""
    if not is_html(response):
        return ""
    found = template_syntax_in(response.content.decode())
    return f"{where}: template text on the page: {', '.join(found)}" if found else ""


# The admin table -----------------------------------------------------------------

NONE, VIEW, EDIT = 0, 1, 2
CONTENT = ["courses.course", "lessons.lesson", "quizzes.quiz", "quizzes.question", "quizzes.choice"]
RECORDS = ["lessons.lessonprogress", "quizzes.attempt", "quizzes.answer"]
# What each role may do in the admin, per model; a model not named is NONE. These are
# upper bounds: a ModelAdmin may refuse more (records are read-only even for a
# superuser; content with learners' records cannot be deleted).
ADMIN_TABLE: dict[str, dict[str, int]] = {
    "anonymous": {},
    "learner": {},
    "second_learner": {},
    "trainer_a": {},  # trainers: nothing at all, staff status or not
    "trainer_b": {},
    "staff": {},
    "content_viewer": dict.fromkeys(CONTENT, VIEW),
    "content_editor": {**dict.fromkeys(CONTENT, EDIT), **dict.fromkeys(RECORDS, VIEW)},
}


def admin_level(role: str, model: type[models.Model]) -> int:
    if role == "superuser":
        return EDIT
    return ADMIN_TABLE[role].get(model._meta.label_lower, NONE)


STAFF_ROLES = {"trainer_a", "trainer_b", "content_editor", "content_viewer", "staff", "superuser"}
# Pages that only read: a role the table allows must get them (200), not just "no error".
READING = {"changelist", "popup", "change", "history"}


@dataclass
class AdminCell:
    kind: str
    method: str
    url: str
    level: int  # the level the table must give the role for this cell to be allowed
    data: dict | None = None


def all_permission_ids(_world: World) -> list[str]:
    return [str(pk) for pk in Permission.objects.values_list("pk", flat=True)]


# POST data for add and change pages: the form as a superuser's browser would send
# it, with these fields changed. Each is an attack a refused role must not manage.
ADD_DATA: dict[str, Callable[[World], dict]] = {
    "auth.group": lambda w: {"name": "Escalated", "permissions": all_permission_ids(w)},
    "auth.user": lambda w: {
        "username": "mallory",
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
    },
    "courses.course": lambda w: {"slug": "new-course", "title": "New course"},
    "training.team": lambda w: {"name": "New team", "members": [str(w.loner.pk)]},
    # The attack: an assigned-only course for a learner in no team.
    "training.assignment": lambda w: {
        "course": str(w.secret.pk),
        "learner": str(w.loner.pk),
        "due_date": "2030-01-01",
    },
    "lessons.lesson": lambda w: {
        "course": str(w.course.pk),
        "title": "New lesson",
        "slug": "new-lesson",
        "position": "9",
        "body_markdown": "New.",
    },
    "quizzes.quiz": lambda w: {"course": str(w.draft.pk), "pass_mark": "80", "max_attempts": "0"},
    "quizzes.question": lambda w: {
        "quiz": str(w.quiz.pk),
        "position": "9",
        "key": "new",
        "type": "short",
        "prompt": "New?",
        "accepted_answers": '["yes"]',
    },
}
CHANGE_DATA: dict[str, Callable[[World], dict]] = {
    "auth.group": lambda w: {"permissions": all_permission_ids(w)},
    "auth.user": lambda w: {"is_staff": "on", "is_superuser": "on"},
    "courses.course": lambda w: {"title": "Changed", "visibility": Visibility.OPEN},
    "training.team": lambda w: {
        "name": "Changed",
        "members": [str(w.users["learner"].pk), str(w.loner.pk)],
        "trainers": [str(w.users["trainer_a"].pk), str(w.users["trainer_b"].pk)],
    },
    "training.assignment": lambda w: {"due_date": "2020-01-01"},
    "lessons.lesson": lambda w: {"title": "Changed"},
    "quizzes.quiz": lambda w: {"pass_mark": "1"},
    "quizzes.question": lambda w: {"prompt": "Changed?"},
}
# The ModelAdmins' own pages (by URL name), and what to post to them.
CUSTOM_DATA: dict[str, dict] = {
    "lessons_certificate_revoke": {"reason": "Revoked by someone who may not."},
    "paths_pathcertificate_revoke": {"reason": "Revoked by someone who may not."},
    "auth_user_password_change": {
        "usable_password": "true",
        "password1": PASSWORD,
        "password2": PASSWORD,
    },
}
STANDARD_VIEWS = {"changelist", "add", "history", "delete", "change"}


class FormFields(HTMLParser):
    """The fields a browser would submit from the admin's change (or add) form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._in_form = False
        self._done = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form" and not self._done and (attrs.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value") or "on")
                return
            self._add(name, attrs.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._add(self._select, attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            # A browser drops the newline Django writes after <textarea>.
            text = self._text[1:] if self._text.startswith("\n") else self._text
            self._add(self._textarea, text)
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text += data


def form_data(superuser: Client, url: str, changes: dict) -> dict:
    """What a superuser's browser would post from ``url``'s form, with ``changes``."""
    response = superuser.get(url)
    parser = FormFields()
    if response.status_code == 200:
        parser.feed(response.content.decode())
    return {**parser.data, **changes, "_save": "Save"}


def admin_cells(world: World, model: type[models.Model], role_user, superuser: Client):
    """Every admin URL of one registered model: GETs first, then POSTs, delete last."""
    model_admin = admin.site._registry[model]
    label = model._meta.label_lower
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    obj = world.admin_objects.get(model) or model._base_manager.first()
    assert obj is not None, f"the world fixture has no {label}: create one"
    changelist = reverse(f"{info}_changelist")
    add = reverse(f"{info}_add")
    change = reverse(f"{info}_change", args=[obj.pk])
    delete = reverse(f"{info}_delete", args=[obj.pk])
    gets = [
        AdminCell("changelist", "GET", changelist, VIEW),
        # The raw-id lookup window (and the "+" and pencil popups) of a related field.
        AdminCell("popup", "GET", f"{changelist}?_to_field=id&_popup=1", VIEW),
        AdminCell("add", "GET", add, EDIT),
        AdminCell("change", "GET", change, VIEW),
        AdminCell("history", "GET", reverse(f"{info}_history", args=[obj.pk]), VIEW),
        AdminCell("delete", "GET", delete, EDIT),
    ]
    posts = [
        AdminCell(
            "change",
            "POST",
            change,
            EDIT,
            form_data(superuser, change, CHANGE_DATA.get(label, lambda w: {})(world)),
        )
    ]
    # The ModelAdmin's own pages (revoke a certificate, set a user's password).
    for pattern in model_admin.get_urls():
        name = getattr(pattern, "name", None)
        if not name or f"admin:{name}" in {f"{info}_{view}" for view in STANDARD_VIEWS}:
            continue
        try:
            url = reverse(f"admin:{name}", args=[obj.pk])
        except NoReverseMatch:
            url = reverse(f"admin:{name}")
        gets.append(AdminCell(name, "GET", url, EDIT))
        posts.append(AdminCell(name, "POST", url, EDIT, CUSTOM_DATA.get(name, {})))
    # Every action, site-wide (delete_selected) and the model's own, on every object
    # (a draft and a published one, retired and not: any action would change something).
    selected = [
        str(pk)
        for pk in model._base_manager.values_list("pk", flat=True)
        if not (role_user is not None and model is type(role_user) and pk == role_user.pk)
    ]
    actions = [name for name, _func in admin.site.actions] + [
        action if isinstance(action, str) else action.__name__
        for action in model_admin.actions or []
    ]
    for action in actions:
        posts.append(
            AdminCell(
                f"action {action}",
                "POST",
                changelist,
                EDIT,
                {"action": action, "_selected_action": selected, "index": "0", "post": "yes"},
            )
        )
    add_data = form_data(superuser, add, ADD_DATA.get(label, lambda w: {})(world))
    posts.append(AdminCell("add", "POST", add, EDIT, add_data))
    posts.append(AdminCell("delete", "POST", delete, EDIT, {"post": "yes"}))
    return gets + posts


def check_admin_cell(role: str, model, cell: AdminCell, response, tables: list[str]) -> str:
    """What is wrong with this cell's answer, or ''."""
    allowed = admin_level(role, model) >= cell.level
    where = f"{role} {cell.method} {cell.url} ({cell.kind})"
    if response.status_code >= 500:
        return f"{where}: {describe(response)}"
    if allowed:
        if cell.method == "GET" and cell.kind in READING and response.status_code != 200:
            return f"{where}: {describe(response)}, but the table allows it"
        return ""
    if tables:
        return f"{where}: {describe(response)} and changed {tables}; the table refuses it"
    if refused(response):
        return ""
    # Django answers an action it does not offer the role with the list, or a redirect
    # back to it ("No action selected."): a refusal, as the database is unchanged (above).
    if cell.kind.startswith("action") and (
        response.status_code == 200
        or (response.status_code == 302 and response["Location"] == cell.url)
    ):
        return ""
    return f"{where}: {describe(response)}; the table refuses it"


def registered_models() -> list[type[models.Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label_lower)


@pytest.mark.parametrize("label", [model._meta.label_lower for model in registered_models()])
@pytest.mark.parametrize("role", ROLES)
def test_admin_model_pages(world, role, label):
    """Every page and action of one model's admin, for one role."""
    model = apps.get_model(label)
    superuser = client_for(world, "superuser")
    client = client_for(world, role)
    cells = admin_cells(world, model, world.users[role], superuser)
    problems = []
    before = None  # the database as it was before this POST
    for cell in cells:
        if cell.method == "GET":
            response = client.get(cell.url)
            tables, before = [], None
        else:
            before = before or snapshot()
            response = client.post(cell.url, cell.data)
            after = snapshot()
            tables = changed_tables(before, after)
            before = after
        if problem := check_admin_cell(role, model, cell, response, tables):
            problems.append(problem)
        where = f"{role} {cell.method} {cell.url} ({cell.kind})"
        if problem := template_text_problem(where, response):
            problems.append(problem)
    assert not problems, "\n".join(problems)


def changelist_url(model: type[models.Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def relations() -> list[tuple[type[models.Model], models.Field]]:
    """Every forward relation of a registered model to a registered model: what the
    autocomplete endpoint answers for (it checks the target model's view permission)."""
    return [
        (model, relation)
        for model in registered_models()
        for relation in model._meta.get_fields()
        if relation.is_relation
        and not relation.auto_created
        and relation.concrete
        and relation.related_model in admin.site._registry
    ]


@pytest.mark.parametrize("role", ROLES)
def test_admin_site_pages(world, role):
    """The index, each app's index and the autocomplete endpoint for every relation."""
    client = client_for(world, role)
    problems = []
    index = client.get(reverse("admin:index"))
    problems.append(template_text_problem(f"{role} admin index", index))
    if role in STAFF_ROLES:
        page = index.content.decode()
        listed = {
            model._meta.label_lower
            for model in registered_models()
            if f'href="{changelist_url(model)}"' in page
        }
        may_see = {m._meta.label_lower for m in registered_models() if admin_level(role, m)}
        if index.status_code != 200 or listed != may_see:
            problems.append(f"{role} admin index: {describe(index)}, lists {sorted(listed)}")
    elif not refused(index):
        problems.append(f"{role} admin index: {describe(index)}; the table refuses it")
    for app_label in sorted({model._meta.app_label for model in registered_models()}):
        url = reverse("admin:app_list", args=[app_label])
        response = client.get(url)
        allowed = role in STAFF_ROLES and any(
            admin_level(role, m) for m in registered_models() if m._meta.app_label == app_label
        )
        if (response.status_code != 200) if allowed else not refused(response):
            problems.append(f"{role} GET {url}: {describe(response)}, allowed: {allowed}")
        problems.append(template_text_problem(f"{role} GET {url}", response))
    for model, relation in relations():
        url = reverse("admin:autocomplete") + (
            f"?app_label={model._meta.app_label}&model_name={model._meta.model_name}"
            f"&field_name={relation.name}&term="
        )
        response = client.get(url)
        allowed = role in STAFF_ROLES and admin_level(role, relation.related_model) >= VIEW
        if (response.status_code != 200) if allowed else not refused(response):
            problems.append(f"{role} GET {url}: {describe(response)}, allowed: {allowed}")
    problems = [problem for problem in problems if problem]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("label", sorted(set(ADD_DATA) | set(CHANGE_DATA)))
def test_the_admin_post_data_would_work_for_a_superuser(world, label):
    """The refusals above mean something only if the data posted is valid: a
    superuser posting the same data adds and changes."""
    model = apps.get_model(label)
    superuser = client_for(world, "superuser")
    cells = admin_cells(world, model, world.users["superuser"], superuser)
    for kind in ("change", "add"):
        cell = next(c for c in cells if c.kind == kind and c.method == "POST")
        response = superuser.post(cell.url, cell.data)
        assert response.status_code == 302, (kind, label, errors_in(response))


@pytest.mark.parametrize("name", sorted(CUSTOM_DATA))
def test_the_custom_admin_pages_data_would_work_for_a_superuser(world, name):
    superuser = client_for(world, "superuser")
    cell = next(
        cell
        for model in registered_models()
        for cell in admin_cells(world, model, world.users["superuser"], superuser)
        if cell.kind == name and cell.method == "POST"
    )
    before = snapshot()
    response = superuser.post(cell.url, cell.data)
    assert response.status_code == 302, errors_in(response)
    assert changed_tables(before, snapshot())  # revoked; the password set


def errors_in(response) -> str:
    return " ".join(
        re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode())
    )


# The site table ------------------------------------------------------------------


@dataclass
class SiteCase:
    name: str
    url_name: str
    args: Callable[[World], list]
    allowed: frozenset[str]
    method: str = "GET"
    query: Callable[[World], str] = lambda w: ""
    data: Callable[[World], dict] = lambda w: {}
    ok: tuple[int, ...] = (200,)  # what an allowed role gets


def no_args(_world: World) -> list:
    return []


LEARNER_AND_SUPERUSER = frozenset({"learner", "superuser"})
CONTENT_STAFF = frozenset({"content_editor", "superuser"})
TRAINERS_AND_SUPERUSER = frozenset({"trainer_a", "trainer_b", "superuser"})
TEAM_A = frozenset({"trainer_a", "superuser"})
TEAM_B = frozenset({"trainer_b", "superuser"})

SITE_TABLE = [
    SiteCase("login page", "login", no_args, ANYONE, ok=(200, 302)),
    # Accounts (issue 10): each person's own profile and password; reset pages for anyone.
    SiteCase("profile", "accounts:profile", no_args, SIGNED_IN),
    SiteCase(
        "save one's profile",
        "accounts:profile",
        no_args,
        SIGNED_IN,
        method="POST",
        data=lambda w: {"first_name": "New", "last_name": "Name", "email": "new@example.com"},
        ok=(200, 302),  # 302 saved; 200 when a previous role already took the address
    ),
    # The language switcher (issue 12): anyone, signed in or not.
    SiteCase(
        "choose a language",
        "accounts:language",
        no_args,
        ANYONE,
        method="POST",
        data=lambda w: {"language": "de", "next": "/"},
        ok=(302,),
    ),
    SiteCase("language switcher, GET", "accounts:language", no_args, ANYONE, ok=(302,)),
    SiteCase("password change", "password_change", no_args, SIGNED_IN),
    SiteCase("password change done", "password_change_done", no_args, SIGNED_IN),
    SiteCase("password reset", "password_reset", no_args, ANYONE),
    SiteCase("password reset sent", "password_reset_done", no_args, ANYONE),
    SiteCase(
        "password reset link (not valid)",
        "password_reset_confirm",
        lambda w: ["MQ", "not-a-token"],
        ANYONE,
    ),
    SiteCase("password reset complete", "password_reset_complete", no_args, ANYONE),
    # Operations (issue 10): the load balancer's health check needs no login.
    SiteCase("health check", "healthz", no_args, ANYONE),
    # Single sign-on is off in the tests: its two addresses answer 404 to everyone.
    SiteCase("SSO start", "openid_connect_login", lambda w: ["sso"], NOBODY),
    SiteCase("SSO callback", "openid_connect_callback", lambda w: ["sso"], NOBODY),
    SiteCase("verify form", "verify_certificate", no_args, ANYONE),
    SiteCase("verify alice's code", "verify_certificate", lambda w: [w.certificate.code], ANYONE),
    SiteCase("catalogue", "courses:catalogue", no_args, SIGNED_IN),
    SiteCase("home", "courses:home", no_args, SIGNED_IN, ok=(302,)),
    # Search (issue 12): what each person may see (tests/test_search.py checks which).
    SiteCase("search", "search", no_args, SIGNED_IN, query=lambda w: "?q=customer"),
    # Media (issue 12): a course's files for those who see the course, and content staff.
    SiteCase(
        "a document of the assigned-only course",
        "courses:media",
        lambda w: [w.secret.slug, "checklist.pdf"],
        frozenset({"learner", "content_editor", "superuser"}),
    ),
    SiteCase(
        "a document that does not exist",
        "courses:media",
        lambda w: [w.course.slug, "nothing.pdf"],
        NOBODY,
    ),
    SiteCase("my learning", "courses:my_learning", no_args, SIGNED_IN),
    SiteCase("my results", "quizzes:my_results", no_args, SIGNED_IN),
    SiteCase("open course", "courses:detail", lambda w: [w.course.slug], SIGNED_IN),
    SiteCase("assigned course", "courses:detail", lambda w: [w.secret.slug], LEARNER_AND_SUPERUSER),
    SiteCase("draft course", "courses:detail", lambda w: [w.draft.slug], NOBODY),
    SiteCase("continue open", "courses:continue", lambda w: [w.course.slug], SIGNED_IN, ok=(302,)),
    SiteCase(
        "continue assigned",
        "courses:continue",
        lambda w: [w.secret.slug],
        LEARNER_AND_SUPERUSER,
        ok=(302,),
    ),
    SiteCase(
        "complete open", "courses:complete", lambda w: [w.course.slug], SIGNED_IN, ok=(200, 302)
    ),
    SiteCase(
        "complete assigned",
        "courses:complete",
        lambda w: [w.secret.slug],
        LEARNER_AND_SUPERUSER,
        ok=(302,),
    ),
    SiteCase(
        "start again, assigned",
        "courses:start_again",
        lambda w: [w.secret.slug],
        LEARNER_AND_SUPERUSER,
        method="POST",
        ok=(302,),
    ),
    SiteCase("open lesson", "lessons:detail", lambda w: [w.course.slug, "lesson-2"], SIGNED_IN),
    SiteCase(
        "assigned lesson",
        "lessons:detail",
        lambda w: [w.secret.slug, w.secret_lesson.slug],
        LEARNER_AND_SUPERUSER,
    ),
    SiteCase(
        "draft lesson", "lessons:detail", lambda w: [w.draft.slug, w.draft_lesson.slug], NOBODY
    ),
    # The lesson page's script records the start with this POST (the GET writes nothing).
    SiteCase(
        "start open lesson",
        "lessons:start",
        lambda w: [w.course.slug, "lesson-2"],
        SIGNED_IN,
        method="POST",
        ok=(204,),
    ),
    SiteCase(
        "start assigned lesson",
        "lessons:start",
        lambda w: [w.secret.slug, w.secret_lesson.slug],
        LEARNER_AND_SUPERUSER,
        method="POST",
        ok=(204,),
    ),
    SiteCase(
        "start draft lesson",
        "lessons:start",
        lambda w: [w.draft.slug, w.draft_lesson.slug],
        NOBODY,
        method="POST",
        ok=(204,),
    ),
    SiteCase(
        "mark assigned lesson complete",
        "lessons:complete",
        lambda w: [w.secret.slug, w.secret_lesson.slug],
        LEARNER_AND_SUPERUSER,
        method="POST",
        ok=(302,),
    ),
    SiteCase("open quiz", "quizzes:take", lambda w: [w.quiz.pk], SIGNED_IN),
    SiteCase("assigned quiz", "quizzes:take", lambda w: [w.secret_quiz.pk], LEARNER_AND_SUPERUSER),
    # The quiz page's Start button opens the attempt (the GET opens none); its Time is
    # up button grades a timed attempt whose time is up (here none: back to the quiz).
    SiteCase(
        "start open quiz",
        "quizzes:start",
        lambda w: [w.quiz.pk],
        SIGNED_IN,
        method="POST",
        ok=(302,),
    ),
    SiteCase(
        "start assigned quiz",
        "quizzes:start",
        lambda w: [w.secret_quiz.pk],
        LEARNER_AND_SUPERUSER,
        method="POST",
        ok=(302,),
    ),
    SiteCase(
        "close open quiz",
        "quizzes:close",
        lambda w: [w.quiz.pk],
        SIGNED_IN,
        method="POST",
        ok=(302,),
    ),
    SiteCase(
        "close assigned quiz",
        "quizzes:close",
        lambda w: [w.secret_quiz.pk],
        LEARNER_AND_SUPERUSER,
        method="POST",
        ok=(302,),
    ),
    SiteCase("alice's result", "quizzes:result", lambda w: [w.attempt.pk], frozenset({"learner"})),
    SiteCase(
        "save into alice's attempt",
        "quizzes:save",
        lambda w: [w.attempt.pk],
        frozenset({"learner"}),
        method="POST",
        ok=(409,),  # it is submitted: nothing more is saved into it
    ),
    SiteCase(
        "alice's certificate",
        "certificate",
        lambda w: [w.certificate.code],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    SiteCase(
        "alice's certificate PDF",
        "certificate_pdf",
        lambda w: [w.certificate.code],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    # Learning paths (issue 23): a path's page, alice's path certificate and its check.
    SiteCase("a path", "paths:detail", lambda w: [w.path.slug], SIGNED_IN),
    SiteCase(
        "alice's path certificate",
        "paths:certificate",
        lambda w: [w.path_certificate.code],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    SiteCase(
        "alice's path certificate PDF",
        "paths:certificate_pdf",
        lambda w: [w.path_certificate.code],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    SiteCase(
        "verify alice's path code", "paths:verify", lambda w: [w.path_certificate.code], ANYONE
    ),
    # The training record (issue 23, audit/): the learner, their trainers, superusers.
    SiteCase(
        "alice's training record",
        "audit:training_record",
        lambda w: [w.users["learner"].pk],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    SiteCase(
        "alice's training record PDF",
        "audit:training_record_pdf",
        lambda w: [w.users["learner"].pk],
        frozenset({"learner", "trainer_a", "superuser"}),
    ),
    SiteCase("preview draft course", "preview_course", lambda w: [w.draft.pk], CONTENT_STAFF),
    SiteCase("preview assigned course", "preview_course", lambda w: [w.secret.pk], CONTENT_STAFF),
    SiteCase(
        "preview draft lesson", "preview_lesson", lambda w: [w.draft_lesson.pk], CONTENT_STAFF
    ),
    SiteCase(
        "preview assigned lesson",
        "preview_lesson",
        lambda w: [w.secret_lesson.pk],
        CONTENT_STAFF,
    ),
    SiteCase("dashboard", "training:dashboard", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase(
        "dashboard, team A",
        "training:dashboard",
        no_args,
        TEAM_A,
        query=lambda w: f"?team={w.team_a.pk}&course={w.secret.slug}",
    ),
    SiteCase(
        "dashboard, team B",
        "training:dashboard",
        no_args,
        TEAM_B,
        query=lambda w: f"?team={w.team_b.pk}&course={w.course.slug}",
    ),
    SiteCase(
        "export, team A",
        "training:export",
        no_args,
        TEAM_A,
        query=lambda w: f"?team={w.team_a.pk}&course={w.secret.slug}",
    ),
    # Nothing is assigned to team B: its dashboard shows progress, with nothing to export.
    SiteCase(
        "export, team B (nothing assigned)",
        "training:export",
        no_args,
        NOBODY,
        query=lambda w: f"?team={w.team_b.pk}&course={w.course.slug}",
    ),
    SiteCase(
        "summary, team A",
        "training:summary",
        no_args,
        TEAM_A,
        query=lambda w: f"?team={w.team_a.pk}",
    ),
    SiteCase(
        "summary, team B (nothing assigned)",
        "training:summary",
        no_args,
        NOBODY,
        query=lambda w: f"?team={w.team_b.pk}",
    ),
    SiteCase(
        "dashboard, individually assigned",
        "training:dashboard",
        no_args,
        TRAINERS_AND_SUPERUSER,
        query=lambda w: f"?team=individual&course={w.secret.slug}",
    ),
    SiteCase(
        "analytics, team A",
        "training:analytics",
        no_args,
        TEAM_A,
        query=lambda w: f"?team={w.team_a.pk}&course={w.secret.slug}",
    ),
    SiteCase(
        "analytics, team B",
        "training:analytics",
        no_args,
        TEAM_B,
        query=lambda w: f"?team={w.team_b.pk}&course={w.course.slug}",
    ),
    SiteCase("analytics", "training:analytics", no_args, TRAINERS_AND_SUPERUSER),
    # Compliance (issue 23): the matrix, its exports, reports, digest settings, exemptions.
    SiteCase("compliance matrix", "compliance:matrix", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase(
        "compliance matrix, team A",
        "compliance:matrix",
        no_args,
        TEAM_A,
        query=lambda w: f"?team={w.team_a.pk}&state=due",
    ),
    SiteCase("compliance CSV", "compliance:matrix_csv", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase("compliance Excel", "compliance:matrix_xlsx", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase("compliance over time", "compliance:reports", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase("digest settings", "compliance:digest", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase(
        "save digest settings",
        "compliance:digest",
        no_args,
        TRAINERS_AND_SUPERUSER,
        method="POST",
        data=lambda w: {"weekday": "2", "enabled": "on"},
        ok=(302,),
    ),
    SiteCase(
        "exempt a team A learner (form)",
        "compliance:new_exemption",
        no_args,
        TEAM_A,
        query=lambda w: f"?learner={w.users['learner'].pk}&course={w.secret.pk}",
    ),
    SiteCase(
        "exempt a team A learner",
        "compliance:new_exemption",
        no_args,
        TEAM_A,
        method="POST",
        data=lambda w: {"learner": w.users["learner"].pk, "course": w.secret.pk, "reason": "Leave"},
        ok=(302,),
    ),
    SiteCase(
        "team A's assignment",
        "training:assignment",
        lambda w: [w.assignment.pk],
        TEAM_A,
    ),
    SiteCase(
        "remove team A's assignment (confirmation)",
        "training:remove_assignment",
        lambda w: [w.assignment.pk],
        TEAM_A,
    ),
    SiteCase("learner alice", "training:learner", lambda w: [w.users["learner"].pk], TEAM_A),
    SiteCase(
        "learner bob",
        "training:learner",
        lambda w: [w.users["second_learner"].pk],
        TEAM_B,
    ),
    SiteCase(
        "learner in no team",
        "training:learner",
        lambda w: [w.loner.pk],
        frozenset({"superuser"}),
    ),
    SiteCase("assign page", "training:assign", lambda w: [w.course.slug], TRAINERS_AND_SUPERUSER),
    SiteCase("assign a draft", "training:assign", lambda w: [w.draft.slug], NOBODY),
    SiteCase(
        "assign to team A",
        "training:assign",
        lambda w: [w.course.slug],
        TEAM_A,
        method="POST",
        data=lambda w: {"team": w.team_a.pk, "due_date": "2030-01-01"},
        ok=(302,),
    ),
    SiteCase(
        "assign to team B",
        "training:assign",
        lambda w: [w.course.slug],
        TEAM_B,
        method="POST",
        data=lambda w: {"team": w.team_b.pk},
        ok=(302,),
    ),
    SiteCase(
        "assign the assigned course to alice",
        "training:assign",
        lambda w: [w.secret.slug],
        TEAM_A,
        method="POST",
        # Alice has it through team A already: the form asks, and this confirms.
        data=lambda w: {"learners": [w.users["learner"].pk], "confirm_overlap": "on"},
        ok=(302,),
    ),
    SiteCase(
        "assign the assigned course to a learner in no team (forged id)",
        "training:assign",
        lambda w: [w.secret.slug],
        frozenset({"superuser"}),
        method="POST",
        data=lambda w: {"learners": [w.loner.pk]},
        ok=(302,),
    ),
    SiteCase(
        "change team A's assignment",
        "training:assignment",
        lambda w: [w.assignment.pk],
        TEAM_A,
        method="POST",
        data=lambda w: {"due_date": "2031-03-31", "note": "Before the audit"},
        ok=(302,),
    ),
    SiteCase("paths page", "training:paths", no_args, TRAINERS_AND_SUPERUSER),
    SiteCase(
        "assign path page", "training:assign_path", lambda w: [w.path.slug], TRAINERS_AND_SUPERUSER
    ),
    SiteCase(
        "assign the path to team B",
        "training:assign_path",
        lambda w: [w.path.slug],
        TEAM_B,
        method="POST",
        data=lambda w: {"team": w.team_b.pk},
        ok=(302,),
    ),
    SiteCase(
        "remove team A's path assignment (confirmation)",
        "training:remove_path_assignment",
        lambda w: [w.path_assignment.pk],
        TEAM_A,
    ),
    SiteCase(
        "remove team A's path assignment",
        "training:remove_path_assignment",
        lambda w: [w.path_assignment.pk],
        TEAM_A,
        method="POST",
        ok=(302,),
    ),
    # Last: the cases above use the assignment this removes.
    SiteCase(
        "remove team A's assignment",
        "training:remove_assignment",
        lambda w: [w.assignment.pk],
        TEAM_A,
        method="POST",
        ok=(302,),
    ),
]
# Named URLs with nothing to guard.
NOT_IN_THE_TABLE = {"logout": "signs the user out; nothing to see or change"}


def site_url_names() -> set[str]:
    """Every named URL of the site (the admin's are generated above)."""
    names = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace)
            elif pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def test_the_site_table_covers_every_named_url():
    covered = {case.url_name for case in SITE_TABLE} | set(NOT_IN_THE_TABLE)
    assert site_url_names() == covered


def _site_problem(role: str, case: SiteCase, url: str, response, tables: list[str]) -> str:
    where = f"{role} {case.method} {url} ({case.name})"
    if response.status_code >= 500:
        return f"{where}: {describe(response)}"
    if role in case.allowed:
        if response.status_code not in case.ok or refused(response):
            return f"{where}: {describe(response)}, but the table allows it"
        return ""
    if tables:
        return f"{where}: {describe(response)} and changed {tables}; the table refuses it"
    # A form shown again with an error (a forged team or learner) refuses a POST too.
    if refused(response) or (case.method == "POST" and response.status_code == 200):
        return ""
    return f"{where}: {describe(response)}; the table refuses it"


@pytest.mark.parametrize("role", ROLES)
def test_site_pages(world, role):
    """Every case of the site table for one role: GETs first, then POSTs."""
    client = client_for(world, role)
    problems = []
    before = None  # the database as it was before this POST
    for case in sorted(SITE_TABLE, key=lambda case: case.method != "GET"):
        url = reverse(case.url_name, args=case.args(world)) + case.query(world)
        if case.method == "GET":
            response = client.get(url)
            tables, before = [], None
        else:
            before = before or snapshot()
            response = client.post(url, case.data(world))
            after = snapshot()
            tables = changed_tables(before, after)
            before = after
        if problem := _site_problem(role, case, url, response, tables):
            problems.append(problem)
        where = f"{role} {case.method} {url} ({case.name})"
        if problem := template_text_problem(where, response):
            problems.append(problem)
    assert not problems, "\n".join(problems)


# The questions themselves ----------------------------------------------------------


@pytest.mark.parametrize(
    "role, follow, assign, preview",
    [
        ("learner", False, False, False),
        ("trainer_a", True, True, False),
        ("trainer_b", True, True, False),
        ("content_editor", False, False, True),
        ("content_viewer", False, False, False),
        ("staff", False, False, False),
        ("superuser", True, True, True),
    ],
)
def test_roles_answer_each_question(world, role, follow, assign, preview):
    user = world.users[role]
    assert (can_follow(user), can_assign(user), may_preview_content(user)) == (
        follow,
        assign,
        preview,
    )


def test_a_deactivated_superuser_may_do_nothing(world):
    boss = world.users["superuser"]
    boss.is_active = False
    assert not (can_follow(boss) or can_assign(boss) or may_preview_content(boss))
    assert not teams_managed_by(boss).exists() and not learners_followed_by(boss).exists()


def test_a_teams_trainer_outside_the_trainers_group_gets_nothing(client, world):
    stranger = make_user("tom")
    world.team_a.trainers.add(stranger)
    assert not teams_managed_by(stranger).exists()
    assert not learners_followed_by(stranger).exists()
    client.force_login(stranger)
    url = reverse("training:dashboard") + f"?team={world.team_a.pk}"
    assert client.get(url).status_code == 404


# The attacks of issue 9, one by one ------------------------------------------------


def test_trainer_b_cannot_see_team_a_members(world):
    client = client_for(world, "trainer_b")
    alice = world.users["learner"]
    for url in (
        reverse("admin:training_team_changelist"),
        reverse("admin:training_team_change", args=[world.team_a.pk]),
        reverse("admin:auth_user_changelist") + f"?teams__id__exact={world.team_a.pk}",
        reverse("admin:autocomplete")
        + "?app_label=courses&model_name=team&field_name=members&term=a",
        reverse("training:dashboard") + f"?team={world.team_a.pk}",
        reverse("training:learner", args=[alice.pk]),
    ):
        response = client.get(url)
        assert refused(response), url
        assert alice.get_full_name() not in response.content.decode(), url


def test_trainer_cannot_assign_to_a_learner_in_no_team(world):
    loner = world.loner
    for role in ("trainer_a", "trainer_b"):
        client = client_for(world, role)
        # Through the admin, as the attacker did.
        response = client.post(
            reverse("admin:training_assignment_add"),
            {"course": world.secret.pk, "learner": loner.pk, "due_date": "2030-01-01"},
        )
        assert response.status_code == 403, role
        # Through the trainer page, with the learner's id forged into the form.
        response = client.post(
            reverse("training:assign", args=[world.secret.slug]),
            {"learners": [loner.pk]},
        )
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
        # And the use case itself.
        with pytest.raises(AssignmentError, match="learners in your teams"):
            assign_course(by=world.users[role], course=world.secret, learners=[loner])
    assert not Assignment.objects.filter(learner=loner).exists()
    client = Client()
    client.force_login(loner)
    assert client.get(reverse("courses:detail", args=[world.secret.slug])).status_code == 404


def test_trainer_b_cannot_change_or_delete_team_a_assignment(world):
    client = client_for(world, "trainer_b")
    assignment = world.assignment
    due = assignment.due_date
    change = reverse("admin:training_assignment_change", args=[assignment.pk])
    data = {"course": world.secret.pk, "team": world.team_a.pk, "due_date": "2020-01-01"}
    assert client.post(change, data).status_code == 403
    delete = reverse("admin:training_assignment_delete", args=[assignment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    bulk = {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"}
    assert client.post(reverse("admin:training_assignment_changelist"), bulk).status_code == 403
    assignment.refresh_from_db()
    assert assignment.due_date == due and assignment.team == world.team_a


@pytest.mark.parametrize("role", ["trainer_a", "trainer_b"])
def test_trainers_get_404_on_previews(world, role):
    client = client_for(world, role)
    for url in (
        reverse("preview_course", args=[world.draft.pk]),
        reverse("preview_lesson", args=[world.draft_lesson.pk]),
        reverse("preview_course", args=[world.secret.pk]),
        reverse("preview_lesson", args=[world.secret_lesson.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_view_only_staff_cannot_run_content_actions(world):
    # Django offers an action without ``permissions`` to whoever may view the list.
    client = client_for(world, "content_viewer")
    draft = world.draft
    response = client.post(
        reverse("admin:courses_course_changelist"),
        {"action": "publish", "_selected_action": [draft.pk], "index": "0"},
    )
    # The list again, without the action (nor any: the viewer may change nothing).
    assert response.status_code == 200 and 'value="publish"' not in response.content.decode()
    draft.refresh_from_db()
    assert draft.published_at is None


def test_the_admin_records_who_made_an_assignment(world):
    superuser = client_for(world, "superuser")
    data = {
        "course": world.course.pk,
        "learner": world.loner.pk,
        "assigned_by": world.users["trainer_a"].pk,  # a forged author is ignored
    }
    assert superuser.post(reverse("admin:training_assignment_add"), data).status_code == 302
    made = Assignment.objects.get(learner=world.loner)
    assert made.assigned_by == world.users["superuser"]


# The migration ---------------------------------------------------------------------


def historical_apps(app_label: str, migration_name: str):
    """The models as they were after a migration: teams and assignments were in
    ``courses`` then (they moved to ``training`` in issue 11)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    return MigrationLoader(connection).project_state((app_label, migration_name)).apps


def test_the_migration_takes_the_model_permissions_from_an_existing_trainers_group(world):
    migration = import_module("courses.migrations.0007_trainer_permissions")
    apps = historical_apps("courses", "0007_trainer_permissions")
    # As in a database of then: the courses app's permissions on teams and assignments.
    migration._create_course_permissions(apps)
    group = Group.objects.get(name=TRAINERS)
    courses = ContentType.objects.filter(app_label="courses")
    old = Permission.objects.filter(
        content_type__in=courses, codename__in=migration.MODEL_PERMISSIONS
    )
    hand_added = Permission.objects.get(codename="view_lessonprogress")
    group.permissions.set([*old, hand_added])
    group.permissions.remove(Permission.objects.get(codename="assign_courses"))

    migration.update_trainers_group(apps, None)
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "assign_courses",
        "view_dashboard",
        "view_lessonprogress",  # given by hand: an admin's choice, left alone
    ]
    trainer = type(world.users["trainer_a"]).objects.get(pk=world.users["trainer_a"].pk)
    assert can_assign(trainer) and not trainer.has_perm("training.view_team")

    migration.restore_model_permissions(apps, None)
    assert set(group.permissions.values_list("codename", flat=True)) == {
        *migration.MODEL_PERMISSIONS,
        "view_dashboard",
        "view_lessonprogress",
    }


# The admin's "view on site" redirect -------------------------------------------------


@pytest.mark.parametrize("role", ["trainer_a", "staff"])
def test_the_view_on_site_redirect_tells_staff_nothing_they_may_not_see(world, role):
    client = client_for(world, role)
    for obj in (world.certificate, world.draft):
        content_type = ContentType.objects.get_for_model(obj)
        response = client.get(reverse("admin:view_on_site", args=[content_type.pk, obj.pk]))
        assert refused(response), f"{role}: {describe(response)}"


@pytest.mark.parametrize("role", ["content_editor", "superuser"])
def test_the_view_on_site_redirect_still_works_for_those_who_see_the_object(world, role):
    client = client_for(world, role)
    content_type = ContentType.objects.get_for_model(world.course)
    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, world.course.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(world.course.get_absolute_url())
