"""The audit log cannot be changed through the database, and ``verify_records`` finds
what was changed behind the app's back (issue 23).

With the triggers in place, UPDATE and DELETE on the log are refused. The tampering
tests drop the triggers inside the test (raw SQL, rolled back with the test's
transaction), change the log as someone with the database's password could, and
check that ``verify_records`` names the right event."""

from __future__ import annotations

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.context import Party
from audit.log import event_hash, learner_chain, record_event
from audit.models import ChainHead, Event, EventKind
from tests.factories import make_user

pytestmark = pytest.mark.django_db

EVENTS_PER_LEARNER = 4


def verify(*args: str) -> tuple[int, str]:
    """verify_records' exit status and everything it printed."""
    out = StringIO()
    try:
        call_command("verify_records", *args, stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{error}"
    return 0, out.getvalue()


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def drop_triggers() -> None:
    """As someone who may change the schema could; rolled back after the test."""
    if connection.vendor == "postgresql":
        sql("DROP TRIGGER audit_event_append_only ON audit_event")
        sql("DROP TRIGGER audit_chainhead_forward_only ON audit_chainhead")
    else:
        for trigger in ("audit_event_no_update", "audit_event_no_delete"):
            sql(f"DROP TRIGGER {trigger}")
        for trigger in ("audit_chainhead_forward_only", "audit_chainhead_no_delete"):
            sql(f"DROP TRIGGER {trigger}")


def write_events(learner, count: int = EVENTS_PER_LEARNER) -> list[Event]:
    party = Party(id=learner.pk, name=learner.get_full_name() or learner.username)
    return [
        record_event(EventKind.COMPLETION_CHANGED, learner=party, obj=None, data={"n": n})
        for n in range(1, count + 1)
    ]


@pytest.fixture
def chains(db):
    """Two learners' chains of four events each: Ann's (tampered with) and Ben's."""
    ann = make_user("ann", first_name="Ann", last_name="Archer")
    ben = make_user("ben", first_name="Ben", last_name="Baker")
    return {"ann": write_events(ann), "ben": write_events(ben)}


def failed_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("FAILED")]


# An intact log ---------------------------------------------------------------------------


def test_an_intact_log_verifies_with_its_counts(chains):
    assert verify() == (0, "OK: 8 events in 2 chains verified.\n")


def test_one_chain_can_be_checked_alone(chains):
    chain = chains["ann"][0].chain
    assert verify("--chain", chain) == (0, "OK: 4 events in 1 chains verified.\n")


# The triggers ----------------------------------------------------------------------------


def test_the_database_refuses_an_update_of_an_event(chains):
    event = chains["ann"][1]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("UPDATE audit_event SET learner_name = 'Someone else' WHERE id = %s", [event.pk])
    assert Event.objects.get(pk=event.pk).learner_name == "Ann Archer"


def test_the_database_refuses_a_delete_of_an_event(chains):
    event = chains["ann"][1]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()


def test_the_orm_cannot_update_or_delete_events_either(chains):
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.update(actor_name="nobody")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.all().delete()
    assert Event.objects.count() == 8


