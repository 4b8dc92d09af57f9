"""Registry rows in the database: consenting patients with lines, samples and finished assessments."""

from datetime import date
from typing import Any

from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory
from rules.models import Assessment, JobStatus, Trigger

EVERY_KIND = ("dna_variants", "copy_number", "structural_variants", "rna_junctions", "expression")


def assessed(sample: Any, classes: str = "", kinds: tuple[str, ...] = EVERY_KIND) -> Assessment:
    """A finished assessment whose result found ``classes`` with ``kinds`` of evidence adequate."""
    result = {
        "alterations": [{"class": letter, "kind": "small_variant", "flags": []} for letter in classes],
        "qc": {"status": "pass", "evidence": [{"kind": kind, "provided": True, "adequate": True} for kind in kinds]},
        "drugs": {},
    }
    return Assessment.objects.create(
        sample=sample, trigger=Trigger.INGEST, status=JobStatus.DONE, bundled=True, result=result
    )


def registry_patient(institution: Any, study_id: str, *, classes: str = "", consent: bool = True, **fields: Any) -> Any:
    """Len-refractory at first relapse (Rd progressed on therapy), sampled then, then a Pd line."""
    patient = PatientFactory(
        institution=institution, study_id=study_id, registry_consent=consent, mrn=f"MRN{study_id}", **fields
    )
    TreatmentLineFactory(
        patient=patient, line_number=1, start_date=date(2019, 4, 1), progression_date=date(2021, 5, 1),
        best_response="VGPR", drugs=["lenalidomide", "dexamethasone"],
    )  # fmt: skip
    TreatmentLineFactory(
        patient=patient, line_number=2, regimen="Pd", start_date=date(2021, 5, 20),
        progression_date=date(2021, 8, 1), best_response="SD", drugs=["pomalidomide", "dexamethasone"],
    )  # fmt: skip
    sample = SampleFactory(patient=patient, collection_date=date(2021, 5, 5), receipt_date=date(2021, 5, 6))
    assessed(sample, classes)
    return patient
