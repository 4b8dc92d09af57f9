"""Structural-variant VCFs: Manta, Delly, GRIDSS, LUMPY and SvABA. Pure Python, no Django.

A record is kept when it touches a kept gene: a breakpoint (POS; END of an intrachromosomal event; the mate of a
breakend) inside the gene's padded span, or a deletion, duplication, inversion or CNV spanning the whole gene,
which deletes or disrupts it just the same. Records may come in any order (Delly does not sort).

The header handling here (build, samples, tumour choice) is deliberately minimal and local; it belongs in
vcf_header.py once that module lands.
"""

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..crbn import Interval, build_from_chr3_length, build_from_name, normalise_chrom
from .copy_number import Loci, genes_overlapping, select_loci
from .facts import ParseError, ParseOptions, ParseResult, StructuralVariant
from .reader import LineSource, Progress, decode

KIND = "structural_variants"
FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
EXPECTED_HEADER = "a VCF header: ##fileformat=VCF..., then a tab-separated #CHROM line"
SPANNING_TYPES = {"DEL", "DUP", "INV", "CNV"}
SV_ALT_IDS = re.compile(r"^##ALT=<ID=(DEL|DUP|INV|INS|CNV|BND|TRA)[>:,]", re.IGNORECASE)
# gVCF <NON_REF> and bcftools <*> are symbolic too, but not structural.
SV_SYMBOLIC_ALT = re.compile(r"^<(DEL|DUP|INV|INS|CNV|TRA)[>:]", re.IGNORECASE)
# A breakend joined to a mate: t[p[, t]p], ]p]t or [p[t. The mate contig may itself hold colons (HLA-A*01:01).
MATE_ALT = re.compile(r"([\[\]])(?P<chrom>.+):(?P<pos>\d+)\1")
SINGLE_BREAKEND_ALT = re.compile(r"^(\.[A-Za-z]+|[A-Za-z]+\.)$")
# Caller signatures, searched (lower case) in the first lines: the header, and records for Delly's SVMETHOD.
CALLERS = (
    ("Manta", ("generatesvcandidates", "manta")),
    ("Delly", ("delly",)),
    ("GRIDSS", ("gridss", "##format=<id=bvf")),
    ("SvABA", ("svaba", "snowman")),
    ("LUMPY", ("lumpy", "##info=<id=prpos")),
)


@dataclass
class VcfHeader:
    """The meta lines and sample columns of a VCF (to be replaced by vcf_header.py)."""

    meta: list[tuple[int, str]] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    columns: int = 0
    line: int = 0


@dataclass(frozen=True)
class Breakends:
    """Where one record's event lies: its own position, the end of an intrachromosomal event, or its mate."""

    svtype: str
    end: int | None = None
    mate_chrom: str = ""
    mate_pos: int | None = None
    single: bool = False  # a single breakend (GRIDSS): the partner could not be placed


@dataclass
class Tumour:
    """The tumour sample's column (None when no rule picks one) and why."""

    column: int | None
    name: str = ""
    reason: str = ""


def sniff(head: list[str], filename: str) -> str | None:
    """A VCF whose header declares SV alleles or whose records carry them; the caller when it can be told."""
    if not head or not head[0].startswith("##fileformat=VCF"):
        return None
    if not any(SV_ALT_IDS.match(line) or _is_sv_record(line) for line in head):
        return None
    return _caller_dialect(head)


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    loci: Mapping[str, Interval] | None = None,
) -> ParseResult:
    """Keep the records touching ``loci`` (default: the kept genes of the file's build, else the sample's)."""
    lines = _decoded(source, progress)
    header = read_header(source.name, lines)
    build, evidence = build_from_vcf_header(source.name, header)
    kept, note = select_loci(build, options, loci)
    tumour = choose_tumour(source.name, header, options)
    result = ParseResult(kind=KIND, dialect=_caller_dialect(source.head()), build=build, build_evidence=evidence)
    result.tumour_sample, result.tumour_sample_reason = tumour.name, tumour.reason
    result.warnings.extend([note] if note else [])
    for number, text in lines:
        if text.strip():
            result.records_read += 1
            result.structural_variants.extend(_kept(source.name, number, text, header, tumour, kept))
    _warn_unsupported(result, header, tumour)
    return result


def read_header(name: str, lines: Iterator[tuple[int, str]]) -> VcfHeader:
    """Consume the meta lines and the #CHROM line."""
    header = VcfHeader()
    for number, text in lines:
        if number == 1 and not text.startswith("##fileformat=VCF"):
            raise ParseError(name, 1, "the file does not start with ##fileformat=VCF", EXPECTED_HEADER)
        if text.startswith("##"):
            header.meta.append((number, text))
        elif text.startswith("#"):
            return _column_line(name, number, text, header)
        elif text.strip():
            raise ParseError(name, number, "a record comes before the #CHROM line", EXPECTED_HEADER)
    problem = "the file is empty" if not header.meta else "the header has no #CHROM line"
    raise ParseError(name, None, problem, EXPECTED_HEADER)


