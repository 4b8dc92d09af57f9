"""Method harmonisation: per institution, how samples were obtained and tested, and the alteration rate per
method (CRBN.md section 1: source of myeloma cells, purification, assay, splice-variant detection). Pure Python.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from .dataset import ANY_ALTERATION, SEED_GROUPS, ClassGroup, RegistrySample
from .frequencies import latest_per_patient, proportions
from .stats import Proportion

# (attribute of RegistrySample, heading)
METHOD_FACETS = (
    ("specimen", "Cell source"),
    ("enrichment", "Enrichment"),
    ("assay", "Assay"),
    ("splice_method", "Splice detection"),
)
RATE_COLUMNS = (*SEED_GROUPS, ANY_ALTERATION)


@dataclass(frozen=True)
class MethodRow:
    institution: str
    facet: str
    method: str
    samples: int
    rates: tuple[Proportion, ...]


def method_rows(samples: Iterable[RegistrySample], columns: tuple[ClassGroup, ...] = RATE_COLUMNS) -> list[MethodRow]:
    """One row per institution, facet and method value: the number of samples (patients, latest sample each)
    and the alteration rates among them."""
    samples = list(samples)
    rows = []
    for facet, _ in METHOD_FACETS:
        grouped = latest_per_patient(
            samples, lambda sample, facet=facet: f"{sample.institution}\t{getattr(sample, facet)}"
        )
        for key in sorted(grouped):
            institution, method = key.split("\t")
            chosen = grouped[key]
            rows.append(MethodRow(institution, facet, method, len(chosen), proportions(chosen, columns)))
    return rows
