"""Small-variant VCF (4.1-4.3) from somatic and germline callers, reduced to the kept loci. Pure Python.

Speed (DESIGN.md, "Known pitfalls"): a whole genome holds millions of records and only a few hundred fall in the
loci, so a record is judged on its CHROM bytes and POS before it is decoded or split. In a bgzip file the
reader's inflating threads also sieve each chunk (vcf_sieve: numpy, without the GIL) and the scan reads only the
lines picked; elsewhere runs of records that need nothing are skipped by regular expressions over whole blocks
of lines, at C speed. A sorted file is read no further than its last locus, and a sorted bgzip file only in the
blocks that can hold a locus (bgzf_skip): those blocks go through the same per-line rules. With a tabix (.tbi) or
CSI index beside the file, or given, and checked against the file, the loci are read by region queries instead of
a scan. Records outside the loci are counted where they are read, never validated or kept.
"""

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pysam

from variants import crbn

from .annotation import Annotator
from .bgzf_skip import BlockSkipper, NotSkippable, Window
from .facts import ParseError, ParseOptions, ParseResult, SmallVariant
from .reader import LineSource, LineStream, Progress, bgzf_last_line, decode
from .vcf_header import (
    FieldDef,
    SampleChoice,
    VcfHeader,
    choose_tumour_sample,
    header_from_head,
    listing,
    read_header,
    resolve_build,
    structured,
)
from .vcf_sieve import ChunkSieve, Sieved

# The prefilter sees only POS, not REF: a deletion starting this far left of a locus may still reach into it.
MAX_REF_LENGTH = 1_000
# A smaller bgzip file is scanned whole rather than read by skipping blocks: a scan reads it in a fraction of a
# second (about 200 MB a second), and keeps every row's line number, which a skip loses.
SKIP_MIN_BYTES = 16 << 20
_CALLER_META = {
    "DeepVariant_version": "DeepVariant VCF",
    "DRAGENVersion": "DRAGEN VCF",
    "DRAGENCommandLine": "DRAGEN VCF",
    "bcftools_callVersion": "bcftools VCF",
    "samtoolsVersion": "bcftools VCF",
}
_CALLER_SOURCES = (("vardict", "VarDict VCF"), ("varscan", "VarScan2 VCF"), ("freebayes", "FreeBayes VCF"))
_GERMLINE_FILTERS = {"germline", "germline_risk"}
_FRACTIONS = ("AF", "VAF", "FA", "FREQ", "VF")  # a caller's own allele-fraction field, in order of preference


@dataclass(frozen=True)
class Region:
    chrom: str  # normalised, without "chr"
    start: int
    end: int
    gene: str


class Reads(NamedTuple):  # a tuple, not a frozen dataclass: built twice per kept record, at a third of the cost
    vaf: float | None = None
    vaf_source: str = ""
    depth: int | None = None
    alt_count: int | None = None


_NO_READS = Reads()


def sniff(head: list[str], filename: str) -> str | None:
    """A small-variant VCF's dialect; None for other files and for structural-variant VCFs (SVTYPE with CIPOS or
    MATEID: Strelka declares SVTYPE for its indels too)."""
    if not head or not head[0].startswith("##fileformat=VCF"):
        return None
    header = header_from_head(filename, head)
    return None if "SVTYPE" in header.info and {"CIPOS", "MATEID"} & set(header.info) else dialect(header)


def dialect(header: VcfHeader) -> str:
    """Which caller wrote the file, from its ##source, version and command-line lines and FORMAT fields."""
    sources = " ".join(header.sources).lower()
    commands = {structured(value).get("ID", "") for value in header.values("GATKCommandLine")}
    if "mutect2" in sources or "Mutect2" in commands or header.values("MutectVersion"):
        return "Mutect2 VCF"
    if "MuTect" in commands:
        return "MuTect VCF"
    if "strelka" in sources or {"TAR", "TIR", "AU"} <= set(header.formats):
        return _strelka_dialect(header)
    for word, name in _CALLER_SOURCES:
        if word in sources:
            return name
    for key, name in _CALLER_META.items():
        if header.values(key):
            return name
    return _dialect_from_formats(header)


def _strelka_dialect(header: VcfHeader) -> str:
    """Strelka2 starts at version 2.5; Strelka 1 workflows wrote versions 2.0.x."""
    version = re.match(r"(\d+)\.(\d+)", header.first("source_version"))
    return "Strelka2 VCF" if version and (int(version[1]), int(version[2])) >= (2, 5) else "Strelka VCF"


