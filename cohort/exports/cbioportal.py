"""The registry as a cBioPortal study (one genome build per study): clinical patient and sample files, CRBN
mutations (MAF) and discrete CRBN copy number (CNA), zipped. Pure Python, no Django.

Identifiers are registry IDs; sample IDs are the registry ID plus the sample's order; overall survival is in
months from diagnosis, so no calendar date leaves the registry.
"""

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..dataset import RegistryPatient

CRBN_ENTREZ = "51185"
REFERENCE_GENOMES = {"GRCh37": "hg19", "GRCh38": "hg38"}
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class MafRow:
    sample_key: str
    chromosome: str
    position: int
    ref: str
    alt: str
    consequence: str
    hgvs_p: str
    depth: int | None
    alt_count: int | None


def sample_ids(patients: Iterable[RegistryPatient]) -> dict[str, str]:
    """Sample key -> de-identified cBioPortal sample ID."""
    ids = {}
    for patient in patients:
        for number, sample in enumerate(sorted(patient.samples, key=lambda item: item.collected), start=1):
            ids[sample.key] = f"{patient.registry_id}-S{number}"
    return ids


def _tsv(rows: Sequence[Sequence[object]]) -> str:
    return "".join("\t".join("" if value is None else str(value) for value in row) + "\n" for row in rows)


def _clinical(attributes: Sequence[tuple[str, str, str]], rows: Sequence[Sequence[object]]) -> str:
    """cBioPortal's four header lines (names, descriptions, types, priorities), then the attribute IDs."""
    names, types = [a[1] for a in attributes], [a[2] for a in attributes]
    header = [f"#{chr(9).join(names)}", f"#{chr(9).join(names)}", f"#{chr(9).join(types)}"]
    header.append("#" + "\t".join("1" for _ in attributes))
    return "\n".join(header) + "\n" + _tsv([[a[0] for a in attributes], *rows])


def patient_file(patients: Sequence[RegistryPatient]) -> str:
    attributes = (
        ("PATIENT_ID", "Registry ID", "STRING"), ("SEX", "Sex", "STRING"), ("AGE", "Age at diagnosis", "NUMBER"),
        ("INSTITUTION", "Institution", "STRING"), ("REGION", "Region", "STRING"),
        ("PRESENTATION", "Disease presentation", "STRING"),
        ("OS_STATUS", "Overall survival status", "STRING"), ("OS_MONTHS", "Overall survival (months)", "NUMBER"),
    )  # fmt: skip
    return _clinical(attributes, [_patient_row(patient) for patient in patients])


def _patient_row(p: RegistryPatient) -> list[object]:
    status = "1:DECEASED" if p.death else "0:LIVING"
    months = f"{((p.death or p.last_known_alive) - p.diagnosis).days / DAYS_PER_MONTH:.1f}"
    return [p.registry_id, p.sex, p.age_at_diagnosis, p.institution, p.region, p.presentation, status, months]


def sample_file(patients: Sequence[RegistryPatient], ids: dict[str, str]) -> str:
    attributes = (
        ("PATIENT_ID", "Registry ID", "STRING"), ("SAMPLE_ID", "Sample ID", "STRING"),
        ("TIMEPOINT", "Timepoint", "STRING"), ("COHORT", "Cohort", "STRING"), ("ASSAY", "Assay", "STRING"),
        ("SPECIMEN", "Cell source", "STRING"), ("ENRICHMENT", "Enrichment", "STRING"),
        ("CRBN_CLASSES", "CRBN alteration classes", "STRING"),
    )  # fmt: skip
    rows = [
        [p.registry_id, ids[s.key], s.timepoint, s.cohort, s.assay, s.specimen, s.enrichment, ",".join(sorted(s.found))]
        for p in patients
        for s in p.samples
        if s.key in ids
    ]
    return _clinical(attributes, rows)


