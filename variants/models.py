"""Uploaded variant files, their parse runs, and the CRBN-locus facts parsed from them.

A file's bytes are kept unchanged whatever happens to its parse. The facts a file contributed are replaced in
one transaction when its parse succeeds, so a sample never shows half a file.
"""

import uuid as uuid_lib
from pathlib import PurePath

from django.db import models
from django.db.models import F, Q

from crbn_portal.models import TrackedModel
from crbn_portal.permissions import InstitutionScopedQuerySet
from patients.models import Sample


class FileKind(models.TextChoices):
    SMALL_VARIANTS = "small_variants", "Small variants (VCF / MAF)"
    COPY_NUMBER = "copy_number", "Copy number segments"
    STRUCTURAL_VARIANTS = "structural_variants", "Structural variants (VCF)"
    JUNCTIONS = "junctions", "Splice junctions (RNA)"
    EXPRESSION = "expression", "Expression (RNA)"
    FUSIONS = "fusions", "Fusions (RNA)"


def _stored_name(instance: "VariantFile", filename: str) -> str:
    # The stored path never carries the uploaded name (it may hold patient identifiers); the suffix is kept so
    # that gzip files are recognisable on disk.
    suffixes = "".join(PurePath(filename).suffixes[-2:])[:20]
    return f"variant_files/{instance.sample.uuid}/{instance.uuid}{suffixes}"


class VariantFileQuerySet(InstitutionScopedQuerySet):
    institution_path = "sample__institution"


class VariantFile(TrackedModel):
    """A file as the lab sent it: bytes unchanged, with checksum, size and uploader (created_by)."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="variant_files")
    stored = models.FileField(upload_to=_stored_name, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    kind = models.CharField(
        max_length=30, choices=FileKind.choices, blank=True, help_text="Sniffed, or as the uploader chose."
    )
    dialect = models.CharField(max_length=100, blank=True, help_text="e.g. Mutect2 VCF, CNVkit .cns")
    kind_overridden = models.BooleanField(default=False)
    tumour_sample = models.CharField(max_length=200, blank=True, help_text="Column to read in a multi-sample file.")
    confirmed = models.BooleanField(default=False, help_text="The uploader confirmed the sniffed kind.")

    objects = VariantFileQuerySet.as_manager()

    class Meta:
        ordering = ["sample_id", "-created_at"]
        constraints = [
            # A byte-identical re-upload for the same sample is recognised, not stored twice.
            models.UniqueConstraint(fields=["sample", "sha256"], name="variant_file_unique_bytes_per_sample"),
            models.CheckConstraint(condition=Q(size__gte=0), name="variant_file_size_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_kind_display()})"

    @property
    def latest_run(self) -> "ParseRun | None":
        return self.parse_runs.order_by("-created_at", "-id").first()


class ParseRunQuerySet(InstitutionScopedQuerySet):
    institution_path = "file__sample__institution"


class ParseRun(TrackedModel):
    """One attempt at parsing a file. The worker claims it with a conditional update, so a redelivered task
    neither runs twice at once nor leaves a second set of rows."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Parsing"
        SUCCEEDED = "succeeded", "Parsed"
        FAILED = "failed", "Failed"

    file = models.ForeignKey(VariantFile, on_delete=models.CASCADE, related_name="parse_runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(max_length=64, blank=True, help_text="The Celery task that claimed the run.")
    records_read = models.BigIntegerField(default=0)
    bytes_read = models.BigIntegerField(default=0)
    bytes_total = models.BigIntegerField(default=0)
    records_kept = models.IntegerField(default=0)
    build = models.CharField(max_length=6, blank=True)
    build_evidence = models.CharField(max_length=300, blank=True)
    tumour_sample = models.CharField(max_length=200, blank=True)
    tumour_sample_reason = models.CharField(max_length=200, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    error_line = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ParseRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file.original_name}: {self.get_status_display()}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return min(99, round(100 * self.bytes_read / self.bytes_total)) if self.bytes_total else 0

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}


class AlterationQuerySet(InstitutionScopedQuerySet):
    institution_path = "sample__institution"


