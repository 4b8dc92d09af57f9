"""Mutation Annotation Format: GDC/TCGA, vcf2maf, cBioPortal and the minimal TCGA tables. Pure Python.

Columns are found by name, case-insensitively (TCGA LAML writes End_position, GDC End_Position). A MAF holds
one row per tumour sample and variant, so a file with several Tumor_Sample_Barcodes needs the tumour sample
chosen at upload. The reader splits lines ending in LF, CRLF or a bare CR (classic Mac, e.g. maftools'
APL_primary.maf.gz).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from variants import crbn

from .annotation import Annotation, first_residue, leading_int, three_letter, to_canonical
from .facts import ParseError, ParseOptions, ParseResult, SmallVariant
from .reader import LineSource, Progress, decode
from .vcf_header import listing

REQUIRED = ("Hugo_Symbol", "Chromosome", "Start_Position", "Reference_Allele")
EXPECTED_HEADER = (
    "a tab-separated MAF header starting with Hugo_Symbol, with Chromosome, Start_Position, Reference_Allele"
)
# MAF Variant_Classification -> Sequence Ontology term, as vcf2maf maps them the other way.
SO_FROM_CLASSIFICATION = {
    "missense_mutation": "missense_variant",
    "nonsense_mutation": "stop_gained",
    "nonstop_mutation": "stop_lost",
    "frame_shift_del": "frameshift_variant",
    "frame_shift_ins": "frameshift_variant",
    "in_frame_del": "inframe_deletion",
    "in_frame_ins": "inframe_insertion",
    "splice_site": "splice_site_variant",  # canonical donor/acceptor; MAF does not say which
    "splice_region": "splice_region_variant",
    "translation_start_site": "start_lost",
    "silent": "synonymous_variant",
    "3'utr": "3_prime_UTR_variant",
    "5'utr": "5_prime_UTR_variant",
    "3'flank": "downstream_gene_variant",
    "5'flank": "upstream_gene_variant",
    "intron": "intron_variant",
    "igr": "intergenic_variant",
    "rna": "non_coding_transcript_exon_variant",
}
UNPLACED = {"", "NA", ".", "-"}
# Protein change columns in order of preference; the later ones are one-letter and converted.
PROTEIN_COLUMNS = ("hgvsp", "hgvsp_short", "protein_change", "amino_acid_change")


@dataclass
class _State:
    """What the reader has learnt so far: header, build, barcodes, and the kept rows per tumour sample."""

    columns: dict[str, int] = field(default_factory=dict)
    width: int = 0
    header_line: int = 0
    build: str | None = None
    build_text: str | None = None  # NCBI_Build as the first row wrote it
    build_evidence: str = ""
    rows: int = 0
    barcodes: dict[str, int] = field(default_factory=dict)  # barcode -> first line
    kept: dict[str, list[SmallVariant]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def sniff(head: list[str], filename: str) -> str | None:
    """A MAF's dialect: its first non-comment line is a header starting with Hugo_Symbol."""
    lines = [line for line in head if line.strip() and not line.startswith("#")]
    if not lines or not lines[0].lower().startswith("hugo_symbol\t"):
        return None
    return _dialect(
        {name.strip().lower() for name in lines[0].split("\t")}, any(line.startswith("#version") for line in head)
    )


def _dialect(columns: set[str], versioned: bool) -> str:
    if "gdc_filter" in columns:
        return "GDC MAF"
    if versioned and "vcf_pos" in columns:
        return "vcf2maf MAF"
    if "i_tumorvaf_wu" in columns:
        return "TCGA MAF (minimal)"
    return "MAF"


def parse(
    source: LineSource,
    options: ParseOptions,
    progress: Progress | None = None,
    *,
    loci: Mapping[str, crbn.Interval] | None = None,
) -> ParseResult:
    """The tumour sample's rows in ``loci`` (gene -> interval; default: the build's loci of interest)."""
    reader, versioned = _Reader(source.name, options, loci), False
    for number, raw in source.lines(progress):
        versioned = versioned or raw.startswith(b"#version")
        if raw.strip() and not raw.startswith(b"#"):
            reader.line(number, raw)
    return reader.finish(versioned)


