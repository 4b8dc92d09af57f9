"""The relapse report as a document: everything it shows, gathered once, and its one template.

The same context renders the browser preview and the PDF (DESIGN.md, "One document template"). What a lab
report must carry follows 42 CFR 493.1291(c) and CAP (domain/CRBN.md section 5); small variants are written in
HGVS on the versioned MANE Select transcript (NM_016302.4 / NP_057386.2). A knowledge-base entry that rests on a
fact CRBN.md marks UNVERIFIED is flagged as not established wherever it appears. Recommendations inform the
treating clinician's judgement; they never tell anyone to withhold a drug.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from patients import refractoriness, timeline
from patients.drugs import CRBN_DEPENDENT_CLASSES, DRUGS
from patients.models import Patient, Sample, TreatmentLine
from rules.adapters_db import baseline_sample, parsed_files
from rules.engine import KnowledgeBase
from rules.models import Assessment, JobStatus
from rules.services import bundled_knowledge_base, knowledge_base
from rules.templatetags.rules_labels import CALL_LABELS, EVIDENCE_LABELS
from variants import crbn
from variants.models import FileKind, ParseRun, SmallVariant, VariantFile

from .figures import lollipop_svg

TEMPLATE = "reports/document/report.html"
STYLESHEET = "css/report.css"
CRBN_DRUGS = tuple(entry.name for entry in DRUGS if entry.drug_class in CRBN_DEPENDENT_CLASSES)
# MANE Select pairs are identical transcripts (UniProt MANE-Select line, CRBN.md section 2), so a c. change on
# either is the same change on NM_016302.4. Any other version is shown as the file gave it.
MANE_SELECT = frozenset({crbn.CANONICAL_TRANSCRIPT, "ENST00000231948.9"})
# Alteration kinds -> the evidence kind that detects them (the engine's EVIDENCE_KINDS).
KIND_EVIDENCE = {
    "copy_number": "copy_number",
    "biallelic": "copy_number",
    "structural_variant": "structural_variants",
    "exon10_skipping": "rna_junctions",
    "expression": "expression",
}
# Trace rules that record what was measured when nothing was found, per evidence kind.
MEASURING_RULES = {
    "copy_number": ("classify.copy_number",),
    "structural_variants": ("classify.H",),
    "rna_junctions": ("classify.G",),
    "expression": ("classify.I",),
}
# Statuses in which the document is not (yet) a signed statement, whatever signatures it already lists.
UNSIGNED_STATUSES = frozenset({"Draft", "In review", "Returned"})
RECOMMENDATIONS = {
    "resistance_likely": (
        "The CRBN findings predict resistance to {drugs}; consider this prediction, with the treatment history, "
        "when choosing the next regimen, in the treating clinician's judgement."
    ),
    "resistance_possible": (
        "The CRBN findings may reduce the response to {drugs}; consider them alongside the clinical picture, in "
        "the treating clinician's judgement."
    ),
    "uncertain": (
        "The significance of the CRBN findings for {drugs} is uncertain; on their own they are not a reason to "
        "change therapy."
    ),
    "no_alteration_detected": (
        "No CRBN alteration relevant to {drugs} was detected in the evidence assessed; this does not exclude "
        "resistance through other mechanisms."
    ),
    "not_assessable": (
        "The evidence provided does not allow an assessment for {drugs}; consider testing the evidence kinds "
        "listed under Limitations if the answer would change management, in the treating clinician's judgement."
    ),
}
NOT_ACTIONABLE = (
    "No published resistance rate of at least {rate} supports the predictions for {drugs}; they are informational "
    "and, on their own, not a reason to change therapy."
)


@dataclass(frozen=True)
class ReportMeta:
    """What the report workflow knows and the assessment does not: version, status, signers, the lab."""

    version: int
    status: str
    report_uuid: str
    created_at: datetime
    signers: tuple[tuple[str, str, datetime], ...]
    amends_version: int | None
    amendment_reason: str
    lab_name: str
    lab_address: str


def document_context(*, sample: Sample, assessment: Assessment, meta: ReportMeta, user: Any = None) -> dict[str, Any]:
    """Everything the document shows. ``user`` None (the PDF) never shows the MRN."""
    if assessment.status != JobStatus.DONE or assessment.result is None:
        raise ValueError(f"Assessment {assessment.uuid} has not finished: there is nothing to report.")
    result = assessment.result
    kb = _knowledge_base(assessment)
    rows = _crbn_variants(sample)
    variants = {_variant_key(row): row for row in rows}
    baseline = baseline_sample(sample)
    lines = _lines(sample.patient)
    dna = _evidence_status(result, "dna_variants")
    return {
        "meta": meta,
        "signed": bool(meta.signers) and meta.status not in UNSIGNED_STATUSES,
        "sample": sample,
        "patient": _patient(sample.patient, user),
        "assessment": assessment,
        "result": result,
        "verdicts": list(result["drugs"].values()),
        # Two records of one event (the mates of a breakend) read alike: the sentence is given once.
        "key_findings": list(dict.fromkeys(_key_finding(item, variants, kb) for item in result["alterations"])),
        "indication": _indication(sample, result["context"]),
        "lines": [_line_row(line) for line in lines],
        "drug_status": _drug_status(lines),
        "timeline": timeline.build_timeline([_line_span(line) for line in lines], today=meta.created_at.date()),
        "files": _files(sample),
        "method": _method(sample, assessment, kb),
        "dna_status": dna,
        "small_variants": _small_variant_rows(result, variants),
        "other_results": _other_results(result),
        "baseline": baseline,
        "lollipop": _lollipop(rows, baseline) if dna["provided"] else None,
        "interpretation": _interpretation(result, kb),
        "limitations": _limitations(result, assessment.warnings, kb),
        "recommendations": _recommendations(result, kb),
    }


def render_document_html(*, context: dict[str, Any], for_pdf: bool) -> str:
    """The document: a whole HTML page with the stylesheet inline and the running header and footer for
    WeasyPrint, or (for the browser preview) the same body as a fragment that links the same stylesheet."""
    extra = {"for_pdf": for_pdf, "stylesheet": _stylesheet() if for_pdf else ""}
    return render_to_string(TEMPLATE, {**context, **extra})


def _stylesheet() -> SafeString:
    # Our own static file, not user data: inside <style> it must stay raw, since entities are not decoded there.
    return mark_safe(Path(str(finders.find(STYLESHEET))).read_text(encoding="utf-8"))


# ---- knowledge base ---------------------------------------------------------------------------------------------


def _knowledge_base(assessment: Assessment) -> KnowledgeBase | None:
    """The snapshot the assessment was made with, or None when it can no longer be had (bundled files that have
    changed since): citations are then omitted rather than taken from a different release."""
    kb = knowledge_base(assessment.release) if assessment.release else bundled_knowledge_base()
    return kb if kb.sha256 == assessment.kb_sha256 else None


def _class_name(letter: str, kb: KnowledgeBase | None) -> str:
    if kb is None or letter not in kb.classes:
        return f"class {letter}"
    return f"class {letter} ({kb.classes[letter].name})"


# ---- patient, specimen, indication ------------------------------------------------------------------------------


def _patient(patient: Patient, user: Any) -> dict[str, Any]:
    show_mrn = user is not None and patient.mrn_visible_to(user)
    return {
        "study_id": patient.study_id,
        "year_of_birth": patient.year_of_birth,
        "sex": patient.get_sex_display(),
        "institution": patient.institution.name,
        "mrn": (patient.mrn or "Not recorded") if show_mrn else None,
    }


def _indication(sample: Sample, context: Mapping[str, Any]) -> dict[str, Any]:
    refractory = [item for item in context["drugs"] if item["refractory"]]
    return {
        "timepoint": sample.get_timepoint_display(),
        "first_progression": _date(context["first_progression"]),
        "first_progression_line": context["first_progression_line"],
        "at_first_progression": context["at_first_progression"],
        "refractory": [f"{item['drug']} (line {item['refractory_line']})" for item in refractory],
        "notes": list(context["notes"]),
    }


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


# ---- treatment history ------------------------------------------------------------------------------------------


def _lines(patient: Patient) -> list[TreatmentLine]:
    lines = TreatmentLine.objects.filter(patient=patient).prefetch_related("line_drugs__drug")
    return list(lines.order_by("line_number"))


def _line_row(line: TreatmentLine) -> dict[str, Any]:
    return {
        "line": line,
        "drugs": [item.drug.name for item in line.line_drugs.all()],
        "refractory_to": line.refractory_drugs,
    }


def _line_span(line: TreatmentLine) -> timeline.LineSpan:
    return timeline.LineSpan(
        number=line.line_number,
        regimen=line.regimen,
        start=line.start_date,
        end=line.end_date,
        progression=line.progression_date,
        refractory_drugs=line.refractory_drugs,
    )


def _drug_status(lines: Sequence[TreatmentLine]) -> list[tuple[str, str]]:
    """Every CRBN-dependent drug, received or not ("never had pomalidomide" matters at relapse), then the other
    drugs received. Refractoriness is read from the lines already fetched (``Patient.refractory_drugs`` would
    fetch them again, without their drugs)."""
    received = {item.drug.name for line in lines for item in line.line_drugs.all()}
    refractory = refractoriness.refractory_drugs(line.facts for line in lines)
    names = [*CRBN_DRUGS, *sorted(received - set(CRBN_DRUGS))]
    return [(name, _status(name, received, refractory)) for name in names]


def _status(name: str, received: set[str], refractory: Mapping[str, int]) -> str:
    if name in refractory:
        return f"Refractory since line {refractory[name]}"
    return "Received, not refractory" if name in received else "Not received"


# ---- method -----------------------------------------------------------------------------------------------------


def _files(sample: Sample) -> list[dict[str, Any]]:
    """Every confirmed file, with the build its latest successful parse read; only those whose latest parse
    succeeded fed the assessment. One query for the files, one for which were used, whatever their number."""
    used = set(parsed_files(sample).values_list("pk", flat=True))
    succeeded = ParseRun.objects.filter(file=OuterRef("pk"), status=ParseRun.Status.SUCCEEDED)
    files = (
        VariantFile.objects.filter(sample=sample, confirmed=True)
        .annotate(parsed_build=Subquery(succeeded.order_by("-created_at", "-id").values("build")[:1]))
        .order_by("created_at", "id")
    )
    return [_file_row(item, item.pk in used) for item in files]


def _file_row(variant_file: VariantFile, used: bool) -> dict[str, Any]:
    return {
        "name": variant_file.original_name,
        "kind": variant_file.get_kind_display(),
        "dialect": variant_file.dialect or "Not recognised",
        "sha256": variant_file.sha256,
        "build": variant_file.parsed_build or "Not stated",  # annotated by _files
        "used": used,
    }


def _method(sample: Sample, assessment: Assessment, kb: KnowledgeBase | None) -> dict[str, Any]:
    return {
        "assay": sample.get_assay_display(),
        "build": assessment.result.get("build") or sample.genome_build,
        "transcript": crbn.CANONICAL_TRANSCRIPT,
        "protein": crbn.CANONICAL_PROTEIN,
        "engine_version": assessment.engine_version,
        "kb_release": assessment.kb_release,
        "kb_sha256": assessment.kb_sha256,
        "kb_bundled": assessment.bundled,
        "kb_date": kb.date if kb else None,
        "assessed_at": assessment.finished_at,
    }


# ---- results ----------------------------------------------------------------------------------------------------


def _crbn_variants(sample: Sample) -> list[SmallVariant]:
    """CRBN small variants of the files that fed the assessment (a failed re-parse leaves older rows behind)."""
    files = parsed_files(sample).filter(kind=FileKind.SMALL_VARIANTS)
    return list(SmallVariant.objects.filter(source_file__in=files, gene="CRBN").order_by("pos", "alt"))


def _variant_key(row: SmallVariant) -> str:
    """The engine's fact key (rules/adapters.py small_variant_fact)."""
    return f"{row.chrom}:{row.pos}:{row.ref}>{row.alt}"


