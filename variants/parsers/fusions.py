"""RNA fusion calls: Arriba fusions.tsv and STAR-Fusion's (abridged) fusion_candidates. Pure Python, no Django.

Only fusions with CRBN as a partner are kept (a breakpoint in the gene body is alteration class H, CRBN.md
section 4). Neither format states its genome build: the result's build is None and the sample's build applies.
Breakpoints are written 'chrom:position' with the chromosome normalised, whichever caller wrote them.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from ..crbn import normalise_chrom
from .facts import Fusion, ParseError, ParseOptions, ParseResult
from .reader import LineSource, Progress, decode

KIND = "fusions"
ARRIBA, STAR_FUSION = "Arriba fusions.tsv", "STAR-Fusion abridged"
SUPPORTED = "Arriba fusions.tsv (header '#gene1') or STAR-Fusion fusion_candidates (header '#FusionName')"
CRBN_PARTNERS = frozenset({"CRBN", "ENSG00000113851"})  # symbol and Ensembl gene (CRBN.md section 2)


@dataclass(frozen=True)
class Columns:
    """The header names a dialect needs: genes, breakpoints, and the read counts that add up to its support."""

    caller: str
    first_field: str
    gene1: str
    gene2: str
    breakpoint1: str
    breakpoint2: str
    reads: tuple[str, ...]
    gene_separator: str  # Arriba lists intergenic neighbours 'A(123),B(456)'; STAR-Fusion writes 'SYMBOL^ENSG'


COLUMNS = {
    ARRIBA: Columns(
        "Arriba",
        "#gene1",
        "#gene1",
        "gene2",
        "breakpoint1",
        "breakpoint2",
        ("split_reads1", "split_reads2", "discordant_mates"),
        ",",
    ),
    STAR_FUSION: Columns(
        "STAR-Fusion",
        "#FusionName",
        "LeftGene",
        "RightGene",
        "LeftBreakpoint",
        "RightBreakpoint",
        ("JunctionReadCount", "SpanningFragCount"),
        "^",
    ),
}


def sniff(head: list[str], filename: str) -> str | None:
    """The dialect whose header line opens the file."""
    first = next((line for line in head if line.strip()), "")
    return next((dialect for dialect, names in COLUMNS.items() if first.startswith(names.first_field + "\t")), None)


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    partners: frozenset[str] = CRBN_PARTNERS,
) -> ParseResult:
    """Keep the fusions with a gene of ``partners`` (symbols or ENSG IDs, any case or version) on either side."""
    rows = _rows(source, progress)
    dialect, header = _header(source.name, next(rows, None))
    result = ParseResult(
        kind=KIND, dialect=dialect, build_evidence="not stated by the file: the sample's build applies"
    )
    wanted = {partner.upper() for partner in partners}
    for number, fields in rows:
        fusion, identifiers = _fusion(dialect, header, source.name, number, fields)
        result.records_read += 1
        if wanted & identifiers:
            result.fusions.append(fusion)
    return result


def _rows(source: LineSource, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    for number, raw in source.lines(progress):
        text = decode(source.name, number, raw)
        if text.strip():
            yield number, text.split("\t")


def _header(name: str, first: tuple[int, list[str]] | None) -> tuple[str, dict[str, int]]:
    """The dialect and the position of each named column (callers add and reorder columns between versions)."""
    if first is None:
        raise ParseError(name, None, "the file is empty", SUPPORTED)
    number, fields = first
    dialect = next((dialect for dialect, names in COLUMNS.items() if fields[0] == names.first_field), None)
    if dialect is None:
        raise ParseError(name, number, f"the header starts with {fields[0]!r}", SUPPORTED)
    positions = {column: index for index, column in enumerate(fields)}
    names = COLUMNS[dialect]
    missing = [column for column in _needed(names) if column not in positions]
    if missing:
        raise ParseError(name, number, f"the {dialect} header lacks {', '.join(missing)}", f"a {dialect} header")
    return dialect, positions


def _needed(names: Columns) -> tuple[str, ...]:
    return (names.gene1, names.gene2, names.breakpoint1, names.breakpoint2, *names.reads)


def _fusion(dialect: str, header: dict[str, int], name: str, number: int, fields: list[str]) -> tuple[Fusion, set[str]]:
    """The call, and every gene identifier on either side (for matching partners)."""
    if len(fields) != len(header):
        raise ParseError(name, number, f"the line has {len(fields)} columns", f"{len(header)} columns as in the header")
    names = COLUMNS[dialect]
    value = {column: fields[header[column]] for column in _needed(names)}
    gene1, identifiers1 = _genes(value[names.gene1], names.gene_separator)
    gene2, identifiers2 = _genes(value[names.gene2], names.gene_separator)
    fusion = Fusion(
        gene1=gene1,
        gene2=gene2,
        breakpoint1=_breakpoint(name, number, value[names.breakpoint1]),
        breakpoint2=_breakpoint(name, number, value[names.breakpoint2]),
        line=number,
        reads=sum(_count(name, number, column, value[column]) for column in names.reads),
        caller=names.caller,
    )
    return fusion, identifiers1 | identifiers2


def _genes(text: str, separator: str) -> tuple[str, set[str]]:
    """(symbols as shown, upper-cased unversioned identifiers). Arriba 'CRBN(1234),LRRN1(5678)' names the genes
    either side of an intergenic breakpoint: ('CRBN,LRRN1', {'CRBN', 'LRRN1'}). STAR-Fusion
    'CRBN^ENSG00000113851.15' is one gene: ('CRBN', {'CRBN', 'ENSG00000113851'})."""
    parts = text.split(separator)
    symbols = [_bare(part) for part in parts] if separator == "," else [_bare(parts[0])]
    return ",".join(symbols), {_bare(part).split(".")[0].upper() for part in parts if _bare(part)}


def _bare(part: str) -> str:
    """A gene without Arriba's distance to the breakpoint: 'CRBN(1234)' -> 'CRBN'."""
    return part.split("(")[0].strip()


def _breakpoint(name: str, number: int, text: str) -> str:
    """'22:23632600' (Arriba) or 'chr17:35479453:-' (STAR-Fusion, with the gene's strand) -> '22:23632600'."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not (parts[1].isascii() and parts[1].isdigit()):
        raise ParseError(name, number, f"breakpoint {text!r} is not chromosome:position", "e.g. 22:23632600")
    return f"{normalise_chrom(parts[0])}:{int(parts[1])}"


def _count(name: str, number: int, column: str, text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ParseError(name, number, f"{column} {text!r} is not a whole number", f"a read count in {column}")
    return int(text)
