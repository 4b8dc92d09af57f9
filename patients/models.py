"""Clinical records: institutions and memberships, patients, treatment lines and samples.

Every patient-derived model's manager offers ``visible_to(user)``, the permission chokepoint.
Invariants that the database can hold are constraints, so no path around the forms can break them.
"""

from datetime import date
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from crbn_portal.models import TrackedModel
from crbn_portal.permissions import InstitutionScopedQuerySet, institutions_with_patient_access
from crbn_portal.roles import PATIENT_DATA_ROLES, Role

from . import refractoriness
from .drugs import CRBN_DEPENDENT_CLASSES, DRUG_CLASSES


class InstitutionQuerySet(models.QuerySet):
    def visible_to(self, user) -> "InstitutionQuerySet":  # type: ignore[no-untyped-def]
        """Institutions whose patients the user may read: the same scope as the patient chokepoint."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        return self.filter(pk__in=institutions_with_patient_access(user))


class Institution(TrackedModel):
    """A hospital or laboratory: the unit that owns patient data."""

    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(max_length=20, unique=True, help_text="Short code, e.g. NBH.")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code.")
    region = models.CharField(max_length=100, help_text="Geographic region, used by the registry.")
    requires_second_reviewer = models.BooleanField(
        default=False, help_text="Relapse reports need a second clinician's review before they can be signed."
    )
    signers_require_totp = models.BooleanField(
        "signers need a one-time code",
        default=False,
        help_text="Clinicians must confirm a one-time code from their authenticator app when they sign a report.",
    )

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(TrackedModel):
    """A user's role in an institution. A user may hold several roles in several institutions."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["institution__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "institution", "role"], name="membership_unique_role"),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.institution.code}"


