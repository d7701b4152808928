"""Checking the audit log's chains (``manage.py verify_records``, the training record).

Each chain is read in order of ``seq``; for each event, in turn:

1. its fields must still give its recorded hash (else it was **changed**);
2. it must name the event before it (``prev_id``, ``prev_hash``) as the one that
   is there: if it names another event of the chain, the two were **reordered**;
   if it names an event that is no longer there, that one was **removed**; if it
   names the right one with another hash, the one before it was **changed** (and
   its own hash recomputed to hide it);
3. its number must be its place (else it was renumbered: **changed**).

Then the chain's head must name the last event, with its hash, and the count: if
the event it names is gone, the last event was **removed**.

The first problem of each chain is reported: what follows it cannot be trusted
either. What cannot be detected: someone who may change the database's schema can
drop the triggers, rewrite a chain from the first changed event on (recomputing
every later hash, as the code here does) and move its head to match. Nothing in the
database can tell that from the truth; only a copy of the chains' heads kept
elsewhere can (docs/compliance.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from audit.log import GENESIS, event_hash
from audit.models import ChainHead, Event

CHANGED, REMOVED, REORDERED = "changed", "removed", "reordered"


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a chain: which event, and what was done to it."""

    chain: str
    event_id: int | None
    what: str  # CHANGED, REMOVED or REORDERED
    detail: str

    def __str__(self) -> str:
        return self.detail


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _numbered(event: Event) -> dict[str, object]:
    return {"id": event.pk, "seq": event.seq}


def _content_problem(event: Event) -> Problem | None:
    if event_hash(event) == event.hash:
        return None
    detail = _(
        "Event %(id)s (number %(seq)s) was changed: its fields no longer give the hash "
        "it was written with."
    ) % _numbered(event)
    return Problem(event.chain, event.pk, CHANGED, detail)


def _out_of_order(event: Event, by_id: dict[int, Event]) -> Problem:
    if event.prev_id is None:
        detail = _(
            "Event %(id)s (number %(seq)s) is out of order: it was written as the chain's "
            "first event."
        ) % _numbered(event)
    else:
        before = by_id[event.prev_id]
        detail = _(
            "Event %(id)s (number %(seq)s) is out of order: it was written after event "
            "%(before)s, which is now number %(before_seq)s."
        ) % {**_numbered(event), "before": before.pk, "before_seq": before.seq}
    return Problem(event.chain, event.pk, REORDERED, detail)


def _link_problem(event: Event, previous: Event | None, by_id: dict[int, Event]) -> Problem | None:
    expected_id = previous.pk if previous is not None else None
    expected_hash = previous.hash if previous is not None else GENESIS
    if event.prev_id == expected_id:
        if event.prev_hash == expected_hash:
            return None
        if previous is not None:  # the one before was changed, and its hash recomputed
            detail = _(
                "Event %(id)s (number %(seq)s) was changed: its hash is not the one event "
                "%(next)s recorded for it."
            ) % {**_numbered(previous), "next": event.pk}
            return Problem(event.chain, previous.pk, CHANGED, detail)
    if event.prev_id is None or event.prev_id in by_id:
        return _out_of_order(event, by_id)
    detail = _(
        "Event %(id)s was removed: event %(next)s (number %(seq)s) was written after it."
    ) % {"id": event.prev_id, "next": event.pk, "seq": event.seq}
    return Problem(event.chain, event.prev_id, REMOVED, detail)


def _number_problem(event: Event, place: int) -> Problem | None:
    if event.seq == place:
        return None
    detail = _(
        "Event %(id)s was renumbered: it is number %(seq)s at place %(place)s of the chain."
    ) % {**_numbered(event), "place": place}
    return Problem(event.chain, event.pk, CHANGED, detail)


def _head_problem(
    chain: str, last: Event | None, head: ChainHead | None, by_id: dict[int, Event]
) -> Problem | None:
    if head is None:
        if last is None:
            return None
        detail = _("The chain's head is missing: removing its last events would not show.")
        return Problem(chain, None, REMOVED, detail)
    if head.last_event_id is not None and head.last_event_id not in by_id:
        detail = _(
            "Event %(id)s was removed: it was the chain's last event (number %(seq)s), as "
            "the chain's head records."
        ) % {"id": head.last_event_id, "seq": head.seq}
        return Problem(chain, head.last_event_id, REMOVED, detail)
    if last is None or (head.last_event_id == last.pk and head.hash == last.hash):
        return _count_problem(chain, head, len(by_id))
    if head.last_event_id != last.pk:
        moved = by_id[head.last_event_id]  # type: ignore[index]
        detail = _(
            "Event %(id)s (number %(seq)s) is out of order: it was written as the chain's "
            "last event."
        ) % _numbered(moved)
        return Problem(chain, moved.pk, REORDERED, detail)
    detail = _(
        "Event %(id)s (number %(seq)s) was changed: its hash is not the one the chain's "
        "head recorded."
    ) % _numbered(last)
    return Problem(chain, last.pk, CHANGED, detail)


def _count_problem(chain: str, head: ChainHead, count: int) -> Problem | None:
    if head.seq == count:
        return None
    detail = _("The chain's head records %(head)s events; the log holds %(count)s.") % {
        "head": head.seq,
        "count": count,
    }
    return Problem(chain, head.last_event_id, CHANGED, detail)


def check_chain(chain: str, events: Sequence[Event], head: ChainHead | None) -> Problem | None:
    """The first problem of one chain (its events in order of ``seq``), or None."""
    by_id = {event.pk: event for event in events}
    previous: Event | None = None
    for place, event in enumerate(events, start=1):
        problem = (
            _content_problem(event)
            or _link_problem(event, previous, by_id)
            or _number_problem(event, place)
        )
        if problem is not None:
            return problem
        previous = event
    return _head_problem(chain, previous, head, by_id)


def check_chains(events: Iterable[Event], heads: dict[str, ChainHead]) -> Report:
    """Every chain of ``events`` (ordered by chain, then seq) against ``heads``; heads
    whose chain has no event left are checked too."""
    report = Report()
    seen: set[str] = set()
    for chain, group in itertools.groupby(events, key=lambda event: event.chain):
        chain_events = list(group)
        seen.add(chain)
        report.chains += 1
        report.events += len(chain_events)
        if problem := check_chain(chain, chain_events, heads.get(chain)):
            report.problems.append(problem)
    for chain in sorted(set(heads) - seen):
        report.chains += 1
        if problem := check_chain(chain, [], heads[chain]):
            report.problems.append(problem)
    return report


def verify_all(chain: str | None = None) -> Report:
    """Check every chain (or one): one pass over the log, a chain in memory at a time."""
    events = Event.objects.order_by("chain", "seq")
    heads = ChainHead.objects.all()
    if chain is not None:
        events, heads = events.filter(chain=chain), heads.filter(chain=chain)
    return check_chains(events.iterator(chunk_size=2000), {head.chain: head for head in heads})
