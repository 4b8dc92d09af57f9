"""Relapse reports: versions of one sample's report, their reviews, and the PDF rendered after signing.

A report states one assessment of one sample. It is drafted, submitted, reviewed (by a second clinician when the
institution requires one), returned or signed. Signing freezes what was stated (the assessment result, engine
version, knowledge-base release, input checksums, the rendered document and, once rendered, the PDF's sha256);
from then on the row never changes, except that it becomes "amended" when a newer version is signed in its place.
The model refuses such changes, its QuerySet refuses them, and a database trigger refuses them too (migration 0002).
"""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile

from crbn_portal.models import TrackedModel
from crbn_portal.permissions import InstitutionScopedQuerySet
from patients.models import Sample
from rules.models import Assessment


class ReportImmutableError(Exception):
    """Raised when code tries to change or delete a signed (or amended) report's content."""


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    RETURNED = "returned", "Returned"
    SIGNED = "signed", "Signed"
    AMENDED = "amended", "Amended (superseded)"


class RenderStatus(models.TextChoices):
    """State of the PDF render, a row a worker claims (DESIGN.md: state of long work is a database row)."""

    NONE = "none", "Not requested"
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# Signed content: fixed once the report is signed, whatever happens afterwards.
SEALED_STATUSES = (ReportStatus.SIGNED, ReportStatus.AMENDED)
OPEN_STATUSES = (ReportStatus.DRAFT, ReportStatus.IN_REVIEW, ReportStatus.RETURNED)
FROZEN_FIELDS = (
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
# The only status change a signed row may take: a newer version was signed in its place.
SIGNED_TO_AMENDED = (ReportStatus.SIGNED, ReportStatus.AMENDED)
# The PDF is rendered after signing, so these may change on a signed row until the PDF is ready, then never.
RENDER_FIELDS = ("render_status", "render_task_id", "render_error", "rendered_at", "pdf", "pdf_sha256")


def _pdf_name(instance: "Report", filename: str) -> str:
    return report_pdf_name(instance)


def report_pdf_name(report: "Report") -> str:
    """Deterministic: a redelivered render overwrites its own file instead of adding a second one."""
    return f"reports/{report.sample.uuid}/{report.uuid}-v{report.version}.pdf"


class ReportQuerySet(InstitutionScopedQuerySet):
    institution_path = "sample__institution"

    def update(self, **kwargs: Any) -> int:
        self._refuse_sealed_update(kwargs)
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(status__in=SEALED_STATUSES).exists():
            raise ReportImmutableError("Signed reports are kept: they cannot be deleted.")
        return super().delete()

    def _refuse_sealed_update(self, kwargs: dict[str, Any]) -> None:
        """Let through the two changes a signed row may still take (the database trigger checks the values):
        the render fields until the PDF is ready, and signed -> amended."""
        changed = set(kwargs) - {"updated_at"}
        sealed = self.filter(status__in=SEALED_STATUSES)
        if changed <= set(RENDER_FIELDS):
            sealed = sealed.exclude(pdf_sha256="")
        elif changed == {"status"} and kwargs["status"] == ReportStatus.AMENDED:
            sealed = sealed.filter(status=ReportStatus.AMENDED)
        if sealed.exists():
            raise ReportImmutableError(f"Signed reports cannot change: refused update of {', '.join(sorted(changed))}.")

    def current(self) -> "ReportQuerySet":
        """Versions nobody has superseded yet."""
        return self.exclude(status=ReportStatus.AMENDED)


class Report(TrackedModel):
    """One version of a sample's relapse report. ``created_by`` is its author; ``revision`` counts every change,
    so a user acting on a page they opened before someone else's change is refused instead of overriding it."""

    Status = ReportStatus
    RenderStatus = RenderStatus

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="reports")
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT)
    previous = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendment",
        help_text="The version it amends.",
    )
    amendment_reason = models.TextField(blank=True)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="reports")
    revision = models.PositiveIntegerField(default=1, help_text="Optimistic concurrency: +1 on every change.")
    round = models.PositiveIntegerField(default=0, help_text="How many times it was submitted for review.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    return_comment = models.TextField(blank=True)
    # Frozen at signing.
    frozen_result = models.JSONField(null=True, blank=True, help_text="The assessment result as signed.")
    engine_version = models.CharField(max_length=20, blank=True)
    kb_release = models.CharField(max_length=60, blank=True)
    input_checksums = models.JSONField(null=True, blank=True, help_text="sha256 of the facts and of each file used.")
    rendered_html = models.TextField(blank=True, help_text="The document as signed (print form).")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The PDF render job (after signing).
    render_status = models.CharField(max_length=10, choices=RenderStatus.choices, default=RenderStatus.NONE)
    render_task_id = models.CharField(max_length=64, blank=True)
    render_error = models.TextField(blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to=_pdf_name, max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["sample_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "version"], name="report_version_unique_per_sample"),
            # One version being worked on per sample: an amendment waits until the draft before it is settled.
            models.UniqueConstraint(
                fields=["sample"], condition=Q(status__in=OPEN_STATUSES), name="report_one_open_per_sample"
            ),
            # One version in force per sample: signing an amendment marks the one it replaces first.
            models.UniqueConstraint(
                fields=["sample"], condition=Q(status=ReportStatus.SIGNED), name="report_one_signed_per_sample"
            ),
            models.CheckConstraint(
                condition=Q(version=1, previous__isnull=True) | Q(version__gt=1, previous__isnull=False),
                name="report_amendment_has_previous",
            ),
            models.CheckConstraint(
                condition=Q(previous__isnull=True) | ~Q(amendment_reason=""), name="report_amendment_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, signed_at__isnull=True, signed_by__isnull=True)
                | (
                    Q(status__in=SEALED_STATUSES, signed_at__isnull=False, signed_by__isnull=False)
                    & ~Q(rendered_html="")
                    & Q(frozen_result__isnull=False)
                ),
                name="report_signature_recorded",
            ),
            models.CheckConstraint(
                condition=Q(render_status=RenderStatus.NONE) | Q(status__in=SEALED_STATUSES),
                name="report_render_after_signing",
            ),
            models.CheckConstraint(
                condition=(Q(render_status=RenderStatus.READY) & ~Q(pdf_sha256="") & ~Q(pdf=""))
                | (~Q(render_status=RenderStatus.READY) & Q(pdf_sha256="")),
                name="report_pdf_ready_has_digest",
            ),
        ]
        indexes = [models.Index(fields=["status", "-updated_at"], name="report_status_recent")]

    def __str__(self) -> str:
        return f"Report v{self.version} for {self.sample.accession} ({self.get_status_display()})"

    @property
    def sealed(self) -> bool:
        return self.status in SEALED_STATUSES

    @property
    def pdf_ready(self) -> bool:
        return self.render_status == RenderStatus.READY

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_sealed_change()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if type(self).objects.filter(pk=self.pk, status__in=SEALED_STATUSES).exists():
            raise ReportImmutableError(f"Report v{self.version} is signed: it is kept.")
        return super().delete(*args, **kwargs)

    def _refuse_sealed_change(self) -> None:
        """Compares with the stored row, not this instance, so a stale or hand-built instance cannot slip past."""
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).values(*FROZEN_FIELDS, *RENDER_FIELDS, "status").first()
        if stored is None or stored["status"] not in SEALED_STATUSES:
            return
        changed = [name for name in FROZEN_FIELDS if getattr(self, name) != stored[name]]
        if self.status != stored["status"] and (stored["status"], self.status) != SIGNED_TO_AMENDED:
            changed.append("status")
        if stored["pdf_sha256"]:
            changed += [name for name in RENDER_FIELDS if _stored_value(getattr(self, name)) != stored[name]]
        if changed:
            raise ReportImmutableError(
                f"Report v{stored['version']} is {stored['status']}: its {', '.join(changed)} cannot change."
            )


def _stored_value(value: Any) -> Any:
    # values() gives a file field's stored name; the instance holds a FieldFile.
    return value.name if isinstance(value, FieldFile) else value


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approved"
    RETURN = "return", "Returned"


class ReportReviewQuerySet(InstitutionScopedQuerySet):
    institution_path = "report__sample__institution"


class ReportReview(models.Model):
    """A clinician's decision on a submitted report, in one review round. Rows are only ever added."""

    Decision = ReviewDecision

    report = models.ForeignKey(Report, on_delete=models.PROTECT, related_name="reviews")
    round = models.PositiveIntegerField(help_text="The report's review round this decision belongs to.")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    objects = ReportReviewQuerySet.as_manager()

    class Meta:
        ordering = ["report_id", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision=ReviewDecision.APPROVE) | ~Q(comment=""), name="report_review_return_has_comment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} (round {self.round})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ReportImmutableError("Review decisions are records: they cannot change.")
        super().save(*args, **kwargs)


# Tumour boards live in their own module; imported here so Django registers them with the reports app.
from .board_models import AgendaItem, Decision, Meeting, PacketExport, PacketStatus  # noqa: E402, F401