class Drug(models.Model):
    """One entry of the controlled drug list (patients/drugs.py), loaded by a migration."""

    DrugClass = models.TextChoices("DrugClass", [(key.upper(), (key, label)) for key, label in DRUG_CLASSES.items()])

    name = models.CharField(max_length=100, unique=True)
    drug_class = models.CharField(max_length=30, choices=DrugClass.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def crbn_dependent(self) -> bool:
        return self.drug_class in CRBN_DEPENDENT_CLASSES


class PatientQuerySet(InstitutionScopedQuerySet):
    institution_path = "institution"


class Patient(TrackedModel):
    """A pseudonymised patient. The study ID is what everyone sees; the MRN stays inside its institution."""

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other"
        UNKNOWN = "U", "Unknown"

    class Stage(models.TextChoices):
        I = "I", "I"  # noqa: E741  (the stage's own name)
        II = "II", "II"
        III = "III", "III"

    class Presentation(models.TextChoices):
        MEDULLARY = "medullary", "Bone-marrow disease only"
        EXTRAMEDULLARY = "extramedullary", "Extramedullary disease"
        PARAMEDULLARY = "paramedullary", "Paraskeletal (paramedullary) plasmacytoma"
        PLASMA_CELL_LEUKAEMIA = "pcl", "Plasma-cell leukaemia"

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="patients")
    study_id = models.CharField("study ID", max_length=40, help_text="Pseudonymous ID, unique per institution.")
    mrn = models.CharField("local MRN", max_length=40, blank=True, help_text="Shown only inside the institution.")
    year_of_birth = models.PositiveSmallIntegerField(validators=[MinValueValidator(1900), MaxValueValidator(2100)])
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    diagnosis_date = models.DateField()
    iss_stage = models.CharField("ISS stage", max_length=3, choices=Stage.choices, blank=True)
    riss_stage = models.CharField("R-ISS stage", max_length=3, choices=Stage.choices, blank=True)
    # Cytogenetics: None means not tested, which is not the same as absent.
    t_4_14 = models.BooleanField("t(4;14)", null=True, blank=True)
    t_14_16 = models.BooleanField("t(14;16)", null=True, blank=True)
    del_17p = models.BooleanField("del(17p)", null=True, blank=True)
    gain_1q = models.BooleanField("gain/amp(1q)", null=True, blank=True)
    presentation = models.CharField(
        "disease presentation", max_length=20, choices=Presentation.choices, default=Presentation.MEDULLARY
    )
    registry_consent = models.BooleanField(default=False)
    last_follow_up_date = models.DateField(
        "last follow-up", null=True, blank=True, help_text="Last date the patient was known to be alive."
    )
    date_of_death = models.DateField(null=True, blank=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["institution__code", "study_id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "study_id"], name="patient_study_id_unique"),
            models.CheckConstraint(
                condition=Q(year_of_birth__gte=1900) & Q(year_of_birth__lte=2100), name="patient_year_of_birth_range"
            ),
            models.CheckConstraint(
                condition=Q(diagnosis_date__year__gte=F("year_of_birth")), name="patient_diagnosed_after_birth"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.institution.code}/{self.study_id}"

    def clean(self) -> None:
        if self.diagnosis_date and self.year_of_birth and self.diagnosis_date.year < self.year_of_birth:
            raise ValidationError({"diagnosis_date": "The diagnosis cannot precede the year of birth."})

    @property
    def high_risk_cytogenetics(self) -> list[str]:
        flags = ("t_4_14", "t_14_16", "del_17p", "gain_1q")
        return [str(self._meta.get_field(flag).verbose_name) for flag in flags if getattr(self, flag)]

    @cached_property
    def line_facts(self) -> list[refractoriness.LineFacts]:
        # .all() so that a caller's prefetch_related("treatment_lines__drugs") is used, not bypassed.
        return [line.facts for line in self.treatment_lines.all()]

    @property
    def refractory_drugs(self) -> dict[str, int]:
        """Drug name -> first line that made the patient refractory to it (IMWG 60-day rule)."""
        return refractoriness.refractory_drugs(self.line_facts)

    @property
    def first_relapse_date(self) -> date | None:
        return refractoriness.first_relapse_date(self.line_facts)

    def mrn_visible_to(self, user) -> bool:  # type: ignore[no-untyped-def]
        """The MRN identifies the patient outside the study, so only the institution's own members see it."""
        if not user.is_authenticated:
            return False
        return user.memberships.filter(institution_id=self.institution_id, role__in=PATIENT_DATA_ROLES).exists()


class TreatmentLineQuerySet(InstitutionScopedQuerySet):
    institution_path = "patient__institution"


class TreatmentLine(TrackedModel):
    """One line of therapy (IMWG): a planned programme, e.g. induction + ASCT + maintenance together."""

    class Response(models.TextChoices):
        SCR = "sCR", "Stringent complete response"
        CR = "CR", "Complete response"
        VGPR = "VGPR", "Very good partial response"
        PR = "PR", "Partial response"
        MR = "MR", "Minimal response"
        SD = "SD", "Stable disease"
        PD = "PD", "Progressive disease"
        NE = "NE", "Not evaluable"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="treatment_lines")
    line_number = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    regimen = models.CharField(max_length=100, help_text="Regimen name as used clinically, e.g. VRd, DaraRd.")
    drugs = models.ManyToManyField(Drug, through="LineDrug", related_name="treatment_lines")
    start_date = models.DateField()
    end_date = models.DateField("end or last dose", null=True, blank=True, help_text="Empty while ongoing.")
    best_response = models.CharField("best IMWG response", max_length=4, choices=Response.choices, blank=True)
    progression_date = models.DateField(null=True, blank=True)

    objects = TreatmentLineQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "line_number"], name="line_number_unique_per_patient"),
            models.CheckConstraint(condition=Q(line_number__gte=1), name="line_number_positive"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="line_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(progression_date__isnull=True) | Q(progression_date__gte=F("start_date")),
                name="line_progression_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Line {self.line_number}: {self.regimen}"

    def clean(self) -> None:
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = "The last dose cannot precede the start of the line."
        if self.progression_date and self.start_date and self.progression_date < self.start_date:
            errors["progression_date"] = "Progression cannot precede the start of the line."
        if errors:
            raise ValidationError(errors)

    @cached_property
    def facts(self) -> refractoriness.LineFacts:
        """Prefetch ``line_drugs__drug`` when reading many lines."""
        given = list(self.line_drugs.all())
        return refractoriness.LineFacts(
            number=self.line_number,
            drugs=frozenset(item.drug.name for item in given),
            end=self.end_date,
            progression=self.progression_date,
            drug_last_doses=tuple(
                sorted((item.drug.name, item.last_dose_date) for item in given if item.last_dose_date)
            ),
        )

    @property
    def refractory_drugs(self) -> tuple[str, ...]:
        """IMWG, per drug: progression on it or within 60 days of its last dose. Sorted by name."""
        return tuple(sorted(self.facts.refractory_drugs()))


class LineDrugQuerySet(InstitutionScopedQuerySet):
    institution_path = "line__patient__institution"


class LineDrug(models.Model):
    """A drug given in a treatment line. Its own last dose is recorded only when it stopped before the line's
    (induction-only bortezomib before lenalidomide maintenance), because IMWG refractoriness is per drug."""

    line = models.ForeignKey(TreatmentLine, on_delete=models.CASCADE, related_name="line_drugs")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="+")
    last_dose_date = models.DateField(
        null=True, blank=True, help_text="Only if this drug stopped before the line's last dose."
    )

    objects = LineDrugQuerySet.as_manager()

    class Meta:
        ordering = ["line_id", "drug__name"]
        constraints = [models.UniqueConstraint(fields=["line", "drug"], name="line_drug_unique")]

    def __str__(self) -> str:
        return str(self.drug)

    def clean(self) -> None:
        line = self.line
        if self.last_dose_date and line.start_date and self.last_dose_date < line.start_date:
            raise ValidationError({"last_dose_date": "The last dose cannot precede the start of the line."})
        if self.last_dose_date and line.end_date and self.last_dose_date > line.end_date:
            raise ValidationError({"last_dose_date": "A drug's last dose cannot follow the line's last dose."})


