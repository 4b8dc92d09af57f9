"""Knowledge-base releases in the database, the assessments made with them, and the re-assessment that follows
an activation.

A release stores its five YAML files as text, exactly as loaded (the engine rebuilds the snapshot with
``load_kb_texts``). Once active it is a clinical statement that assessments and signed reports name, so its
content never changes again: the model refuses it, and a database trigger refuses it too (migration 0002).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from crbn_portal.models import CountedJob, TrackedModel
from crbn_portal.permissions import InstitutionScopedQuerySet
from patients.models import Sample

# Fields that make up a release's content; frozen once it leaves draft.
RELEASE_CONTENT_FIELDS = ("release_id", "files", "sha256")


class ReleaseImmutableError(Exception):
    """Raised when code tries to change or delete the content of an active or retired release."""


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class KnowledgeBaseRelease(TrackedModel):
    """One release of the knowledge base: draft (editable), then active (exactly one), then retired."""

    Status = ReleaseStatus

    release_id = models.CharField(max_length=60, unique=True, help_text="The id in release.yaml.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    release_date = models.DateField(help_text="The date in release.yaml.")
    summary = models.TextField(blank=True)
    files = models.JSONField(help_text="{file name: text}, as loaded.")
    sha256 = models.CharField(max_length=64, help_text="The engine's digest over the five files.")
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("activate_knowledgebaserelease", "Can activate a knowledge-base release")]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status=ReleaseStatus.ACTIVE), name="kb_release_one_active"
            ),
            models.CheckConstraint(
                condition=Q(status=ReleaseStatus.DRAFT) | Q(activated_at__isnull=False),
                name="kb_release_activation_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReleaseStatus.RETIRED) | Q(retired_at__isnull=False),
                name="kb_release_retirement_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.release_id} ({self.get_status_display()})"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._refuse_content_change()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.status != self.Status.DRAFT:
            raise ReleaseImmutableError(f"Release {self.release_id} has been active: it is kept.")
        return super().delete(*args, **kwargs)

    def _refuse_content_change(self) -> None:
        """Reads the stored row, not this instance, so a stale or hand-built instance cannot slip past."""
        if self.pk is None:
            return
        stored = type(self).objects.filter(pk=self.pk).values(*RELEASE_CONTENT_FIELDS, "status").first()
        if stored is None or stored["status"] == self.Status.DRAFT:
            return
        if self.status == self.Status.DRAFT:
            raise ReleaseImmutableError(f"Release {self.release_id} has been active: it cannot return to draft.")
        changed = [name for name in RELEASE_CONTENT_FIELDS if getattr(self, name) != stored[name]]
        if changed:
            raise ReleaseImmutableError(
                f"Release {stored['release_id']} is {stored['status']}: its {', '.join(changed)} cannot change."
            )


class Trigger(models.TextChoices):
    """Why an assessment was made."""

    INGEST = "ingest", "A file was parsed"
    ON_DEMAND = "on_demand", "Requested"
    ACTIVATION = "activation", "A knowledge-base release was activated"


class JobStatus(models.TextChoices):
    """State of a row a worker claims (assessment, re-assessment run)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ReassessmentRun(CountedJob):
    """The background job an activation starts: every sample with stored facts, assessed again."""

    complete_status = JobStatus.DONE
    release = models.ForeignKey(KnowledgeBaseRelease, on_delete=models.PROTECT, related_name="reassessments")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=models.F("total")), name="reassessment_done_le_total")
        ]

    def __str__(self) -> str:
        return f"Re-assessment for {self.release.release_id}: {self.get_status_display()}"

    @property
    def finished(self) -> bool:
        return self.status in {JobStatus.DONE, JobStatus.FAILED}


class AssessmentQuerySet(InstitutionScopedQuerySet):
    institution_path = "sample__institution"

    def done(self) -> "AssessmentQuerySet":
        return self.filter(status=JobStatus.DONE)

    def newest_first(self) -> "AssessmentQuerySet":
        return self.order_by("-created_at", "-id")


class Assessment(TrackedModel):
    """One run of the engine on one sample's stored facts. ``result`` is the engine's ``to_dict()``; ``calls``
    repeats its per-drug calls ({drug: call}) so they can be queried. Without an active release the bundled
    files are used: ``release`` is then empty and ``bundled`` says so."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="assessments")
    release = models.ForeignKey(
        KnowledgeBaseRelease, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    bundled = models.BooleanField(default=False, help_text="Made with the bundled files: no release was active.")
    kb_release = models.CharField(max_length=60, blank=True)
    kb_sha256 = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    reassessment = models.ForeignKey(
        ReassessmentRun, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments"
    )
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    input_checksum = models.CharField(max_length=64, blank=True, help_text="sha256 of the input facts' JSON.")
    warnings = models.JSONField(default=list, blank=True, help_text="What the adapter said about the evidence.")
    result = models.JSONField(null=True, blank=True)
    calls = models.JSONField(default=dict, blank=True)
    qc_status = models.CharField(max_length=10, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(release__isnull=True) | Q(bundled=False), name="assessment_bundled_xor_release"
            ),
            models.CheckConstraint(
                condition=~Q(status=JobStatus.DONE) | Q(release__isnull=False) | Q(bundled=True),
                name="assessment_done_names_its_knowledge_base",
            ),
            # One assessment per sample per re-assessment run: a redelivered run resumes, never repeats.
            models.UniqueConstraint(
                fields=["reassessment", "sample"],
                condition=Q(reassessment__isnull=False),
                name="assessment_once_per_run",
            ),
        ]
        indexes = [models.Index(fields=["sample", "status", "-created_at"], name="assessment_sample_latest")]

    def __str__(self) -> str:
        return f"Assessment of {self.sample.accession} ({self.get_status_display()})"


class CallChangeQuerySet(InstitutionScopedQuerySet):
    institution_path = "sample__institution"


class CallChange(models.Model):
    """A drug's call that a re-assessment changed for a sample, with the knowledge-base entries behind the new
    call. ``affects_signed_report`` is set by the reports app once the run is done (None until then): a signed
    report is never rewritten, it is flagged here for amendment."""

    run = models.ForeignKey(ReassessmentRun, on_delete=models.PROTECT, related_name="changes")
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")
    previous = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="call_changes")
    drug = models.CharField(max_length=40)
    old_call = models.CharField(max_length=30)
    new_call = models.CharField(max_length=30)
    entry = models.CharField(max_length=200, blank=True, help_text="Knowledge-base entries behind the new call.")
    affects_signed_report = models.BooleanField(null=True, default=None)
    note = models.CharField(max_length=200, blank=True)

    objects = CallChangeQuerySet.as_manager()

    class Meta:
        ordering = ["run_id", "sample_id", "drug"]
        constraints = [
            models.UniqueConstraint(fields=["run", "sample", "drug"], name="call_change_once_per_run"),
            models.CheckConstraint(condition=~Q(old_call=models.F("new_call")), name="call_change_changes"),
        ]

    def __str__(self) -> str:
        return f"{self.sample.accession} {self.drug}: {self.old_call} -> {self.new_call}"
