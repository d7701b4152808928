"""Problems found in content files, each naming the file and, where known, the line;
and the checks every text and number from a file passes, so that validation (not
the database) refuses what a column cannot hold."""

import re
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations


@dataclass(frozen=True)
class ContentError:
    path: Path
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return printable(f"{where}: {self.message}")


class ContentInvalid(Exception):
    """Raised with every problem found, so an author can fix them in one pass."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))


# C0 control characters but tab, LF and CR (PostgreSQL refuses NUL in text, and
# none of them is ever meant), and lone surrogates (not Unicode: they cannot be
# encoded as UTF-8, so no database or page can hold them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` (a file name, in a message) as it can be printed: bytes of a name that
    were not UTF-8 (Python keeps them as lone surrogates, which cannot be written to
    a terminal) and control characters (which a terminal would obey) as \\xNN."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "backslashreplace")
    text = raw.decode("utf-8", "backslashreplace")
    return _CONTROL_OR_DEL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


_CONTROL_OR_DEL = re.compile("[\x00-\x1f\x7f]")


def text_problem(text: str) -> tuple[str, int] | None:
    """Why ``text`` cannot be stored, and where (an index into it); None if it can."""
    if match := _CONTROL.search(text):
        return f"contains the control character U+{ord(match.group()):04X}", match.start()
    if match := _SURROGATE.search(text):
        return f"contains U+{ord(match.group()):04X}, a lone surrogate (not Unicode)", (
            match.start()
        )
    return None


def max_length(model: type[models.Model], name: str) -> int:
    """The column's length: the one source of truth for how long a text may be."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} has no maximum length")
    return field.max_length


def integer_range(model: type[models.Model], name: str) -> tuple[int, int]:
    """The smallest and largest value the field holds on every database Django
    supports (SQLite would take more than PostgreSQL; the portable range counts)."""
    field = model._meta.get_field(name)
    return BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]
