"""A signed report never changes: the model, its QuerySet and the database each refuse, and the admin shows it
read-only. Only two things may still happen to a signed row: its PDF is rendered once, and it becomes "amended"."""

import importlib

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from reports.models import (
    FROZEN_FIELDS,
    RENDER_FIELDS,
    RenderStatus,
    Report,
    ReportImmutableError,
    ReportReview,
    ReportStatus,
)
from reports.tests.reporting import assessed_sample, draft, fresh, signed, submit

trigger_migration = importlib.import_module("reports.migrations.0002_report_immutable_trigger")

DIGEST = "a" * 64


@pytest.fixture
def report(world):
    """Signed, PDF still queued."""
    return signed(assessed_sample(world.inst_a), world.users["lab_scientist_a"], world.users["clinician_a"])


@pytest.fixture
def rendered(report):
    Report.objects.filter(pk=report.pk).update(
        render_status=RenderStatus.READY, pdf="reports/x.pdf", pdf_sha256=DIGEST, rendered_at=timezone.now()
    )
    return fresh(report)


def raw_sql(statement: str, *params) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


FROZEN_CHANGES = [
    ("frozen_result", {"drugs": {}}),
    ("rendered_html", "<p>edited</p>"),
    ("engine_version", "0.0.0"),
    ("kb_release", "another"),
    ("input_checksums", {"facts": "0" * 64, "files": []}),
    ("amendment_reason", "typo"),
    ("version", 7),
    ("revision", 99),
]


# ---- the model --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), FROZEN_CHANGES)
def test_the_model_refuses_to_change_signed_content(report, field, value):
    setattr(report, field, value)

    with pytest.raises(ReportImmutableError, match=f"signed: its {field} cannot change"):
        report.save()


def test_the_model_refuses_a_new_signer_or_a_return_to_draft(world, report):
    report.signed_by = world.users["clinician_b"]
    with pytest.raises(ReportImmutableError, match="signed_by_id"):
        report.save()

    report = fresh(report)
    report.status = ReportStatus.DRAFT
    with pytest.raises(ReportImmutableError, match="status"):
        report.save()


def test_a_stale_instance_cannot_slip_past(report):
    stale = fresh(report)
    Report.objects.filter(pk=report.pk).update(status=ReportStatus.AMENDED)

    stale.status = ReportStatus.SIGNED  # what the instance still believes
    with pytest.raises(ReportImmutableError, match="amended: its status"):
        stale.save()


def test_the_model_lets_a_signed_report_become_amended_and_its_pdf_be_stored_once(report):
    report.render_status, report.pdf, report.pdf_sha256 = RenderStatus.READY, "reports/x.pdf", DIGEST
    report.save()
    report.status = ReportStatus.AMENDED
    report.save()

    report.pdf_sha256 = "b" * 64
    with pytest.raises(ReportImmutableError, match="pdf_sha256"):
        report.save()
    assert fresh(report).pdf_sha256 == DIGEST


def test_the_model_refuses_to_delete_a_signed_report(report):
    with pytest.raises(ReportImmutableError):
        report.delete()
    with pytest.raises(ReportImmutableError):
        Report.objects.filter(pk=report.pk).delete()
    assert Report.objects.filter(pk=report.pk).exists()


def test_an_unsigned_report_may_still_change_and_be_deleted(world):
    report = draft(assessed_sample(world.inst_a), world.users["clinician_a"])

    Report.objects.filter(pk=report.pk).update(return_comment="edited")
    Report.objects.filter(pk=report.pk).delete()
    assert not Report.objects.exists()


# ---- the QuerySet -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), FROZEN_CHANGES)
def test_queryset_update_refuses_signed_content(report, field, value):
    with pytest.raises(ReportImmutableError):
        Report.objects.filter(pk=report.pk).update(**{field: value})


def test_queryset_update_lets_the_pdf_be_stored_until_it_is_ready(report):
    Report.objects.filter(pk=report.pk).update(render_status=RenderStatus.RENDERING, render_task_id="t1")
    Report.objects.filter(pk=report.pk).update(render_status=RenderStatus.READY, pdf="reports/x.pdf", pdf_sha256=DIGEST)

    with pytest.raises(ReportImmutableError):
        Report.objects.filter(pk=report.pk).update(pdf_sha256="b" * 64)


