"""VCF meta-information and header line: field definitions, contigs, build and tumour sample. Pure Python.

Shared by the small-variant and structural-variant VCF parsers. ``read_header`` consumes numbered lines up to
and including the #CHROM line, so the caller carries on reading records from the same iterator.
"""

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from variants import crbn

from .facts import ParseError, ParseOptions
from .reader import decode

FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
EXPECTED_CHROM_LINE = "a tab-separated line '#CHROM POS ID REF ALT QUAL FILTER INFO [FORMAT sample...]'"

# key=value pairs inside ##KEY=<...>; a quoted value may hold commas and escaped quotes.
_STRUCTURED_PAIR = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|[^,]*)')
# How a caller's command line (##GATKCommandLine) names the tumour and normal samples, MuTect 1 and Mutect2.
_COMMAND_TUMOUR = re.compile(r"(?:\btumor_sample_name=|--tumorSampleName\s+|--tumor-sample\s+|-tumor\s+)([^\s,\"]+)")
_COMMAND_NORMAL = re.compile(
    r"(?:\bnormal_sample_name=|--normalSampleName\s+|--normal-sample\s+|-normal\s+)([^\s,\"]+)"
)
# The usual ##contig line, <ID=name,length=N>: a whole-genome header has thousands, read without the general
# key=value parser (structured), which gives the same result for them at several times the cost.
_SIMPLE_CONTIG = re.compile(r'<ID=([^,"<>]*),length=([0-9]+)>')
_SIMPLE_CONTIG_LINE = re.compile(rb'##contig=(<ID=([^,"<>]*),length=([0-9]+)>)')  # the same, as read_header sees it
_SIMPLE_CONTIG_LINES = re.compile(r'^##contig=(<ID=([^,"<>\n]*),length=([0-9]+)>)$', re.MULTILINE)  # in a run of lines
_CONTIG_START = b"##contig=<ID="
_TUMOUR_TOKENS = {"TUMOR", "TUMOUR", "T"}
_NORMAL_TOKENS = {"NORMAL", "N", "GERMLINE"}


@dataclass(frozen=True)
class FieldDef:
    """One ##INFO or ##FORMAT definition."""

    id: str
    number: str  # "1", "A", "R", "G", "." ...
    type: str
    description: str


@dataclass
class VcfHeader:
    filename: str
    fileformat: str  # "VCFv4.2"
    header_line: int  # the #CHROM line's number
    columns: list[str]  # the #CHROM line's names: 8 fixed, then FORMAT and one per sample
    info: dict[str, FieldDef] = field(default_factory=dict)
    formats: dict[str, FieldDef] = field(default_factory=dict)
    contigs: dict[str, int | None] = field(default_factory=dict)  # as written, in header order -> length
    meta: list[tuple[str, str]] = field(default_factory=list)  # every ##key=value after ##fileformat, in order
    sample_genomes: dict[str, str] = field(default_factory=dict)  # ##SAMPLE=<ID=..,Genomes=Tumor|Germline>
    # meta by key, for values(): a whole-genome header has thousands of lines and a parse asks for a dozen keys.
    _by_key: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=0, init=False, repr=False, compare=False)  # len(meta) when _by_key was built

    @property
    def samples(self) -> list[str]:
        return self.columns[9:]

    def values(self, key: str) -> list[str]:
        """Every value of a repeated meta key, e.g. values('source') -> ['FilterMutectCalls', 'Mutect2']."""
        if self._indexed != len(self.meta):  # built on first use, and again if meta has grown since
            self._by_key = {}
            for name, value in self.meta:
                self._by_key.setdefault(name, []).append(value)
            self._indexed = len(self.meta)
        return list(self._by_key.get(key, ()))

    def first(self, key: str) -> str:
        found = self.values(key)
        return found[0] if found else ""

    @property
    def reference(self) -> str:
        return self.first("reference")

    @property
    def sources(self) -> list[str]:
        return self.values("source")


@dataclass(frozen=True)
class BuildCall:
    build: str | None
    evidence: str  # e.g. "##contig=<ID=3,length=198022430>"
    warning: str = ""  # set when header lines disagree; the contig length wins


@dataclass(frozen=True)
class SampleChoice:
    tumour: str  # "" for a sites-only VCF
    reason: str
    normal: str | None = None


