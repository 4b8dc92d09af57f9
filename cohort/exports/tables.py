"""The registry's tables as CSV, suppressed as on the pages and safe to open in a spreadsheet."""

from collections.abc import Iterable

from crbn_portal.spreadsheet import csv_text

from ..cells import shown
from ..frequencies import DIMENSIONS, FrequencyTable
from ..learning import Agreement, LoopCell
from ..methods import METHOD_FACETS, RATE_COLUMNS, MethodRow
from ..stats import shown_count


def _cell_columns(label: str) -> list[str]:
    return [f"{label} n", f"{label} N", f"{label} %", f"{label} 95% CI"]


def frequency_csv(table: FrequencyTable) -> str:
    header = [DIMENSIONS[table.dimension][0], "patients"]
    header += [name for column in table.columns for name in _cell_columns(column.label)]
    rows = [header]
    for row in table.rows:
        cells = [shown(cell) for cell in row.cells]
        rows.append(
            [
                row.label,
                shown_count(row.patients),
                *[v for c in cells for v in (c.count, c.total, c.percent, c.interval)],
            ]
        )
    return csv_text(rows)


def learning_csv(rows: Iterable[list[LoopCell]]) -> str:
    lines = [["class", "drug", *_cell_columns("without response")[0:4], "knowledge-base call", "agreement"]]
    for row in rows:
        for cell in row:
            view = shown(cell.observed)
            label = Agreement.LABELS.get(cell.agreement, "")
            lines.append(
                [
                    cell.alteration_class,
                    cell.drug,
                    view.count,
                    view.total,
                    view.percent,
                    view.interval,
                    cell.entry_call,
                    label,
                ]
            )
    return csv_text(lines)


def methods_csv(rows: Iterable[MethodRow]) -> str:
    facets = dict(METHOD_FACETS)
    header = ["institution", "facet", "method", "patients", *[n for c in RATE_COLUMNS for n in _cell_columns(c.label)]]
    lines = [header]
    for row in rows:
        cells = [shown(rate) for rate in row.rates]
        values = [v for c in cells for v in (c.count, c.total, c.percent, c.interval)]
        lines.append([row.institution, facets[row.facet], row.method, shown_count(row.samples), *values])
    return csv_text(lines)
