"""Functional annotation already written into a VCF: VEP CSQ, SnpEff ANN and the legacy SnpEff EFF. Pure Python.

For CRBN the MANE Select transcript (ENST00000231948 / NM_016302) is the one reported; when only isoform 2
(ENST00000432408 / NM_001173482, which lacks Ala23) is annotated, protein numbers are moved to canonical
numbering (domain/CRBN.md section 3: "normalise every protein change to NP_057386.2"). Other kept genes take
the entry the annotator marked canonical, else the first protein-coding one.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from variants import crbn

from .vcf_header import FieldDef

# Old MAFs and SnpEff EFF write "X" for a stop codon (p.R419X); HGVS now writes Ter.
# fmt: off
ONE_TO_THREE = {
    "A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu", "G": "Gly", "H": "His",
    "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe", "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp",
    "Y": "Tyr", "V": "Val", "U": "Sec", "O": "Pyl", "*": "Ter", "X": "Ter",
}
# fmt: on
_THREE_LETTER = re.compile(r"^p\.\(?(?:[A-Z][a-z]{2}|=)")
# A residue number follows an amino-acid code; the count after "fs"/"ext" (fsTer5, extTer17) is not a residue.
_RESIDUE = re.compile(r"(?<!fs)(?<!ext)(Ter|[A-Z][a-z]{2}|\*)(\d+)")
_SO_FROM_EFF = {
    "NON_SYNONYMOUS_CODING": "missense_variant",
    "SYNONYMOUS_CODING": "synonymous_variant",
    "STOP_GAINED": "stop_gained",
    "STOP_LOST": "stop_lost",
    "START_LOST": "start_lost",
    "NON_SYNONYMOUS_START": "initiator_codon_variant",
    "SYNONYMOUS_STOP": "stop_retained_variant",
    "FRAME_SHIFT": "frameshift_variant",
    "CODON_INSERTION": "inframe_insertion",
    "CODON_DELETION": "inframe_deletion",
    "CODON_CHANGE_PLUS_CODON_INSERTION": "disruptive_inframe_insertion",
    "CODON_CHANGE_PLUS_CODON_DELETION": "disruptive_inframe_deletion",
    "SPLICE_SITE_ACCEPTOR": "splice_acceptor_variant",
    "SPLICE_SITE_DONOR": "splice_donor_variant",
    "SPLICE_SITE_REGION": "splice_region_variant",
    "UTR_5_PRIME": "5_prime_UTR_variant",
    "UTR_3_PRIME": "3_prime_UTR_variant",
    "INTRON": "intron_variant",
    "UPSTREAM": "upstream_gene_variant",
    "DOWNSTREAM": "downstream_gene_variant",
    "EXON": "non_coding_transcript_exon_variant",
    "INTERGENIC": "intergenic_region",
}
# SnpEff ANN's fixed field order (its header Description spells the same names with spaces).
# fmt: off
_ANN_FIELDS = (
    "Allele", "Annotation", "Annotation_Impact", "Gene_Name", "Gene_ID", "Feature_Type", "Feature_ID",
    "Transcript_BioType", "Rank", "HGVS.c", "HGVS.p", "cDNA.pos", "CDS.pos", "AA.pos", "Distance", "ERRORS",
)
_EFF_DEFAULT = (
    "Effect_Impact", "Functional_Class", "Codon_Change", "Amino_Acid_Change", "Amino_Acid_Length", "Gene_Name",
    "Transcript_BioType", "Gene_Coding", "Transcript_ID", "Exon_Rank",
)
# fmt: on
# SnpEff's -cancer mode adds entries for "ALT-REF" pairs (somatic versus germline allele); they are not ALTs.
_CANCER_PAIR = re.compile(r"^[ACGTN]+-[ACGTN]+$")


@dataclass(frozen=True)
class Entry:
    """One transcript's annotation, whatever the annotator called the fields."""

    allele: str
    gene: str
    transcript: str
    consequence: str
    hgvs_c: str = ""
    hgvs_p: str = ""
    exon: int | None = None
    protein_position: int | None = None
    canonical: bool = False
    biotype: str = ""


@dataclass(frozen=True)
class Annotation:
    transcript: str = ""
    hgvs_c: str = ""
    hgvs_p: str = ""
    consequence: str = ""
    exon: int | None = None
    protein_position: int | None = None
    warning: str = ""

    @property
    def empty(self) -> bool:
        return not (self.consequence or self.hgvs_c or self.hgvs_p)


NOT_ANNOTATED = Annotation()
ANNOTATION_KEYS = ("CSQ", "ANN", "EFF")  # the INFO keys entries() reads