def test_a_chains_head_cannot_be_moved_back(chains):
    head = ChainHead.objects.get(chain=chains["ann"][0].chain)
    with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
        ChainHead.objects.filter(pk=head.pk).update(seq=head.seq - 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        ChainHead.objects.filter(pk=head.pk).delete()


def test_postgresql_refuses_truncating_the_log(chains):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's (SQLite has none)")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        sql("TRUNCATE audit_event")
    assert Event.objects.count() == 8


@pytest.mark.django_db(transaction=True)
def test_another_program_cannot_delete_from_the_sqlite_log():
    """Outside Django's connections the function the trigger asks does not exist."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's trigger")
    write_events(make_user("cy"), count=1)
    other = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="audit_maintenance"):
            other.execute("DELETE FROM audit_event")
    finally:
        other.close()
    assert Event.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_the_triggers_stay():
    write_events(make_user("dee"), count=2)
    call_command("flush", interactive=False)
    assert not Event.objects.exists() and not ChainHead.objects.exists()
    write_events(make_user("dee"), count=2)
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.all().delete()
    assert verify() == (0, "OK: 2 events in 1 chains verified.\n")


@pytest.mark.django_db(transaction=True)
def test_a_restored_backup_keeps_the_log_verifiable_and_append_only(tmp_path):
    write_events(make_user("eve"), count=3)
    backup = tmp_path / "site.backup"
    call_command("backup_db", str(backup), stdout=StringIO())
    call_command("flush", interactive=False)
    call_command("restore_db", str(backup), "--no-input", stdout=StringIO())
    assert verify() == (0, "OK: 3 events in 1 chains verified.\n")
    with pytest.raises(DatabaseError), transaction.atomic():
        Event.objects.update(actor_name="nobody")


# Behind the app's back: verify_records names the event ------------------------------------


def test_an_updated_event_is_named(chains):
    drop_triggers()
    event = chains["ann"][1]
    sql("UPDATE audit_event SET learner_name = 'Someone else' WHERE id = %s", [event.pk])
    status, output = verify()
    assert status == 1
    assert failed_lines(output) == [
        f"FAILED chain {event.chain}: Event {event.pk} (number 2) was changed: its fields "
        "no longer give the hash it was written with."
    ]
    assert "1 of 2 chains do not verify" in output


def test_an_updated_event_with_its_hash_recomputed_is_named(chains):
    drop_triggers()
    event = chains["ann"][1]
    event.data = {"n": 20}
    event.hash = event_hash(event)
    sql(
        "UPDATE audit_event SET data = %s, hash = %s WHERE id = %s",
        ['{"n": 20}', event.hash, event.pk],
    )
    status, output = verify()
    following = chains["ann"][2]
    assert (status, failed_lines(output)) == (
        1,
        [
            f"FAILED chain {event.chain}: Event {event.pk} (number 2) was changed: its hash is "
            f"not the one event {following.pk} recorded for it."
        ],
    )


def test_the_last_event_updated_with_its_hash_recomputed_is_named(chains):
    drop_triggers()
    last = chains["ann"][-1]
    last.actor_name = "Someone else"
    sql(
        "UPDATE audit_event SET actor_name = %s, hash = %s WHERE id = %s",
        ["Someone else", event_hash(last), last.pk],
    )
    status, output = verify()
    assert (status, failed_lines(output)) == (
        1,
        [
            f"FAILED chain {last.chain}: Event {last.pk} (number 4) was changed: its hash is not "
            "the one the chain's head recorded."
        ],
    )


def test_a_deleted_event_is_named(chains):
    drop_triggers()
    removed, following = chains["ann"][1], chains["ann"][2]
    sql("DELETE FROM audit_event WHERE id = %s", [removed.pk])
    status, output = verify()
    assert (status, failed_lines(output)) == (
        1,
        [
            f"FAILED chain {removed.chain}: Event {removed.pk} was removed: event "
            f"{following.pk} (number 3) was written after it."
        ],
    )


def test_a_deleted_first_event_is_named(chains):
    drop_triggers()
    removed = chains["ann"][0]
    sql("DELETE FROM audit_event WHERE id = %s", [removed.pk])
    status, output = verify()
    assert status == 1
    assert f"Event {removed.pk} was removed" in failed_lines(output)[0]


def test_a_deleted_last_event_is_named(chains):
    drop_triggers()
    removed = chains["ann"][-1]
    sql("DELETE FROM audit_event WHERE id = %s", [removed.pk])
    status, output = verify()
    assert (status, failed_lines(output)) == (
        1,
        [
            f"FAILED chain {removed.chain}: Event {removed.pk} was removed: it was the chain's "
            "last event (number 4), as the chain's head records."
        ],
    )


def test_reordered_events_are_named(chains):
    drop_triggers()
    second, third = chains["ann"][1], chains["ann"][2]
    # Swap their places (0 is free: the unique constraint holds at each step).
    sql("UPDATE audit_event SET seq = 0 WHERE id = %s", [second.pk])
    sql("UPDATE audit_event SET seq = 2 WHERE id = %s", [third.pk])
    sql("UPDATE audit_event SET seq = 3 WHERE id = %s", [second.pk])
    status, output = verify()
    assert (status, failed_lines(output)) == (
        1,
        [
            f"FAILED chain {third.chain}: Event {third.pk} (number 2) is out of order: it was "
            f"written after event {second.pk}, which is now number 3."
        ],
    )


def test_the_last_two_events_reordered_are_named(chains):
    drop_triggers()
    third, last = chains["ann"][2], chains["ann"][3]
    sql("UPDATE audit_event SET seq = 0 WHERE id = %s", [third.pk])
    sql("UPDATE audit_event SET seq = 3 WHERE id = %s", [last.pk])
    sql("UPDATE audit_event SET seq = 4 WHERE id = %s", [third.pk])
    status, output = verify()
    assert status == 1
    assert f"Event {last.pk} (number 3) is out of order" in failed_lines(output)[0]


def test_a_renumbered_event_is_named(chains):
    drop_triggers()
    last = chains["ann"][-1]
    sql("UPDATE audit_event SET seq = 9 WHERE id = %s", [last.pk])
    status, output = verify()
    assert status == 1
    assert f"Event {last.pk} was renumbered: it is number 9 at place 4" in failed_lines(output)[0]


def test_a_chain_moved_back_with_its_last_event_is_named_by_the_count(chains):
    """Deleting the last event and moving the head back to the event before it: the
    one thing the head cannot see is a head rewritten to match; here it was moved,
    not rewritten, so its count no longer matches."""
    drop_triggers()
    removed, new_last = chains["ann"][-1], chains["ann"][-2]
    sql("DELETE FROM audit_event WHERE id = %s", [removed.pk])
    sql(
        "UPDATE audit_chainhead SET last_event_id = %s, hash = %s WHERE chain = %s",
        [new_last.pk, new_last.hash, removed.chain],
    )
    status, output = verify()
    assert status == 1
    assert failed_lines(output) == [
        f"FAILED chain {removed.chain}: The chain's head records 4 events; the log holds 3."
    ]


def test_only_the_tampered_chain_fails(chains):
    drop_triggers()
    sql("DELETE FROM audit_event WHERE id = %s", [chains["ann"][1].pk])
    status, output = verify()
    assert status == 1
    (line,) = failed_lines(output)
    assert line.startswith(f"FAILED chain {learner_chain(chains['ann'][0].learner_id)}: ")
    assert verify("--chain", chains["ben"][0].chain)[0] == 0
