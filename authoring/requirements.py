"""Prerequisites in the content format, and the one loop check the importer and the
admin share.

``requires:`` in course.md lists courses, in a lesson file lessons of the same
course. Each item is a slug (the item must be completed) or a mapping with a score
(``{course: induction, score: 80}``, ``{lesson: receipts, score: 80}``: completed
with at least 80 % in the final assessment, or the lesson's quiz)::

    requires: [induction, {course: till-training, score: 80}]

What a requirement locks for a learner is decided by progress.prerequisites; here
they are only read and checked: every slug known, nothing requiring itself, no loop
(``induction → till-training → induction``), a score only where there is a quiz to
score. Every problem names the file and the line of the item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courses.content_errors import ContentError

KEY = "requires"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MIN_SCORE, MAX_SCORE = 1, 100
ARROW = " → "


@dataclass(frozen=True)
class RequirementSource:
    """One item of ``requires:``: the required course's or lesson's slug, the score
    asked for (None: completing it is enough), and the item's line in its file."""

    slug: str
    min_score: int | None = None
    line: int | None = None


def read_requires(
    path: Path, value: Any, lines: Mapping[tuple, int], errors: list[ContentError], kind: str
) -> tuple[RequirementSource, ...]:
    """The ``requires:`` list of a course file (``kind`` "course") or a lesson file
    ("lesson"); each bad item is an error at its line."""
    key_line = lines.get((KEY,))
    if value is None:
        return ()
    if not isinstance(value, list):
        example = "[induction]" if kind == "course" else "[first-lesson]"
        message = f"'{KEY}' must be a list of {kind} slugs: {KEY}: {example}"
        errors.append(ContentError(path, message, key_line))
        return ()
    found: list[RequirementSource] = []
    for index, item in enumerate(value):
        line = lines.get((KEY, index), key_line)
        requirement = _read_item(item, kind, line)
        if isinstance(requirement, str):
            errors.append(ContentError(path, f"'{KEY}' item {index + 1}: {requirement}", line))
        elif any(other.slug == requirement.slug for other in found):
            errors.append(
                ContentError(path, f"'{KEY}' names {kind} '{requirement.slug}' twice", line)
            )
        else:
            found.append(requirement)
    return tuple(found)


def _read_item(item: Any, kind: str, line: int | None) -> RequirementSource | str:
    """The requirement, or what is wrong with it."""
    if isinstance(item, dict):
        unknown = sorted(str(key) for key in item if key not in (kind, "score"))
        if unknown:
            return f"unknown key '{unknown[0]}' (write {{{kind}: <slug>, score: <percent>}})"
        slug, score = item.get(kind), item.get("score")
    else:
        slug, score = item, None
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        return f"a {kind} slug is lower-case letters, digits and single hyphens (found {slug!r})"
    if score is not None and (
        isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE
    ):
        return f"'score' must be a whole percent from {MIN_SCORE} to {MAX_SCORE}"
    return RequirementSource(slug, score, line)


# Checks over a whole course, or a whole pack of courses ------------------------------


@dataclass(frozen=True)
class Owner:
    """A course or lesson that requires others: its slug, its file, its requirements."""

    slug: str
    path: Path
    requires: tuple[RequirementSource, ...]


def check_requirements(
    owners: Iterable[Owner],
    known: Mapping[str, bool],
    kind: str,
    *,
    elsewhere: Mapping[str, Iterable[str]] | None = None,
) -> list[ContentError]:
    """Problems with these owners' requirements: a slug not in ``known`` (slug: whether
    it has a quiz to score), a score asked of one without a quiz, an item requiring
    itself, and loops, through ``elsewhere`` too (slug: required slugs of items not
    among the owners, such as courses already in the database)."""
    owners = list(owners)
    errors: list[ContentError] = []
    for owner in owners:
        for requirement in owner.requires:
            if problem := _problem(owner, requirement, known, kind):
                errors.append(ContentError(owner.path, problem, requirement.line))
    edges = {slug: set(required) for slug, required in (elsewhere or {}).items()}
    for owner in owners:
        edges[owner.slug] = {r.slug for r in owner.requires if r.slug != owner.slug}
    by_slug = {owner.slug: owner for owner in owners}
    for loop in find_loops(edges):
        # Told in the file of the loop's first item being imported now; a loop only
        # among items not imported now is not this import's doing.
        first = next((slug for slug in by_slug if slug in loop), None)
        if first is None:
            continue
        loop = rotate(loop, first)
        line = next((r.line for r in by_slug[first].requires if r.slug == loop[1]), None)
        errors.append(
            ContentError(by_slug[first].path, f"'{KEY}' makes a loop: {ARROW.join(loop)}", line)
        )
    return errors


def _problem(
    owner: Owner, requirement: RequirementSource, known: Mapping[str, bool], kind: str
) -> str | None:
    slug = requirement.slug
    if slug == owner.slug:
        return f"'{KEY}' names the {kind} itself ({slug}): a {kind} cannot require itself"
    if slug not in known:
        where = "in the content folder or the database" if kind == "course" else "in this course"
        return f"'{KEY}': there is no {kind} '{slug}' {where}"
    if requirement.min_score is not None and not known[slug]:
        quiz = "final assessment" if kind == "course" else "quiz"
        return f"'{KEY}': {kind} '{slug}' has no {quiz}, so there is no score to reach"
    return None


def find_loops(edges: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every loop of ``edges`` (item: the items it requires) once, each as a path from
    one of its items back to it (``[a, b, a]``)."""
    loops: list[list[str]] = []
    seen: set[frozenset[str]] = set()
    for start in edges:
        loop = find_loop(edges, start)
        if loop is not None and frozenset(loop) not in seen:
            seen.add(frozenset(loop))
            loops.append(loop)
    return loops


def rotate(loop: list[str], first: str) -> list[str]:
    """The same loop told from ``first``: rotate([a, b, c, a], b) is [b, c, a, b]."""
    at = loop.index(first)
    return [*loop[at:-1], *loop[:at], first]


def find_loop(edges: Mapping[str, Iterable[str]], start: str) -> list[str] | None:
    """A path from ``start`` back to it through ``edges`` (``[start, …, start]``), the
    shortest one found breadth first, or None."""
    paths: list[list[str]] = [[start]]
    visited = {start}
    while paths:
        path = paths.pop(0)
        for nxt in sorted(edges.get(path[-1], ())):
            if nxt == start:
                return [*path, start]
            if nxt not in visited:
                visited.add(nxt)
                paths.append([*path, nxt])
    return None


def loop_message(loop: list[str]) -> str:
    """A loop as people read it: "induction → till-training → induction"."""
    return ARROW.join(loop)