def _column_line(name: str, number: int, text: str, header: VcfHeader) -> VcfHeader:
    columns = text.split("\t")
    if tuple(columns[:8]) != FIXED_COLUMNS or len(columns) == 9:
        raise ParseError(name, number, "the #CHROM line is not the tab-separated VCF column line", EXPECTED_HEADER)
    header.samples, header.columns, header.line = columns[9:], len(columns), number
    return header


def build_from_vcf_header(name: str, header: VcfHeader) -> tuple[str | None, str]:
    """The build from ##reference (a name or path) and chr3's ##contig length; the two must agree."""
    found: list[tuple[str, str]] = []
    for number, text in header.meta:
        for build, evidence in _meta_evidence(text):
            if found and build != found[0][0]:
                raise ParseError(name, number, f"{evidence} contradicts {found[0][1]}", "one genome build")
            found.append((build, evidence))
    return found[0] if found else (None, "")


def _meta_evidence(text: str) -> Iterator[tuple[str, str]]:
    if text.startswith("##reference="):
        if build := build_from_name(text.removeprefix("##reference=")):
            yield build, text
    elif text.startswith("##contig=<"):
        tags = dict(re.findall(r"(\w+)=([^,>]+)", text[len("##contig=<") :]))
        length = tags.get("length", "")
        build = build_from_chr3_length(int(length)) if length.isdecimal() else None
        if build and normalise_chrom(tags.get("ID", "")) == "3":
            yield build, f"##contig {tags['ID']} length={length}"


def choose_tumour(name: str, header: VcfHeader, options: ParseOptions) -> Tumour:
    """The uploader's choice, else ##tumor_sample, else the only sample. Never the first of several by default:
    support then stays unknown (the records themselves do not depend on the sample). A sites-only file has no
    column to check an uploader's choice against, so the choice is not held against it."""
    if not header.samples:
        return Tumour(None)
    declared = next(
        (text.split("=", 1)[1].strip() for _, text in header.meta if text.startswith("##tumor_sample=")), ""
    )
    uploader_reason = "chosen by the uploader" + (f" (##tumor_sample names {declared!r})" if declared else "")
    for wanted, reason in ((options.tumour_sample, uploader_reason), (declared, "##tumor_sample header")):
        if wanted:
            if wanted not in header.samples:
                expected = "one of: " + (", ".join(header.samples) or "(no sample columns)")
                raise ParseError(name, header.line, f"tumour sample {wanted!r} is not a sample column", expected)
            return Tumour(9 + header.samples.index(wanted), wanted, reason)
    if len(header.samples) == 1:
        return Tumour(9, header.samples[0], "the only sample")
    return Tumour(None)


def _warn_unsupported(result: ParseResult, header: VcfHeader, tumour: Tumour) -> None:
    if tumour.column is None and header.samples:
        samples = ", ".join(header.samples)
        result.warnings.append(
            f"{len(header.samples)} samples ({samples}) and neither ##tumor_sample nor an uploader choice: "
            "read support is left empty"
        )
    elif not header.samples:
        result.warnings.append("no sample columns: read support is left empty")


def _decoded(source: LineSource, progress: Progress | None) -> Iterator[tuple[int, str]]:
    for number, raw in source.lines(progress):
        yield number, decode(source.name, number, raw)


def _caller_dialect(head: list[str]) -> str:
    text = "\n".join(head).lower()
    caller = next((caller for caller, marks in CALLERS if any(mark in text for mark in marks)), "")
    return f"{caller} SV VCF" if caller else "SV VCF"


def _is_sv_record(line: str) -> bool:
    fields = line.split("\t")
    if line.startswith("#") or len(fields) < 8:
        return False
    alt = fields[4]
    return bool(SV_SYMBOLIC_ALT.match(alt) or MATE_ALT.search(alt) or SINGLE_BREAKEND_ALT.match(alt))


def _kept(name: str, number: int, text: str, header: VcfHeader, tumour: Tumour, kept: Loci) -> list[StructuralVariant]:
    """One fact per kept gene the record touches (none for most records)."""
    fields = text.split("\t")
    if len(fields) != header.columns:
        problem = f"the record has {len(fields)} columns but the #CHROM line has {header.columns}"
        raise ParseError(name, number, problem, "one tab-separated value per column")
    chrom, pos = normalise_chrom(fields[0]), _position(name, number, "POS", fields[1])
    info = _info(fields[7])
    ends = _breakends(name, number, pos, fields[4].split(",")[0], info)
    genes = _genes(kept, chrom, pos, ends)
    if not genes:
        return []
    support = _support(fields, tumour, ends.single)
    return [_variant(gene, chrom, pos, number, fields, ends, support) for gene in genes]


