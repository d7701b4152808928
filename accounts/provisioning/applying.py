"""Writing a plan, inside the import's transaction.

Everything needed is read up front in a few queries, and writes are bulk inserts
and updates: the number of queries grows by one per batch of rows (hundreds of
rows on SQLite, all of them on PostgreSQL), never by one per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db.models import Q

from accounts.models import Invitation
from accounts.provisioning.planning import Plan, staff_row
from accounts.provisioning.problems import ProvisioningError
from accounts.provisioning.reading import Person
from accounts.provisioning.result import ImportResult
from training.models import Team
from training.roles import TRAINERS, ensure_trainers_group

User = get_user_model()

# Rows per DELETE or UPDATE ... WHERE id IN (...): well inside every database's limit.
ID_BATCH = 500


def apply(plan: Plan, result: ImportResult, invite: bool) -> None:
    """Write ``plan`` and count what changed in ``result``; the caller holds the
    transaction. Raises ProvisioningError if an account the rows were matched to
    became staff meanwhile."""
    accounts = _accounts(plan)
    result.created, result.updated = len(accounts.new), len(accounts.changed)
    result.reactivated += accounts.reactivated
    result.invitations_owed = len(accounts.new) if invite else 0
    teams, new_teams = _teams(plan.people)
    result.teams_created = len(new_teams)

    _write_accounts(accounts)
    result.deactivated = _deactivate(plan.to_deactivate)
    if new_teams:
        Team.objects.bulk_create(new_teams)
        _inserted(Team, new_teams, "name")
    _sync_teams(plan.people, accounts.of_row, teams, result)
    joining = _join_trainers(plan.people, accounts.of_row)
    if invite:
        Invitation.objects.bulk_create([Invitation(user_id=user.pk) for user in accounts.new])
    if accounts.changed or result.links_changed or joining:
        _refuse_staff_made_meanwhile(plan)


# People --------------------------------------------------------------------------------


@dataclass
class _Accounts:
    """The rows' accounts: new ones to create, and existing ones that change."""

    of_row: dict[int, object] = field(default_factory=dict)
    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    reactivated: int = 0


def _accounts(plan: Plan) -> _Accounts:
    """Each row's account, new or matched, with the row's values set (nothing written)."""
    accounts = _Accounts()
    for person in plan.people:
        user = plan.matched.get(person.row)
        if user is None:
            user = _new_account(person)
            accounts.new.append(user)
        elif changes := _changes(user, person):
            accounts.reactivated += "is_active" in changes
            for name, value in changes.items():
                setattr(user, name, value)
            accounts.changed_fields |= changes.keys()
            accounts.changed.append(user)
        accounts.of_row[person.row] = user
    return accounts


def _new_account(person: Person):
    return User(
        username=person.username,
        email=person.email,
        first_name=person.first_name or "",
        last_name=person.last_name or "",
        password=make_password(None),  # unusable: the invitation sets one
    )


def _changes(user, person: Person) -> dict[str, object]:
    """The fields of ``user`` the row changes: email and names (when the file has
    their columns), and a deactivated account is active again."""
    wanted: dict[str, object] = {"email": person.email, "is_active": True}
    if person.first_name is not None:
        wanted["first_name"] = person.first_name
    if person.last_name is not None:
        wanted["last_name"] = person.last_name
    return {name: value for name, value in wanted.items() if getattr(user, name) != value}


def _write_accounts(accounts: _Accounts) -> None:
    if accounts.new:
        User._default_manager.bulk_create(accounts.new)
        _inserted(User, accounts.new, "username")
    if accounts.changed:
        User._default_manager.bulk_update(accounts.changed, sorted(accounts.changed_fields))


def _deactivate(users: list) -> int:
    """Deactivate ``users``; how many were."""
    deactivated = 0
    for batch in _batches([user.pk for user in users]):
        # Staff status is checked by the UPDATE itself: made staff meanwhile, kept active.
        deactivated += User._default_manager.filter(
            pk__in=batch, is_staff=False, is_superuser=False
        ).update(is_active=False)
    return deactivated


# Teams ---------------------------------------------------------------------------------


def _teams(people: list[Person]) -> tuple[dict[str, Team], list[Team]]:
    """Every team by its name in lower case, and the rows' teams that are new (unsaved)."""
    teams = {team.name.lower(): team for team in Team.objects.only("id", "name")}
    new_teams: list[Team] = []
    for person in people:
        for name in (person.teams or []) + (person.trainer_of or []):
            if name.lower() not in teams:
                teams[name.lower()] = Team(name=name)
                new_teams.append(teams[name.lower()])
    return teams, new_teams


def _sync_teams(
    people: list[Person], of_row: dict[int, object], teams: dict[str, Team], result: ImportResult
) -> None:
    """Make each listed person's teams and trained teams those of their row (when the
    file has that column)."""

    def wanted(column: str) -> dict[int, set[int]]:
        return {
            of_row[person.row].pk: {teams[name.lower()].pk for name in getattr(person, column)}
            for person in people
            if getattr(person, column) is not None
        }

    result.memberships_added, result.memberships_removed = _sync_links(
        Team.members.through, wanted("teams")
    )
    result.trainers_added, result.trainers_removed = _sync_links(
        Team.trainers.through, wanted("trainer_of")
    )


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


def _join_trainers(people: list[Person], of_row: dict[int, object]) -> set[int]:
    """Put the people who train a team in the Trainers group; the ids of those who
    were not in it."""
    trainers = {of_row[person.row].pk for person in people if person.trainer_of}
    if not trainers:
        return set()
    in_group = User.groups.through
    members = in_group.objects.filter(group__name=TRAINERS).values_list("user_id", flat=True)
    joining = trainers - set(members)
    if joining:
        group = ensure_trainers_group()
        in_group.objects.bulk_create(
            [in_group(group_id=group.pk, user_id=pk) for pk in sorted(joining)]
        )
    return joining


# Helpers -------------------------------------------------------------------------------


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


def _refuse_staff_made_meanwhile(plan: Plan) -> None:
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
        staff_row(person, staff[user.pk])
        for person in plan.people
        if (user := plan.matched.get(person.row)) is not None and user.pk in staff
    ]
    if problems:
        raise ProvisioningError(problems)