def _dialect_from_formats(header: VcfHeader) -> str:
    formats = set(header.formats)
    if {"ALD", "ADJAF"} & formats:
        return "VarDict VCF"
    if {"FREQ", "RD"} <= formats:
        return "VarScan2 VCF"
    if "VF" in formats:
        return "Illumina VCF"
    return "VCF"


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    loci: Mapping[str, crbn.Interval] | None = None,
    index: Path | None = None,
) -> ParseResult:
    """Kept records of the tumour sample. ``loci`` (gene -> interval) defaults to the build's loci of interest;
    ``index`` is a .tbi/.csi path, else one beside the file is used when present, once checked against the file
    (index_problem); one that does not match is ignored with a warning and the file is read without it. A file read
    through its index or by skipping blocks says so in a warning: its records_read counts what was read."""
    index_path = (index or _index_beside(source)) if source.compressed else None
    with _IndexOpening(source.path, index_path) as opening, source.open(progress) as stream:
        header = read_header(source.name, stream.lines())
        result, records = _start(source, header, options, loci)
        indexed = index_path is not None and _read_indexed(records, opening, index_path, result)
        if indexed or records.skip_scan(progress):
            if progress is not None:
                progress(records.records_read, source.size)
        else:
            records.scan(stream)
    return records.fill(result)


def _start(
    source: LineSource, header: VcfHeader, options: ParseOptions, loci: Mapping[str, crbn.Interval] | None
) -> tuple[ParseResult, "_Records"]:
    """The result's description of the file, and the reader of its records."""
    build = resolve_build(header, options)
    choice = choose_tumour_sample(header, options)
    result = ParseResult("small_variants", dialect(header), build.build, build.evidence, choice.tumour, choice.reason)
    result.warnings += [build.warning] if build.warning else []
    regions = _regions(loci if loci is not None else crbn.loci_of_interest(build.build or ""))
    return result, _Records(source, header, choice, build.build or "", regions)


def _read_indexed(records: "_Records", opening: "_IndexOpening", index_path: Path, result: ParseResult) -> bool:
    """Region queries through the index; False (and a warning) when it cannot be used or does not match the
    file, so the file is read without it."""
    try:
        tabix = opening.tabix()
        problem = index_problem(tabix, records.source.path, records.header)
        if problem is None:
            records.fetch(tabix, index_path)
    except (OSError, ValueError) as error:
        problem = f"could not be used ({error})"
    if problem is not None:
        records.reset()
        result.warnings.append(f"the index {index_path.name} {problem}; the file was read without it")
        return False
    return True


def index_mismatch(source: LineSource, index_path: Path) -> str | None:
    """What is wrong with an index for this file (as a parse would warn: "does not match the file: ...",
    "could not be used (...)"), or None when a parse would read the file through it."""
    try:
        with pysam.TabixFile(str(source.path), index=str(index_path), encoding="utf-8") as tabix:
            with source.open() as stream:
                header = read_header(source.name, stream.lines())
            return index_problem(tabix, source.path, header)
    except (OSError, ValueError, ParseError) as error:
        return f"could not be used ({error})"


def index_problem(tabix: pysam.TabixFile, path: Path, header: VcfHeader) -> str | None:
    """Why a tabix/CSI index does not describe this bgzip file, or None. An index names the contigs it has records
    on, which the header must list; and it must find the file's last record, read from the file's last blocks. An
    index of another file, or of another version of this one (records added, removed or moved), fails one or the
    other, so it is never trusted silently."""
    unknown = [name for name in tabix.contigs if header.contigs and name not in header.contigs]
    if unknown:
        return f"does not match the file: it names contigs the header does not list ({listing(unknown)})"
    last = bgzf_last_line(path)
    fields = last.split(b"\t", 2) if last else []
    if len(fields) < 3 or not fields[1].isdigit():
        return "could not be checked: the file's last record could not be read"
    chrom, pos = fields[0].decode("utf-8", errors="replace"), int(fields[1])
    found = list(tabix.fetch(chrom, pos - 1, pos)) if chrom in tabix.contigs else []
    if last is None or last.decode("utf-8", errors="replace") not in found:
        return "does not match the file: it does not find the file's last record (an index of another file or version)"
    return None


