"""What a parser produces: frozen facts about the kept loci, and the errors it raises. Pure Python.

Every fact remembers the line it came from, so a report can point back to the file. Coordinates are 1-based
inclusive, chromosomes normalised without "chr" (variants.crbn.normalise_chrom).
"""

from dataclasses import dataclass, field


class ParseError(Exception):
    """A file the portal cannot read as its format. The message names the file, the line and what was expected."""

    def __init__(self, filename: str, line: int | None, problem: str, expected: str = "") -> None:
        self.filename, self.line, self.problem, self.expected = filename, line, problem, expected
        where = f"{filename}, line {line}" if line else filename
        super().__init__(f"{where}: {problem}" + (f"; expected {expected}" if expected else ""))


@dataclass(frozen=True)
class SmallVariant:
    """A SNV or indel in a kept gene, one ALT allele (multi-allelic records are split)."""

    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    filter: str  # "PASS", or the caller's semicolon-joined filters
    line: int
    vaf: float | None = None
    vaf_source: str = ""  # "AF", "AD", "tier counts", "VF", "MAF counts"...: whichever the caller wrote
    depth: int | None = None
    alt_count: int | None = None
    transcript: str = ""  # versioned when the annotation gives one, e.g. "NM_016302.4"
    hgvs_c: str = ""  # "c.1171T>C"
    hgvs_p: str = ""  # "p.Cys391Arg" or "p.(Cys391Arg)", on the canonical protein after isoform conversion
    consequence: str = ""  # Sequence Ontology term(s), "&"-joined as VEP writes them
    exon: int | None = None
    protein_position: int | None = None  # canonical NP_057386.2 numbering
    needs_annotation: bool = False  # coding position known, protein change unknown
    normal_alt_count: int | None = None  # tumour-normal calls: ALT reads in the matched normal
    germline_flag: bool = False  # the caller marked it germline (e.g. STATUS=Germline, FILTER germline)


@dataclass(frozen=True)
class CopyNumberSegment:
    """A copy-number segment overlapping a kept gene."""

    gene: str
    chrom: str
    start: int
    end: int
    line: int
    copy_number: float | None = None  # total copy number where the caller gives or implies it
    log2_ratio: float | None = None
    major_cn: int | None = None
    minor_cn: int | None = None  # 0 with total > 0 means loss of heterozygosity
    probes: int | None = None
    source: str = ""  # which column the copy number came from, e.g. "cn", "tcn.em", "nMajor+nMinor", "log2"

    @property
    def loh(self) -> bool | None:
        return None if self.minor_cn is None else self.minor_cn == 0


@dataclass(frozen=True)
class StructuralVariant:
    """A structural variant with a breakpoint in a kept gene's span (BND mates are one event each side)."""

    gene: str
    chrom: str
    pos: int
    line: int
    svtype: str  # DEL, DUP, INV, INS, BND, CNV
    sv_id: str = ""
    filter: str = "PASS"
    end: int | None = None
    mate_chrom: str = ""
    mate_pos: int | None = None
    support: int | None = None  # split + paired reads where given


@dataclass(frozen=True)
class JunctionCount:
    """A splice junction read count, intron first and last base (1-based) as STAR's SJ.out.tab writes them."""

    chrom: str
    intron_start: int
    intron_end: int
    reads: int  # uniquely mapped reads crossing the junction
    line: int
    strand: str = "."


@dataclass(frozen=True)
class Expression:
    """A gene's expression value with its unit and method (never comparable across methods)."""

    gene: str
    value: float
    unit: str  # "TPM", "FPKM", "counts"...
    method: str  # "salmon", "RSEM", "featureCounts", "table"
    line: int


@dataclass(frozen=True)
class Fusion:
    """An RNA fusion call with CRBN as one partner."""

    gene1: str
    gene2: str
    breakpoint1: str
    breakpoint2: str
    line: int
    reads: int | None = None
    caller: str = ""


@dataclass
class ParseResult:
    """Everything one file contributed, plus what was read to get there."""

    kind: str  # "small_variants", "copy_number", "structural_variants", "junctions", "expression", "fusions"
    dialect: str  # e.g. "Mutect2 VCF", "CNVkit .cns", "STAR SJ.out.tab"
    build: str | None = None
    build_evidence: str = ""  # how the build was read, e.g. "##reference=...hg19.fa"
    tumour_sample: str = ""
    tumour_sample_reason: str = ""  # e.g. "##tumor_sample header"
    records_read: int = 0
    small_variants: list[SmallVariant] = field(default_factory=list)
    segments: list[CopyNumberSegment] = field(default_factory=list)
    structural_variants: list[StructuralVariant] = field(default_factory=list)
    junctions: list[JunctionCount] = field(default_factory=list)
    expression: list[Expression] = field(default_factory=list)
    fusions: list[Fusion] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def records_kept(self) -> int:
        return sum(
            len(rows)
            for rows in (
                self.small_variants,
                self.segments,
                self.structural_variants,
                self.junctions,
                self.expression,
                self.fusions,
            )
        )


@dataclass(frozen=True)
class ParseOptions:
    """What the uploader told us. A parser never guesses past these: an ambiguous tumour sample is an error."""

    tumour_sample: str | None = None
    expected_build: str | None = None  # the sample's build; a file that declares another is refused by ingest
