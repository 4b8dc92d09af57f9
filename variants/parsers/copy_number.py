"""Copy-number segments: CNVkit, GATK, IGV/DNAcopy .seg, FACETS, ASCAT and PCGR tables. Pure Python, no Django.

Every format is a tab-separated table with one header line; what differs is the column names, the coordinate
base and which copy-number measure the caller writes. A ``Layout`` maps each format's column names to roles, so
one reader serves all of them. Only segments overlapping a kept gene (variants.crbn.loci_of_interest) are stored,
one fact per gene overlapped; every row is still validated, so a malformed file is refused rather than half read.
"""

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..crbn import BUILDS, Interval, build_from_chr3_length, build_from_name, loci_of_interest, normalise_chrom
from .facts import CopyNumberSegment, ParseError, ParseOptions, ParseResult
from .reader import LineSource, Progress, decode

KIND = "copy_number"
Loci = tuple[tuple[str, Interval], ...]
Lines = Iterator[tuple[int, str]]

LOG2_SOURCE = "log2 (diploid assumption)"
LOG2_WARNING = (
    "copy number estimated from the log2 ratio as 2 x 2^log2, rounded (assumes a diploid, pure tumour): "
    "treat it as approximate"
)
UNKNOWN_BUILD_NOTE = (
    "the build is stated neither by the file nor by the uploader: calls overlapping a kept gene in either "
    "GRCh37 or GRCh38 were kept"
)
MISSING_VALUES = {"", "na", "nan", ".", "none", "null"}
MAX_LOG2 = 30.0  # 2^31 copies
MAX_LEADING_JUNK = 5  # lines before the header that are neither comments nor SAM header (e.g. an R warning)


@dataclass(frozen=True)
class Layout:
    """One format's columns: role -> accepted header names (lower case). ``required`` roles identify the format."""

    dialect: str
    required: Mapping[str, tuple[str, ...]]
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    zero_based: bool = False  # CNVkit writes BED-style 0-based starts
    numbered_sex_chroms: bool = False  # FACETS writes X as 23 and Y as 24


POSITION = {"start": ("start",), "end": ("end",)}
GATK_PROBES = {"probes": ("num_points_copy_ratio",)}
# Order matters: the first layout whose required columns are all present wins, so the stricter ones come first.
LAYOUTS = (
    Layout(
        "GATK CallCopyRatioSegments .seg",
        {"chrom": ("contig",), **POSITION, "log2": ("mean_log2_copy_ratio",), "call": ("call",)},
        GATK_PROBES,
    ),
    Layout(
        "GATK ModelSegments .seg",
        {"chrom": ("contig",), **POSITION, "log2": ("mean_log2_copy_ratio", "log2_copy_ratio_posterior_50")},
        GATK_PROBES,
    ),
    Layout(
        "CNVkit .cns",
        {"chrom": ("chromosome",), **POSITION, "gene": ("gene",), "log2": ("log2",), "probes": ("probes",)},
        {"cn": ("cn",), "major": ("cn1",), "minor": ("cn2",)},
        zero_based=True,
    ),
    Layout(
        "CNVkit .cnr",
        {"chrom": ("chromosome",), **POSITION, "gene": ("gene",), "log2": ("log2",)},
        {"cn": ("cn",), "major": ("cn1",), "minor": ("cn2",)},
        zero_based=True,
    ),
    Layout(
        "FACETS cncf",
        {"chrom": ("chrom",), **POSITION, "tcn": ("tcn.em", "tcn")},
        {"lcn": ("lcn.em", "lcn"), "probes": ("num.mark",)},
        numbered_sex_chroms=True,
    ),
    Layout(
        "ASCAT segments",
        {"sample": ("sample",), "chrom": ("chr",), "start": ("startpos",), "end": ("endpos",)}
        | {"major": ("nmajor",), "minor": ("nminor",)},
    ),
    Layout(
        "PCGR allele-specific CNA",
        {"chrom": ("chromosome",), **POSITION, "major": ("nmajor",), "minor": ("nminor",)},
    ),
    Layout(
        "IGV/DNAcopy .seg",
        {
            "chrom": ("chrom", "chromosome"),
            "start": ("loc.start", "start"),
            "end": ("loc.end", "end"),
            "log2": ("seg.mean", "segment_mean", "mean"),
        },
        # Without a sample column this is also PCGR's older log2 input (Chromosome Start End Segment_Mean).
        {"sample": ("id", "sample", "samplename"), "probes": ("num.mark", "num_probes", "nbrofloci")},
    ),
)
SUPPORTED = "; ".join(
    f"{layout.dialect} ({' '.join(names[0] for names in layout.required.values())})" for layout in LAYOUTS
)