def maf_file(rows: Iterable[MafRow], ids: dict[str, str], build: str) -> str:
    header = [
        "Hugo_Symbol", "Entrez_Gene_Id", "NCBI_Build", "Chromosome", "Start_Position", "End_Position",
        "Variant_Classification", "Reference_Allele", "Tumor_Seq_Allele2", "Tumor_Sample_Barcode", "HGVSp_Short",
        "t_ref_count", "t_alt_count",
    ]  # fmt: skip
    body = [_maf_row(row, ids[row.sample_key], build) for row in rows if row.sample_key in ids]
    return _tsv([header, *body])


def _maf_row(row: MafRow, sample_id: str, build: str) -> list[object]:
    end = row.position + max(len(row.ref), 1) - 1
    ref_count = row.depth - row.alt_count if row.depth is not None and row.alt_count is not None else ""
    chromosome = row.chromosome.removeprefix("chr")
    return [
        "CRBN", CRBN_ENTREZ, build.removeprefix("GRCh"), chromosome, row.position, end, row.consequence, row.ref,
        row.alt, sample_id, row.hgvs_p, ref_count, row.alt_count,
    ]  # fmt: skip


def cna_file(copy_numbers: dict[str, float | None], ids: dict[str, str]) -> str:
    """GISTIC-style discrete values for CRBN: -2 no copy left, -1 one copy, 0 otherwise (blank: not measured)."""
    columns = sorted(ids.values())
    by_id = {ids[key]: value for key, value in copy_numbers.items() if key in ids}
    values = [_discrete(by_id[sample]) if sample in by_id else "NA" for sample in columns]
    return _tsv([["Hugo_Symbol", "Entrez_Gene_Id", *columns], ["CRBN", CRBN_ENTREZ, *values]])


def _discrete(copy_number: float | None) -> str:
    if copy_number is None:
        return "NA"
    return "-2" if copy_number < 0.5 else "-1" if copy_number < 1.5 else "0"


def _meta(study: str, **fields: str) -> str:
    return "".join(f"{key}: {value}\n" for key, value in {"cancer_study_identifier": study, **fields}.items())


def study_zip(
    patients: Sequence[RegistryPatient], maf_rows: Iterable[MafRow], copy_numbers: dict[str, float | None], build: str
) -> bytes:
    study = f"crbn_registry_{build.lower()}"
    ids = sample_ids(patients)
    files = {
        "meta_study.txt": _meta(
            study, type_of_cancer="mm", name=f"CRBN registry ({build})",
            description="De-identified multi-centre registry of CRBN alterations in multiple myeloma.",
            short_name="CRBN registry", reference_genome=REFERENCE_GENOMES[build],
        ),
        "meta_clinical_patient.txt": _meta(
            study, genetic_alteration_type="CLINICAL", datatype="PATIENT_ATTRIBUTES",
            data_filename="data_clinical_patient.txt",
        ),
        "data_clinical_patient.txt": patient_file(patients),
        "meta_clinical_sample.txt": _meta(
            study, genetic_alteration_type="CLINICAL", datatype="SAMPLE_ATTRIBUTES",
            data_filename="data_clinical_sample.txt",
        ),
        "data_clinical_sample.txt": sample_file(patients, ids),
        "meta_mutations.txt": _meta(
            study, genetic_alteration_type="MUTATION_EXTENDED", datatype="MAF", stable_id="mutations",
            show_profile_in_analysis_tab="true", profile_name="CRBN mutations",
            profile_description="CRBN small variants (PASS) from the registry's samples.",
            data_filename="data_mutations.txt",
        ),
        "data_mutations.txt": maf_file(maf_rows, ids, build),
        "meta_cna.txt": _meta(
            study, genetic_alteration_type="COPY_NUMBER_ALTERATION", datatype="DISCRETE", stable_id="gistic",
            show_profile_in_analysis_tab="true", profile_name="CRBN copy number",
            profile_description="CRBN absolute copy number as discrete values.", data_filename="data_cna.txt",
        ),
        "data_cna.txt": cna_file(copy_numbers, ids),
    }  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"{study}/{name}", text)
    return buffer.getvalue()