def _variant(
    gene: str, chrom: str, pos: int, number: int, fields: list[str], ends: Breakends, support: int | None
) -> StructuralVariant:
    return StructuralVariant(
        gene=gene,
        chrom=chrom,
        pos=pos,
        line=number,
        svtype=ends.svtype,
        sv_id=fields[2],
        filter=fields[6],
        end=ends.end,
        mate_chrom=ends.mate_chrom,
        mate_pos=ends.mate_pos,
        support=support,
    )


def _position(name: str, number: int, column: str, text: str) -> int:
    if not text.isdecimal():
        raise ParseError(name, number, f"{column} is {text!r}", "a whole number")
    return int(text)


def _info(text: str) -> dict[str, str]:
    """INFO as key -> value; flags map to an empty string."""
    pairs = (entry.split("=", 1) for entry in text.split(";") if entry and entry != ".")
    return {pair[0]: pair[1] if len(pair) == 2 else "" for pair in pairs}


def _breakends(name: str, number: int, pos: int, alt: str, info: dict[str, str]) -> Breakends:
    svtype = _svtype(name, number, alt, info)
    if mate := MATE_ALT.search(alt):
        return Breakends(svtype, mate_chrom=normalise_chrom(mate["chrom"]), mate_pos=int(mate["pos"]))
    if svtype == "BND" and "CHR2" in info:  # Delly before it wrote mates into ALT, and its <TRA> records
        mate_pos = info.get("POS2") or info.get("END", "")
        return Breakends(
            svtype, mate_chrom=normalise_chrom(info["CHR2"]), mate_pos=_position(name, number, "POS2/END", mate_pos)
        )
    if svtype == "BND":
        return Breakends(svtype, single=bool(SINGLE_BREAKEND_ALT.match(alt)))
    return Breakends(svtype, end=_end(name, number, pos, svtype, info))


def _svtype(name: str, number: int, alt: str, info: dict[str, str]) -> str:
    """INFO SVTYPE, else the symbolic allele; translocations (<TRA>) are breakends."""
    declared = info.get("SVTYPE") or (alt[1:-1] if alt.startswith("<") and alt.endswith(">") else "")
    if not declared and (MATE_ALT.search(alt) or SINGLE_BREAKEND_ALT.match(alt)):
        declared = "BND"
    if not declared:
        raise ParseError(name, number, f"no SVTYPE and ALT {alt!r} is neither symbolic nor a breakend", "SVTYPE=...")
    svtype = declared.split(":")[0].upper()
    return "BND" if svtype == "TRA" else svtype


def _end(name: str, number: int, pos: int, svtype: str, info: dict[str, str]) -> int | None:
    if "END" in info:
        return _position(name, number, "END", info["END"])
    if "SVLEN" in info and svtype in SPANNING_TYPES:
        return pos + _position(name, number, "SVLEN", info["SVLEN"].lstrip("-"))
    return None


def _genes(kept: Loci, chrom: str, pos: int, ends: Breakends) -> list[str]:
    """Genes touched. For an intrachromosomal event, "a breakpoint in the gene, or the event spanning it" is
    exactly "the interval POS..END overlaps the gene"; a breakend touches its own position and its mate's."""
    if ends.end is not None and ends.svtype in SPANNING_TYPES:
        return genes_overlapping(kept, chrom, pos, ends.end)
    points = [(chrom, pos), (chrom, ends.end), (ends.mate_chrom, ends.mate_pos)]
    touched = (genes_overlapping(kept, where, at, at) for where, at in points if at is not None)
    return list(dict.fromkeys(gene for genes in touched for gene in genes))


def _support(fields: list[str], tumour: Tumour, single: bool) -> int | None:
    """Reads supporting the event in the tumour column, in the caller's own convention; None if unknown."""
    if tumour.column is None:
        return None
    values = dict(zip(fields[8].split(":"), fields[tumour.column].split(":"), strict=False))
    if "DV" in values and "RV" in values:  # Delly: discordant pairs + split reads carrying the variant
        return _total(values["DV"], values["RV"])
    if "SU" in values:  # LUMPY: all pieces of evidence
        return _total(values["SU"])
    if "VF" in values or "BVF" in values:  # GRIDSS: fragments for the breakpoint, or for a single breakend
        return _total(values.get("BVF" if single else "VF", "."))
    manta_pairs = [values[key].split(",") for key in ("PR", "SR") if "," in values.get(key, "")]
    if manta_pairs:  # Manta: "ref,alt" pairs of spanning pairs and split reads (SvABA's SR is a single count)
        return _total(*(pair[1] for pair in manta_pairs if len(pair) == 2))
    return _total(values["AD"]) if "AD" in values and "," not in values["AD"] else None  # SvABA: one count


def _total(*counts: str) -> int | None:
    """The sum of the counts present; GRIDSS writes fractional fragment weights, rounded here."""
    numbers = [float(count) for count in counts if _is_number(count)]
    return round(sum(numbers)) if numbers else None


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
