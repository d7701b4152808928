"""What is wrong with a file, row by row: the one error of an import."""

from __future__ import annotations

from dataclasses import dataclass


def show(value: str) -> str:
    """A value quoted for a message, cut at 40 characters."""
    return repr(value if len(value) <= 40 else value[:40] + "…")


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