class _IndexOpening:
    """The index of a file, loading in a thread from the start of the parse. Loading a whole genome's .tbi costs
    more than the region queries and the header together, and htslib releases the GIL while it loads, so the
    header is read meanwhile. Errors come out of ``tabix()``, as they would from opening it there."""

    def __init__(self, path: Path, index_path: Path | None) -> None:
        self._opened: pysam.TabixFile | Exception | None = None
        self._thread = threading.Thread(target=self._open, args=(path, index_path), name="tabix-open", daemon=True)
        if index_path is not None:
            self._thread.start()

    def __enter__(self) -> "_IndexOpening":
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.ident is not None:
            self._thread.join()
        if isinstance(self._opened, pysam.TabixFile):
            self._opened.close()

    def tabix(self) -> pysam.TabixFile:
        self._thread.join()
        if isinstance(self._opened, Exception):
            raise self._opened
        assert self._opened is not None  # the thread either opened it or kept the error
        return self._opened

    def _open(self, path: Path, index_path: Path) -> None:
        try:
            self._opened = pysam.TabixFile(str(path), index=str(index_path), encoding="utf-8")
        except Exception as error:  # handed to the parse's thread, which decides
            self._opened = error


def _index_beside(source: LineSource) -> Path | None:
    for suffix in (".tbi", ".csi"):
        candidate = source.path.with_name(source.path.name + suffix)
        if candidate.is_file():
            return candidate
    return None


def _regions(loci: Mapping[str, crbn.Interval]) -> dict[str, list[Region]]:
    regions: dict[str, list[Region]] = {}
    for gene, interval in loci.items():
        chrom = crbn.normalise_chrom(interval.chrom)
        regions.setdefault(chrom, []).append(Region(chrom, interval.start, interval.end, gene))
    return regions