def test_a_bulk_update_touching_a_signed_row_is_refused_whole(world, report):
    other = draft(assessed_sample(world.inst_a, "R-OPEN"), world.users["clinician_a"])

    with pytest.raises(ReportImmutableError):
        Report.objects.all().update(return_comment="bulk")
    assert fresh(other).return_comment == ""


# ---- the database, below the ORM --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("rendered_html", "<p>forged</p>"),
        ("frozen_result", '{"drugs": {}}'),
        ("engine_version", "0.0.0"),
        ("kb_release", "forged"),
        ("signed_at", "2020-01-01 00:00:00+00:00"),
        ("revision", 42),
    ],
)
def test_the_database_refuses_raw_sql_changes_to_a_signed_report(report, column, value):
    with pytest.raises(IntegrityError):
        raw_sql(f"UPDATE reports_report SET {column} = %s WHERE id = %s", value, report.pk)

    assert fresh(report).rendered_html == report.rendered_html
    assert getattr(fresh(report), column) == getattr(report, column)


def test_the_database_refuses_to_send_a_signed_report_back_to_draft(report):
    with pytest.raises(IntegrityError):
        raw_sql("UPDATE reports_report SET status = 'in_review' WHERE id = %s", report.pk)


def test_the_database_lets_signed_become_amended_but_never_back(report):
    raw_sql("UPDATE reports_report SET status = 'amended' WHERE id = %s", report.pk)

    with pytest.raises(IntegrityError):
        raw_sql("UPDATE reports_report SET status = 'signed' WHERE id = %s", report.pk)
    assert fresh(report).status == ReportStatus.AMENDED


def test_the_database_refuses_to_change_a_rendered_pdf(rendered):
    with pytest.raises(IntegrityError):
        raw_sql("UPDATE reports_report SET pdf_sha256 = %s WHERE id = %s", "b" * 64, rendered.pk)
    with pytest.raises(IntegrityError):
        raw_sql("UPDATE reports_report SET pdf = 'reports/other.pdf' WHERE id = %s", rendered.pk)
    assert fresh(rendered).pdf_sha256 == DIGEST


def test_the_database_refuses_to_delete_a_signed_report(report):
    with pytest.raises(IntegrityError):
        raw_sql("DELETE FROM reports_report WHERE id = %s", report.pk)


def test_the_database_leaves_unsigned_reports_alone(world):
    report = submit(draft(assessed_sample(world.inst_a), world.users["lab_scientist_a"]), world.users["clinician_a"])

    raw_sql("UPDATE reports_report SET return_comment = 'raw' WHERE id = %s", report.pk)
    assert fresh(report).return_comment == "raw"


def test_every_column_is_either_frozen_or_a_render_field():
    """A column added later must be placed on one side on purpose, in the model and in a new trigger."""
    columns = {field.attname for field in Report._meta.concrete_fields}

    assert columns == {*FROZEN_FIELDS, *RENDER_FIELDS, "id", "status", "updated_at"}
    assert set(trigger_migration.FROZEN_COLUMNS) == set(FROZEN_FIELDS)
    assert set(trigger_migration.RENDER_COLUMNS) == set(RENDER_FIELDS)


# ---- reviews and the admin --------------------------------------------------------------------------------------


def test_review_decisions_are_records(world):
    report = submit(draft(assessed_sample(world.inst_a), world.users["lab_scientist_a"]), world.users["clinician_a"])
    review = ReportReview.objects.create(
        report=report, round=1, reviewer=world.users["clinician_a"], decision="approve"
    )

    review.comment = "changed my mind"
    with pytest.raises(ReportImmutableError):
        review.save()


def test_the_admin_shows_a_signed_report_read_only(client, world, report):
    client.force_login(world.users["superuser"])
    url = f"/admin/reports/report/{report.pk}/change/"

    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"rendered_html": "forged"}).status_code == 403
    assert client.get("/admin/reports/report/").status_code == 200
    assert client.get("/admin/reports/report/add/").status_code == 403
    assert fresh(report).rendered_html == report.rendered_html