def read_header(filename: str, lines: Iterator[tuple[int, bytes]]) -> VcfHeader:
    """Consume the meta lines and the #CHROM line; refuse a file that is not a VCF, naming the line."""
    first = next(lines, None)
    if first is None:
        raise ParseError(filename, None, "the file is empty", "a VCF starting with ##fileformat=VCFv4.x")
    number, raw = first
    text = raw.decode("utf-8", errors="replace")
    if not text.startswith("##fileformat=VCF"):
        raise ParseError(filename, number, f"not a VCF: the first line is {text[:40]!r}", "##fileformat=VCFv4.x")
    # Read as it comes, in one pass: a whole-genome header has thousands of lines, most of them ##contig lines,
    # which are kept aside and added a run at a time.
    header, last_meta, contigs = VcfHeader(filename, text.split("=", 1)[1].strip(), 0, []), number, []
    for number, raw in lines:
        if raw.startswith(_CONTIG_START):
            contigs.append(raw)
            last_meta = number
            continue
        if contigs:
            _add_contigs(header, contigs)
            contigs = []
        if raw.startswith(b"##"):
            _add_meta(header, raw.decode("utf-8", errors="replace"))
            last_meta = number
        elif raw.startswith(b"#"):
            header.header_line, header.columns = number, _columns(filename, number, decode(filename, number, raw))
            return header
        elif raw.strip():
            raise ParseError(filename, number, "a record comes before the #CHROM header line", EXPECTED_CHROM_LINE)
    raise ParseError(filename, last_meta, "the header ends without a #CHROM line", EXPECTED_CHROM_LINE)


def header_from_head(filename: str, head: list[str]) -> VcfHeader:
    """The meta lines among a file's first lines, read leniently: enough for sniffing a dialect."""
    header = VcfHeader(filename, head[0].partition("=")[2].strip() if head else "", 0, [])
    for line in head[1:]:
        if not line.startswith("##"):
            break
        _add_meta(header, line)
    return header


def _add_contigs(header: VcfHeader, lines: list[bytes]) -> None:
    """A run of ##contig lines: in one pass of a regular expression over them all when every one is of the usual
    form, as in a whole genome's header, where adding them one by one costs more than reading the header."""
    found = _SIMPLE_CONTIG_LINES.findall(b"\n".join(lines).decode("utf-8", errors="replace"))
    if len(found) == len(lines):
        header.contigs.update((name, int(length)) for _, name, length in found)
        header.meta += [("contig", value) for value, _, _ in found]
        return
    for raw in lines:
        if not _add_simple_contig(header, raw):
            _add_meta(header, raw.decode("utf-8", errors="replace"))


def _add_simple_contig(header: VcfHeader, raw: bytes) -> bool:
    """_add_meta for the usual ##contig line, straight from its bytes; False for any other line."""
    found = _SIMPLE_CONTIG_LINE.fullmatch(raw)
    if found is None:
        return False
    header.contigs[found[2].decode("utf-8", errors="replace")] = int(found[3])
    header.meta.append(("contig", found[1].decode("utf-8", errors="replace")))
    return True


def _columns(filename: str, number: int, line: str) -> list[str]:
    columns = line.rstrip("\r\n").split("\t")
    if len(columns) == 1 and len(line.split()) > 1:
        raise ParseError(filename, number, "the #CHROM line is separated by spaces, not tabs", EXPECTED_CHROM_LINE)
    if tuple(columns[:8]) != FIXED_COLUMNS or (len(columns) > 8 and columns[8] != "FORMAT"):
        raise ParseError(filename, number, f"unexpected #CHROM line {line[:80]!r}", EXPECTED_CHROM_LINE)
    duplicates = sorted(name for name, count in Counter(columns[9:]).items() if count > 1)
    if duplicates:
        raise ParseError(filename, number, f"duplicate sample columns {', '.join(duplicates)}", "unique names")
    return columns


