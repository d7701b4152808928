"""Bulk provisioning: people, teams and trainers from a CSV file.

``import_people`` is the one use case; ``manage.py import_people`` and the
admin's "Import people from CSV" page both call it. It takes four steps, one
module each: reading the file (``reading``), checking the rows against the
database and planning (``planning``), writing the plan in one transaction
(``applying``) and, after the commit, sending invitations (``invitations``).
The rules:

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

from django.db import IntegrityError, transaction

# import_people looks _plan and _apply up here when it runs (a test wraps _plan).
from accounts.provisioning.applying import apply as _apply
from accounts.provisioning.invitations import (
    invitation_link,
    owed_invitations,
    send_invitations,
    send_owed,
)
from accounts.provisioning.planning import plan as _plan
from accounts.provisioning.problems import ProvisioningError, RowProblem
from accounts.provisioning.reading import COLUMNS, Person, read_people
from accounts.provisioning.result import ImportResult

__all__ = [
    "COLUMNS",
    "ImportResult",
    "Person",
    "ProvisioningError",
    "RowProblem",
    "import_people",
    "invitation_link",
    "owed_invitations",
    "read_people",
    "send_invitations",
]


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
                transaction.on_commit(lambda: send_owed(result, send_limit))
    except IntegrityError as exc:
        # Another import or an admin changed the same people at the same moment.
        raise ProvisioningError(
            [RowProblem(1, None, f"the database refused the change ({exc}); run it again")]
        ) from None
    return result
