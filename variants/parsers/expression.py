"""Gene expression: salmon/sailfish quant.sf, RSEM genes/isoforms.results, featureCounts and a plain gene table.
Pure Python, no Django.

CRBN is matched by symbol (any case), Ensembl gene ENSG00000113851 (any version), Entrez 51185, or one of its
known transcripts; the pathway genes of ``variants.crbn.PATHWAY_GENES`` are kept by symbol. Every value keeps its
method and unit: CRBN.md section 4 says expression cut-offs belong to their assay, never across platforms.
"""

import csv
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from ..crbn import ISOFORM2_TRANSCRIPTS, MANE_TRANSCRIPTS, PATHWAY_GENES
from .facts import Expression, ParseError, ParseOptions, ParseResult
from .reader import LineSource, Progress, decode

KIND = "expression"
SALMON, RSEM_GENES, RSEM_ISOFORMS = "salmon quant.sf", "RSEM genes.results", "RSEM isoforms.results"
FEATURECOUNTS, TABLE = "featureCounts", "expression table"
SUPPORTED = "salmon quant.sf, RSEM genes/isoforms.results, featureCounts or a table with gene and TPM/FPKM columns"

CRBN_GENE_IDS = frozenset({"ENSG00000113851", "51185"})  # Ensembl and Entrez (CRBN.md section 2)
# Transcript IDs without their gene (salmon against a plain transcriptome): only these count as CRBN.
CRBN_TRANSCRIPTS = frozenset(MANE_TRANSCRIPTS + ISOFORM2_TRANSCRIPTS)
SYMBOLS = {gene.upper(): gene for gene in PATHWAY_GENES}
TOOL_HEADERS = {
    SALMON: ("Name", "Length", "EffectiveLength", "TPM", "NumReads"),
    RSEM_GENES: ("gene_id", "transcript_id(s)", "length", "effective_length", "expected_count", "TPM", "FPKM"),
    RSEM_ISOFORMS: ("transcript_id", "gene_id", "length", "effective_length", "expected_count", "TPM", "FPKM"),
    FEATURECOUNTS: ("Geneid", "Chr", "Start", "End", "Strand", "Length"),
}
TABLE_GENE_COLUMNS = frozenset(
    {"gene", "genes", "gene_name", "gene_symbol", "symbol", "hugo_symbol", "gene_id", "geneid", "ensembl_gene_id"}
    | {"entrez_id", "entrez_gene_id"}
)
TABLE_VALUE_COLUMNS = ("tpm", "fpkm", "rpkm", "cpm", "counts", "count", "value", "expression")  # first found wins
MISSING = frozenset({"", "NA", "NaN", "nan", "N/A", "."})


@dataclass(frozen=True)
class Layout:
    """Where a dialect keeps the gene and the value, learnt from the header line."""

    dialect: str
    method: str
    unit: str
    id_columns: tuple[int, ...]  # tried in order: the first that names a kept gene wins
    value_column: int
    columns: int
    header_line: int
    delimiter: str = "\t"
    summed: bool = False  # transcript-level files: a gene's value is the sum over its transcripts
    integer: bool = False  # counts must be whole numbers
    allow_missing: bool = False  # hand-made tables write NA for genes they could not measure
    sample: str = ""
    sample_reason: str = ""


@dataclass
class Totals:
    """A kept gene's running value over one or more rows; None once a row had no value."""

    value: float | None = 0.0
    lines: list[int] = field(default_factory=list)
    by_transcript: bool = False


def sniff(head: list[str], filename: str) -> str | None:
    """The dialect when the header (after any '#' comment lines) is one this module reads."""
    try:
        _, header = _header(head, filename)
    except ParseError:
        return None
    fields = _split(header, _delimiter(header))
    return _tool_dialect(fields) or (TABLE if _table_columns(fields) else None)