def hgvs_c(row: SmallVariant) -> str:
    """The c. change on its transcript; the MANE Select pair is written as NM_016302.4."""
    if not row.hgvs_c:
        return ""
    transcript = crbn.CANONICAL_TRANSCRIPT if row.transcript in MANE_SELECT else row.transcript
    return f"{transcript}:{row.hgvs_c}" if transcript else row.hgvs_c


def hgvs_p(row: SmallVariant) -> str:
    """The predicted protein change on NP_057386.2, in parentheses (HGVS: predicted from DNA). Parsers have
    moved isoform-2 positions to canonical numbering; a change on any other transcript is left as given."""
    if not row.hgvs_p:
        return ""
    body = row.hgvs_p.removeprefix("p.")
    change = f"p.{body}" if body.startswith("(") else f"p.({body})"
    base = row.transcript.split(".")[0]
    if base in crbn.MANE_TRANSCRIPTS or base in crbn.ISOFORM2_TRANSCRIPTS:
        return f"{crbn.CANONICAL_PROTEIN}:{change}"
    return change


def _small_variant_rows(result: Mapping[str, Any], variants: Mapping[str, SmallVariant]) -> list[dict[str, Any]]:
    classified = [item for item in result["alterations"] if item["kind"] == "small_variant"]
    rows = [_variant_row(item, variants.get(item["fact"]), item["class"]) for item in classified]
    rows += [_variant_row(item, variants.get(item["fact"]), None) for item in result["unclassified"]]
    return rows