class _Reader:
    def __init__(self, name: str, options: ParseOptions, loci: Mapping[str, crbn.Interval] | None) -> None:
        self.name, self.options, self.loci = name, options, loci
        self.state = _State()

    def line(self, number: int, raw: bytes) -> None:
        if not self.state.columns:
            self._header(number, decode(self.name, number, raw))
            return
        fields = raw.split(b"\t")
        if len(fields) != self.state.width:
            expected = f"{self.state.width} tab-separated columns, as on the header line {self.state.header_line}"
            raise ParseError(self.name, number, f"the row has {len(fields)} columns", expected)
        self.state.rows += 1
        self._row(number, fields)

    def _header(self, number: int, text: str) -> None:
        names = [name.strip().lower() for name in text.split("\t")]
        if names[0] != "hugo_symbol":
            raise ParseError(self.name, number, f"not a MAF header: {text[:60]!r}", EXPECTED_HEADER)
        missing = [name for name in REQUIRED if name.lower() not in names]
        if missing or not {"tumor_seq_allele2", "tumor_seq_allele1"} & set(names):
            absent = ", ".join(missing) or "Tumor_Seq_Allele2"
            raise ParseError(self.name, number, f"the header lacks {absent}", EXPECTED_HEADER)
        self.state.columns = {name: index for index, name in reversed(list(enumerate(names)))}
        self.state.width, self.state.header_line = len(names), number

    def _row(self, number: int, fields: list[bytes]) -> None:
        barcode = self._text(fields, "tumor_sample_barcode")
        self.state.barcodes.setdefault(barcode, number)
        self._check_build(number, self._text(fields, "ncbi_build"))
        if self.options.tumour_sample is not None and barcode != self.options.tumour_sample:
            return
        chrom, start = crbn.normalise_chrom(self._text(fields, "chromosome")), self._position(number, fields)
        if start is None:
            self._unplaced(number, self._text(fields, "hugo_symbol"))
            return
        end = _int(self._text(fields, "end_position")) or start
        gene = self._gene(chrom, start, end)
        if gene is not None:
            row = _Row(self.state.columns, decode(self.name, number, b"\t".join(fields)).split("\t"))
            annotation = row.annotation(gene, self.state.build or "", start)
            self.state.kept.setdefault(barcode, []).append(row.variant(gene, chrom, start, number, annotation))
            if annotation.warning:
                self.state.warnings.append(f"line {number}: {annotation.warning}")

    def _text(self, fields: list[bytes], column: str) -> str:
        index = self.state.columns.get(column)
        return fields[index].decode("utf-8", errors="replace").strip() if index is not None else ""

    def _position(self, number: int, fields: list[bytes]) -> int | None:
        """The start, or None where the MAF writes none (maftools' APL file has FLT3-ITD rows with NA)."""
        text = self._text(fields, "start_position")
        if text.upper() in UNPLACED:
            return None
        if not text.isdigit():
            raise ParseError(self.name, number, f"Start_Position {text[:20]!r} is not a position", "a whole number")
        return int(text)

    def _check_build(self, number: int, text: str) -> None:
        """Every row names the same build; the first row's is the file's."""
        if text == self.state.build_text:
            return
        if self.state.build_text is not None:
            earlier = self.state.build_text
            raise ParseError(self.name, number, f"NCBI_Build {text!r} differs from the earlier rows' {earlier!r}")
        build = crbn.build_from_name(text) if text else self.options.expected_build
        if build is None:
            problem = f"NCBI_Build {text!r} is not a known build" if text else "no NCBI_Build and no build chosen"
            raise ParseError(self.name, number, problem, "37, GRCh37, hg19, 38, GRCh38 or hg38")
        evidence = (
            f"NCBI_Build {text} (line {number})" if text else "not declared in the file; the build chosen at upload"
        )
        self.state.build, self.state.build_text, self.state.build_evidence = build, text, evidence

    def _unplaced(self, number: int, symbol: str) -> None:
        """A row without a position cannot be placed in a locus; say so when its gene is a kept one."""
        loci = self.loci if self.loci is not None else crbn.PATHWAY_GENES
        if symbol in loci:
            self.state.warnings.append(f"line {number}: a {symbol} row without Start_Position was not kept")

    def _gene(self, chrom: str, start: int, end: int) -> str | None:
        if self.loci is None:  # the first row has set the build by now
            self.loci = crbn.loci_of_interest(self.state.build or "")
        return next((gene for gene, span in self.loci.items() if span.overlaps(chrom, start, end)), None)

    def finish(self, versioned: bool) -> ParseResult:
        state = self.state
        if not state.columns:
            raise ParseError(self.name, None, "the file has no MAF header line", EXPECTED_HEADER)
        tumour, reason = self._tumour()
        dialect = _dialect(set(state.columns), versioned)
        result = ParseResult("small_variants", dialect, state.build, state.build_evidence, tumour, reason)
        result.records_read, result.warnings = state.rows, state.warnings
        result.small_variants = state.kept.get(tumour, [])
        return result

    def _tumour(self) -> tuple[str, str]:
        barcodes = list(self.state.barcodes)
        chosen = self.options.tumour_sample
        if chosen is not None and chosen not in self.state.barcodes:
            problem = f"the tumour sample {chosen!r} is not in Tumor_Sample_Barcode"
            raise ParseError(self.name, None, problem, f"one of {listing(barcodes)}")
        if chosen is not None:
            return chosen, "chosen at upload"
        if len(barcodes) > 1:
            line = list(self.state.barcodes.values())[1]
            problem = f"the MAF holds {len(barcodes)} tumour samples ({listing(barcodes)})"
            raise ParseError(self.name, line, problem, "the tumour sample chosen at upload")
        if "tumor_sample_barcode" not in self.state.columns:
            return "", "no Tumor_Sample_Barcode column"
        return (barcodes[0], "the only Tumor_Sample_Barcode") if barcodes else ("", "no rows")


