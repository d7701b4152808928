"""Bulk provisioning: people, teams and trainers from a CSV file.

``import_people`` is the one use case; ``manage.py import_people`` and the
admin's "Import people from CSV" page both call it. The rules:

- Every row is checked first, against the file and the database, and if any row
  is bad nothing is written: ProvisioningError lists every problem with its row
  (the header is row 1) and column.
- Staff and superuser accounts are never changed by an import, nor linked to a
  row: a row whose username is theirs (in any case), or whose email is theirs
  (active or not), is a problem like any other. This is checked again inside the
  transaction, so an account made staff meanwhile is not changed either.
- Then, in one transaction: people are created (with no usable password) or
  updated (names, email; a listed person who was deactivated is active again;
  passwords, staff status and groups other than Trainers are never touched),
  missing teams are created, and each listed person's teams and trained teams
  become exactly those of their row (when the file has that column). A
  trainer_of entry also puts the person in the Trainers group. Nothing is
  deleted; ``deactivate_missing`` deactivates active accounts without staff
  status that the file does not list.
- People created here are owed an invitation email with a link to choose a
  password (Django's password-reset tokens). Owed invitations are recorded in
  the same transaction and sent after it commits; each is claimed before it is
  sent and released if sending fails, so running the import again (or
  ``send_invitations``) sends what is still owed and never sends twice.
- Running the same file again changes nothing and says so.

Everything needed is read up front in a few queries, and writes are bulk inserts
and updates: the number of queries grows by one per batch of rows (hundreds of
rows on SQLite, all of them on PostgreSQL), never by one per row.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import smtplib
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Invitation
from common.language import language_for_user
from training.models import Team
from training.roles import TRAINERS, ensure_trainers_group

log = logging.getLogger(__name__)
User = get_user_model()

COLUMNS = ("username", "email", "first_name", "last_name", "team", "trainer_of")
REQUIRED = ("username", "email")
TEAM_SEPARATOR = ";"
# Any C0 or C1 control character, tab and line breaks included: none belongs in a
# name, an address or a team name (and PostgreSQL refuses NUL in text).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Rows per DELETE or UPDATE ... WHERE id IN (...): well inside every database's limit.
ID_BATCH = 500


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


MAX_LENGTHS = {
    "username": _max_length(User, "username"),
    "email": _max_length(User, "email"),
    "first_name": _max_length(User, "first_name"),
    "last_name": _max_length(User, "last_name"),
    "team": _max_length(Team, "name"),
    "trainer_of": _max_length(Team, "name"),
}


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet numbers them: the header is row 1
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}, {self.column}" if self.column else f"row {self.row}"
        return f"{where}: {self.message}"


class ProvisioningError(Exception):
    """The file cannot be imported; ``problems`` says where and why. Nothing was written."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = problems
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} found; nothing was changed."
        super().__init__("\n".join([head, *map(str, problems)]))


@dataclass
class Person:
    """A valid row. None for a column the file does not have: left as it is."""

    row: int
    username: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    teams: list[str] | None = None
    trainer_of: list[str] | None = None


@dataclass
class ImportResult:
    people: int = 0
    created: int = 0
    updated: int = 0
    reactivated: int = 0
    deactivated: int = 0
    teams_created: int = 0
    memberships_added: int = 0
    memberships_removed: int = 0
    trainers_added: int = 0
    trainers_removed: int = 0
    invitations_owed: int = 0  # new people owed an invitation by this run
    invitations_sent: int = 0
    invitations_failed: int = 0
    invitations_left: int = 0  # still owed after this run (failed, or over the limit)
    dry_run: bool = False

    @property
    def unchanged(self) -> int:
        return self.people - self.created - self.updated

    @property
    def changed(self) -> bool:
        counts = (
            self.created,
            self.updated,
            self.deactivated,
            self.teams_created,
            self.memberships_added,
            self.memberships_removed,
            self.trainers_added,
            self.trainers_removed,
            self.invitations_sent,
        )
        return any(counts)

    def summary(self) -> str:
        """What the import did (or, for a dry run, would do), in a few lines."""
        if not self.changed and not self.invitations_left:
            prefix = "Dry run: " if self.dry_run else ""
            return (
                f"{prefix}Nothing to change: the {self.people} people in the file are "
                "already as it says."
            )
        lines = [
            f"{self.people} people in the file: {self.created} created, "
            f"{self.updated} updated ({self.reactivated} of them reactivated), "
            f"{self.unchanged} unchanged.",
            f"Teams: {self.teams_created} created; members {self.memberships_added} added, "
            f"{self.memberships_removed} removed; trainers {self.trainers_added} added, "
            f"{self.trainers_removed} removed.",
            f"Deactivated (active, not staff, not in the file): {self.deactivated}.",
        ]
        if self.dry_run:
            lines.append(f"Invitations to send: {self.invitations_owed}.")
            lines.insert(0, "Dry run: nothing was changed. The import would do this:")
        else:
            lines.append(f"Invitations sent: {self.invitations_sent}.")
            if self.invitations_failed:
                lines.append(
                    f"Invitations that could not be sent: {self.invitations_failed} (see the log)."
                )
            if self.invitations_left:
                lines.append(
                    f"Invitations still owed: {self.invitations_left}; "
                    "manage.py send_invitations sends them (so does importing again)."
                )
        return "\n".join(lines)


