"""A signed relapse report as a FHIR R4 DiagnosticReport in the shape of the HL7 Genomics Reporting IG: the
variants and the per-drug therapeutic implications as contained Observations. Pure Python, no Django.

The subject is the registry patient (registry ID), never the study ID or MRN; dates are shifted per patient.
This is the IG's shape, not a profile-validated instance: codes without a stable LOINC term use the IG's
temporary code system, as the IG itself does.
"""

from datetime import date, datetime
from typing import Any

GENOMICS_REPORT = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genomics-report"
VARIANT = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"
IMPLICATION = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/therapeutic-implication"
TBD_CODES = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
LOINC = "http://loinc.org"
REGISTRY_SYSTEM = "urn:crbn-portal:registry"
CRBN_GENE = {"system": "http://www.genenames.org/geneId", "code": "HGNC:30185", "display": "CRBN"}


def _coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def _variant(index: int, alteration: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"variant-{index}",
        "meta": {"profile": [VARIANT]},
        "status": "final",
        "category": [_coding("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")],
        "code": _coding(LOINC, "69548-6", "Genetic variant assessment"),
        "valueCodeableConcept": _coding(LOINC, "LA9633-4", "Present"),
        "component": [
            {"code": _coding(LOINC, "48018-6", "Gene studied [ID]"), "valueCodeableConcept": {"coding": [CRBN_GENE]}},
            {"code": {"text": "CRBN alteration class (CRBN.md section 4)"}, "valueString": alteration["class"]},
            {"code": {"text": "Alteration"}, "valueString": alteration.get("description", "")},
        ],
    }


def _implication(index: int, drug: str, finding: dict[str, Any], variants: list[str]) -> dict[str, Any]:
    note = finding.get("text", "")
    if finding.get("inferred"):
        note = f"Inferred, not established. {note}".strip()
    observation = {
        "resourceType": "Observation",
        "id": f"implication-{index}",
        "meta": {"profile": [IMPLICATION]},
        "status": "final",
        "code": _coding(TBD_CODES, "therapeutic-implication", "Therapeutic Implication"),
        "component": [
            {"code": _coding(LOINC, "51963-7", "Medication assessed [ID]"), "valueCodeableConcept": {"text": drug}},
            {
                "code": _coding(TBD_CODES, "predicted-therapeutic-implication"),
                "valueCodeableConcept": {"text": finding["call"]},
            },
        ],
        "derivedFrom": [{"reference": f"#{ident}"} for ident in variants],
    }
    if finding.get("level"):
        observation["component"].append(
            {"code": _coding(TBD_CODES, "evidence-level"), "valueCodeableConcept": {"text": finding["level"]}}
        )
    if note:
        observation["note"] = [{"text": note}]
    return observation


def diagnostic_report(
    *, report_id: str, registry_id: str, version: int, result: dict[str, Any], collected: date, signed: datetime
) -> dict[str, Any]:
    """``result`` is the assessment result frozen at signing; ``collected`` and ``signed`` are already shifted."""
    variants = [_variant(number, item) for number, item in enumerate(result.get("alterations", []), start=1)]
    variant_ids = [item["id"] for item in variants]
    drugs = result.get("drugs", {})
    implications = [
        _implication(number, drug, finding, variant_ids)
        for number, (drug, finding) in enumerate(drugs.items(), start=1)
    ]
    contained = [*variants, *implications]
    return {
        "resourceType": "DiagnosticReport",
        "id": report_id,
        "meta": {"profile": [GENOMICS_REPORT]},
        "status": "amended" if version > 1 else "final",
        "category": [_coding("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", "Genetics")],
        "code": _coding(LOINC, "81247-9", "Master HL7 genetic variant reporting panel"),
        "subject": {
            "reference": f"Patient/{registry_id}",
            "identifier": {"system": REGISTRY_SYSTEM, "value": registry_id},
        },
        "effectiveDateTime": collected.isoformat(),
        "issued": signed.isoformat(),
        "contained": contained,
        "result": [{"reference": f"#{item['id']}"} for item in contained],
        "conclusion": "; ".join(f"{drug}: {finding['call']}" for drug, finding in drugs.items()),
        "extension": [
            {"url": f"{REGISTRY_SYSTEM}:kb-release", "valueString": str(result.get("kb_release", ""))},
            {"url": f"{REGISTRY_SYSTEM}:engine-version", "valueString": str(result.get("engine_version", ""))},
        ],
    }


def bundle(reports: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": item} for item in reports]}