class Alteration(models.Model):
    """What every fact row shares: the sample, the file and line it came from, and the gene."""

    uuid = models.UUIDField(default=uuid_lib.uuid4, unique=True, editable=False)
    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="+")
    source_file = models.ForeignKey(VariantFile, on_delete=models.PROTECT, related_name="+")
    line = models.BigIntegerField(help_text="Line of the source file.")
    gene = models.CharField(max_length=60)
    chrom = models.CharField(max_length=30, blank=True)

    objects = AlterationQuerySet.as_manager()

    class Meta:
        abstract = True


class SmallVariant(Alteration):
    """A SNV or indel, one ALT allele."""

    pos = models.BigIntegerField()
    ref = models.TextField()
    alt = models.TextField()
    filter = models.CharField(max_length=200)
    vaf = models.FloatField(null=True, blank=True)
    vaf_source = models.CharField(max_length=30, blank=True)
    depth = models.IntegerField(null=True, blank=True)
    alt_count = models.IntegerField(null=True, blank=True)
    transcript = models.CharField(max_length=40, blank=True)
    hgvs_c = models.CharField(max_length=200, blank=True)
    hgvs_p = models.CharField(max_length=200, blank=True)
    consequence = models.CharField(max_length=200, blank=True)
    exon = models.PositiveSmallIntegerField(null=True, blank=True)
    protein_position = models.PositiveIntegerField(null=True, blank=True)
    needs_annotation = models.BooleanField(default=False)
    normal_alt_count = models.IntegerField(null=True, blank=True)
    germline_flag = models.BooleanField(default=False)

    class Meta:
        ordering = ["sample_id", "gene", "pos"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vaf__isnull=True) | (Q(vaf__gte=0) & Q(vaf__lte=1)), name="small_variant_vaf_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gene} {self.hgvs_p or self.hgvs_c or f'{self.chrom}:{self.pos} {self.ref}>{self.alt}'}"


class CopyNumberSegment(Alteration):
    start = models.BigIntegerField()
    end = models.BigIntegerField()
    copy_number = models.FloatField(null=True, blank=True)
    log2_ratio = models.FloatField(null=True, blank=True)
    major_cn = models.IntegerField(null=True, blank=True)
    minor_cn = models.IntegerField(null=True, blank=True)
    probes = models.IntegerField(null=True, blank=True)
    source = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["sample_id", "gene", "start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=F("start")), name="segment_end_after_start")]

    def __str__(self) -> str:
        return f"{self.gene} CN {self.copy_number} ({self.chrom}:{self.start}-{self.end})"

    @property
    def loh(self) -> bool | None:
        return None if self.minor_cn is None else self.minor_cn == 0


class StructuralVariant(Alteration):
    pos = models.BigIntegerField()
    svtype = models.CharField(max_length=10)
    sv_id = models.CharField(max_length=200, blank=True)
    filter = models.CharField(max_length=200, blank=True)
    end = models.BigIntegerField(null=True, blank=True)
    mate_chrom = models.CharField(max_length=30, blank=True)
    mate_pos = models.BigIntegerField(null=True, blank=True)
    support = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["sample_id", "gene", "pos"]

    def __str__(self) -> str:
        return f"{self.gene} {self.svtype} at {self.chrom}:{self.pos}"


class SpliceJunction(Alteration):
    intron_start = models.BigIntegerField()
    intron_end = models.BigIntegerField()
    reads = models.IntegerField()
    strand = models.CharField(max_length=1, default=".")

    class Meta:
        ordering = ["sample_id", "intron_start", "intron_end"]

    def __str__(self) -> str:
        return f"{self.chrom}:{self.intron_start}-{self.intron_end} ({self.reads} reads)"


class Expression(Alteration):
    value = models.FloatField()
    unit = models.CharField(max_length=20)
    method = models.CharField(max_length=40)

    class Meta:
        ordering = ["sample_id", "gene"]

    def __str__(self) -> str:
        return f"{self.gene} {self.value} {self.unit} ({self.method})"


class Fusion(Alteration):
    gene2 = models.CharField(max_length=60)
    breakpoint1 = models.CharField(max_length=100)
    breakpoint2 = models.CharField(max_length=100)
    reads = models.IntegerField(null=True, blank=True)
    caller = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["sample_id", "gene"]

    def __str__(self) -> str:
        return f"{self.gene}-{self.gene2}"