@dataclass
class Preamble:
    """What precedes the data rows: SAM-style header lines, the column header, and lines skipped on the way."""

    sam_lines: list[tuple[int, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    header_line: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Columns:
    """The layout matched by a header and where each role's column is (index and the name as written)."""

    layout: Layout
    index: dict[str, int]
    names: dict[str, str]
    width: int


@dataclass
class Collected:
    """Kept segments per sample: a multi-sample .seg is only resolved once every sample has been seen."""

    by_sample: dict[str, list[CopyNumberSegment]] = field(default_factory=dict)
    estimated: bool = False
    shifted: bool = False


def sniff(head: list[str], filename: str) -> str | None:
    """The dialect when the header line (after any SAM header, comments and stray lines) matches a layout."""
    try:
        preamble = _read_preamble(filename, iter(enumerate(head, start=1)))
    except ParseError:
        return None
    layout = _complete_layout(preamble.header)
    return layout.dialect if layout else None


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    loci: Mapping[str, Interval] | None = None,
) -> ParseResult:
    """Keep the segments overlapping ``loci`` (default: the kept genes of the file's build, else the sample's)."""
    lines = _decoded(source, progress)
    preamble = _read_preamble(source.name, lines)
    columns = _columns(source.name, preamble)
    build, evidence = build_from_sam_header(source.name, preamble.sam_lines)
    kept, note = select_loci(build, options, loci)
    result = ParseResult(kind=KIND, dialect=columns.layout.dialect, build=build, build_evidence=evidence)
    result.warnings.extend(preamble.warnings + ([note] if note else []))
    collected = Collected()
    for number, text in lines:
        if text.strip():
            result.records_read += 1
            _collect(source.name, number, text, columns, kept, collected)
    _finish(source.name, result, collected, options)
    return result


def select_loci(build: str | None, options: ParseOptions, loci: Mapping[str, Interval] | None) -> tuple[Loci, str]:
    """The gene spans to keep, and a note when the build is unknown and both builds' spans are used.

    The uploader's build stands in for a file that does not state one: it is what ingest will apply anyway.
    """
    if loci is not None:
        return tuple(loci.items()), ""
    chosen = build or build_from_name(options.expected_build or "")
    if chosen in BUILDS:
        return tuple(loci_of_interest(chosen).items()), ""
    return tuple(item for each in BUILDS for item in loci_of_interest(each).items()), UNKNOWN_BUILD_NOTE


def genes_overlapping(loci: Loci, chrom: str, start: int, end: int) -> list[str]:
    """Each kept gene once, even when both builds' spans of it are in ``loci``. ``chrom`` is already normalised:
    comparing it directly, rather than through Interval.overlaps, halves the time spent on a whole-genome file."""
    hits = (gene for gene, span in loci if span.chrom == chrom and start <= span.end and end >= span.start)
    return list(dict.fromkeys(hits))


def build_from_sam_header(name: str, sam_lines: list[tuple[int, str]]) -> tuple[str | None, str]:
    """The build from @SQ lines: chr3's LN, else an AS or UR tag naming an assembly. Conflicts are errors."""
    found: list[tuple[str, str]] = []
    for number, text in sam_lines:
        for build, evidence in _sq_evidence(name, number, text):
            if found and build != found[0][0]:
                raise ParseError(name, number, f"{evidence} contradicts {found[0][1]}", "one genome build")
            found.append((build, evidence))
    return found[0] if found else (None, "")


def _sq_evidence(name: str, number: int, text: str) -> Iterator[tuple[str, str]]:
    if not text.startswith("@SQ"):
        return
    tags = dict(tag.split(":", 1) for tag in text.split("\t")[1:] if ":" in tag)
    length = tags.get("LN", "")
    if normalise_chrom(tags.get("SN", "")) == "3":
        if not length.isdecimal():
            raise ParseError(name, number, f"@SQ LN:{length} is not a length", "LN:<whole number>")
        if build := build_from_chr3_length(int(length)):
            yield build, f"@SQ SN:{tags['SN']} LN:{length}"
    for tag in ("AS", "UR"):
        if build := build_from_name(tags.get(tag, "")):
            yield build, f"@SQ {tag}:{tags[tag]}"


def _decoded(source: LineSource, progress: Progress | None) -> Lines:
    for number, raw in source.lines(progress):
        yield number, decode(source.name, number, raw)


def _read_preamble(name: str, lines: Lines) -> Preamble:
    """Consume lines up to and including the column header: the first line with at least three tab fields."""
    preamble = Preamble()
    for number, text in lines:
        fields = _fields(text)
        if text.startswith("@"):
            preamble.sam_lines.append((number, text))
        elif len(fields) >= 3:
            preamble.header = [column.lstrip("#").strip().lower() for column in fields]
            preamble.header_line = number
            return preamble
        elif text.strip() and not text.startswith("#"):
            _skip_stray_line(name, number, text, preamble)
    if preamble.sam_lines or preamble.warnings:
        raise ParseError(name, None, "no tab-separated column header was found", SUPPORTED)
    raise ParseError(name, None, "the file is empty", SUPPORTED)


def _skip_stray_line(name: str, number: int, text: str, preamble: Preamble) -> None:
    # R scripts print console warnings into redirected output; a line or two of that is noise, more is not a table.
    if len(preamble.warnings) >= MAX_LEADING_JUNK:
        raise ParseError(name, number, "too many lines that are not a tab-separated header", SUPPORTED)
    preamble.warnings.append(f"line {number} skipped before the header: {text.strip()[:80]!r}")


def _fields(text: str) -> list[str]:
    """Tab-separated fields, each without surrounding whitespace or the double quotes R's write.table adds."""
    fields = [cell.strip() for cell in text.split("\t")]
    return [f[1:-1] if len(f) >= 2 and f[0] == f[-1] == '"' else f for f in fields]


def _complete_layout(header: list[str]) -> Layout | None:
    return next((layout for layout in LAYOUTS if not _missing(layout, header)), None)


def _missing(layout: Layout, header: list[str]) -> list[str]:
    return [names[0] for names in layout.required.values() if not any(name in header for name in names)]


def _columns(name: str, preamble: Preamble) -> Columns:
    """Where each role's column is; a header matching no layout names the closest one and what it lacks."""
    header = preamble.header
    layout = _complete_layout(header)
    if layout is None:
        closest = min(LAYOUTS, key=lambda each: len(_missing(each, header)))
        missing = ", ".join(_missing(closest, header))
        problem = f"the header matches no copy-number format; the closest, {closest.dialect}, lacks {missing}"
        expected = "columns " + " ".join(names[0] for names in closest.required.values())
        raise ParseError(name, preamble.header_line, problem, expected)
    index, names = {}, {}
    for role, aliases in {**layout.required, **layout.optional}.items():
        found = next((alias for alias in aliases if alias in header), None)
        if found is not None:
            index[role], names[role] = header.index(found), found
    return Columns(layout, index, names, len(header))


def _collect(name: str, number: int, text: str, columns: Columns, kept: Loci, collected: Collected) -> None:
    fields = _aligned(name, number, _fields(text), columns, collected)
    sample = fields[columns.index["sample"]] if "sample" in columns.index else ""
    segments = collected.by_sample.setdefault(sample, [])
    chrom = _chrom(fields[columns.index["chrom"]], columns.layout)
    start, end = _position(name, number, fields, columns)
    values = _measures(name, number, fields, columns)
    for gene in genes_overlapping(kept, chrom, start, end):
        segment = _segment(gene, chrom, start, end, number, values, columns.names)
        collected.estimated |= segment.source == LOG2_SOURCE
        segments.append(segment)


def _segment(
    gene: str, chrom: str, start: int, end: int, number: int, values: dict[str, float], names: dict[str, str]
) -> CopyNumberSegment:
    copy_number, major, minor, source = _copy_number(values, names)
    return CopyNumberSegment(
        gene=gene,
        chrom=chrom,
        start=start,
        end=end,
        line=number,
        copy_number=copy_number,
        log2_ratio=values.get("log2"),
        major_cn=major,
        minor_cn=minor,
        probes=_whole(values.get("probes")),
        source=source,
    )


def _aligned(name: str, number: int, fields: list[str], columns: Columns, collected: Collected) -> list[str]:
    """The row's fields lined up with the header. R's write.table with row names writes one header field less
    than each row: that extra leading field is dropped."""
    if len(fields) == columns.width + 1:
        collected.shifted = True
        return fields[1:]
    if len(fields) != columns.width:
        problem = f"the row has {len(fields)} fields but the header has {columns.width}"
        raise ParseError(name, number, problem, "one tab-separated value per header column")
    return fields


def _chrom(text: str, layout: Layout) -> str:
    if layout.numbered_sex_chroms:
        text = {"23": "X", "24": "Y"}.get(text, text)
    return normalise_chrom(text)


def _position(name: str, number: int, fields: list[str], columns: Columns) -> tuple[int, int]:
    """1-based inclusive start and end."""
    start = _integer(name, number, columns.names["start"], fields[columns.index["start"]])
    end = _integer(name, number, columns.names["end"], fields[columns.index["end"]])
    if columns.layout.zero_based:
        start += 1
    if end < start:
        raise ParseError(name, number, f"the segment ends ({end}) before it starts ({start})", "end >= start")
    return start, end


def _integer(name: str, number: int, column: str, text: str) -> int:
    """A coordinate; R may print large whole numbers in exponent form (1e+05), which is accepted."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value.is_integer() or value < 0:
        raise ParseError(name, number, f"column {column} is {text!r}", "a whole number")
    return int(value)


def _measures(name: str, number: int, fields: list[str], columns: Columns) -> dict[str, float]:
    """The numeric roles present in this row, checked on every row; NA and empty cells are left out."""
    values: dict[str, float] = {}
    for role in ("log2", "cn", "tcn", "lcn", "major", "minor", "probes"):
        if role in columns.index and fields[columns.index[role]].lower() not in MISSING_VALUES:
            text = fields[columns.index[role]]
            values[role] = _number(name, number, columns.names[role], text, role)
    return values


def _number(name: str, number: int, column: str, text: str, role: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ParseError(name, number, f"column {column} is {text!r}", "a number or NA") from None
    # A log2 ratio may be negative, and -inf where depth is zero; counts and copy numbers are neither. No real
    # log2 ratio reaches MAX_LOG2, and a larger one would overflow the copy-number estimate.
    plausible = value <= MAX_LOG2 if role == "log2" else 0 <= value < math.inf
    if not plausible:
        expected = f"a log2 ratio up to {MAX_LOG2}" if role == "log2" else "a finite number, not negative"
        raise ParseError(name, number, f"column {column} is {text!r}", expected)
    return value


def _copy_number(values: dict[str, float], names: dict[str, str]) -> tuple[float | None, int | None, int | None, str]:
    """(total, major, minor, source): the caller's absolute copy number when it wrote one, else the log2 estimate."""
    if "cn" in values:
        return values["cn"], _whole(values.get("major")), _whole(values.get("minor")), "cn"
    if "tcn" in values:
        minor = _whole(values.get("lcn"))
        major = None if minor is None else _whole(values["tcn"] - minor)
        return values["tcn"], major, minor, names["tcn"]
    if "major" in values and "minor" in values:
        return values["major"] + values["minor"], _whole(values["major"]), _whole(values["minor"]), "nMajor+nMinor"
    if "log2" in values:
        return float(math.floor(2 * 2 ** values["log2"] + 0.5)), None, None, LOG2_SOURCE
    return None, None, None, ""


def _whole(value: float | None) -> int | None:
    return None if value is None else round(value)


def _finish(name: str, result: ParseResult, collected: Collected, options: ParseOptions) -> None:
    sample, reason = _choose_sample(name, list(collected.by_sample), options, result.warnings)
    result.tumour_sample, result.tumour_sample_reason = sample, reason
    result.segments = collected.by_sample.get(sample, [])
    if collected.estimated:
        result.warnings.append(LOG2_WARNING)
    if collected.shifted:
        result.warnings.append("rows have one field more than the header (R row names): the first was ignored")
    if not result.records_read:
        result.warnings.append("the file has a header but no segments")


def _choose_sample(name: str, samples: list[str], options: ParseOptions, warnings: list[str]) -> tuple[str, str]:
    """The tumour's rows: the uploader names one when the file holds several; never the first by default."""
    wanted = options.tumour_sample
    if wanted and wanted in samples:
        return wanted, "chosen by the uploader"
    if len(samples) > 1:
        problem = f"sample {wanted!r} is not in the file" if wanted else f"the file holds {len(samples)} samples"
        raise ParseError(name, None, problem, "the tumour sample chosen from: " + ", ".join(samples))
    only = samples[0] if samples else ""
    if wanted and only:
        warnings.append(f"the uploader named sample {wanted!r} but the file's only sample is {only!r}")
    return only, "the only sample in the file" if only else ""
