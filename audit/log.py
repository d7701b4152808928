"""Writing the audit log: :func:`record_event`, and the hash that chains events.

**One chain per learner** (``learner:<id>``); events that concern no single learner
go to a chain of their own: a team's assignments to ``team:<id>``, anything else to
``site``. Why per learner rather than one chain for the whole site:

- Writers do not queue behind each other. An event is written in the transaction of
  the record it is about, and appending to a chain holds that chain's lock until the
  transaction commits. One global chain would make every quiz submitted anywhere on
  the site wait for every other; per learner, only one learner's own simultaneous
  requests wait for each other (and they already do: progress.services locks the
  learner's row when it records a completion).
- A learner's record is checked on its own: "Show me Ann's training record" verifies
  Ann's chain, however large the site's log is.
- What the chain proves is the same: an event changed, removed or moved within a
  chain breaks it (audit.verify). Removing a chain's last event is caught by the
  chain's head (``ChainHead``), which a trigger lets move only forward.

**Appending without forking.** The learner's user row is locked first (the same lock
progress.services and training.services take before recording a completion or a
fresh start, so the two never wait for each other in opposite orders), then the
chain's head row (``SELECT ... FOR UPDATE``; a first event creates the head with an
``INSERT ... ON CONFLICT DO NOTHING``). The unique constraint on (chain, seq) backs
the lock up: two events can never take the same place. SQLite has no row locks, but
its transactions here take the write lock when they begin (settings:
``transaction_mode IMMEDIATE``), so writers run one at a time there anyway.

**The hash** is SHA-256 over the event's fields as canonical JSON (sorted keys, no
spaces): chain, the previous event's id and hash, when (UTC, microseconds), kind,
actor, IP address, learner, object, data and content version. Not the event's own
id (unknown until it is written) nor its number in the chain (``seq``): the links
to the previous event fix its place.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.utils import timezone

from audit.context import Party, current_actor, current_ip
from audit.models import ChainHead, Event, EventKind

GENESIS = "0" * 64
SITE_CHAIN = "site"


def learner_chain(learner_id: int) -> str:
    return f"learner:{learner_id}"


def team_chain(team_id: int) -> str:
    return f"team:{team_id}"


def _plain(value: Any) -> Any:
    """Dates and times as ISO 8601 text (anything else JSON cannot hold, as text)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def as_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` as the database gives it back (tuples as lists, dates as text), so the
    hash computed now is the hash computed from the stored row."""
    return json.loads(json.dumps(dict(data), default=_plain))


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _instant(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def event_fields(event: Event) -> dict[str, Any]:
    """What an event's hash covers (see the module's docstring)."""
    return {
        "chain": event.chain,
        "prev_id": event.prev_id,
        "prev_hash": event.prev_hash,
        "at": _instant(event.at),
        "kind": event.kind,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "ip": event.ip,
        "learner_id": event.learner_id,
        "learner_name": event.learner_name,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
        "content_version": event.content_version,
    }


def event_hash(event: Event) -> str:
    return sha256_of(event_fields(event))


def _locked_head(chain: str, learner_id: int | None) -> ChainHead:
    """The chain's head, locked until the transaction ends (created at 0 if new)."""
    if learner_id is not None and chain == learner_chain(learner_id):
        get_user_model().objects.select_for_update().filter(pk=learner_id).values_list(
            "pk", flat=True
        ).first()
    head = ChainHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        new = ChainHead(chain=chain, seq=0, last_event_id=None, hash=GENESIS)
        ChainHead.objects.bulk_create([new], ignore_conflicts=True)
        head = ChainHead.objects.select_for_update().get(chain=chain)
    return head


def object_label(obj: models.Model | None) -> tuple[str, int | None]:
    if obj is None:
        return "", None
    return obj._meta.label_lower, obj.pk


@transaction.atomic(savepoint=False)
def record_event(
    kind: EventKind | str,
    *,
    learner: Party | None,
    obj: models.Model | tuple[str, int | None] | None,
    data: Mapping[str, Any],
    content_version: str = "",
    chain: str | None = None,
    actor: Party | None = None,
) -> Event:
    """Append one event to its chain, in the caller's transaction (or one of its own
    when there is none), and move the chain's head on.

    ``learner`` is who the event concerns (None: no single learner; then name the
    ``chain``, e.g. :func:`team_chain`, or it goes to the site's). ``obj`` is the
    record (a model instance, or its ``("app_label.model", id)``). ``actor``
    defaults to whoever is acting now (audit.context). A failure raises, and the
    caller's transaction is rolled back with it: no record without its event."""
    learner_id = learner.id if learner is not None else None
    if chain is None:
        chain = learner_chain(learner_id) if learner_id is not None else SITE_CHAIN
    head = _locked_head(chain, learner_id)
    actor = actor or current_actor()
    object_type, object_id = obj if isinstance(obj, tuple) else object_label(obj)
    event = Event(
        chain=chain,
        seq=head.seq + 1,
        at=timezone.now(),
        kind=str(kind),
        actor_id=actor.id,
        actor_name=actor.name[:300],
        ip=current_ip(),
        learner_id=learner_id,
        learner_name=(learner.name if learner is not None else "")[:300],
        object_type=object_type,
        object_id=object_id,
        data=as_json(data),
        content_version=content_version,
        prev_id=head.last_event_id,
        prev_hash=head.hash,
    )
    event.hash = event_hash(event)
    event.save(force_insert=True)
    ChainHead.objects.filter(chain=chain).update(
        seq=event.seq, last_event_id=event.pk, hash=event.hash
    )
    return event
