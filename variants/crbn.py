"""The CRBN locus in both genome builds, and the pathway genes kept beside it. Pure Python, no Django.

Every coordinate here comes from domain/CRBN.md (sections 2 and 4): GENCODE v24 canonical transcript exons as
shipped in the SpliceAI package's annotation tables, converted to 1-based inclusive; UniProt Q96SW2 for the
protein. Coordinates are 1-based and inclusive throughout.
"""

from dataclasses import dataclass
from itertools import pairwise

GRCH37, GRCH38 = "GRCh37", "GRCh38"
BUILDS = (GRCH37, GRCH38)

# chr3 length identifies the build when a header has ##contig lines but no ##reference (CRBN.md, issue text).
CHR3_LENGTH = {GRCH37: 198_022_430, GRCH38: 198_295_559}
BUILD_ALIASES = {
    "grch37": GRCH37,
    "hg19": GRCH37,
    "b37": GRCH37,
    "hs37d5": GRCH37,
    "37": GRCH37,
    "human_g1k_v37": GRCH37,
    "grch38": GRCH38,
    "hg38": GRCH38,
    "38": GRCH38,
}

MANE_TRANSCRIPTS = ("ENST00000231948", "NM_016302")
ISOFORM2_TRANSCRIPTS = ("ENST00000432408", "NM_001173482")
CANONICAL_TRANSCRIPT = "NM_016302.4"
CANONICAL_PROTEIN = "NP_057386.2"
PROTEIN_LENGTH = 442


@dataclass(frozen=True)
class Interval:
    chrom: str  # without "chr"
    start: int
    end: int

    def overlaps(self, chrom: str, start: int, end: int) -> bool:
        return normalise_chrom(chrom) == self.chrom and start <= self.end and end >= self.start

    def contains(self, chrom: str, position: int) -> bool:
        return self.overlaps(chrom, position, position)


SPLICE_SITE_BASES = 2  # a canonical splice site: the intron's first two or last two bases
# CRBN exons 1-11 of the canonical transcript, in transcript order (the gene is on the minus strand).
CRBN_EXONS = {
    GRCH38: (
        (3179621, 3179710),
        (3175163, 3175269),
        (3174059, 3174261),
        (3172776, 3172925),
        (3167634, 3167793),
        (3156219, 3156281),
        (3154747, 3154831),
        (3153960, 3154075),
        (3153424, 3153488),
        (3152456, 3152587),
        (3150011, 3151045),
    ),
    GRCH37: (
        (3221305, 3221394),
        (3216847, 3216953),
        (3215743, 3215945),
        (3214460, 3214609),
        (3209318, 3209477),
        (3197903, 3197965),
        (3196431, 3196515),
        (3195644, 3195759),
        (3195108, 3195172),
        (3194140, 3194271),
        (3191695, 3192729),
    ),
}

# The CRBN gene body (Ensembl gene span; the GRCh38 ends are a liftover, UNVERIFIED to a few bp).
CRBN_GENE = {GRCH37: Interval("3", 3_190_676, 3_221_394), GRCH38: Interval("3", 3_148_992, 3_179_710)}


@dataclass(frozen=True)
class Exon10Junctions:
    """Introns (first and last intronic base, 1-based, as STAR's SJ.out.tab writes them)."""

    skip: tuple[int, int]  # exon 11 -> exon 9
    inclusion_downstream: tuple[int, int]  # exon 11 -> exon 10
    inclusion_upstream: tuple[int, int]  # exon 10 -> exon 9


EXON10_JUNCTIONS = {
    GRCH38: Exon10Junctions(
        skip=(3151046, 3153423), inclusion_downstream=(3151046, 3152455), inclusion_upstream=(3152588, 3153423)
    ),
    GRCH37: Exon10Junctions(
        skip=(3192730, 3195107), inclusion_downstream=(3192730, 3194139), inclusion_upstream=(3194272, 3195107)
    ),
}