def parse(source: LineSource, options: ParseOptions, progress: Progress | None = None) -> ParseResult:
    """One Expression per kept gene (transcripts summed into their gene), each with its method and unit."""
    layout = _layout(source.head(), source.name, options)
    result = ParseResult(kind=KIND, dialect=layout.dialect)
    result.tumour_sample, result.tumour_sample_reason = layout.sample, layout.sample_reason
    totals: dict[tuple[str, int], Totals] = {}
    for number, fields in _rows(source, layout, progress):
        result.records_read += 1
        _add(totals, layout, source.name, number, fields)
    _finish(result, layout, totals)
    return result


def gene_of(identifier: str) -> tuple[str, bool] | None:
    """(kept gene, matched by a bare transcript ID) for IDs such as 'CRBN', 'ENSG00000113851.15',
    'ENSG00000113851_CRBN' (RSEM), GENCODE's 'ENST...|ENSG...|...|CRBN-201|CRBN|...' or 'ENST00000231948.9'."""
    bases = [token.strip().split(".")[0].upper() for token in (identifier, *re.split(r"[|_]", identifier))]
    # A gene named anywhere in the ID beats a transcript match: only the latter leaves CRBN's other transcripts out.
    for base in bases:
        if base in SYMBOLS:
            return SYMBOLS[base], False
        if base in CRBN_GENE_IDS:
            return "CRBN", False
    return ("CRBN", True) if any(base in CRBN_TRANSCRIPTS for base in bases) else None


def _layout(head: list[str], name: str, options: ParseOptions) -> Layout:
    number, header = _header(head, name)
    delimiter = _delimiter(header)
    fields = _split(header, delimiter)
    dialect = _tool_dialect(fields)
    if dialect == FEATURECOUNTS:
        return _featurecounts_layout(fields, number, name, options)
    if dialect is not None:
        return _tpm_layout(dialect, fields, number)
    columns = _table_columns(fields)
    if columns is None:
        raise ParseError(name, number, "the header is not one of the supported expression formats", SUPPORTED)
    ids, value = columns
    unit = fields[value].strip()
    return Layout(TABLE, "table", unit, ids, value, len(fields), number, delimiter, allow_missing=True)


def _header(head: list[str], name: str) -> tuple[int, str]:
    for number, line in enumerate(head, start=1):
        if line.strip() and not line.startswith("#"):
            return number, line
    raise ParseError(name, None, "the file is empty", SUPPORTED)


def _delimiter(header: str) -> str:
    return "\t" if "\t" in header else ","


def _tool_dialect(fields: list[str]) -> str | None:
    for dialect, expected in TOOL_HEADERS.items():
        if tuple(fields[: len(expected)]) == expected:
            return dialect
    return None


def _table_columns(fields: list[str]) -> tuple[tuple[int, ...], int] | None:
    """(gene columns, value column) of a hand-made table, or None when it lacks either."""
    lowered = [text.strip().lower() for text in fields]
    ids = tuple(index for index, text in enumerate(lowered) if text in TABLE_GENE_COLUMNS)
    values = [lowered.index(text) for text in TABLE_VALUE_COLUMNS if text in lowered]
    return (ids, values[0]) if ids and values else None


def _tpm_layout(dialect: str, fields: list[str], number: int) -> Layout:
    method = "salmon" if dialect == SALMON else "RSEM"
    ids = (1, 0) if dialect == RSEM_ISOFORMS else (0,)
    summed = dialect in (SALMON, RSEM_ISOFORMS)
    return Layout(dialect, method, "TPM", ids, fields.index("TPM"), len(fields), number, summed=summed)


def _featurecounts_layout(fields: list[str], number: int, name: str, options: ParseOptions) -> Layout:
    column = _count_column(fields, number, name, options)
    reason = "the only count column" if len(fields) == 7 else "the count column named by the uploader"
    return Layout(
        FEATURECOUNTS,
        FEATURECOUNTS,
        "counts",
        (0,),
        column,
        len(fields),
        number,
        integer=True,
        sample=fields[column],
        sample_reason=reason,
    )


