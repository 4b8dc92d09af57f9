"""Alteration frequencies by any dimension of the registry: count, assessable denominator, Wilson interval.
Pure Python, no Django.

The unit is the patient: within one row a patient counts once, through their latest sample in that row (a
patient sampled at first relapse and again when Pom-refractory appears once in each cohort).
"""

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from .dataset import ANY_ALTERATION, CLASS_GROUPS, SEED_GROUPS, ClassGroup, Cohort, RegistrySample
from .stats import Proportion, wilson

Dimension = Callable[[RegistrySample], str]


@dataclass(frozen=True)
class FrequencyRow:
    value: str
    label: str
    patients: int
    cells: tuple[Proportion, ...]


@dataclass(frozen=True)
class FrequencyTable:
    dimension: str
    columns: tuple[ClassGroup, ...]
    rows: tuple[FrequencyRow, ...]


def _line_band(sample: RegistrySample) -> str:
    return "4+" if sample.lines_before >= 4 else str(sample.lines_before)


# name -> (label, how a sample is placed in a row, row labels when the value is a code)
DIMENSIONS: dict[str, tuple[str, Dimension, dict[str, str]]] = {
    "cohort": ("Cohort", lambda sample: sample.cohort, Cohort.LABELS),
    "line": ("Lines of therapy before the sample", _line_band, {}),
    "institution": ("Institution", lambda sample: sample.institution, {}),
    "region": ("Region", lambda sample: sample.region, {}),
    "presentation": ("Disease presentation", lambda sample: sample.presentation, {}),
    "assay": ("Assay", lambda sample: sample.assay, {}),
}
ALL_COLUMNS = (*CLASS_GROUPS, *SEED_GROUPS, ANY_ALTERATION)
SEED_ROWS = (Cohort.NDMM, Cohort.LEN_REFRACTORY, Cohort.POM_REFRACTORY)


def latest_per_patient(samples: Iterable[RegistrySample], dimension: Dimension) -> dict[str, list[RegistrySample]]:
    """Row value -> one sample per patient (the latest collected)."""
    chosen: dict[tuple[str, str], RegistrySample] = {}
    for sample in samples:
        key = (dimension(sample), sample.registry_id)
        if key not in chosen or sample.collected > chosen[key].collected:
            chosen[key] = sample
    rows: dict[str, list[RegistrySample]] = {}
    for (value, _), sample in chosen.items():
        rows.setdefault(value, []).append(sample)
    return rows


def proportions(samples: Iterable[RegistrySample], groups: Sequence[ClassGroup]) -> tuple[Proportion, ...]:
    """Samples are tallied by (found, assessable) once: a registry holds few distinct combinations, so each
    column costs a handful of set operations instead of one per sample."""
    tally = Counter((sample.found, sample.assessable) for sample in samples)
    return tuple(_proportion(tally, group) for group in groups)


def _proportion(tally: Counter[tuple[frozenset[str], frozenset[str]]], group: ClassGroup) -> Proportion:
    count = total = 0
    for (found, assessable), alike in tally.items():
        detected = not found.isdisjoint(group.letters)
        if detected or not assessable.isdisjoint(group.letters):
            total += alike
            count += alike if detected else 0
    return wilson(count, total)


def frequency_table(
    samples: Iterable[RegistrySample],
    dimension: str,
    columns: Sequence[ClassGroup] = ALL_COLUMNS,
    row_order: Sequence[str] = (),
    value_labels: Mapping[str, str] | None = None,
) -> FrequencyTable:
    """One row per value of the dimension (only those of ``row_order``, in its order, when given). Row labels
    come from ``value_labels``, else the dimension's own, else the value itself."""
    _, place, own_labels = DIMENSIONS[dimension]
    labels = value_labels or own_labels
    rows = latest_per_patient(samples, place)
    values = list(row_order) if row_order else sorted(rows)
    return FrequencyTable(
        dimension=dimension,
        columns=tuple(columns),
        rows=tuple(_row(value, labels.get(value, value), rows.get(value, []), columns) for value in values),
    )


def _row(value: str, label: str, samples: list[RegistrySample], columns: Sequence[ClassGroup]) -> FrequencyRow:
    return FrequencyRow(value, label, len(samples), proportions(samples, columns))


def seed_table(samples: Iterable[RegistrySample]) -> FrequencyTable:
    """The seed study's layout: rows NDMM / Len-refractory / Pom-refractory, its three kinds of change."""
    return frequency_table(samples, "cohort", SEED_GROUPS, SEED_ROWS)
