"""The database's own guard on signed reports: once a report is signed, no UPDATE may change what was signed, its
status may only go from signed to amended (a newer version replaced it), its PDF fields only until the PDF is
ready, and no DELETE may remove it. The model and its QuerySet refuse the same (reports/models.py); this catches
what bypasses them (raw SQL, another client). A CheckConstraint cannot see the old row, so this is a trigger,
written for each vendor the project runs on, as in rules/migrations/0002.

The column lists are spelled out here, not imported from the model, so this migration means the same thing
whatever the model later becomes; a test checks the model's lists against every column."""

from django.db import migrations

FROZEN_COLUMNS = (
    "uuid",
    "sample_id",
    "version",
    "previous_id",
    "amendment_reason",
    "assessment_id",
    "revision",
    "round",
    "return_comment",
    "frozen_result",
    "engine_version",
    "kb_release",
    "input_checksums",
    "rendered_html",
    "signed_at",
    "signed_by_id",
    "created_by_id",
    "created_at",
    "changed_by_id",
    "submitted_at",
)
RENDER_COLUMNS = ("render_status", "render_task_id", "render_error", "rendered_at", "pdf", "pdf_sha256")
SEALED = "('signed', 'amended')"


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f'NEW."{column}" {distinct} OLD."{column}"' for column in columns)


POSTGRESQL_FORWARD = f"""
CREATE FUNCTION reports_report_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN {SEALED} THEN
            RAISE EXCEPTION 'report % is %: it is kept', OLD.uuid, OLD.status
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status NOT IN {SEALED} THEN
        RETURN NEW;
    END IF;
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status = 'signed' AND NEW.status = 'amended') THEN
        RAISE EXCEPTION 'report % is %: it cannot become %', OLD.uuid, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF {_changed(FROZEN_COLUMNS, "IS DISTINCT FROM")} THEN
        RAISE EXCEPTION 'report % is %: its signed content cannot change', OLD.uuid, OLD.status
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.pdf_sha256 <> '' AND ({_changed(RENDER_COLUMNS, "IS DISTINCT FROM")}) THEN
        RAISE EXCEPTION 'report % has its PDF: the PDF cannot change', OLD.uuid
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reports_report_guard BEFORE UPDATE OR DELETE ON reports_report
    FOR EACH ROW EXECUTE FUNCTION reports_report_guard();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS reports_report_guard ON reports_report;
DROP FUNCTION IF EXISTS reports_report_guard();
"""
SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER reports_report_guard_status BEFORE UPDATE ON reports_report
    FOR EACH ROW WHEN OLD.status IN {SEALED} AND NEW.status IS NOT OLD.status
        AND NOT (OLD.status = 'signed' AND NEW.status = 'amended')
    BEGIN SELECT RAISE(ABORT, 'a signed report can only become amended'); END;
    """,
    f"""
    CREATE TRIGGER reports_report_guard_content BEFORE UPDATE ON reports_report
    FOR EACH ROW WHEN OLD.status IN {SEALED} AND ({_changed(FROZEN_COLUMNS, "IS NOT")})
    BEGIN SELECT RAISE(ABORT, 'a signed report''s content cannot change'); END;
    """,
    f"""
    CREATE TRIGGER reports_report_guard_pdf BEFORE UPDATE ON reports_report
    FOR EACH ROW WHEN OLD.status IN {SEALED} AND OLD.pdf_sha256 <> '' AND ({_changed(RENDER_COLUMNS, "IS NOT")})
    BEGIN SELECT RAISE(ABORT, 'a signed report''s PDF cannot change once rendered'); END;
    """,
    f"""
    CREATE TRIGGER reports_report_guard_delete BEFORE DELETE ON reports_report
    FOR EACH ROW WHEN OLD.status IN {SEALED}
    BEGIN SELECT RAISE(ABORT, 'a signed report is kept'); END;
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS reports_report_guard_status;",
    "DROP TRIGGER IF EXISTS reports_report_guard_content;",
    "DROP TRIGGER IF EXISTS reports_report_guard_pdf;",
    "DROP TRIGGER IF EXISTS reports_report_guard_delete;",
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
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(forward, reverse)]