class Annotator:
    """Reads whichever of CSQ, ANN and EFF a record carries, preferring them in that order. CSQ's field order
    comes from its header Description; EFF's too when the header gives one."""

    def __init__(self, info: Mapping[str, FieldDef]) -> None:
        self.csq_fields = _csq_fields(info["CSQ"].description) if "CSQ" in info else None
        self.eff_fields = _eff_fields(info["EFF"].description) if "EFF" in info else _EFF_DEFAULT

    def annotate(self, info: Mapping[str, str], gene: str, ref: str, alts: list[str], alt: str) -> Annotation:
        """The annotation of one ALT allele in one kept gene; empty when the file carries none usable."""
        if info.keys().isdisjoint(ANNOTATION_KEYS):
            return NOT_ANNOTATED  # most records of most files: answered before any work
        entries = [entry for entry in self.entries(info) if _same_allele(entry.allele, ref, alts, alt)]
        if len(alts) > 1 and any(not entry.allele for entry in entries):
            return Annotation(warning="annotation without an Allele field cannot be matched to one of several ALTs")
        return crbn_annotation(entries) if gene == "CRBN" else _gene_annotation(entries, gene)

    def entries(self, info: Mapping[str, str]) -> list[Entry]:
        if self.csq_fields is not None and info.get("CSQ"):
            return [_csq_entry(self.csq_fields, text) for text in info["CSQ"].split(",")]
        if info.get("ANN"):
            return [_ann_entry(text) for text in info["ANN"].split(",")]
        if info.get("EFF"):
            return [_eff_entry(self.eff_fields, text) for text in info["EFF"].split(",")]
        return []


def crbn_annotation(entries: list[Entry]) -> Annotation:
    """The MANE Select entry; else isoform 2 moved to canonical numbering; else nothing usable."""
    for entry in entries:
        if _base(entry.transcript) in crbn.MANE_TRANSCRIPTS:
            return _from_entry(entry)
    for entry in entries:
        if _base(entry.transcript) in crbn.ISOFORM2_TRANSCRIPTS:
            return to_canonical(_from_entry(entry))
    others = sorted({entry.transcript for entry in entries if entry.gene == "CRBN"})
    warning = f"CRBN annotated only on non-canonical transcripts ({', '.join(others)})" if others else ""
    return Annotation(warning=warning)


def to_canonical(annotation: Annotation) -> Annotation:
    """Isoform 2 lacks Ala23: its residue numbers after 23 are canonical minus one. c. stays on isoform 2."""
    transcript, position = annotation.transcript, annotation.protein_position
    warning = (
        f"CRBN annotated only on isoform 2 ({transcript}): protein position and p. residue numbers converted to "
        f"canonical {crbn.CANONICAL_PROTEIN} numbering; c. left on {transcript}"
    )
    canonical_position = crbn.canonical_residue(position, transcript) if position is not None else None
    hgvs_p = _RESIDUE.sub(lambda match: _canonical_residue_text(match, transcript), annotation.hgvs_p)
    return replace(annotation, hgvs_p=hgvs_p, protein_position=canonical_position, warning=warning)


def _canonical_residue_text(match: re.Match[str], transcript: str) -> str:
    return match.group(1) + str(crbn.canonical_residue(int(match.group(2)), transcript))


def _gene_annotation(entries: list[Entry], gene: str) -> Annotation:
    mine = [entry for entry in entries if entry.gene == gene]
    coding = [entry for entry in mine if entry.biotype == "protein_coding"]
    for candidates in ([entry for entry in mine if entry.canonical], coding, mine):
        if candidates:
            return _from_entry(candidates[0])
    return Annotation()


def _from_entry(entry: Entry) -> Annotation:
    return Annotation(
        transcript=entry.transcript,
        hgvs_c=entry.hgvs_c,
        hgvs_p=entry.hgvs_p,
        consequence=entry.consequence,
        exon=entry.exon,
        protein_position=entry.protein_position or first_residue(entry.hgvs_p),
    )


# Field layouts ---------------------------------------------------------------------------------------------


def _csq_fields(description: str) -> list[str]:
    """VEP writes its field order into the header: '... Format: Allele|Consequence|IMPACT|SYMBOL|...'."""
    _, _, layout = description.partition("Format:")
    return [name.strip() for name in layout.strip().strip("'\" ").split("|")]


def _eff_fields(description: str) -> tuple[str, ...]:
    """'Effect ( Effect_Impact | Functional_Class | ... | Exon [ | ERRORS | WARNINGS ] )': the names inside."""
    match = re.search(r"\(([^()]*)\)", description)
    if not match:
        return _EFF_DEFAULT
    names = [name.strip(" []").lower() for name in match.group(1).split("[")[0].split("|")]
    return tuple(_EFF_ALIASES.get(name, name) for name in names if name)


_EFF_ALIASES = {
    "effect_impact": "Effect_Impact",
    "functional_class": "Functional_Class",
    "codon_change": "Codon_Change",
    "amino_acid_change": "Amino_Acid_Change",
    "amino_acid_length": "Amino_Acid_Length",
    "gene_name": "Gene_Name",
    "gene_biotype": "Transcript_BioType",
    "transcript_biotype": "Transcript_BioType",
    "coding": "Gene_Coding",
    "gene_coding": "Gene_Coding",
    "transcript": "Transcript_ID",
    "transcript_id": "Transcript_ID",
    "exon": "Exon_Rank",
    "exon_rank": "Exon_Rank",
    "exon_id": "Exon_Rank",
    "genotype_number": "Genotype_Number",
}


