"""Checking the rows against the database, and planning what the import changes.

Rows are matched to accounts by username in any case. Refused here: a username
that matches several accounts, a row whose account is staff or a superuser, a
row with the email of a staff or superuser account (active or not), and a row
with the email of another account that stays active.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from accounts.provisioning.problems import RowProblem, show
from accounts.provisioning.reading import Person

User = get_user_model()


@dataclass
class Plan:
    people: list[Person]
    matched: dict[int, object]  # row -> existing user
    to_deactivate: list[object]


def plan(people: list[Person], deactivate_missing: bool, problems: list[RowProblem]) -> Plan:
    """Match rows to accounts and check what needs the database: usernames that
    match several accounts, staff accounts, and emails of other active accounts."""
    users = _accounts()
    matched, refused = _match(people, users, problems)
    listed = {user.pk for user in matched.values()}
    to_deactivate = _missing(users, listed) if deactivate_missing else []
    # Emails are unique among active accounts once the import is done: the listed
    # people (all active) and the active accounts the file leaves alone.
    handled = listed | {user.pk for user in to_deactivate}
    staying = [user for user in users if user.is_active and user.pk not in handled]
    checked = [person for person in people if person.row not in refused]
    _check_emails(checked, matched, users, staying, problems)
    return Plan(people=people, matched=matched, to_deactivate=to_deactivate)


def is_staff(user) -> bool:
    return user.is_staff or user.is_superuser


def staff_row(person: Person, user) -> RowProblem:
    """The problem of a row whose username is a staff or superuser account's."""
    spelt = f" ({user.username})" if user.username != person.username else ""
    return RowProblem(
        person.row,
        "username",
        f"{show(person.username)} is {_staff_kind(user)}{spelt}; an import never changes "
        "staff or superuser accounts (edit it in the admin)",
    )


def _staff_kind(user) -> str:
    return "a superuser's account" if user.is_superuser else "a staff account"


def _accounts() -> list:
    """Every account, with the fields the plan looks at (one query)."""
    return list(
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


# Usernames -----------------------------------------------------------------------------


def _match(
    people: list[Person], users: list, problems: list[RowProblem]
) -> tuple[dict[int, object], set[int]]:
    """Each row's account, if it has one, and the rows refused (their emails are
    not checked)."""
    by_username: dict[str, list] = defaultdict(list)
    for user in users:
        by_username[user.username.lower()].append(user)
    matched: dict[int, object] = {}
    refused: set[int] = set()
    for person in people:
        candidates = by_username.get(person.username.lower(), [])
        user = _account_of(person, candidates)
        if user is not None:
            matched[person.row] = user
        if problem := _match_problem(person, user, candidates):
            refused.add(person.row)
            problems.append(problem)
    return matched, refused


def _account_of(person: Person, candidates: list):
    """The account of the row's username: its exact spelling, else the only one
    that differs in case; None if there is none or several."""
    exact = [user for user in candidates if user.username == person.username]
    if exact:
        return exact[0]
    return candidates[0] if len(candidates) == 1 else None


def _match_problem(person: Person, user, candidates: list) -> RowProblem | None:
    if user is not None:
        return staff_row(person, user) if is_staff(user) else None
    if not candidates:
        return None
    names = ", ".join(sorted(user.username for user in candidates))
    return RowProblem(
        person.row,
        "username",
        f"{show(person.username)} matches several accounts that differ only "
        f"in case ({names}); rename all but one in the admin first",
    )


def _missing(users: list, listed: set[int]) -> list:
    """The active accounts without staff status that the file does not list."""
    return [
        user for user in users if user.pk not in listed and user.is_active and not is_staff(user)
    ]


# Emails --------------------------------------------------------------------------------


def _by_email(users: Iterable) -> dict[str, object]:
    """Accounts by email in lower case (the first of each); accounts without one left out."""
    owners: dict[str, object] = {}
    for user in users:
        if user.email:
            owners.setdefault(user.email.lower(), user)
    return owners


def _check_emails(
    people: list[Person],
    matched: dict[int, object],
    users: list,
    staying: list,
    problems: list[RowProblem],
) -> None:
    """``staying``: the active accounts the file leaves alone, whose emails the rows may
    not take. No row is linked to a staff or superuser account by its email either,
    even an inactive one's (reactivated, it would share its email with the row's person)."""
    staff_emails = _by_email(user for user in users if is_staff(user))
    taken = _by_email(staying)
    for person in people:
        if problem := _email_problem(person, matched.get(person.row), staff_emails, taken):
            problems.append(problem)


def _email_problem(
    person: Person, user, staff_emails: dict[str, object], taken: dict[str, object]
) -> RowProblem | None:
    email = person.email.lower()
    if (owner := staff_emails.get(email)) and owner != user:
        return RowProblem(
            person.row,
            "email",
            f"{show(person.email)} is the email of {_staff_kind(owner)} "
            f"({owner.username}); an import never links a row to staff or "
            "superuser accounts",
        )
    if owner := taken.get(email):
        return RowProblem(
            person.row,
            "email",
            f"{show(person.email)} is the email of another active account ({owner.username})",
        )
    return None