def _variant_row(item: Mapping[str, Any], row: SmallVariant | None, letter: str | None) -> dict[str, Any]:
    return {
        "class": letter,
        "hgvs_c": hgvs_c(row) if row else "",
        "hgvs_p": hgvs_p(row) if row else "",
        "genomic": item["fact"],
        "consequence": (row.consequence if row else item.get("consequence", "")).replace("_", " "),
        "description": item["description"],
        "reason": item.get("reason", ""),
        "depth": row.depth if row else None,
        "clonality": _clonality(item.get("clonality")),
        "acquired": _acquired(item) if letter else "",
        "flags": [flag.replace("_", " ") for flag in item.get("flags", ())],
        "notes": list(item.get("notes", ())),
    }


def _clonality(clonality: Mapping[str, Any] | None) -> str:
    if not clonality:
        return ""
    parts = [f"VAF {clonality['vaf']:.2f}" if clonality["vaf"] is not None else "VAF not reported"]
    if clonality["ccf"] is not None:
        parts.append(f"CCF {clonality['ccf']:.2f} at purity {clonality['purity']:.0%}")
    if clonality["below_lod"]:
        parts.append("below the limit of detection")
    verdict = {True: "subclonal", False: "clonal"}.get(clonality["subclonal"], "clonality unknown")
    return f"{', '.join(parts)}: {verdict}"