def _count_column(fields: list[str], number: int, name: str, options: ParseOptions) -> int:
    """featureCounts writes one count column per BAM: with several, the uploader must name the tumour sample."""
    columns = list(range(6, len(fields)))
    if len(columns) == 1:
        return columns[0]
    wanted = options.tumour_sample or ""
    chosen = [column for column in columns if wanted and wanted in _sample_names(fields[column])]
    if len(chosen) != 1:
        problem = f"{len(columns)} count columns and no tumour sample matching one of them ({wanted or 'none given'})"
        raise ParseError(name, number, problem, "one count column, or the tumour sample named as its BAM")
    return chosen[0]


def _sample_names(column: str) -> set[str]:
    path = PurePath(column)
    return {column, path.name, path.name.split(".")[0]}


def _rows(source: LineSource, layout: Layout, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    for number, raw in source.lines(progress):
        if number <= layout.header_line:
            continue
        text = decode(source.name, number, raw)
        if text.strip():
            fields = _split(text, layout.delimiter)
            if len(fields) != layout.columns:
                problem = f"the line has {len(fields)} columns"
                raise ParseError(source.name, number, problem, f"{layout.columns} columns as in the header")
            yield number, fields


def _split(line: str, delimiter: str) -> list[str]:
    # csv undoes the quoting R and spreadsheets put around names ("CRBN"); tool outputs have none to undo.
    return next(csv.reader([line], delimiter=delimiter))


def _add(totals: dict[tuple[str, int], Totals], layout: Layout, name: str, number: int, fields: list[str]) -> None:
    value = _value(layout, name, number, fields[layout.value_column])
    match = next((found for column in layout.id_columns if (found := gene_of(fields[column]))), None)
    if match is None:
        return
    gene, by_transcript = match
    # Gene-level files keep every row (a duplicated gene stays visible); transcript-level ones sum per gene.
    entry = totals.setdefault((gene, 0 if layout.summed else number), Totals())
    entry.lines.append(number)
    entry.by_transcript = entry.by_transcript or by_transcript
    entry.value = None if value is None or entry.value is None else entry.value + value


def _value(layout: Layout, name: str, number: int, text: str) -> float | None:
    column = f"{layout.unit} value"
    if layout.allow_missing and text.strip() in MISSING:
        return None
    try:
        value = _number(text, layout.integer)
    except ValueError:
        kind = "a whole number" if layout.integer else "a number"
        raise ParseError(
            name, number, f"{column} {text!r} is not {kind}", f"{kind} in the {layout.unit} column"
        ) from None
    if not math.isfinite(value) or (value < 0 and layout.dialect != TABLE):
        raise ParseError(name, number, f"{column} {text!r} is not a finite non-negative number", "a TPM or count")
    return float(value)


def _number(text: str, integer: bool) -> float:
    # Python reads '1_000' as 1000; no quantifier writes that, so it is a damaged file, not a number.
    if "_" in text:
        raise ValueError(text)
    return int(text) if integer else float(text)


def _finish(result: ParseResult, layout: Layout, totals: dict[tuple[str, int], Totals]) -> None:
    for (gene, _), entry in totals.items():
        if entry.value is None:
            result.warnings.append(f"{gene} has no {layout.unit} value (line {entry.lines[0]}): not kept")
            continue
        result.expression.append(Expression(gene, entry.value, layout.unit, layout.method, entry.lines[0]))
        result.warnings.extend(_sum_warnings(gene, entry, layout.unit))
    if not any(row.gene == "CRBN" for row in result.expression):
        result.warnings.append(f"CRBN was not found among the {result.records_read} rows")
    if layout.unit.lower() in ("value", "expression"):
        result.warnings.append(f"the {layout.unit!r} column does not name its unit")


def _sum_warnings(gene: str, entry: Totals, unit: str) -> list[str]:
    warnings = []
    if len(entry.lines) > 1:
        lines = ", ".join(str(line) for line in entry.lines)
        warnings.append(f"{gene} {unit} is the sum of {len(entry.lines)} transcripts (lines {lines})")
    if entry.by_transcript:
        known = ", ".join(sorted(CRBN_TRANSCRIPTS))
        warnings.append(f"transcripts are named without their gene: only {known} count towards {gene}")
    return warnings