def _csq_entry(fields: list[str], text: str) -> Entry:
    values = dict(zip(fields, text.split("|"), strict=False))
    hgvs_p = _hgvs(values.get("HGVSp", ""))
    position = leading_int(values.get("Protein_position", ""))
    return Entry(
        allele=values.get("Allele", ""),
        gene=values.get("SYMBOL", ""),
        transcript=values.get("Feature", ""),
        consequence=values.get("Consequence", ""),
        hgvs_c=_hgvs(values.get("HGVSc", "")),
        hgvs_p=hgvs_p or _from_amino_acids(values.get("Amino_acids", ""), position),
        exon=leading_int(values.get("EXON", "")),
        protein_position=position,
        canonical=values.get("CANONICAL") == "YES" or bool(values.get("MANE_SELECT")) or values.get("PICK") == "1",
        biotype=values.get("BIOTYPE", ""),
    )


def _ann_entry(text: str) -> Entry:
    values = dict(zip(_ANN_FIELDS, text.split("|"), strict=False))
    consequence = values.get("Annotation", "")
    return Entry(
        allele=values.get("Allele", ""),
        gene=values.get("Gene_Name", ""),
        transcript=values.get("Feature_ID", ""),
        consequence=consequence,
        hgvs_c=_hgvs(values.get("HGVS.c", "")),
        hgvs_p=_hgvs(values.get("HGVS.p", "")),
        exon=None if "intron" in consequence else leading_int(values.get("Rank", "")),  # Rank counts introns there
        protein_position=leading_int(values.get("AA.pos", "")),
        biotype=values.get("Transcript_BioType", ""),
    )


def _eff_entry(fields: tuple[str, ...], text: str) -> Entry:
    effect, _, rest = text.partition("(")
    values = dict(zip(fields, rest.rstrip(")").split("|"), strict=False))
    parts = values.get("Amino_Acid_Change", "").split("/")
    hgvs_c = next((part for part in parts if part.startswith("c.")), "")
    protein = next((part for part in parts if not part.startswith("c.")), "")
    return Entry(
        allele="",  # EFF names the genotype, not the allele
        gene=values.get("Gene_Name", ""),
        transcript=values.get("Transcript_ID", ""),
        consequence="&".join(_SO_FROM_EFF.get(name, name.lower()) for name in effect.strip().split("+")),
        hgvs_c=hgvs_c,
        hgvs_p=three_letter(protein if protein.startswith("p.") else f"p.{protein}") if protein else "",
        exon=None if "intron" in effect.lower() else leading_int(values.get("Exon_Rank", "")),
        biotype=values.get("Transcript_BioType", ""),
    )


# Small helpers ---------------------------------------------------------------------------------------------


def three_letter(change: str) -> str:
    """'p.C391R' -> 'p.Cys391Arg', 'p.R419*' -> 'p.Arg419Ter', 'p.C473C' -> 'p.Cys473='; three-letter and
    splice notations are kept."""
    if not change or _THREE_LETTER.match(change) or "splice" in change:
        return change
    body = change[2:] if change.startswith("p.") else change
    synonymous = re.fullmatch(r"([A-Z*])(\d+)\1", body)
    if synonymous:
        return f"p.{ONE_TO_THREE[synonymous[1]]}{synonymous[2]}="
    return "p." + "".join(ONE_TO_THREE.get(char, char) if char.isupper() or char == "*" else char for char in body)


def vep_allele(ref: str, alts: list[str], alt: str) -> str:
    """VEP's Allele for an ALT: when every allele shares the first base, VEP drops it ('-' if nothing is left)."""
    if len(ref) == 1 and all(len(other) == 1 for other in alts):
        return alt
    if all(other[:1] == ref[:1] for other in alts):
        return alt[1:] or "-"
    return alt


def _same_allele(allele: str, ref: str, alts: list[str], alt: str) -> bool:
    if _CANCER_PAIR.match(allele):
        return False
    return not allele or allele == alt or allele == vep_allele(ref, alts, alt)


def _hgvs(value: str) -> str:
    """'ENSP00000231948.4:p.Cys391Arg' -> 'p.Cys391Arg'; VEP URL-encodes '=' as %3D."""
    return value.rsplit(":", 1)[-1].replace("%3D", "=") if value else ""


def _from_amino_acids(amino_acids: str, position: int | None) -> str:
    """VEP without --hgvs still writes Amino_acids 'C/R' and Protein_position: enough for a substitution."""
    ref, _, alt = amino_acids.partition("/")
    if position is None or len(ref) != 1 or len(alt) > 1:
        return ""
    return three_letter(f"p.{ref}{position}{alt or '='}")


def first_residue(hgvs_p: str) -> int | None:
    match = _RESIDUE.search(hgvs_p)
    return int(match.group(2)) if match else None


def leading_int(value: str) -> int | None:
    """'10/11' -> 10, '391-392' -> 391, '391/442' -> 391, '' -> None."""
    match = re.match(r"\s*(\d+)", value)
    return int(match.group(1)) if match else None


def _base(transcript: str) -> str:
    return transcript.split(".")[0]