class _Row:
    """One kept row, its columns looked up by lower-case name."""

    def __init__(self, columns: dict[str, int], values: list[str]) -> None:
        self.columns, self.values = columns, values

    def get(self, *names: str) -> str:
        """The first of these columns present and not empty ('.' counts as empty)."""
        for name in names:
            index = self.columns.get(name)
            value = self.values[index].strip() if index is not None else ""
            if value and value != ".":
                return value
        return ""

    def variant(self, gene: str, chrom: str, pos: int, number: int, annotation: Annotation) -> SmallVariant:
        ref = self.get("reference_allele")
        allele2, allele1 = self.get("tumor_seq_allele2"), self.get("tumor_seq_allele1")
        alt = allele2 if allele2 and allele2 != ref else allele1
        alt_count, depth = self._counts()
        vaf, vaf_source = self._vaf(alt_count, depth)
        return SmallVariant(
            gene=gene,
            chrom=chrom,
            pos=pos,
            ref=ref,
            alt=alt,
            filter=self.get("filter") or ".",
            line=number,
            vaf=vaf,
            vaf_source=vaf_source,
            depth=depth,
            alt_count=alt_count,
            transcript=annotation.transcript,
            hgvs_c=annotation.hgvs_c,
            hgvs_p=annotation.hgvs_p,
            consequence=annotation.consequence,
            exon=annotation.exon,
            protein_position=annotation.protein_position,
            needs_annotation=gene == "CRBN"
            and annotation.exon is not None
            and not (annotation.hgvs_c or annotation.hgvs_p),
            normal_alt_count=_int(self.get("n_alt_count")),
            germline_flag=self.get("mutation_status").lower() == "germline",
        )

    def _counts(self) -> tuple[int | None, int | None]:
        alt, ref = _int(self.get("t_alt_count")), _int(self.get("t_ref_count"))
        depth = _int(self.get("t_depth"))
        return alt, depth if depth is not None else (alt + ref if alt is not None and ref is not None else None)

    def _vaf(self, alt_count: int | None, depth: int | None) -> tuple[float | None, str]:
        if alt_count is not None and depth:
            return alt_count / depth, "MAF counts"
        if self.get("i_tumorvaf_wu"):
            return _float(self.get("i_tumorvaf_wu"), 100), "i_TumorVAF_WU"
        if self.get("tumor_f"):
            return _float(self.get("tumor_f"), 1), "tumor_f"
        return None, ""

    def annotation(self, gene: str, build: str, pos: int) -> Annotation:
        """Transcript, HGVS, consequence, exon and protein position; CRBN moved to canonical numbering."""
        hgvs_p, ref = _protein_change(self.get(*PROTEIN_COLUMNS)), self.get("reference_allele")
        annotation = Annotation(
            transcript=self.get("transcript_id", "i_transcript_name", "refseq"),
            hgvs_c=self.get("hgvsc").rsplit(":", 1)[-1],
            hgvs_p=hgvs_p,
            consequence=self.get("consequence") or _consequence(self.get("variant_classification")),
            exon=leading_int(self.get("exon_number", "exon")) or _crbn_exon(gene, build, pos, ref),
            protein_position=leading_int(self.get("protein_position")) or first_residue(hgvs_p),
        )
        return self._canonical(annotation) if gene == "CRBN" else annotation

    def _canonical(self, annotation: Annotation) -> Annotation:
        """CRBN rows on isoform 2 move to canonical numbering; other transcripts are flagged, not guessed."""
        base = annotation.transcript.split(".")[0]
        if base in crbn.ISOFORM2_TRANSCRIPTS:
            return to_canonical(annotation)
        if base and base not in crbn.MANE_TRANSCRIPTS:
            warning = f"CRBN row annotated on {annotation.transcript}, not the MANE Select transcript"
            return replace(annotation, warning=warning)
        return annotation


def _protein_change(text: str) -> str:
    """HGVSp (maybe 'ENSP...:p.Cys391Arg') as written; one-letter forms ('p.C391R', 'C391R') to three-letter."""
    text = text.rsplit(":", 1)[-1].replace("%3D", "=")
    if not text:
        return ""
    return three_letter(text if text.startswith("p.") else f"p.{text}")


def _consequence(classification: str) -> str:
    return SO_FROM_CLASSIFICATION.get(classification.lower(), classification)


def _crbn_exon(gene: str, build: str, pos: int, ref: str) -> int | None:
    if gene != "CRBN" or not build:
        return None
    exons = (crbn.crbn_exon_at(build, position) for position in range(pos, pos + max(len(ref.strip("-")), 1)))
    return next((exon for exon in exons if exon is not None), None)


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _float(text: str, scale: float) -> float | None:
    try:
        return float(text) / scale
    except ValueError:
        return None
