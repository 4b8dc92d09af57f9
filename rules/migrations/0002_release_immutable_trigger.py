"""The database's own guard on released knowledge: once a release has been active, no UPDATE may change its
release id, files or digest or send it back to draft, and no DELETE may remove it. The model refuses the same
(KnowledgeBaseRelease.save); this catches what bypasses the model (QuerySet.update, raw SQL, another client).
A CheckConstraint cannot see the old row, so this is a trigger, written for each vendor the project runs on."""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE FUNCTION rules_release_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'knowledge-base release % has been active: it is kept', OLD.release_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR NEW.release_id IS DISTINCT FROM OLD.release_id
        OR NEW.files IS DISTINCT FROM OLD.files
        OR NEW.sha256 IS DISTINCT FROM OLD.sha256
    ) THEN
        RAISE EXCEPTION 'knowledge-base release % is %: its content cannot change', OLD.release_id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER rules_release_guard BEFORE UPDATE OR DELETE ON rules_knowledgebaserelease
    FOR EACH ROW EXECUTE FUNCTION rules_release_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS rules_release_guard ON rules_knowledgebaserelease;
DROP FUNCTION IF EXISTS rules_release_guard();
"""
SQLITE_FORWARD = [
    """
    CREATE TRIGGER rules_release_guard_update BEFORE UPDATE ON rules_knowledgebaserelease
    FOR EACH ROW WHEN OLD.status <> 'draft' AND (
        NEW.status = 'draft'
        OR NEW.release_id IS NOT OLD.release_id
        OR NEW.files IS NOT OLD.files
        OR NEW.sha256 IS NOT OLD.sha256
    )
    BEGIN SELECT RAISE(ABORT, 'knowledge-base release content cannot change once active'); END;
    """,
    """
    CREATE TRIGGER rules_release_guard_delete BEFORE DELETE ON rules_knowledgebaserelease
    FOR EACH ROW WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, 'a knowledge-base release that has been active is kept'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS rules_release_guard_update;",
    "DROP TRIGGER IF EXISTS rules_release_guard_delete;",
]


def _run(schema_editor, statements) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def forward(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_FORWARD])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def reverse(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRESQL_REVERSE])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("rules", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
