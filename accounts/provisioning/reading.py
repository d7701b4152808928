"""Reading the file: CSV text to people, with every problem naming its row and column.

Nothing here asks the database; planning.py checks the rows against it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from accounts.provisioning.problems import ProvisioningError, RowProblem, show
from training.models import Team

User = get_user_model()

COLUMNS = ("username", "email", "first_name", "last_name", "team", "trainer_of")
REQUIRED = ("username", "email")
TEAM_COLUMNS = ("team", "trainer_of")
TEAM_SEPARATOR = ";"
# Any C0 or C1 control character, tab and line breaks included: none belongs in a
# name, an address or a team name (and PostgreSQL refuses NUL in text).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def read_people(data: bytes | str, problems: list[RowProblem]) -> list[Person]:
    """The file's valid rows; every problem found is appended to ``problems``."""
    records = _records(_decode(data), problems)
    if not records:
        return []
    header = _header(records[0], problems)
    if problems:
        return []  # the rows cannot be read without a sound header
    return _people(header, records[1:], problems)


# The file as a whole ------------------------------------------------------------------


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


def _blank(cells: list[str]) -> bool:
    return not any(cell.strip() for cell in cells)


def _records(text: str, problems: list[RowProblem]) -> list[list[str]]:
    """The file's rows of cells, the header first; none if it has no header."""
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        problems.append(RowProblem(1, None, f"not a CSV file ({exc})"))
        return []
    if not records or _blank(records[0]):
        problems.append(RowProblem(1, None, "no header: the first row must name the columns"))
        return []
    return records


def _header(cells: list[str], problems: list[RowProblem]) -> list[str]:
    """The columns' names, in lower case; unknown, repeated and missing ones are problems."""
    header = [cell.strip().lower() for cell in cells]
    for name, raw in zip(header, cells, strict=True):
        if name not in COLUMNS:
            problems.append(
                RowProblem(
                    1, show(raw.strip()), f"unknown column; the columns are {', '.join(COLUMNS)}"
                )
            )
        elif header.count(name) > 1:
            problems.append(RowProblem(1, name, "the column appears more than once"))
    for name in REQUIRED:
        if name not in header:
            problems.append(RowProblem(1, name, "the column is missing"))
    return header


# Rows ----------------------------------------------------------------------------------


def _people(
    header: list[str], records: list[list[str]], problems: list[RowProblem]
) -> list[Person]:
    """The valid rows after the header (row 2 on)."""
    people: list[Person] = []
    first_row_of: dict[str, dict[str, int]] = {"username": {}, "email": {}}
    for row, cells in enumerate(records, start=2):
        if _blank(cells):
            continue  # blank lines, e.g. at the end of a spreadsheet's export
        if not _blank(cells[len(header) :]):
            problems.append(
                RowProblem(row, None, f"{len(cells)} values, but the header has {len(header)}")
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
        person = _read_row(row, {name: values.get(name, "") for name in header}, problems)
        # Repeats are found among all rows, valid or not: one fix should not reveal another.
        repeated = _repeats(row, values, first_row_of, problems)
        if person is not None and not repeated:
            people.append(person)
    return people


def _repeats(
    row: int,
    values: dict[str, str],
    first_row_of: dict[str, dict[str, int]],
    problems: list[RowProblem],
) -> bool:
    """Whether the row's username or email (in any case) is on an earlier row; records
    the row's values for the rows after it."""
    repeated = False
    for column in ("username", "email"):
        if key := values.get(column, ""):
            first = first_row_of[column].setdefault(key.lower(), row)
            if first != row:
                problems.append(RowProblem(row, column, f"{show(key)} is also on row {first}"))
                repeated = True
    return repeated


def _read_row(row: int, values: dict[str, str], problems: list[RowProblem]) -> Person | None:
    before = len(problems)
    sound = {column: _check_cell(row, column, value, problems) for column, value in values.items()}
    _check_username(row, values["username"], sound["username"], problems)
    _check_email(row, values["email"], sound["email"], problems)
    if len(problems) > before:
        return None

    def teams(column: str) -> list[str] | None:
        return _team_names(values[column]) if column in values else None

    return Person(
        row=row,
        username=values["username"],
        email=values["email"],
        first_name=values.get("first_name"),
        last_name=values.get("last_name"),
        teams=teams("team"),
        trainer_of=teams("trainer_of"),
    )


# Cells ---------------------------------------------------------------------------------


def _team_names(value: str) -> list[str]:
    names: dict[str, str] = {}
    for name in value.split(TEAM_SEPARATOR):
        if name := name.strip():
            names.setdefault(name.lower(), name)
    return list(names.values())


def _check_cell(row: int, column: str, value: str, problems: list[RowProblem]) -> bool:
    """Whether the cell has no control character and is not too long for its field."""
    if match := CONTROL.search(value):
        code = f"U+{ord(match.group()):04X}"
        problems.append(RowProblem(row, column, f"contains a control character ({code})"))
        return False
    limit = MAX_LENGTHS[column]
    parts = _team_names(value) if column in TEAM_COLUMNS else [value]
    for part in parts:
        if len(part) > limit:
            what = "a team name" if column in TEAM_COLUMNS else "the value"
            problems.append(
                RowProblem(
                    row,
                    column,
                    f"{what} {show(part)} is {len(part)} characters long; at most {limit}",
                )
            )
            return False
    return True


def _check_username(row: int, username: str, sound: bool, problems: list[RowProblem]) -> None:
    """``sound``: the cell passed _check_cell (a problem there is not told twice)."""
    if not username:
        problems.append(RowProblem(row, "username", "missing"))
        return
    if not sound:
        return
    try:
        User.username_validator(username)
    except ValidationError:
        problems.append(
            RowProblem(
                row,
                "username",
                f"{show(username)}: only letters, digits and @ . + - _ are allowed",
            )
        )


def _check_email(row: int, email: str, sound: bool, problems: list[RowProblem]) -> None:
    """``sound``: the cell passed _check_cell (a problem there is not told twice)."""
    if not email:
        problems.append(RowProblem(row, "email", "missing"))
        return
    if not sound:
        return
    try:
        validate_email(email)
    except ValidationError:
        problems.append(RowProblem(row, "email", f"{show(email)} is not an email address"))