class _Records:
    """The kept records of one file, read by a byte-prefiltered scan or by region queries."""

    def __init__(
        self, source: LineSource, header: VcfHeader, choice: SampleChoice, build: str, regions: dict[str, list[Region]]
    ) -> None:
        self.source, self.header, self.build, self.regions = source, header, build, regions
        self.tumour = header.columns.index(choice.tumour) if choice.tumour else None
        self.normal = header.columns.index(choice.normal) if choice.normal else None
        # Asked for every kept record: looked up once.
        self.columns, self.several_samples = len(header.columns), len(header.samples) > 1
        self.chroms: dict[str, str] = {}  # CHROM as written -> normalised
        self.annotator = Annotator(header.info)
        self.variants: list[SmallVariant] = []
        self.warnings: list[str] = []
        self.records_read = 0

    def reset(self) -> None:
        self.variants, self.warnings, self.records_read = [], [], 0

    def fill(self, result: ParseResult) -> ParseResult:
        result.small_variants, result.records_read = self.variants, self.records_read
        result.warnings += self.warnings
        return result

    # Scan ----------------------------------------------------------------------------------------------------

    def scan(self, stream: LineStream) -> None:
        """The hot loop, over blocks of whole lines (see _Scan). The stream's line count is kept current, so the
        reader's own errors name the right line. The reader's threads sieve each chunk as they inflate it."""
        scan = _Scan(self)
        stream.sieve = ChunkSieve(_windows(self.regions))
        for block, marks in stream.sieved_blocks():
            if marks is not None and isinstance(marks[0], Sieved):
                lines, stop = scan.sieved(block, stream.line + 1, marks[0], marks[1])
            else:
                lines, stop = scan.block(block, stream.line + 1)
            stream.line += lines
            if stop:
                break
        self.records_read = scan.count

    # Skipping blocks -----------------------------------------------------------------------------------------

    def skip_scan(self, progress: Progress | None) -> bool:
        """A sorted bgzip file read in its blocks that can hold a locus only (bgzf_skip), through the scan's
        per-line rules. False, with nothing kept, when the file cannot be read so: it is then scanned whole, which
        also gives any error the line number a skip cannot know."""
        worth_it = self.source.compressed and self.source.size >= SKIP_MIN_BYTES
        plan = _skip_plan(self.header, self.regions) if worth_it else None
        if plan is None:
            return False
        scan = _Scan(self)
        walked = None if progress is None else lambda offset: progress(scan.count, offset)
        header_lines, limits = self.header.header_line, self.source.limits
        try:
            with BlockSkipper(self.source.path, *plan, header_lines, limits, walked) as skipper:
                self._read_runs(skipper, scan)
        except (NotSkippable, ParseError):
            self.reset()
            return False
        self.records_read = scan.count
        if skipper.blocks_read < skipper.blocks_total:
            self.warnings.append(_skip_warning(skipper.blocks_read, skipper.blocks_total))
        return True

    def _read_runs(self, skipper: BlockSkipper, scan: "_Scan") -> None:
        number = self.header.header_line + 1
        for run in skipper.runs():
            scan.numbered = run.numbered
            lines, stop = scan.block(run.text, number)
            number += lines
            if stop:
                return

    def _chrom(self, number: int, raw: bytes, tab: int) -> str:
        if tab <= 0:
            raise ParseError(self.source.name, number, "the record has no tab-separated columns", self._expected())
        return crbn.normalise_chrom(raw[:tab].decode("utf-8", errors="replace"))

    def _near(self, spans: list[Region], pos_bytes: bytes, number: int) -> bool:
        if not pos_bytes.isdigit():
            raise ParseError(self.source.name, number, f"POS {pos_bytes[:20]!r} is not a position", "a whole number")
        pos = int(pos_bytes)
        return any(region.start - MAX_REF_LENGTH <= pos <= region.end for region in spans)

    # Index -----------------------------------------------------------------------------------------------------

    def fetch(self, tabix: pysam.TabixFile, index_path: Path) -> None:
        """One region query per locus, in the file's contig order so the variants come out as a scan gives them;
        the index gives no line numbers, so these variants carry line 0."""
        contigs = {crbn.normalise_chrom(name): (rank, name) for rank, name in enumerate(tabix.contigs)}
        regions = [region for spans in self.regions.values() for region in spans if region.chrom in contigs]
        seen: set[str] = set()
        for region in sorted(regions, key=lambda region: (contigs[region.chrom][0], region.start)):
            self._fetch_region(tabix, contigs[region.chrom][1], region, seen)
        self.warnings.append(
            f"read through the index {index_path.name}: line numbers are not known, so its rows name the index instead"
        )

    def _fetch_region(self, tabix: pysam.TabixFile, contig: str, region: Region, seen: set[str]) -> None:
        try:
            for text in tabix.fetch(contig, region.start - 1, region.end):
                if text not in seen:
                    seen.add(text)
                    self.records_read += 1
                    self._check_length(text)
                    self.record(0, text)
        except UnicodeDecodeError:
            where = f"{contig}:{region.start}-{region.end}"
            raise ParseError(self.source.name, None, f"a record in {where} is not UTF-8 text", "UTF-8") from None

    def _check_length(self, text: str) -> None:
        if len(text) > self.source.limits.max_line_bytes:
            limit = self.source.limits.max_line_bytes
            raise ParseError(self.source.name, None, f"a record is longer than the limit of {limit:,} bytes")

    # One record ----------------------------------------------------------------------------------------------

    def record(self, number: int, text: str) -> None:
        fields = text.split("\t")
        if len(fields) != self.columns:
            problem = f"the record has {len(fields)} columns"
            raise ParseError(self.source.name, number or None, problem, self._expected())
        chrom, pos_text, _, ref, alt_text, _, filters, info_text = fields[:8]
        pos = self._position(number, pos_text)
        region = self._region(self._normalised(chrom), pos, len(ref))
        if region is None:
            return
        context = _Context(self, number, fields, pos, region)
        alts, filters, info = alt_text.split(","), _filters(filters), _info(info_text)
        for index, alt in enumerate(alts):
            if _is_allele(alt):
                self.variants.append(context.variant(ref, alts, index, filters, info))

    def _position(self, number: int, text: str) -> int:
        if not text.isdigit():
            raise ParseError(self.source.name, number or None, f"POS {text[:20]!r} is not a position", "a whole number")
        return int(text)

    def _normalised(self, chrom: str) -> str:
        normalised = self.chroms.get(chrom)
        if normalised is None:
            normalised = self.chroms[chrom] = crbn.normalise_chrom(chrom)
        return normalised

    def _region(self, chrom: str, pos: int, ref_length: int) -> Region | None:
        end = pos + max(ref_length, 1) - 1
        for region in self.regions.get(chrom, ()):
            if pos <= region.end and end >= region.start:
                return region
        return None

    def _expected(self) -> str:
        return f"{len(self.header.columns)} tab-separated columns, as on the #CHROM line {self.header.header_line}"


