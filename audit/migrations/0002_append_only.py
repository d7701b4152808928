"""The audit log is append-only in the database itself: triggers refuse every UPDATE
of an event and every DELETE (on PostgreSQL also TRUNCATE) of an event or a chain's
head, and let a head move only forward by one event. Rows may be removed only in
maintenance, which is ``manage.py flush`` emptying the whole database
(audit/maintenance.py).

The SQL differs per database (plpgsql functions on PostgreSQL, RAISE(ABORT) on
SQLite), so it runs from Python, for the connection's vendor.

Note for later migrations: on SQLite, altering one of these tables makes Django
copy it into a new table, which drops its triggers. Such a migration must create
them again (``create_triggers`` below); tests/test_verify_records.py checks that
the triggers refuse.
"""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION audit_in_maintenance() RETURNS boolean AS $$
    BEGIN
        RETURN coalesce(current_setting('audit.maintenance', true), '') = 'on';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP IN ('DELETE', 'TRUNCATE') AND audit_in_maintenance() THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit log: % of % refused, the log is append-only', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE FUNCTION audit_chainhead_forward_only() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            IF NEW.chain = OLD.chain AND NEW.seq = OLD.seq + 1 THEN
                RETURN NEW;
            END IF;
        ELSIF audit_in_maintenance() THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit log: % of % refused, a chain head only moves forward', TG_OP,
            TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
    """,
    """
    CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()
    """,
    """
    CREATE TRIGGER audit_chainhead_forward_only BEFORE UPDATE OR DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION audit_chainhead_forward_only()
    """,
    """
    CREATE TRIGGER audit_chainhead_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chainhead_forward_only()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_chainhead_forward_only ON audit_chainhead",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event",
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_chainhead_forward_only()",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
    "DROP FUNCTION IF EXISTS audit_in_maintenance()",
]

# audit_maintenance() is registered by Django in each of its connections
# (audit/maintenance.py); elsewhere it does not exist and the DELETE fails.
SQLITE = [
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    BEGIN SELECT RAISE(ABORT, 'audit log: UPDATE of audit_event refused, the log is append-only');
    END
    """,
    """
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    WHEN NOT audit_maintenance()
    BEGIN SELECT RAISE(ABORT, 'audit log: DELETE of audit_event refused, the log is append-only');
    END
    """,
    """
    CREATE TRIGGER audit_chainhead_forward_only BEFORE UPDATE ON audit_chainhead
    WHEN NEW.chain IS NOT OLD.chain OR NEW.seq IS NOT OLD.seq + 1
    BEGIN SELECT RAISE(ABORT, 'audit log: UPDATE of audit_chainhead refused, a chain head only moves forward');
    END
    """,
    """
    CREATE TRIGGER audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
    WHEN NOT audit_maintenance()
    BEGIN SELECT RAISE(ABORT, 'audit log: DELETE of audit_chainhead refused, a chain head only moves forward');
    END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_chainhead_no_delete",
    "DROP TRIGGER IF EXISTS audit_chainhead_forward_only",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TRIGGER IF EXISTS audit_event_no_update",
]

STATEMENTS = {"postgresql": (POSTGRESQL, POSTGRESQL_DROP), "sqlite": (SQLITE, SQLITE_DROP)}


def create_triggers(apps, schema_editor):
    create, _drop = STATEMENTS.get(schema_editor.connection.vendor, ((), ()))
    for statement in create:
        schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    _create, drop = STATEMENTS.get(schema_editor.connection.vendor, ((), ()))
    for statement in drop:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
