"""Which parser reads a file: sniffed from its first lines, or the kind the uploader chose. Pure Python."""

from dataclasses import dataclass
from typing import Protocol

from . import copy_number, expression, fusions, junctions, maf, structural, vcf
from .facts import ParseError, ParseOptions, ParseResult
from .reader import LineSource, Progress


class ParserModule(Protocol):
    """The protocol every parser module follows (see the package docstring)."""

    def sniff(self, head: list[str], filename: str) -> str | None: ...

    def parse(self, source: LineSource, options: ParseOptions, progress: Progress | None = None) -> ParseResult: ...


# Order matters where formats overlap: an SV VCF is also a VCF, so the SV parser is asked first.
PARSERS: dict[str, tuple[ParserModule, ...]] = {
    "structural_variants": (structural,),
    "small_variants": (vcf, maf),
    "copy_number": (copy_number,),
    "junctions": (junctions,),
    "expression": (expression,),
    "fusions": (fusions,),
}
SNIFF_LINES = 400


@dataclass(frozen=True)
class Sniffed:
    kind: str
    dialect: str


def sniff(source: LineSource) -> Sniffed:
    """The kind and dialect of a file, or a ParseError saying what kinds are accepted."""
    head = _head(source)
    for kind, modules in PARSERS.items():
        for module in modules:
            dialect = module.sniff(head, source.name)
            if dialect:
                return Sniffed(kind, dialect)
    raise ParseError(source.name, None, "the format is not recognised", f"one of: {accepted_formats()}")


def parse(
    source: LineSource, kind: str, options: ParseOptions | None = None, progress: Progress | None = None
) -> ParseResult:
    """Parse with the first parser of ``kind`` that recognises the file; a file of another kind is refused."""
    head = _head(source)
    for module in PARSERS[kind]:
        if module.sniff(head, source.name):
            return module.parse(source, options or ParseOptions(), progress)
    actual = _other_kind(head, source.name, kind)
    found = f"it looks like {actual.dialect}" if actual else "its format is not recognised"
    raise ParseError(source.name, None, f"declared as {kind.replace('_', ' ')}, but {found}")


def accepted_formats() -> str:
    return (
        "VCF (Mutect2, Strelka2, VarDict, VarScan2, FreeBayes, DeepVariant, bcftools, DRAGEN), MAF, "
        "CNVkit .cns/.cnr, GATK/IGV .seg, FACETS, ASCAT, PCGR CNA, SV VCF (Manta, Delly, GRIDSS, LUMPY, SvABA), "
        "STAR SJ.out.tab, regtools junctions, salmon quant.sf, RSEM, featureCounts, TPM table, Arriba, STAR-Fusion"
    )


def _head(source: LineSource) -> list[str]:
    if source.size == 0:
        raise ParseError(source.name, None, "the file is empty")
    return source.head(SNIFF_LINES)


def _other_kind(head: list[str], name: str, declared: str) -> Sniffed | None:
    for kind, modules in PARSERS.items():
        for module in modules:
            dialect = module.sniff(head, name) if kind != declared else None
            if dialect:
                return Sniffed(kind, dialect)
    return None