class _Scan:
    """One scan's state. A run of records on the current chromosome that needs nothing (another chromosome than
    the loci's, or POS far from every locus) is skipped by one regular-expression match per 1,024 lines, at C
    speed, counting lines exactly; the line that ends a run (a new chromosome, a POS that may be near a locus,
    a malformed POS, an empty line) goes through the per-line rules. So the result, errors and line numbers are
    those of a line-by-line scan, in any record order, and a sorted file costs little more than inflating it."""

    MAX_PATTERNS = 4_096  # past this many chromosomes, compiling patterns would cost more than it saves

    def __init__(self, records: _Records) -> None:
        self.records, self.stop = records, _StopRule(records.header, records.regions)
        self.prefix, self.count = b"\x00", 0  # prefix: the CHROM field and its tab
        self.spans: list[Region] | None = None
        self.numbered = True  # False once blocks were skipped unread: the lines' numbers are then not known (0)
        self.runs: list[tuple[Callable[[bytes, int], re.Match[bytes] | None], int]] = []
        self.patterns: dict[bytes, list[tuple[Callable[[bytes, int], re.Match[bytes] | None], int]]] = {}

    def block(self, block: bytes, number: int) -> tuple[int, bool]:
        """(lines in the block, whether the scan has passed the last locus). ``number`` is its first line's."""
        first, pos, end = number, 0, len(block)
        while pos < end:
            pos, skipped = self._skip(block, pos)
            number, self.count = number + skipped, self.count + skipped
            if pos >= end:
                break
            eol = block.find(b"\n", pos)
            if self.line(number, block[pos:eol]):
                return number - first + 1, True
            number, pos = number + 1, eol + 1
        return number - first, False

    def sieved(self, block: bytes, number: int, sieved: Sieved, shift: int) -> tuple[int, bool]:
        """``block`` as the sieve saw it (its chunk starts at ``shift``): only the lines it picked go through the
        per-line rules, the others are counted. The first line, carried from the chunk before, is always read."""
        if self.line(number, block[: shift + sieved.first_end]):
            return 1, True
        done = 1  # lines of the block counted so far
        for index, start, end in sieved.picks:
            self.count += index - done
            if self.line(number + index, block[shift + start : shift + end]):
                return index + 1, True
            done = index + 1
        self.count += sieved.lines - done
        return sieved.lines, False

    def line(self, number: int, raw: bytes) -> bool:
        """The per-line rules: a record on the current chromosome costs one startswith; a new chromosome one dict
        lookup; POS is read only on the loci's chromosomes. True when the scan may stop."""
        records = self.records
        number = number if self.numbered else 0
        if not raw.startswith(self.prefix):
            if not raw:
                return False
            tab = raw.find(b"\t")
            self.prefix, chrom = raw[: tab + 1], records._chrom(number, raw, tab)
            self.spans = records.regions.get(chrom)
            self.runs = self._runs(self.prefix, self.spans)
            if self.stop.passed(chrom):
                self.count += 1
                return True
        self.count += 1
        if self.spans is not None and records._near(self.spans, _pos_bytes(raw, len(self.prefix) - 1), number):
            records.record(number, decode(records.source.name, number, raw))
        return False

    def _skip(self, block: bytes, pos: int) -> tuple[int, int]:
        skipped = 0
        for match, lines in self.runs:
            found = match(block, pos)
            while found:
                pos, skipped = found.end(), skipped + lines
                found = match(block, pos)
        return pos, skipped

    def _runs(self, prefix: bytes, spans: list[Region] | None) -> list[tuple[Callable[..., Any], int]]:
        if prefix not in self.patterns and len(self.patterns) < self.MAX_PATTERNS:
            line = _skippable_line(prefix, spans)
            runs = [(re.compile(b"(?:%s){%d}" % (line, n)).match, n) for n in (1024, 32)]
            self.patterns[prefix] = [*runs, (re.compile(line).match, 1)]
        return self.patterns.get(prefix, [])


def _skip_warning(read: int, total: int) -> str:
    """What the page says of a file read by skipping blocks, as it says of one read through its index."""
    return (
        f"read by skipping blocks: the file is sorted, so only the {read:,} of its {total:,} bgzip blocks that "
        "can hold a locus were read; records read counts the records in those blocks, and rows after the first "
        "skipped block have no line number"
    )


def _skip_plan(header: VcfHeader, regions: dict[str, list[Region]]) -> tuple[dict[bytes, int], list[Window]] | None:
    """What a block skip needs: each ##contig's rank in the header's order, and the locus windows by rank. None
    when a locus's chromosome is no ##contig of the header: nothing then says where its records are."""
    spans, windows, placed = _windows(regions), [], set()
    for rank, name in enumerate(header.contigs):
        chrom = crbn.normalise_chrom(name)
        if chrom in spans:
            windows += [(rank, low, high) for low, high in spans[chrom]]
            placed.add(chrom)
    if placed != set(spans):
        return None
    return {name.encode(): rank for rank, name in enumerate(header.contigs)}, windows


