"""Splice-junction counts: STAR SJ.out.tab and regtools `junctions extract` BED12. Pure Python, no Django.

Only junctions with an end inside the (padded) CRBN gene are kept; the exon-10 skip fraction is computed from
them (domain/CRBN.md section 4, operational definition). Neither format states its genome build: the result's
build is None and the sample's build applies.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..crbn import BUILDS, CRBN_GENE, EXON10_JUNCTIONS, Interval, loci_of_interest, normalise_chrom
from .facts import JunctionCount, ParseError, ParseOptions, ParseResult
from .reader import LineSource, Progress, decode

KIND = "junctions"
STAR = "STAR SJ.out.tab"
REGTOOLS = "regtools junctions BED12"
COLUMNS = {STAR: 9, REGTOOLS: 12}
EXPECTED = {
    STAR: "9 tab-separated columns (chrom, intron start, intron end, strand, motif, annotated, unique reads, "
    "multi-mapping reads, max overhang)",
    REGTOOLS: "12 tab-separated BED12 columns (chrom, start, end, name, score, strand, thickStart, thickEnd, "
    "rgb, 2, blockSizes, blockStarts)",
}
SUPPORTED = "STAR SJ.out.tab or regtools junctions extract BED12"
STAR_STRANDS = {"0": ".", "1": "+", "2": "-"}
BED_STRANDS = {"+": "+", "-": "-", "?": ".", ".": "."}
RMATS_HEADER = ("ID", "GeneID", "geneSymbol", "chr", "strand", "exonStart_0base")


@dataclass(frozen=True)
class Exon10Counts:
    """Unique reads over the three junctions that tell exon-10 inclusion from skipping."""

    skip_reads: int
    inclusion_downstream_reads: int
    inclusion_upstream_reads: int


def sniff(head: list[str], filename: str) -> str | None:
    """The dialect when the first data lines all look like one of the two formats."""
    rows = [line.split("\t") for line in head if line.strip() and not _is_bed_header(line)][:20]
    if not rows:
        return None
    for dialect in (STAR, REGTOOLS):
        if all(_looks_like(dialect, fields) for fields in rows):
            return dialect
    return None


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    loci: Iterable[Interval] | None = None,
) -> ParseResult:
    """Keep the junctions with an end in ``loci`` (default: padded CRBN in the sample's build, or in both)."""
    kept_loci = tuple(loci) if loci is not None else _crbn_loci(options.expected_build)
    result: ParseResult | None = None
    for number, fields in _rows(source, progress):
        if result is None:
            result = ParseResult(kind=KIND, dialect=_dialect(source.name, number, fields))
        junction = _junction(result.dialect, source.name, number, fields)
        result.records_read += 1
        if any(locus.contains(junction.chrom, end) for locus in kept_loci for end in _ends(junction)):
            result.junctions.append(junction)
    if result is None:
        raise ParseError(source.name, None, "the file is empty", SUPPORTED)
    result.build_evidence = "not stated by the file: the sample's build applies"
    return result


def exon10_counts(junctions: Iterable[JunctionCount], build: str) -> Exon10Counts:
    """Sum the reads of the skip and the two inclusion junctions of this build, whatever the strand column says
    (unstranded libraries write strand 0 or '?'; the same intron counted on two strands is one event)."""
    introns = EXON10_JUNCTIONS[build]
    chrom = CRBN_GENE[build].chrom
    totals = {introns.skip: 0, introns.inclusion_downstream: 0, introns.inclusion_upstream: 0}
    for junction in junctions:
        intron = (junction.intron_start, junction.intron_end)
        if normalise_chrom(junction.chrom) == chrom and intron in totals:
            totals[intron] += junction.reads
    return Exon10Counts(totals[introns.skip], totals[introns.inclusion_downstream], totals[introns.inclusion_upstream])


def skip_fraction(counts: Exon10Counts) -> float | None:
    """skip / (skip + mean of the two inclusion junctions), CRBN.md's operational definition; None without reads.

    The inclusion junctions are averaged because each included transcript crosses both, once each."""
    inclusion = (counts.inclusion_downstream_reads + counts.inclusion_upstream_reads) / 2
    total = counts.skip_reads + inclusion
    return counts.skip_reads / total if total > 0 else None


def _crbn_loci(build: str | None) -> tuple[Interval, ...]:
    # Without the sample's build, keep CRBN in either build: the other build's span only adds junctions of the
    # neighbouring TRNT1, and exon10_counts matches the exact introns of the build it is given.
    builds = (build,) if build in BUILDS else BUILDS
    return tuple(loci_of_interest(each)["CRBN"] for each in builds)


def _ends(junction: JunctionCount) -> tuple[int, int]:
    return junction.intron_start, junction.intron_end


def _rows(source: LineSource, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    for number, raw in source.lines(progress):
        text = decode(source.name, number, raw)
        if text.strip() and not _is_bed_header(text):
            yield number, text.split("\t")


def _is_bed_header(line: str) -> bool:
    return line.startswith(("#", "track ", "browser "))


def _dialect(name: str, number: int, fields: list[str]) -> str:
    """Decided by the first data line; every later line must have the same shape."""
    if tuple(fields[: len(RMATS_HEADER)]) == RMATS_HEADER:
        problem = "rMATS event files without counts are not supported"
        if any(field.startswith("IJC_SAMPLE") for field in fields):
            problem = "rMATS count tables are not supported (they count events, not junctions)"
        raise ParseError(name, number, problem, SUPPORTED)
    for dialect, columns in COLUMNS.items():
        if len(fields) == columns:
            return dialect
    raise ParseError(name, number, f"the line has {len(fields)} columns", SUPPORTED)


def _junction(dialect: str, name: str, number: int, fields: list[str]) -> JunctionCount:
    if len(fields) != COLUMNS[dialect]:
        raise ParseError(name, number, f"the line has {len(fields)} columns", EXPECTED[dialect])
    junction = _star(name, number, fields) if dialect == STAR else _regtools(name, number, fields)
    if not 0 < junction.intron_start <= junction.intron_end:
        problem = f"the intron {junction.intron_start}-{junction.intron_end} is empty or before the contig start"
        raise ParseError(name, number, problem, "a first intronic base at or before the last")
    return junction


def _star(name: str, number: int, fields: list[str]) -> JunctionCount:
    """Columns 2-3 are already the 1-based first and last intronic bases; column 7 counts unique reads."""
    strand = fields[3]
    if strand not in STAR_STRANDS:
        raise ParseError(name, number, f"strand {strand!r} is not 0, 1 or 2", EXPECTED[STAR])
    start, end = _integer(name, number, fields[1], "intron start"), _integer(name, number, fields[2], "intron end")
    reads = _integer(name, number, fields[6], "unique reads")
    return JunctionCount(normalise_chrom(fields[0]), start, end, reads, number, STAR_STRANDS[strand])


def _regtools(name: str, number: int, fields: list[str]) -> JunctionCount:
    """The junction is the gap between the two blocks (anchors). BED is 0-based half-open, so the first block
    ends at the 0-based base start + size - 1, making the 1-based first intronic base start + size + 1; the
    second block's 0-based first base, start + offset, is the 1-based last intronic base. regtools computes
    start + size and start + offset from the read's 0-based CIGAR walk (junctions_extractor.cc)."""
    strand = fields[5]
    if strand not in BED_STRANDS:
        raise ParseError(name, number, f"strand {strand!r} is not +, -, ? or .", EXPECTED[REGTOOLS])
    start = _integer(name, number, fields[1], "start")
    sizes, offsets = _blocks(name, number, fields[9:12])
    reads = _integer(name, number, fields[4], "score (reads)")
    return JunctionCount(
        normalise_chrom(fields[0]), start + sizes[0] + 1, start + offsets[1], reads, number, BED_STRANDS[strand]
    )


def _blocks(name: str, number: int, fields: list[str]) -> tuple[list[int], list[int]]:
    count, sizes, offsets = fields
    expected = "blockCount 2, two blockSizes and two blockStarts, the first 0"
    if count != "2":
        raise ParseError(name, number, f"blockCount is {count!r}", expected)
    parsed = [
        [_integer(name, number, part, "block") for part in text.rstrip(",").split(",")] for text in (sizes, offsets)
    ]
    if len(parsed[0]) != 2 or len(parsed[1]) != 2 or parsed[1][0] != 0:
        raise ParseError(name, number, f"blocks {sizes!r} at {offsets!r} do not describe one junction", expected)
    return parsed[0], parsed[1]


def _integer(name: str, number: int, text: str, column: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ParseError(name, number, f"{column} {text!r} is not a whole number", f"a non-negative integer {column}")
    return int(text)


def _looks_like(dialect: str, fields: list[str]) -> bool:
    if len(fields) != COLUMNS[dialect]:
        return False
    if dialect == STAR:
        return fields[3] in STAR_STRANDS and all(field.isdigit() for field in fields[1:])
    return (
        fields[5] in BED_STRANDS
        and fields[9] == "2"
        and all(field.isdigit() for field in (fields[1], fields[2], fields[4]))
    )
