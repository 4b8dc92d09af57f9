"""Stored rows for the database tests: parsed files and CRBN fact rows (variants has no row factories), and
knowledge-base texts edited the way a curator would edit them."""

import uuid

from django.core.files.base import ContentFile

from rules.services import bundled_texts
from variants.models import CopyNumberSegment, FileKind, ParseRun, SmallVariant, VariantFile

# GRCh38: CRBN exon 10 holds W380 (CRBN.md section 2); the segment covers the whole gene.
W380_POS = 3_152_480
CRBN_SEGMENT = (3_100_000, 3_200_000)


def parsed_file(sample, kind: str, *, status: str = ParseRun.Status.SUCCEEDED, name: str = "") -> VariantFile:
    """A confirmed file of this kind whose latest parse run has ``status``."""
    variant_file = VariantFile(
        sample=sample,
        original_name=name or f"{kind}.txt",
        sha256=uuid.uuid4().hex * 2,
        size=1,
        kind=kind,
        confirmed=True,
    )
    variant_file.stored.save(variant_file.original_name, ContentFile(b"#"), save=False)
    variant_file.save()
    ParseRun.objects.create(file=variant_file, status=status)
    return variant_file


def w380c(variant_file: VariantFile, *, vaf: float = 0.45, transcript: str = "NM_016302.4") -> SmallVariant:
    """Class B: a missense change at the (S)-thalidomide contact W380, numbered on ``transcript`` but, as the
    parsers store it, already in canonical residue numbers."""
    return SmallVariant.objects.create(
        sample=variant_file.sample,
        source_file=variant_file,
        line=12,
        gene="CRBN",
        chrom="3",
        pos=W380_POS,
        ref="C",
        alt="A",
        filter="PASS",
        vaf=vaf,
        depth=400,
        alt_count=round(400 * vaf),
        transcript=transcript,
        hgvs_p="p.Trp380Cys",
        consequence="missense_variant",
        exon=10,
        protein_position=380,
    )


def one_copy_of_crbn(variant_file: VariantFile) -> CopyNumberSegment:
    """Class F: one copy of CRBN left (absolute copy number 1, diploid sample)."""
    start, end = CRBN_SEGMENT
    return CopyNumberSegment.objects.create(
        sample=variant_file.sample,
        source_file=variant_file,
        line=2,
        gene="CRBN",
        chrom="3",
        start=start,
        end=end,
        copy_number=1,
        log2_ratio=-1.0,
        source="cn",
    )


def class_b_sample(sample, *, vaf: float = 0.45) -> SmallVariant:
    return w380c(parsed_file(sample, FileKind.SMALL_VARIANTS), vaf=vaf)


def class_e_sample(sample) -> None:
    """W380C on the one copy left: biallelic loss (class E). VAF 0.67 at purity 80% is clonal on one copy."""
    w380c(parsed_file(sample, FileKind.SMALL_VARIANTS), vaf=0.67)
    one_copy_of_crbn(parsed_file(sample, FileKind.COPY_NUMBER))


def edited_texts(release: str, *, lenalidomide_b: str = "reduced") -> dict[str, str]:
    """The bundled files as a new release whose class B x lenalidomide cell says ``lenalidomide_b``."""
    texts = bundled_texts()
    texts["release.yaml"] = texts["release.yaml"].replace('release: "2026.11-draft1"', f'release: "{release}"', 1)
    calls = texts["calls.yaml"]
    block = calls.index("  B:\n")
    cell = calls.index("      lenalidomide:\n        call: resistant", block)
    texts["calls.yaml"] = calls[:cell] + calls[cell:].replace("call: resistant", f"call: {lenalidomide_b}", 1)
    return texts
