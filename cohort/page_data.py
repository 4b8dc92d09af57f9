"""What each registry page shows: the dataset read once, one analysis, and every number passed through
suppression (cohort/cells.py) before it reaches a template or a CSV."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from patients.models import Patient, Sample

from . import selectors
from .cells import shown
from .dataset import RegistryPatient
from .figures import km_svg, svg_image_source
from .frequencies import DIMENSIONS, frequency_table, seed_table
from .learning import DEFAULT_EARLY_DAYS, Agreement, learning_loop
from .methods import METHOD_FACETS, RATE_COLUMNS, method_rows
from .stats import SUPPRESS_BELOW, shown_count
from .survival import ENDPOINTS, GROUP_LABELS, GROUPINGS, TICK_MONTHS, SurvivalRecord, analyse, survival_records

DIMENSION_CHOICES = tuple(DIMENSIONS)
ENDPOINT_CHOICES = tuple(ENDPOINTS)
GROUPING_CHOICES = tuple(GROUPINGS)
EARLY_DAYS_RANGE = (30, 730)


def _shown_rows(table: Any) -> list[tuple[Any, str, list[Any]]]:
    return [(row, shown_count(row.patients), [shown(cell) for cell in row.cells]) for row in table.rows]


# Codes whose display names live on the clinical models' choices.
VALUE_LABELS = {"presentation": dict(Patient.Presentation.choices), "assay": dict(Sample.Assay.choices)}


def frequencies_context(*, user: Any, dimension: str) -> dict[str, Any]:
    samples = selectors.registry_samples(selectors.registry_dataset(user=user))
    table = frequency_table(samples, dimension, value_labels=VALUE_LABELS.get(dimension))
    seed = seed_table(samples)
    return {
        "table": table,
        "rows": _shown_rows(table),
        "seed": seed,
        "seed_rows": _shown_rows(seed),
        "dimension": dimension,
        "dimension_label": DIMENSIONS[dimension][0],
        "dimensions": [(key, label) for key, (label, _, _) in DIMENSIONS.items()],
    }


def _drawable(records: list[SurvivalRecord]) -> tuple[list[SurvivalRecord], list[str]]:
    """Groups under 5 patients are left out: their curve would show single patients' event times."""
    sizes: dict[str, int] = {}
    for record in records:
        sizes[record.group] = sizes.get(record.group, 0) + 1
    small = sorted(group for group, size in sizes.items() if size < SUPPRESS_BELOW)
    return [record for record in records if record.group not in small], small


def survival_context(*, user: Any, endpoint: str, grouping: str) -> dict[str, Any]:
    records, left_out = _drawable(survival_records(selectors.registry_dataset(user=user), endpoint, grouping))
    analysis = analyse(records, endpoint, grouping)
    return {
        "analysis": analysis,
        "figure_source": svg_image_source(km_svg(analysis)) if analysis.curves else "",
        "summary": [(curve, shown_count(curve.patients), shown_count(curve.events)) for curve in analysis.curves],
        "left_out": [GROUP_LABELS[group] for group in left_out],
        "endpoint": endpoint,
        "grouping": grouping,
        "endpoints": ENDPOINTS.items(),
        "ticks": TICK_MONTHS,
    }


@dataclass(frozen=True)
class Parsed:
    value: int
    error: str = ""


def early_days(raw: str | None) -> Parsed:
    low, high = EARLY_DAYS_RANGE
    if raw in (None, ""):
        return Parsed(DEFAULT_EARLY_DAYS)
    if not raw.isdigit() or not low <= int(raw) <= high:
        return Parsed(DEFAULT_EARLY_DAYS, f"Early progression must be a whole number of days from {low} to {high}.")
    return Parsed(int(raw))


def learning_context(*, user: Any, early_days: int) -> dict[str, Any]:
    kb = selectors.current_kb()
    threshold = kb.thresholds.value("actionable_resistance_rate")
    calls = {key: entry.call for key, entry in kb.calls.items()}
    rows = learning_loop(selectors.registry_dataset(user=user), kb.drugs, calls, threshold, early_days)
    return {
        "rows": rows,
        "shown_rows": [
            [(cell, shown(cell.observed), Agreement.LABELS.get(cell.agreement, "")) for cell in row] for row in rows
        ],
        "decided": [cell for row in rows for cell in row if cell.agreement not in ("", Agreement.UNDECIDED)],
        "agreement_labels": Agreement.LABELS,
        "drugs": kb.drugs,
        "threshold": threshold,
        "threshold_percent": round(threshold * 100),
        "kb_release": kb.release,
        "early_days": early_days,
        "early_range": EARLY_DAYS_RANGE,
    }


def methods_context(*, user: Any) -> dict[str, Any]:
    rows = method_rows(selectors.registry_samples(selectors.registry_dataset(user=user)))
    facets = dict(METHOD_FACETS)
    return {
        "rows": rows,
        "shown_rows": [
            (row, facets[row.facet], shown_count(row.samples), [shown(rate) for rate in row.rates]) for row in rows
        ],
        "columns": RATE_COLUMNS,
    }


def patients_of_build(*, user: Any, build: str) -> list[RegistryPatient]:
    """Registry patients with their samples of one genome build only (a cBioPortal study has one)."""
    chosen = []
    for patient in selectors.registry_dataset(user=user):
        samples = tuple(sample for sample in patient.samples if sample.build == build)
        if samples:
            chosen.append(dataclasses.replace(patient, samples=samples))
    return chosen
