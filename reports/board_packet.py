"""The tumour-board packet: one PDF with a cover page (the meeting and its agenda) and one page per patient
(identifiers, current line and refractoriness, the CRBN verdict per drug, key alterations, the lollipop and the
board's question), the meeting's name and "page X of Y" on every page.

Everything a patient page shows comes from the existing readers: the relapse report's document context (verdicts,
key alterations, lollipop; the PDF form, which never shows the MRN) and the patient page's context (lines and
refractoriness, IMWG). The packet is built as the user who exported it, through the chokepoint, so a worker never
puts a patient in it whom that user could not see.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from patients.selectors import patient_detail_context
from rules.models import Assessment

from .board_models import AgendaItem, PacketExport
from .document import ReportMeta, document_context
from .pdf import html_to_pdf, static_roots
from .services import latest_assessment, report_meta

TEMPLATE = "reports/board/packet.html"
# report.css gives the page furniture (running header and footer, page X of Y) and the document's tables.
STYLESHEETS = ("css/report.css", "css/board_packet.css")
# What a patient page takes from the relapse report's document context.
CRBN_KEYS = ("verdicts", "key_findings", "lollipop", "baseline", "dna_status", "signed")


@dataclass(frozen=True)
class PatientPage:
    """One patient's page of the packet."""

    item: AgendaItem
    assessment: Assessment | None
    report_label: str
    history: dict[str, Any]  # the patient page's lines and refractoriness
    crbn: dict[str, Any]  # the document's verdicts, key alterations and lollipop; empty without an assessment

    @property
    def current_line(self) -> Any:
        lines = self.history["lines"]
        return lines[-1] if lines else None

    @property
    def refractoriness(self) -> dict[str, list[Any]]:
        """The patient page's per-drug summary in three short lists, so that it fits the patient's one page:
        refractory (with the line), received and not refractory, CRBN-dependent drugs never received."""
        groups = self.history["drug_summary"]
        drugs = [drug for group in groups for drug in group.drugs]
        return {
            "refractory": [drug for drug in drugs if drug.refractory_since],
            "received": [drug.name for drug in drugs if drug.received and not drug.refractory_since],
            "not_received": [drug.name for drug in groups[0].drugs if not drug.received],
        }


def build_packet_html(export: PacketExport, *, on_patient: Callable[[int], None] = lambda done: None) -> str:
    """The packet's HTML, calling ``on_patient(done)`` after each patient's page is gathered."""
    user = export.created_by
    items = list(
        AgendaItem.objects.visible_to(user)
        .filter(meeting=export.meeting)
        .select_related("patient__institution", "sample", "report__assessment")
        .prefetch_related("patient__treatment_lines__line_drugs__drug")
        .order_by("position", "id")
    )
    if len(items) != AgendaItem.objects.filter(meeting=export.meeting).count():
        raise PermissionDenied(f"{user} can no longer see every patient on this agenda.")
    for item in items:
        if item.sample is not None:
            # One patient object for every reader, so the document's refractoriness uses the prefetched lines.
            item.sample.patient = item.patient
    pages = []
    for done, item in enumerate(items, start=1):
        pages.append(patient_page(item, user))
        on_patient(done)
    context = {"meeting": export.meeting, "export": export, "pages": pages, "stylesheet": _stylesheet()}
    return render_to_string(TEMPLATE, context)


def render_packet_pdf(export: PacketExport, *, on_patient: Callable[[int], None] = lambda done: None) -> bytes:
    html = build_packet_html(export, on_patient=on_patient)
    # The stylesheet is inline; relative URLs may only reach the static files (reports/pdf.py).
    return html_to_pdf(html, base_url=static_roots()[0].resolve().as_uri() + "/")


def patient_page(item: AgendaItem, user: Any) -> PatientPage:
    history = patient_detail_context(patient=item.patient, user=user)
    assessment = _assessment(item)
    crbn: dict[str, Any] = {}
    if assessment is not None:
        meta = report_meta(item.report) if item.report else _unreported_meta()
        context = document_context(sample=item.sample, assessment=assessment, meta=meta, user=None)
        crbn = {key: context[key] for key in CRBN_KEYS}
        crbn["lollipop"] = _numbered_ids(crbn["lollipop"], item.position)
    return PatientPage(item=item, assessment=assessment, report_label=_report_label(item), history=history, crbn=crbn)


def _assessment(item: AgendaItem) -> Assessment | None:
    """What the discussed report states; without a report, the sample's latest completed assessment."""
    if item.report is not None:
        return item.report.assessment
    return latest_assessment(item.sample) if item.sample is not None else None


def _report_label(item: AgendaItem) -> str:
    if item.report is None:
        return "no relapse report (latest assessment)" if item.sample else "no sample"
    return f"report v{item.report.version} ({item.report.get_status_display().lower()})"


def _unreported_meta() -> ReportMeta:
    """The document context needs report metadata; an assessment nobody has reported yet has none to give."""
    return ReportMeta(
        version=0,
        status="Not reported",
        report_uuid="",
        created_at=timezone.now(),
        signers=(),
        amends_version=None,
        amendment_reason="",
        lab_name=settings.CRBN_LAB_NAME,
        lab_address=settings.CRBN_LAB_ADDRESS,
    )


def _numbered_ids(svg: SafeString | None, number: int) -> SafeString | None:
    """The lollipop names its title and description by fixed ids; one packet holds several lollipops, and an id
    must be unique in a document (WeasyPrint warns, assistive technology reads the wrong one)."""
    if svg is None:
        return None
    # Only our own ids change; the SVG was escaped when it was drawn, so it stays safe markup.
    return mark_safe(
        svg.replace('"lollipop-', f'"lollipop-{number}-').replace(" lollipop-desc", f" lollipop-{number}-desc")
    )


def _stylesheet() -> SafeString:
    # Our own static files, not user data: inside <style> they must stay raw (entities are not decoded there).
    texts = (Path(str(finders.find(name))).read_text(encoding="utf-8") for name in STYLESHEETS)
    return mark_safe("\n".join(texts))