# Canonical transcript spans of the pathway genes labs report beside CRBN (CRBN.md section 4).
PATHWAY_GENES = {
    "CRBN": {GRCH38: Interval("3", 3150011, 3179710), GRCH37: Interval("3", 3191695, 3221394)},
    "IKZF1": {GRCH38: Interval("7", 50304782, 50405101), GRCH37: Interval("7", 50344378, 50472799)},
    "IKZF3": {GRCH38: Interval("17", 39757715, 39864188), GRCH37: Interval("17", 37913968, 38020441)},
    "CUL4A": {GRCH38: Interval("13", 113209544, 113263582), GRCH37: Interval("13", 113863858, 113917896)},
    "CUL4B": {GRCH38: Interval("X", 120526641, 120575794), GRCH37: Interval("X", 119660496, 119709649)},
    "DDB1": {GRCH38: Interval("11", 61299451, 61333366), GRCH37: Interval("11", 61066923, 61100838)},
    "RBX1": {GRCH38: Interval("22", 40951359, 40973309), GRCH37: Interval("22", 41347363, 41369313)},
    "COPS7B": {GRCH38: Interval("2", 231781671, 231807724), GRCH37: Interval("2", 232646381, 232672434)},
    "COPS8": {GRCH38: Interval("2", 237085312, 237100466), GRCH37: Interval("2", 237993955, 238009109)},
    "UBE2G1": {GRCH38: Interval("17", 4269259, 4366482), GRCH37: Interval("17", 4172554, 4269777)},
    "UBE2D3": {GRCH38: Interval("4", 102796134, 102827122), GRCH37: Interval("4", 103717291, 103748279)},
    "KPNB1": {GRCH38: Interval("17", 47649838, 47685505), GRCH37: Interval("17", 45727204, 45762871)},
    "IRF4": {GRCH38: Interval("6", 391739, 411447), GRCH37: Interval("6", 391739, 411447)},
    "MYC": {GRCH38: Interval("8", 127736069, 127741432), GRCH37: Interval("8", 128748315, 128753678)},
}
# Padding keeps promoter-proximal and splice-region calls that fall just outside a transcript span.
LOCUS_PADDING = 5_000


def normalise_chrom(chrom: str) -> str:
    """'chr3', 'Chr3' and '3' are the same contig; so are 'chrM' and 'MT', 'chrx' and 'X'."""
    name = chrom[3:] if chrom.lower().startswith("chr") else chrom
    upper = name.upper()
    if upper in {"M", "MT"}:
        return "MT"
    return upper if upper in {"X", "Y"} else name


def build_from_name(text: str) -> str | None:
    """Read a build from a reference name or path such as 'hg19', 'GRCh38.p13' or '/ref/human_g1k_v37.fasta'.

    A bare number ('37', as MAF's NCBI_Build writes it) must match exactly; names may appear inside paths.
    """
    lowered = text.strip().lower()
    if lowered in BUILD_ALIASES:
        return BUILD_ALIASES[lowered]
    for alias, build in BUILD_ALIASES.items():
        if not alias.isdigit() and alias in lowered:
            return build
    return None


def build_from_chr3_length(length: int) -> str | None:
    for build, chr3_length in CHR3_LENGTH.items():
        if length == chr3_length:
            return build
    return None


def loci_of_interest(build: str) -> dict[str, Interval]:
    """Every kept gene's padded span in this build: records elsewhere are counted, not stored."""
    return {
        gene: Interval(spans[build].chrom, max(1, spans[build].start - LOCUS_PADDING), spans[build].end + LOCUS_PADDING)
        for gene, spans in PATHWAY_GENES.items()
    }


def gene_at(build: str, chrom: str, position: int) -> str | None:
    """The kept gene whose padded span holds this position, if any."""
    for gene, interval in loci_of_interest(build).items():
        if interval.contains(chrom, position):
            return gene
    return None


def crbn_exon_at(build: str, position: int) -> int | None:
    """The canonical exon number (1-11) holding this chr3 position, or None in an intron or outside."""
    for number, (start, end) in enumerate(CRBN_EXONS[build], start=1):
        if start <= position <= end:
            return number
    return None


def crbn_splice_site_at(build: str, position: int) -> str | None:
    """The canonical splice site (an intron's first or last two bases, GT...AG) holding this chr3 position, as
    "donor site of intron N" (intron N follows exon N in the transcript), else None. CRBN is on the minus strand:
    an intron's donor lies just below the lower end of the exon before it, its acceptor just above the upper end
    of the exon after it."""
    for number, ((before_start, _), (_, after_end)) in enumerate(pairwise(CRBN_EXONS[build]), start=1):
        if before_start - SPLICE_SITE_BASES <= position < before_start:
            return f"donor site of intron {number}"
        if after_end < position <= after_end + SPLICE_SITE_BASES:
            return f"acceptor site of intron {number}"
    return None


def canonical_residue(position: int, transcript: str) -> int:
    """Isoform 2 (NM_001173482 / ENST00000432408) lacks Ala23: its residues after 23 are canonical minus one."""
    if transcript.split(".")[0] in ISOFORM2_TRANSCRIPTS and position >= 23:
        return position + 1
    return position