def _windows(regions: dict[str, list[Region]]) -> dict[str, list[tuple[int, int]]]:
    """The POS ranges the per-line rules must see, as _Records._near decides."""
    return {chrom: [(r.start - MAX_REF_LENGTH, r.end) for r in spans] for chrom, spans in regions.items()}


def _skippable_line(prefix: bytes, spans: list[Region] | None) -> bytes:
    """A record the scan may skip: on this chromosome and, where it holds loci, with a well-formed POS that no
    locus is near (leading zeros are left to the per-line check too)."""
    if spans is None:
        return re.escape(prefix) + rb"[^\n]*+\n"
    near = b"|".join([b"0", *(_decimal_range(max(r.start - MAX_REF_LENGTH, 1), r.end) for r in spans)])
    return re.escape(prefix) + rb"(?!" + near + rb")[0-9]++(?:\t[^\n]*+)?\n"


def _decimal_range(low: int, high: int) -> bytes:
    """A pattern matching every POS in [low, high] (and a few more, which the exact check then turns down): per
    number of digits, the common leading digits, a class for the next one, then the rest of the digits."""
    patterns = []
    for digits in range(len(str(low)), len(str(high)) + 1):
        lo, hi = str(max(low, 10 ** (digits - 1))), str(min(high, 10**digits - 1))
        common = next((lo[:i] for i in range(digits) if lo[i] != hi[i]), lo)
        if len(common) == digits:
            patterns.append(common)
        else:
            rest = digits - len(common) - 1
            patterns.append(f"{common}[{lo[len(common)]}-{hi[len(common)]}][0-9]{{{rest}}}")
    return b"|".join(pattern.encode() + rb"[\t\n]" for pattern in patterns)


class _Context:
    """What one kept record contributes, shared by its ALT alleles."""

    def __init__(self, records: _Records, number: int, fields: list[str], pos: int, region: Region) -> None:
        self.records, self.number, self.pos, self.region = records, number, pos, region
        keys = fields[8].split(":") if len(fields) > 8 else []
        self.tumour = _sample(keys, fields[records.tumour]) if records.tumour is not None else {}
        self.normal = _sample(keys, fields[records.normal]) if records.normal is not None else None

    def variant(self, ref: str, alts: list[str], index: int, filters: str, info: dict[str, str]) -> SmallVariant:
        records, alt, gene = self.records, alts[index], self.region.gene
        reads = self._reads(info, ref, alts, index)
        annotation = records.annotator.annotate(info, gene, ref, alts, alt)
        exon = annotation.exon or _crbn_exon(records.build, gene, self.pos, ref)
        if annotation.warning:
            records.warnings.append(f"{self._where()}: {annotation.warning}")
        needs_annotation = gene == "CRBN" and annotation.empty and self._flag_needs_annotation(exon, ref)
        return SmallVariant(
            gene=gene,
            chrom=self.region.chrom,
            pos=self.pos,
            ref=ref,
            alt=alt,
            filter=filters,
            line=self.number,
            vaf=reads.vaf,
            vaf_source=reads.vaf_source,
            depth=reads.depth,
            alt_count=reads.alt_count,
            transcript=annotation.transcript,
            hgvs_c=annotation.hgvs_c,
            hgvs_p=annotation.hgvs_p,
            consequence=annotation.consequence,
            exon=exon,
            protein_position=annotation.protein_position,
            needs_annotation=needs_annotation,
            normal_alt_count=self._normal_alt_count(ref, alts, index),
            germline_flag=_germline(filters, info, records.header.info, self.normal is not None),
        )

    def _flag_needs_annotation(self, exon: int | None, ref: str) -> bool:
        """Whether an unannotated CRBN variant is flagged as needing annotation: it touches an exon, or a canonical
        splice site (class A splice variants, CRBN.md section 4, which no exon number shows). A splice site is also
        named in the parse's warnings."""
        if exon is not None:
            return True
        site = _crbn_splice_site(self.records.build, self.pos, ref)
        if site is not None:
            self.records.warnings.append(
                f"{self._where()}: CRBN variant at the canonical {site}, without annotation: its effect on splicing "
                "is not known; annotate the file (e.g. VEP) and parse it again"
            )
        return site is not None

    def _reads(self, info: dict[str, str], ref: str, alts: list[str], index: int) -> Reads:
        records = self.records
        reads = _NO_READS
        if records.tumour is not None:
            reads = sample_reads(self.tumour, records.header.formats, ref, alts, index)
        if records.several_samples:
            return reads  # INFO then describes several samples together
        return _info_reads(reads, info, alts, index, sites_only=records.tumour is None)

    def _normal_alt_count(self, ref: str, alts: list[str], index: int) -> int | None:
        if self.normal is None:
            return None
        return _counts(self.normal, self.records.header.formats, ref, alts, index)[0]  # sample_reads' alt_count

    def _where(self) -> str:
        return f"line {self.number}" if self.number else f"record at {self.region.chrom}:{self.pos}"


