"""Tumour boards: an institution's meetings, their ordered agenda of patients, the PDF packets exported for them,
and the board's decision per patient.

A meeting belongs to one institution and is seen only inside it (the chokepoint, ``visible_to``). The packet is
long work, so each export is a row a render worker claims; every export keeps its own file and sha256, so a new
export never replaces an older one that people may already have printed. A decision is structured (drugs from
the controlled list, not free text), so the registry can follow it to the treatment line it led to.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from crbn_portal.models import CountedJob, TrackedModel
from crbn_portal.permissions import InstitutionScopedQuerySet
from patients.models import Drug, Institution, Patient, Sample, TreatmentLine


class MeetingQuerySet(InstitutionScopedQuerySet):
    institution_path = "institution"


class Meeting(TrackedModel):
    """One tumour-board meeting of an institution."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="board_meetings")
    date = models.DateField()
    title = models.CharField(max_length=200)
    attendees = models.TextField(blank=True, help_text="One person per line, with their role.")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.date:%d %b %Y})"

    @property
    def attendee_list(self) -> list[str]:
        return [name.strip() for name in self.attendees.splitlines() if name.strip()]


class AgendaItemQuerySet(InstitutionScopedQuerySet):
    institution_path = "meeting__institution"


class AgendaItem(TrackedModel):
    """A patient on a meeting's agenda, with the sample and report version the board discusses and the question
    it is asked. ``position`` orders the agenda (1 first); the services renumber it on every change."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="board_items")
    sample = models.ForeignKey(Sample, null=True, blank=True, on_delete=models.PROTECT, related_name="board_items")
    report = models.ForeignKey(
        "reports.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="board_items"
    )
    question = models.TextField(help_text="What the board is asked to decide.")

    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "patient"], name="board_item_patient_once_per_meeting"),
            models.CheckConstraint(
                condition=Q(report__isnull=True) | Q(sample__isnull=False), name="board_item_report_has_sample"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.patient.study_id}"


class PacketStatus(models.TextChoices):
    """State of a packet render, a row a worker claims (DESIGN.md: state of long work is a database row)."""

    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


def packet_pdf_name(export: "PacketExport") -> str:
    """One file per export (its own UUID): a new export never overwrites an old one, while a redelivered render of
    the same export overwrites its own partial file."""
    return f"boards/{export.meeting.uuid}/packet-{export.uuid}.pdf"


def _packet_upload_to(instance: "PacketExport", filename: str) -> str:
    return packet_pdf_name(instance)


class PacketExportQuerySet(InstitutionScopedQuerySet):
    institution_path = "meeting__institution"


class PacketExport(CountedJob):
    """One PDF packet of a meeting: cover page with the agenda, then a page per patient. ``created_by`` made it;
    ``done`` of ``total`` patients are prepared while it renders."""

    Status = PacketStatus

    complete_status = PacketStatus.READY
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="exports")
    status = models.CharField(max_length=10, choices=PacketStatus.choices, default=PacketStatus.QUEUED)
    pdf = models.FileField(upload_to=_packet_upload_to, max_length=300, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    objects = PacketExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(done__lte=F("total")), name="packet_done_le_total"),
            models.CheckConstraint(
                condition=(Q(status=PacketStatus.READY) & ~Q(pdf_sha256="") & ~Q(pdf=""))
                | (~Q(status=PacketStatus.READY) & Q(pdf_sha256="")),
                name="packet_ready_has_digest",
            ),
        ]

    def __str__(self) -> str:
        return f"Packet for {self.meeting} ({self.get_status_display()})"

    @property
    def in_progress(self) -> bool:
        return self.status in (PacketStatus.QUEUED, PacketStatus.RENDERING)


class DecisionQuerySet(InstitutionScopedQuerySet):
    institution_path = "item__meeting__institution"


class Decision(TrackedModel):
    """The board's decision on one agenda item. ``resulting_line`` is the treatment line that followed it, once
    entered: the registry reads decisions through it (what was recommended, what was given, how it went)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="decision")
    regimen = models.CharField(max_length=100, help_text="The recommended regimen's name, e.g. DaraPd.")
    recommended_drugs = models.ManyToManyField(Drug, related_name="+", help_text="The regimen's drugs.")
    drugs_to_avoid = models.ManyToManyField(Drug, related_name="+", blank=True)
    rationale = models.TextField()
    evidence = models.TextField(blank=True, help_text="Evidence cited: publications, guidelines, the report.")
    trial_referral = models.CharField(
        "clinical-trial referral", max_length=300, blank=True, help_text="The trial the patient is referred to, if any."
    )
    follow_up_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    resulting_line = models.ForeignKey(
        TreatmentLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="board_decisions"
    )

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Decision for {self.item.patient.study_id}: {self.regimen}"