# Reading the file -------------------------------------------------------------------


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "…")


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")  # a spreadsheet's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        raise ProvisioningError(
            [RowProblem(row, None, "not UTF-8 text: save the file as CSV (UTF-8)")]
        ) from None


def _team_names(value: str) -> list[str]:
    names: dict[str, str] = {}
    for name in value.split(TEAM_SEPARATOR):
        if name := name.strip():
            names.setdefault(name.lower(), name)
    return list(names.values())


def _check_cell(row: int, column: str, value: str, problems: list[RowProblem]) -> bool:
    if match := CONTROL.search(value):
        code = f"U+{ord(match.group()):04X}"
        problems.append(RowProblem(row, column, f"contains a control character ({code})"))
        return False
    limit = MAX_LENGTHS[column]
    parts = _team_names(value) if column in ("team", "trainer_of") else [value]
    for part in parts:
        if len(part) > limit:
            what = "a team name" if column in ("team", "trainer_of") else "the value"
            problems.append(
                RowProblem(
                    row,
                    column,
                    f"{what} {_show(part)} is {len(part)} characters long; at most {limit}",
                )
            )
            return False
    return True


def read_people(data: bytes | str, problems: list[RowProblem]) -> list[Person]:
    """The file's valid rows; every problem found is appended to ``problems``."""
    text = _decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(RowProblem(1, None, f"not a CSV file ({exc})"))
        return []
    if not records or not any(cell.strip() for cell in records[0]):
        problems.append(RowProblem(1, None, "no header: the first row must name the columns"))
        return []
    header = [cell.strip().lower() for cell in records[0]]
    for name, raw in zip(header, records[0], strict=True):
        if name not in COLUMNS:
            problems.append(
                RowProblem(
                    1, _show(raw.strip()), f"unknown column; the columns are {', '.join(COLUMNS)}"
                )
            )
        elif header.count(name) > 1:
            problems.append(RowProblem(1, name, "the column appears more than once"))
    for name in REQUIRED:
        if name not in header:
            problems.append(RowProblem(1, name, "the column is missing"))
    if problems:
        return []  # the rows cannot be read without a sound header

    people: list[Person] = []
    first_row_of = {"username": {}, "email": {}}
    for row, cells in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, e.g. at the end of a spreadsheet's export
        if any(cell.strip() for cell in cells[len(header) :]):
            problems.append(
                RowProblem(row, None, f"{len(cells)} values, but the header has {len(header)}")
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        person = _read_row(row, {name: values.get(name, "") for name in header}, problems)
        # Repeats are found among all rows, valid or not: one fix should not reveal another.
        for column in ("username", "email"):
            if key := values.get(column, ""):
                first = first_row_of[column].setdefault(key.lower(), row)
                if first != row:
                    problems.append(RowProblem(row, column, f"{_show(key)} is also on row {first}"))
                    person = None
        if person is not None:
            people.append(person)
    return people


def _read_row(row: int, values: dict[str, str], problems: list[RowProblem]) -> Person | None:
    before = len(problems)
    sound = {column: _check_cell(row, column, value, problems) for column, value in values.items()}
    username, email = values["username"], values["email"]
    if not username:
        problems.append(RowProblem(row, "username", "missing"))
    elif sound["username"]:
        try:
            User.username_validator(username)
        except ValidationError:
            problems.append(
                RowProblem(
                    row,
                    "username",
                    f"{_show(username)}: only letters, digits and @ . + - _ are allowed",
                )
            )
    if not email:
        problems.append(RowProblem(row, "email", "missing"))
    elif sound["email"]:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(RowProblem(row, "email", f"{_show(email)} is not an email address"))
    if len(problems) > before:
        return None

    def teams(column: str) -> list[str] | None:
        return _team_names(values[column]) if column in values else None

    return Person(
        row=row,
        username=username,
        email=email,
        first_name=values.get("first_name"),
        last_name=values.get("last_name"),
        teams=teams("team"),
        trainer_of=teams("trainer_of"),
    )


# Checking against the database, and planning ------------------------------------------


def _is_staff(user) -> bool:
    return user.is_staff or user.is_superuser


def _staff_kind(user) -> str:
    return "a superuser's account" if user.is_superuser else "a staff account"


def _staff_row(person: Person, user) -> RowProblem:
    spelt = f" ({user.username})" if user.username != person.username else ""
    return RowProblem(
        person.row,
        "username",
        f"{_show(person.username)} is {_staff_kind(user)}{spelt}; an import never changes "
        "staff or superuser accounts (edit it in the admin)",
    )


@dataclass
class _Plan:
    people: list[Person]
    matched: dict[int, object]  # row -> existing user
    to_deactivate: list[object]


def _plan(people: list[Person], deactivate_missing: bool, problems: list[RowProblem]) -> _Plan:
    """Match rows to accounts and check what needs the database: usernames that
    match several accounts, and emails of other active accounts."""
    users = list(
        User._default_manager.only(
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
        )
    )
    by_username: dict[str, list] = defaultdict(list)
    for user in users:
        by_username[user.username.lower()].append(user)

    matched: dict[int, object] = {}
    ambiguous: set[int] = set()  # rows already refused: their email is not checked
    for person in people:
        candidates = by_username.get(person.username.lower(), [])
        exact = [user for user in candidates if user.username == person.username]
        if len(candidates) == 1 or exact:
            matched[person.row] = user = exact[0] if exact else candidates[0]
            if _is_staff(user):
                ambiguous.add(person.row)
                problems.append(_staff_row(person, user))
        elif candidates:
            ambiguous.add(person.row)
            names = ", ".join(sorted(user.username for user in candidates))
            problems.append(
                RowProblem(
                    person.row,
                    "username",
                    f"{_show(person.username)} matches several accounts that differ only "
                    f"in case ({names}); rename all but one in the admin first",
                )
            )

    listed = {user.pk for user in matched.values()}
    to_deactivate = [
        user
        for user in users
        if deactivate_missing
        and user.pk not in listed
        and user.is_active
        and not (user.is_staff or user.is_superuser)
    ]
    # Emails are unique among active accounts once the import is done: the listed
    # people (all active) and the active accounts the file leaves alone.
    leaving = {user.pk for user in to_deactivate}
    email_owner: dict[str, object] = {}
    for user in users:
        if user.is_active and user.email and user.pk not in listed and user.pk not in leaving:
            email_owner.setdefault(user.email.lower(), user)
    # No row is linked to a staff or superuser account by its email either, even an
    # inactive one's (reactivated, it would share its email with the row's person).
    staff_email: dict[str, object] = {}
    for user in users:
        if _is_staff(user) and user.email:
            staff_email.setdefault(user.email.lower(), user)
    for person in people:
        if person.row in ambiguous:
            continue
        if (owner := staff_email.get(person.email.lower())) and owner != matched.get(person.row):
            problems.append(
                RowProblem(
                    person.row,
                    "email",
                    f"{_show(person.email)} is the email of {_staff_kind(owner)} "
                    f"({owner.username}); an import never links a row to staff or "
                    "superuser accounts",
                )
            )
        elif owner := email_owner.get(person.email.lower()):
            problems.append(
                RowProblem(
                    person.row,
                    "email",
                    f"{_show(person.email)} is the email of another active account "
                    f"({owner.username})",
                )
            )
    return _Plan(people=people, matched=matched, to_deactivate=to_deactivate)


# Writing --------------------------------------------------------------------------------


def _batches(items: list, size: int = ID_BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _inserted(model, objects: list, lookup: str) -> None:
    """Give bulk-created objects their ids where the database did not return them."""
    if objects and objects[0].pk is None:
        ids = dict(
            model._default_manager.filter(
                **{f"{lookup}__in": [getattr(obj, lookup) for obj in objects]}
            ).values_list(lookup, "pk")
        )
        for obj in objects:
            obj.pk = ids[getattr(obj, lookup)]


def _sync_links(through, wanted: dict[int, set[int]]) -> tuple[int, int]:
    """Make each user's links in ``through`` (team members or team trainers) exactly
    ``wanted[user_id]`` (team ids). Users not in ``wanted`` keep theirs."""
    if not wanted:
        return 0, 0
    current: dict[int, dict[int, int]] = defaultdict(dict)  # user -> team -> link id
    for link_id, team_id, user_id in through.objects.values_list("id", "team_id", "user_id"):
        current[user_id][team_id] = link_id
    remove = [
        link_id
        for user_id, teams in wanted.items()
        for team_id, link_id in current[user_id].items()
        if team_id not in teams
    ]
    add = [
        through(team_id=team_id, user_id=user_id)
        for user_id, teams in wanted.items()
        for team_id in sorted(teams - current[user_id].keys())
    ]
    for batch in _batches(remove):
        through.objects.filter(pk__in=batch).delete()
    through.objects.bulk_create(add)
    return len(add), len(remove)


def _apply(plan: _Plan, result: ImportResult, invite: bool) -> None:
    changed_fields: set[str] = set()
    to_update, to_create, person_of = [], [], {}
    for person in plan.people:
        user = plan.matched.get(person.row)
        if user is None:
            user = User(
                username=person.username,
                email=person.email,
                first_name=person.first_name or "",
                last_name=person.last_name or "",
                password=make_password(None),  # unusable: the invitation sets one
            )
            to_create.append(user)
        else:
            changes = {"email": person.email, "is_active": True}
            if person.first_name is not None:
                changes["first_name"] = person.first_name
            if person.last_name is not None:
                changes["last_name"] = person.last_name
            changes = {k: v for k, v in changes.items() if getattr(user, k) != v}
            if changes:
                result.reactivated += "is_active" in changes
                for name, value in changes.items():
                    setattr(user, name, value)
                changed_fields |= changes.keys()
                to_update.append(user)
        person_of[person.row] = user
    result.created, result.updated = len(to_create), len(to_update)
    result.invitations_owed = len(to_create) if invite else 0

    teams = {team.name.lower(): team for team in Team.objects.only("id", "name")}
    new_teams: list[Team] = []
    for person in plan.people:
        for name in (person.teams or []) + (person.trainer_of or []):
            if name.lower() not in teams:
                teams[name.lower()] = Team(name=name)
                new_teams.append(teams[name.lower()])
    result.teams_created = len(new_teams)

    if to_create:
        User._default_manager.bulk_create(to_create)
        _inserted(User, to_create, "username")
    if to_update:
        User._default_manager.bulk_update(to_update, sorted(changed_fields))
    result.deactivated = 0
    for batch in _batches([user.pk for user in plan.to_deactivate]):
        # Staff status is checked by the UPDATE itself: made staff meanwhile, kept active.
        result.deactivated += User._default_manager.filter(
            pk__in=batch, is_staff=False, is_superuser=False
        ).update(is_active=False)
    if new_teams:
        Team.objects.bulk_create(new_teams)
        _inserted(Team, new_teams, "name")

    def wanted(column: str) -> dict[int, set[int]]:
        return {
            person_of[p.row].pk: {teams[name.lower()].pk for name in getattr(p, column)}
            for p in plan.people
            if getattr(p, column) is not None
        }

    result.memberships_added, result.memberships_removed = _sync_links(
        Team.members.through, wanted("teams")
    )
    result.trainers_added, result.trainers_removed = _sync_links(
        Team.trainers.through, wanted("trainer_of")
    )
    trainers = {person_of[p.row].pk for p in plan.people if p.trainer_of}
    in_group = User.groups.through
    joining: set[int] = set()
    if trainers and (
        joining := trainers
        - set(in_group.objects.filter(group__name=TRAINERS).values_list("user_id", flat=True))
    ):
        group = ensure_trainers_group()
        in_group.objects.bulk_create(
            [in_group(group_id=group.pk, user_id=pk) for pk in sorted(joining)]
        )
    if invite:
        Invitation.objects.bulk_create([Invitation(user_id=user.pk) for user in to_create])
    links_changed = (
        result.memberships_added
        or result.memberships_removed
        or result.trainers_added
        or result.trainers_removed
    )
    if to_update or links_changed or joining:
        _refuse_staff_made_meanwhile(plan)


def _refuse_staff_made_meanwhile(plan: _Plan) -> None:
    """After the writes, in their transaction: if an account the rows were matched
    to is staff or a superuser now (an admin changed it after the check), refuse
    the file, which rolls the writes back. The rows written hold their accounts
    until the commit (PostgreSQL), so a change made later waits for it."""
    staff = {
        user.pk: user
        for user in User._default_manager.filter(Q(is_staff=True) | Q(is_superuser=True)).only(
            "id", "username", "is_staff", "is_superuser"
        )
    }
    problems = [
        _staff_row(person, staff[user.pk])
        for person in plan.people
        if (user := plan.matched.get(person.row)) is not None and user.pk in staff
    ]
    if problems:
        raise ProvisioningError(problems)


def import_people(
    data: bytes | str,
    *,
    deactivate_missing: bool = False,
    invite: bool = True,
    dry_run: bool = False,
    send_limit: int | None = None,
) -> ImportResult:
    """Import the people of a CSV file (see the module's docstring). Raises
    ProvisioningError, with every problem, if any row is bad. At most
    ``send_limit`` invitations are sent (a web request must end in seconds);
    ``send_invitations`` sends the rest."""
    problems: list[RowProblem] = []
    people = read_people(data, problems)
    if not problems and deactivate_missing and not people:
        problems.append(
            RowProblem(1, None, "no people in the file: refusing to deactivate everyone")
        )
    # The valid rows are checked against the database too, so one run lists every problem.
    plan = _plan(people, deactivate_missing, problems)
    if problems:
        order = {column: index for index, column in enumerate(COLUMNS)}
        raise ProvisioningError(sorted(problems, key=lambda p: (p.row, order.get(p.column, -1))))
    result = ImportResult(people=len(people), dry_run=dry_run)
    try:
        with transaction.atomic():
            _apply(plan, result, invite)
            if dry_run:
                # Done for real and rolled back: the counts are exactly what it would do.
                transaction.set_rollback(True)
            elif invite:
                transaction.on_commit(lambda: _send_owed(result, send_limit))
    except IntegrityError as exc:
        # Another import or an admin changed the same people at the same moment.
        raise ProvisioningError(
            [RowProblem(1, None, f"the database refused the change ({exc}); run it again")]
        ) from None
    return result


# Invitations ---------------------------------------------------------------------------


def invitation_link(user) -> str:
    """The address where a new person chooses their password (a password-reset
    link: valid for PASSWORD_RESET_TIMEOUT, and once)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL + path


def _invitation_email(user, connection) -> mail.EmailMessage:
    context = {
        "user": user,
        "link": invitation_link(user),
        "site_url": settings.SITE_URL,
        "login_url": settings.SITE_URL + reverse("login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
    }
    # In the invitee's language, whoever runs the import.
    with translation.override(language_for_user(user)):
        subject = render_to_string("accounts/email/invitation_subject.txt", context)
        body = render_to_string("accounts/email/invitation.txt", context)
    return mail.EmailMessage(
        subject=" ".join(subject.split()), body=body, to=[user.email], connection=connection
    )


def owed_invitations():
    return Invitation.objects.filter(sent_at__isnull=True, user__is_active=True)


def send_invitations(limit: int | None = None) -> tuple[int, int]:
    """Send the owed invitations of active people, the oldest first, at most
    ``limit``: (sent, failed). Each one is claimed before it is sent, so two runs
    at once never send it twice, and released if sending fails, so a later run
    sends it."""
    owed = list(owed_invitations().select_related("user__profile").order_by("pk")[:limit])
    if not owed:
        return 0, 0
    smtp = mail.get_connection()
    try:
        smtp.open()
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("Could not connect to send %d invitations: %s", len(owed), exc)
        return 0, len(owed)
    sent = failed = 0
    try:
        for invitation in owed:
            claimed = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                sent_at=timezone.now()
            )
            if not claimed:
                continue  # sent by another run meanwhile
            try:
                _invitation_email(invitation.user, smtp).send()
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("Could not send the invitation of user %s: %s", invitation.user_id, exc)
                Invitation.objects.filter(pk=invitation.pk).update(sent_at=None)
                failed += 1
            else:
                sent += 1
    finally:
        smtp.close()
    return sent, failed


def _send_owed(result: ImportResult, limit: int | None) -> None:
    result.invitations_sent, result.invitations_failed = send_invitations(limit)
    result.invitations_left = owed_invitations().count()