class SampleQuerySet(InstitutionScopedQuerySet):
    institution_path = "institution"


class Sample(TrackedModel):
    """A tumour specimen at a timepoint. Its institution is the patient's, copied so that the accession
    can be unique per institution as a database constraint."""

    class Timepoint(models.TextChoices):
        BASELINE = "baseline", "Diagnosis / baseline"
        FIRST_RELAPSE = "first_relapse", "First relapse"
        LATER_RELAPSE = "later_relapse", "Later relapse"

    class Specimen(models.TextChoices):
        BONE_MARROW = "bm_aspirate", "Bone-marrow aspirate"
        PERIPHERAL_BLOOD = "peripheral_blood", "Peripheral blood"
        PLASMACYTOMA = "plasmacytoma_biopsy", "Plasmacytoma biopsy"

    class Enrichment(models.TextChoices):
        CD138_MAGNETIC = "cd138_magnetic", "CD138+ magnetic selection"
        FACS = "facs", "FACS-sorted"
        NONE = "none", "None"

    class Assay(models.TextChoices):
        WGS = "wgs", "Whole-genome sequencing"
        WES = "wes", "Whole-exome sequencing"
        PANEL = "panel", "Targeted panel"
        RNA_SEQ = "rna_seq", "RNA-seq"
        PCR = "pcr", "ddPCR / PCR"

    class GenomeBuild(models.TextChoices):
        GRCH37 = "GRCh37", "GRCh37 (hg19)"
        GRCH38 = "GRCh38", "GRCh38 (hg38)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="samples")
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="samples", editable=False)
    accession = models.CharField("lab accession", max_length=40, help_text="Unique per institution.")
    timepoint = models.CharField(max_length=20, choices=Timepoint.choices)
    collection_date = models.DateField()
    receipt_date = models.DateField(null=True, blank=True)
    specimen = models.CharField(max_length=30, choices=Specimen.choices)
    enrichment = models.CharField(max_length=20, choices=Enrichment.choices)
    purity_pct = models.DecimalField(
        "plasma-cell purity (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    assay = models.CharField(max_length=10, choices=Assay.choices)
    genome_build = models.CharField(max_length=6, choices=GenomeBuild.choices, default=GenomeBuild.GRCH38)

    objects = SampleQuerySet.as_manager()

    class Meta:
        ordering = ["patient_id", "collection_date"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "accession"], name="sample_accession_unique"),
            models.CheckConstraint(
                condition=Q(purity_pct__isnull=True) | (Q(purity_pct__gte=0) & Q(purity_pct__lte=100)),
                name="sample_purity_range",
            ),
            models.CheckConstraint(
                condition=Q(receipt_date__isnull=True) | Q(receipt_date__gte=F("collection_date")),
                name="sample_received_after_collection",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.accession} ({self.get_timepoint_display()})"

    def clean(self) -> None:
        if self.receipt_date and self.collection_date and self.receipt_date < self.collection_date:
            raise ValidationError({"receipt_date": "A sample cannot be received before it was collected."})

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.institution_id = self.patient.institution_id
        super().save(*args, **kwargs)