def _add_meta(header: VcfHeader, line: str) -> None:
    key, _, value = line[2:].rstrip("\r\n").partition("=")
    contig = _SIMPLE_CONTIG.fullmatch(value) if key == "contig" else None
    if contig:
        header.contigs[contig[1]] = int(contig[2])
        header.meta.append((key, value))
        return
    if not (value.startswith("<") and value.endswith(">")):
        header.meta.append((key, value))
        return
    pairs = structured(value)
    if key in {"INFO", "FORMAT"} and "ID" in pairs:
        definition = FieldDef(
            pairs["ID"], pairs.get("Number", "."), pairs.get("Type", ""), pairs.get("Description", "")
        )
        (header.info if key == "INFO" else header.formats)[definition.id] = definition
    elif key == "contig" and "ID" in pairs:
        length = pairs.get("length", "")
        header.contigs[pairs["ID"]] = int(length) if length.isdigit() else None
    elif key == "SAMPLE" and "ID" in pairs and "Genomes" in pairs:
        header.sample_genomes[pairs["ID"]] = pairs["Genomes"]
    header.meta.append((key, value))


def structured(value: str) -> dict[str, str]:
    """The key=value pairs of '<ID=AD,Number=R,Description="a, b">', quotes removed."""
    pairs = {}
    for match in _STRUCTURED_PAIR.finditer(value.strip("<>")):
        raw = match.group(2)
        pairs[match.group(1)] = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
    return pairs


# Build -----------------------------------------------------------------------------------------------------


def detect_build(header: VcfHeader) -> BuildCall:
    """The build from chr3's ##contig length (what the caller actually used) or else the ##reference name. A chr3
    length of neither build gives no build but keeps the contig line as evidence, so it can be refused."""
    by_contig = _build_from_contigs(header)
    by_reference = crbn.build_from_name(header.reference) if header.reference else None
    reference_line = f"##reference={header.reference}"
    if by_contig and by_reference and by_contig.build and by_contig.build != by_reference:
        warning = f"{reference_line} names {by_reference} but chr3's length is {by_contig.build}'s; using the length"
        return BuildCall(by_contig.build, by_contig.evidence, warning)
    if by_contig:
        return by_contig
    if by_reference:
        return BuildCall(by_reference, reference_line)
    return BuildCall(None, "")


def _build_from_contigs(header: VcfHeader) -> BuildCall | None:
    for name, length in header.contigs.items():
        if crbn.normalise_chrom(name) == "3" and length is not None:
            return BuildCall(crbn.build_from_chr3_length(length), f"##contig=<ID={name},length={length}>")
    return None


def resolve_build(header: VcfHeader, options: ParseOptions) -> BuildCall:
    """The header's build, else the build chosen at upload; a file with neither cannot be filtered to the loci,
    and one whose chr3 is of another assembly (T2T, a custom reference) must not be read with these loci."""
    call = detect_build(header)
    if call.build:
        return call
    if call.evidence:
        problem = f"{call.evidence}: chr3's length is neither GRCh37's nor GRCh38's"
        expected = (
            f"chr3 of length {crbn.CHR3_LENGTH[crbn.GRCH37]:,} (GRCh37) or {crbn.CHR3_LENGTH[crbn.GRCH38]:,} (GRCh38)"
        )
        raise ParseError(header.filename, header.header_line, problem, expected)
    if options.expected_build:
        return BuildCall(options.expected_build, "not declared in the file; the build chosen at upload")
    raise ParseError(
        header.filename,
        header.header_line,
        "the genome build cannot be read from the header",
        "##reference naming GRCh37/hg19/GRCh38/hg38, a ##contig line for chr3 with its length, or a build chosen "
        "at upload",
    )


# Tumour sample ---------------------------------------------------------------------------------------------


def choose_tumour_sample(header: VcfHeader, options: ParseOptions) -> SampleChoice:
    """Which column is the tumour, and why: the uploader's choice, the header's word, or an unambiguous name."""
    if options.tumour_sample is not None:
        return _chosen_at_upload(header, options.tumour_sample)
    if not header.samples:
        return SampleChoice("", "no sample columns (sites-only VCF)")
    declared = _declared_tumour_columns(header)
    if len(declared) > 1:  # a multi-tumour call set: the header cannot say which one this upload is about
        raise _ambiguous(header, f"the header declares several tumour samples ({listing(list(declared))})")
    choice = _from_metadata(header, declared) or _only_column(header) or _from_names(header)
    if choice is None:
        raise _ambiguous(header, f"the tumour sample is ambiguous among the sample columns {listing(header.samples)}")
    return choice