# Read counts and allele fractions -----------------------------------------------------------------------------


def sample_reads(
    sample: dict[str, str], formats: Mapping[str, FieldDef], ref: str, alts: list[str], index: int
) -> Reads:
    """VAF, depth and ALT reads from whatever the caller wrote: its own fraction first, else read counts."""
    alt_count, total, count_source = _counts(sample, formats, ref, alts, index)
    fraction, fraction_source = _fraction(sample, formats, index, len(alts))
    depth = _int(sample.get("DP"))
    depth = total if depth is None else depth
    if fraction is None and alt_count is not None and total:
        fraction, fraction_source = alt_count / total, count_source
    return Reads(fraction, fraction_source, depth, alt_count)


def _fraction(
    sample: dict[str, str], formats: Mapping[str, FieldDef], index: int, n_alts: int
) -> tuple[float | None, str]:
    for key in _FRACTIONS:
        if key not in sample:
            continue  # as an absent value gives None below, only cheaper
        value = _allele_value(sample[key], _number(formats, key, "A"), index, n_alts)
        fraction = _percent(value) if key == "FREQ" else _float(value)
        if fraction is not None:
            return fraction, key
    return None, ""


def _counts(
    sample: dict[str, str], formats: Mapping[str, FieldDef], ref: str, alts: list[str], index: int
) -> tuple[int | None, int | None, str]:
    """(ALT reads, reads at the site, source): AD (R layout, or VarScan's ALT-only AD beside RD), FreeBayes
    AO/RO, Strelka tier-1 counts."""
    depths = sample.get("AD")
    if depths and "RD" in sample and _number(formats, "AD", "R") == "1":
        alt, ref_reads = _int(depths), _int(sample["RD"])
        return alt, _sum(alt, ref_reads), "AD"
    if depths:
        values = depths.split(",")
        # Every value a whole number (the join's digits alone would let an empty value through).
        if len(values) == len(alts) + 1 and "".join(values).isdigit() and "" not in values:
            counts = list(map(int, values))
            return counts[index + 1], sum(counts), "AD"
    if sample.get("AO") and sample.get("RO"):
        observed = [_int(value) for value in sample["AO"].split(",")]
        if len(observed) == len(alts) and None not in observed:
            return observed[index], _sum(_int(sample["RO"]), *observed), "AO/RO"
    return _tier_counts(sample, ref, alts[index])


def _tier_counts(sample: dict[str, str], ref: str, alt: str) -> tuple[int | None, int | None, str]:
    """Strelka: tier-1 counts of each base (AU/CU/GU/TU) for SNVs, TAR/TIR for indels; VAF = alt/(ref+alt).
    A merged SNV+indel file carries both layouts, with '.' in the one that does not apply."""
    snv = len(ref) == 1 and len(alt) == 1
    ref_key, alt_key = (f"{ref}U", f"{alt}U") if snv else ("TAR", "TIR")
    alt_reads, ref_reads = _tier1(sample.get(alt_key, "")), _tier1(sample.get(ref_key, ""))
    if alt_reads is None or ref_reads is None:
        return None, None, ""
    return alt_reads, alt_reads + ref_reads, "tier counts"


def _info_reads(reads: Reads, info: dict[str, str], alts: list[str], index: int, sites_only: bool) -> Reads:
    """What INFO adds for a single-sample or sites-only file: DP, bcftools' DP4 (ref-fwd, ref-rev, alt-fwd,
    alt-rev; one ALT only) and, sites-only (e.g. LoFreq), AF. With a sample, INFO AF is a genotype frequency."""
    depth = reads.depth if reads.depth is not None else _int(info.get("DP"))
    if reads.vaf is not None:
        return Reads(reads.vaf, reads.vaf_source, depth, reads.alt_count)
    fraction = _float(_allele_value(info.get("AF"), "A", index, len(alts))) if sites_only else None
    if fraction is not None:
        return Reads(fraction, "INFO AF", depth, reads.alt_count)
    dp4 = [_int(value) for value in info.get("DP4", "").split(",")]
    if len(alts) == 1 and len(dp4) == 4 and None not in dp4:
        alt_count, total = _sum(*dp4[2:]), _sum(*dp4)
        return Reads(alt_count / total if total and alt_count is not None else None, "DP4", depth, alt_count)
    return Reads(None, "", depth, reads.alt_count)