def _acquired(item: Mapping[str, Any]) -> str:
    if item["acquired"] is True:
        return "Acquired (absent at baseline)"
    if item["acquired"] is False:
        return "Pre-existing (present at baseline)"
    return f"Acquired status unknown: {item['acquired_reason']}"


def _evidence_status(result: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The QC verdict on one evidence kind; an older result without it counts as not provided."""
    statuses = {item["kind"]: item for item in result["qc"]["evidence"]}
    return statuses.get(kind, {"kind": kind, "provided": False, "adequate": False, "reason": "not provided"})


def _other_results(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Copy number, structural variants, exon-10 skipping and expression: whether each could be assessed, what
    was found, and, when nothing was, what the engine measured."""
    return [_evidence_result(kind, _evidence_status(result, kind), result) for kind in MEASURING_RULES]


def _evidence_result(kind: str, status: Mapping[str, Any], result: Mapping[str, Any]) -> dict[str, Any]:
    found = [item for item in result["alterations"] if KIND_EVIDENCE.get(item["kind"]) == kind]
    measured = [] if found else _measurements(result["trace"], MEASURING_RULES[kind])
    return {
        "label": EVIDENCE_LABELS.get(kind, kind),
        "status": status,
        "alterations": [
            {
                "class": item["class"],
                "description": item["description"],
                "fact": item["fact"],
                "clonality": _clonality(item["clonality"]),
                "acquired": _acquired(item),
                "flags": [flag.replace("_", " ") for flag in item["flags"]],
                "notes": list(item["notes"]),
            }
            for item in found
        ],
        "measured": measured,
    }


def _measurements(trace: Iterable[Mapping[str, Any]], rules: tuple[str, ...]) -> list[str]:
    return [f"{step['fact']}: {step['outcome']}" for step in trace if step["rule"] in rules]


def _key_finding(item: Mapping[str, Any], variants: Mapping[str, SmallVariant], kb: KnowledgeBase | None) -> str:
    """One sentence per alteration: what it is, its class, clonality and whether it was acquired."""
    row = variants.get(item["fact"]) if item["kind"] == "small_variant" else None
    what = item["description"]
    if row is not None and row.hgvs_p:
        what = f"{hgvs_p(row)}: {item['description'].partition(': ')[2] or item['description']}"
    clonality = _clonality(item["clonality"])
    parts = [what, _class_name(item["class"], kb), *([clonality] if clonality else []), _acquired(item).lower()]
    return "; ".join(parts) + "."


def _lollipop(rows: Sequence[SmallVariant], baseline: Sample | None) -> SafeString:
    # lollipop_svg escapes every text it writes, so its output is safe to embed as markup.
    relapse = _protein_changes(rows)
    before = _protein_changes(_crbn_variants(baseline)) if baseline is not None else []
    return mark_safe(lollipop_svg(variants_relapse=relapse, variants_baseline=before))


def _protein_changes(rows: Iterable[SmallVariant]) -> list[tuple[int, str]]:
    return [
        (row.protein_position, row.hgvs_p.removeprefix("p.") or f"residue {row.protein_position}")
        for row in rows
        if row.protein_position
    ]


# ---- interpretation, limitations, recommendations ---------------------------------------------------------------


def _interpretation(result: Mapping[str, Any], kb: KnowledgeBase | None) -> dict[str, Any]:
    """The knowledge-base entries behind the calls, grouped by alteration class, with numbered references."""
    ids = sorted({entry for finding in result["drugs"].values() for entry in finding["entries"]})
    if kb is None:
        return {"available": False, "entry_ids": ids, "classes": [], "references": []}
    entries = [kb.calls[tuple(entry.split(".", 1))] for entry in ids]  # type: ignore[index]
    keys = list(dict.fromkeys(key for entry in entries for key in entry.citations))
    references = [(number, kb.citations[key]) for number, key in enumerate(keys, start=1)]
    letters = list(dict.fromkeys(entry.alteration_class for entry in entries))
    classes = [_class_entries(letter, entries, keys, kb) for letter in letters]
    return {"available": True, "entry_ids": ids, "classes": classes, "references": references}


def _class_entries(letter: str, entries: Sequence[Any], keys: list[str], kb: KnowledgeBase) -> dict[str, Any]:
    """One class's entries in drug order. Drugs that share a wording (CELMoDs, a class-wide prior) get it once,
    after the last of them, so the table does not repeat a paragraph five times."""
    mine = sorted(
        (entry for entry in entries if entry.alteration_class == letter), key=lambda e: kb.drugs.index(e.drug)
    )
    known = letter in kb.classes
    rows = []
    for index, entry in enumerate(mine):
        following = mine[index + 1].wording if index + 1 < len(mine) else None
        rows.append(
            {
                "entry": entry,
                "call_label": CALL_LABELS.get(entry.call, entry.call),
                "refs": [keys.index(key) + 1 for key in entry.citations],
                "unverified": entry.basis == "inferred" or bool(entry.rests_on_unverified),
                "wording_after": entry.wording if entry.wording != following else "",
            }
        )
    return {
        "title": _capital(_class_name(letter, kb)) if known else "Other protein-altering variant",
        "definition": kb.classes[letter].definition if known else "Outside every class.",
        "entries": rows,
    }


def _limitations(result: Mapping[str, Any], warnings: Iterable[str], kb: KnowledgeBase | None) -> list[str]:
    qc = result["qc"]
    evidence_prefixes = tuple(f"{item['kind']}:" for item in qc["evidence"])
    not_assessed = [
        f"{EVIDENCE_LABELS.get(item['kind'], item['kind'])}: {item['reason']}"
        for item in qc["evidence"]
        if not item["adequate"]
    ]
    drug_notes = [note for finding in result["drugs"].values() for note in finding["limitations"]]
    items = [
        *_threshold_limitations(kb),
        *([f"Not assessable: {'; '.join(not_assessed)}."] if not_assessed else []),
        *(reason for reason in qc["reasons"] if not reason.startswith(evidence_prefixes)),
        *(note for note in drug_notes if not note.startswith(evidence_prefixes)),
        *warnings,
        *(item["note"] for item in result["context"]["drugs"] if item["note"]),
    ]
    return [_sentence(item) for item in dict.fromkeys(items)]


def _threshold_limitations(kb: KnowledgeBase | None) -> list[str]:
    if kb is None:
        return ["The knowledge-base files used have changed since the assessment; thresholds are not restated."]
    lod = kb.thresholds.entries["lod_vaf"]
    defaults = [item for item in kb.thresholds.entries.values() if item.implementation_default]
    lod_text = (
        f"Limit of detection: variants below a VAF of {lod.value:g} are reported as below the limit of detection "
        "and never drive a call above uncertain"
    )
    if lod.implementation_default:
        lod_text += "; this is an implementation default, not the laboratory's validated limit"
    named = ", ".join(f"{item.id.replace('_', ' ')} {item.value:g}" for item in defaults)
    return [lod_text, f"Implementation defaults, not from literature (evidence resting on inference): {named}"]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = _capital(text)
    return text if text.endswith(".") else f"{text}."


def _recommendations(result: Mapping[str, Any], kb: KnowledgeBase | None) -> list[str]:
    """One decision-support sentence per call, naming its drugs, in the order the calls are listed."""
    findings = list(result["drugs"].values())
    sentences = [
        RECOMMENDATIONS[call].format(drugs=_join(item["drug"] for item in findings if item["call"] == call))
        for call in RECOMMENDATIONS
        if any(item["call"] == call for item in findings)
    ]
    predicted = [item["drug"] for item in findings if item["call"].startswith("resistance_") and not item["actionable"]]
    if predicted:
        rate = kb.thresholds.value("actionable_resistance_rate") if kb else 0.8
        sentences.append(NOT_ACTIONABLE.format(rate=f"{rate:.0%}", drugs=_join(predicted)))
    if any(item["inferred"] for item in findings):
        sentences.append("Calls marked inferred rest on an unverified fact; they are not established.")
    return sentences


def _join(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