def _ambiguous(header: VcfHeader, problem: str) -> ParseError:
    expected = "a tumour sample chosen at upload, or a ##tumor_sample or ##SAMPLE=<ID=...,Genomes=Tumor> header line"
    return ParseError(header.filename, header.header_line, problem, expected)


def _chosen_at_upload(header: VcfHeader, name: str) -> SampleChoice:
    if name not in header.samples:
        expected = f"one of {listing(header.samples)}" if header.samples else "a VCF with sample columns"
        problem = f"the tumour sample {name!r} is not a sample column"
        raise ParseError(header.filename, header.header_line, problem, expected)
    return SampleChoice(name, "chosen at upload", _normal_for(header, name))


def _from_metadata(header: VcfHeader, declared: dict[str, str]) -> SampleChoice | None:
    """The one tumour the header declares; else, in a pair, the column that is not the declared normal."""
    if declared:
        tumour, reason = next(iter(declared.items()))
        return SampleChoice(tumour, reason, _normal_for(header, tumour))
    normals = [name for name in _declared_normals(header) if name in header.samples]
    if normals and len(header.samples) == 2:
        tumour = next(name for name in header.samples if name != normals[0])
        return SampleChoice(tumour, "the column that is not the header's declared normal sample", normals[0])
    return None


def _declared_tumour_columns(header: VcfHeader) -> dict[str, str]:
    """Sample columns the header declares tumour, each with the first header line that says so."""
    declared: dict[str, str] = {}
    for name, reason in _declared_tumours(header):
        if name in header.samples:
            declared.setdefault(name, reason)
    return declared


def _declared_tumours(header: VcfHeader) -> Iterator[tuple[str, str]]:
    for name in header.values("tumor_sample"):
        yield name, "##tumor_sample header"
    for name, genomes in header.sample_genomes.items():
        if genomes.lower() == "tumor":
            yield name, "##SAMPLE Genomes=Tumor header"
    for command in header.values("GATKCommandLine"):
        for match in _COMMAND_TUMOUR.finditer(command):
            yield match.group(1), "tumour sample named on the caller's command line (##GATKCommandLine)"


def _declared_normals(header: VcfHeader) -> list[str]:
    names = header.values("normal_sample")
    names += [name for name, genomes in header.sample_genomes.items() if genomes.lower() == "germline"]
    for command in header.values("GATKCommandLine"):
        names += [match.group(1) for match in _COMMAND_NORMAL.finditer(command)]
    return names


def _only_column(header: VcfHeader) -> SampleChoice | None:
    return SampleChoice(header.samples[0], "the only sample column") if len(header.samples) == 1 else None


def _from_names(header: VcfHeader) -> SampleChoice | None:
    """One column named like a tumour (TUMOR, TUMOUR, _T) and every other like a normal (NORMAL, _N)."""
    tumours = [name for name in header.samples if _tokens(name) & _TUMOUR_TOKENS]
    others = [name for name in header.samples if name not in tumours]
    if len(tumours) != 1 or not all(_tokens(name) & _NORMAL_TOKENS for name in others):
        return None
    reason = "sample names: one marked tumour (TUMOR/TUMOUR/_T), the others normal (NORMAL/_N)"
    return SampleChoice(tumours[0], reason, others[0] if len(others) == 1 else None)


def listing(names: list[str], limit: int = 20) -> str:
    """Names for an error message; a cohort VCF may have hundreds of columns."""
    shown = ", ".join(names[:limit])
    return f"{shown} and {len(names) - limit} more" if len(names) > limit else shown


def _tokens(name: str) -> set[str]:
    return set(re.split(r"[-_.\s]+", name.upper()))


def _normal_for(header: VcfHeader, tumour: str) -> str | None:
    """The matched normal: declared in the header, else the other column of a pair (unless named like a tumour),
    else the one column named like a normal."""
    others = [name for name in header.samples if name != tumour]
    declared = [name for name in _declared_normals(header) if name in others]
    if declared:
        return declared[0]
    if len(others) == 1 and not _tokens(others[0]) & _TUMOUR_TOKENS:
        return others[0]
    named = [name for name in others if _tokens(name) & _NORMAL_TOKENS]
    return named[0] if len(named) == 1 else None