def _allele_value(text: str | None, number: str, index: int, n_alts: int) -> str | None:
    """One ALT's value of a FORMAT/INFO field laid out per Number (R: REF first; A: ALTs; '.': by count)."""
    if not text:
        return None
    values = text.split(",")
    if number == "R" or (number != "A" and len(values) == n_alts + 1):
        return values[index + 1] if len(values) > index + 1 else None
    if number == "A" or len(values) == n_alts:
        return values[index] if len(values) > index else None
    return None


def _number(formats: Mapping[str, FieldDef], key: str, default: str) -> str:
    return formats[key].number if key in formats else default


# Small helpers ---------------------------------------------------------------------------------------------


class _StopRule:
    """Stop a scan on entering a contig past the last locus's, coming from one at or before it, while every
    chromosome so far has followed the ##contig order. An unsorted file, or a contig the header does not list,
    keeps the scan going to the end."""

    def __init__(self, header: VcfHeader, regions: dict[str, list[Region]]) -> None:
        self.order = {crbn.normalise_chrom(name): rank for rank, name in enumerate(header.contigs)}
        ranks = [self.order[chrom] for chrom in regions if chrom in self.order]
        self.last = max(ranks) if ranks and len(ranks) == len(regions) else None
        self.previous = -1

    def passed(self, chrom: str) -> bool:
        rank = self.order.get(chrom)
        if self.last is None or rank is None or rank <= self.previous:
            self.last = None  # no longer provably sorted: read to the end
            return False
        previous, self.previous = self.previous, rank
        return previous >= 0 and previous <= self.last < rank


def _pos_bytes(raw: bytes, tab: int) -> bytes:
    end = raw.find(b"\t", tab + 1)
    return raw[tab + 1 : end if end > 0 else len(raw)]


def _is_allele(alt: str) -> bool:
    """Called ALT alleles only: not '.', the spanning-deletion '*', symbolic <...> or breakends."""
    return bool(alt) and alt not in {".", "*"} and not alt.startswith("<") and "[" not in alt and "]" not in alt


def _filters(text: str) -> str:
    if ";" not in text:
        return text
    return ";".join(dict.fromkeys(text.split(";")))  # VarDict via bcbio may write REJECT;REJECT


def _info(text: str) -> dict[str, str]:
    if text in {"", "."}:
        return {}
    info = {}
    for item in text.split(";"):  # a plain loop: three times faster than dict() over a generator of pairs
        key, _, value = item.partition("=")
        info[key] = value
    return info


def _sample(keys: list[str], column: str) -> dict[str, str]:
    return dict(zip(keys, column.split(":"), strict=False))


def _germline(filters: str, info: dict[str, str], info_defs: Mapping[str, FieldDef], paired: bool) -> bool:
    """FILTER germline/germline_risk (Mutect2), STATUS=Germline (VarDict), SS=1 (VarScan2), or a tumour-normal
    caller that flags somatic calls with INFO SOMATIC leaving it off."""
    if not _GERMLINE_FILTERS.isdisjoint(filters.split(";")) or info.get("STATUS", "").lower() == "germline":
        return True
    if "SS" in info_defs and info.get("SS") == "1":
        return True
    return paired and "SOMATIC" in info_defs and "SOMATIC" not in info


def _crbn_exon(build: str, gene: str, pos: int, ref: str) -> int | None:
    if gene != "CRBN" or not build:
        return None
    exons = (crbn.crbn_exon_at(build, position) for position in range(pos, pos + max(len(ref), 1)))
    return next((exon for exon in exons if exon is not None), None)


def _crbn_splice_site(build: str, pos: int, ref: str) -> str | None:
    if not build:
        return None
    sites = (crbn.crbn_splice_site_at(build, position) for position in range(pos, pos + max(len(ref), 1)))
    return next((site for site in sites if site is not None), None)


def _tier1(text: str) -> int | None:
    return _int(text.split(",")[0])


def _sum(*values: int | None) -> int | None:
    total = 0
    for value in values:  # a loop, not sum() over a generator: this runs for every kept record
        if value is None:
            return None
        total += value
    return total


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text and text != "." else None
    except ValueError:
        return None


def _percent(text: str | None) -> float | None:
    """VarScan2 writes FREQ as '12.5%'."""
    value = _float(text.rstrip("%").replace(",", ".")) if text else None
    return value / 100 if value is not None else None
