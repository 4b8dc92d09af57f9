"""Sorted bgzip VCFs without an index, read only in the blocks that can hold a locus: the same facts as a whole
scan, fewer records read and a warning that says so. A file the skip cannot trust is scanned whole, and then still
gives the CRBN record that a skip would have missed."""

import gzip
import random
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pysam
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from variants.crbn import Interval
from variants.models import ParseRun
from variants.parsers import bgzf_skip, vcf
from variants.parsers.bgzf_skip import BlockSkipper, NotSkippable
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import BGZF_EOF, LineSource
from variants.parsers.vcf_header import read_header

from .test_index_upload import parse_confirmed
from .test_sample_page import page_url, upload_url
from .test_vcf import EXON10_GRCH38, MUTECT2_META, OTHER_CSQ, mutect2_record, write_vcf

SAMPLES = ["GERMLINE_PB", "RELAPSE_BM"]
CONTIG_NAMES = [*(str(number) for number in range(1, 23)), "X", "Y"]
CONTIGS = [f"##contig=<ID=chr{name},length={198_295_559 if name == '3' else 250_000_000}>" for name in CONTIG_NAMES]
CRBN_ONLY = {"CRBN": Interval("3", 3_140_000, 3_190_000)}
CRBN_POSITIONS = [EXON10_GRCH38 + 7 * k for k in range(5)]
MISPLACED = EXON10_GRCH38 + 100  # a CRBN call written among chr1's records, where only a whole scan meets it
SKIP_WARNING = re.compile(r"read by skipping blocks: .* only the (\d+) of its ([\d,]+) bgzip blocks")


def filler(chrom: str, count: int, start: int = 10_000, note: int = 0) -> list[str]:
    """``count`` records 1 kb apart, far from every locus of a test; with ``note``, each carries that many random
    hex digits, which neither compress nor fit a block's first kilobyte with its neighbour."""
    rng = random.Random(start)
    records = [mutect2_record(start + 1_000 * i, OTHER_CSQ, chrom) for i in range(count)]
    return [record.replace("DP=180", f"DP=180;NOTE={rng.getrandbits(4 * note):0{note}x}") for record in records]


def sorted_records(note: int = 0) -> list[str]:
    """10,005 records over chr1, chr3 with five calls in CRBN, chr7 and chrX: about 30 bgzip blocks (many more
    with notes)."""
    crbn = [mutect2_record(position) for position in CRBN_POSITIONS]
    chr3 = [*filler("chr3", 2_000, note=note), *crbn, *filler("chr3", 2_000, 4_000_000, note)]
    return [*filler("chr1", 4_000, note=note), *chr3, *filler("chr7", 1_000, note=note), *filler("chrX", 1_000)]


def with_misplaced(records: list[str]) -> list[str]:
    """The records with a CRBN call in the middle of chr1's (not the first record of any block)."""
    return [*records[:2_000], mutect2_record(MISPLACED), *records[2_000:]]


def bgzipped(tmp_path: Path, records: list[str], meta: list[str] | None = None, name: str = "t.vcf") -> Path:
    plain = write_vcf(tmp_path, meta if meta is not None else [*MUTECT2_META, *CONTIGS], SAMPLES, records, name)
    compressed = tmp_path / f"{name}.gz"
    pysam.tabix_compress(str(plain), str(compressed), force=True)
    return compressed


def parse(path: Path, loci: dict[str, Interval] | None = CRBN_ONLY, **kwargs: Any) -> ParseResult:
    return vcf.parse(LineSource(path), ParseOptions(), loci=loci, **kwargs)


def data_blocks(path: Path) -> int:
    """The bgzip blocks of a file that hold data, counted from their headers (BSIZE) and trailers (ISIZE)."""
    data, pos, count = path.read_bytes(), 0, 0
    while pos < len(data):
        size = int.from_bytes(data[pos + 16 : pos + 18], "little") + 1
        count += int.from_bytes(data[pos + size - 4 : pos + size], "little") > 0
        pos += size
    return count


@pytest.fixture
def skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test files are a few MB: skip them as a whole genome's file would be."""
    monkeypatch.setattr(vcf, "SKIP_MIN_BYTES", 0)


# A sorted file ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loci", "note"),
    [(CRBN_ONLY, 0), (None, 0), (CRBN_ONLY, 1_500)],
    ids=["CRBN", "every locus of interest", "records of 2 kB that compress little"],
)
def test_a_sorted_file_gives_the_facts_of_a_whole_scan_from_a_few_blocks(
    tmp_path: Path, skipping: None, loci: dict[str, Interval] | None, note: int
) -> None:
    compressed = bgzipped(tmp_path, sorted_records(note))
    scanned, skimmed = parse(tmp_path / "t.vcf", loci), parse(compressed, loci)
    assert [(v.gene, v.pos) for v in scanned.small_variants] == [("CRBN", position) for position in CRBN_POSITIONS]
    assert [replace(v, line=0) for v in scanned.small_variants] == skimmed.small_variants
    [warning] = skimmed.warnings
    found = SKIP_WARNING.search(warning)
    assert found is not None and int(found[2].replace(",", "")) == data_blocks(compressed) > 20
    assert 2 <= int(found[1]) <= 10
    # Only the records of the blocks read are counted: those around CRBN, a few blocks' worth of them.
    assert len(CRBN_POSITIONS) < skimmed.records_read < 2_000 < scanned.records_read


def test_a_skip_that_leaves_no_block_out_is_a_whole_scan(tmp_path: Path, skipping: None) -> None:
    everywhere = {name: Interval(name, 1, 300_000_000) for name in ("1", "3", "7", "X")}
    compressed = bgzipped(tmp_path, sorted_records())
    scanned, skimmed = parse(tmp_path / "t.vcf", everywhere), parse(compressed, everywhere)
    assert skimmed.small_variants == scanned.small_variants and len(scanned.small_variants) == 10_005
    assert skimmed.records_read == scanned.records_read == 10_005
    assert skimmed.warnings == scanned.warnings == []


def test_a_smaller_file_is_scanned_whole_so_its_rows_keep_their_line_numbers(tmp_path: Path) -> None:
    compressed = bgzipped(tmp_path, sorted_records())
    assert compressed.stat().st_size < vcf.SKIP_MIN_BYTES
    result = parse(compressed)
    assert [v.line for v in result.small_variants] == [
        len(MUTECT2_META) + len(CONTIGS) + 2 + 2_000 + 4_000 + k for k in range(1, 6)
    ]
    assert result.warnings == [] and result.records_read > 6_000


def test_a_record_out_of_order_inside_a_block_not_read_is_missed_as_an_index_would(
    tmp_path: Path, skipping: None
) -> None:
    """The limit of the skip, and why every case below matters: nothing read says the file is unsorted."""
    result = parse(bgzipped(tmp_path, with_misplaced(sorted_records())))
    assert [v.pos for v in result.small_variants] == CRBN_POSITIONS
    assert SKIP_WARNING.search(result.warnings[0])


def test_progress_advances_through_the_walk_and_ends_at_the_whole_file(
    tmp_path: Path, skipping: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bgzf_skip, "PROGRESS_BYTES", 2_000)  # the file is 37 kB; a genome reports every 16 MiB
    compressed = bgzipped(tmp_path, sorted_records())
    calls: list[tuple[int, int]] = []
    result = parse(compressed, progress=lambda lines, done: calls.append((lines, done)))
    assert calls[-1] == (result.records_read, compressed.stat().st_size)
    assert len(calls) > 5 and [done for _, done in calls] == sorted(done for _, done in calls)


# Files the skip cannot trust: scanned whole ------------------------------------------------------------------


def keys_that_fall(tmp_path: Path) -> Path:
    records = with_misplaced(sorted_records())
    chr7 = [record for record in records if record.startswith("chr7\t")]
    others = [record for record in records if not record.startswith("chr7\t")]
    return bgzipped(tmp_path, [*others[:4_001], *chr7, *others[4_001:]])  # chr7 before chr3: not the header's order


def a_block_without_a_line_end(tmp_path: Path) -> Path:
    records = with_misplaced(sorted_records())
    # Longer than two blocks' worth of text, so at least one block holds no line end.
    records[3_000] = records[3_000].replace("DP=180", "DP=180;NOTE=" + "x" * 140_000)
    return bgzipped(tmp_path, records)


def plain_gzip(tmp_path: Path) -> Path:
    plain = write_vcf(tmp_path, [*MUTECT2_META, *CONTIGS], SAMPLES, with_misplaced(sorted_records()))
    compressed = tmp_path / "t.vcf.gz"
    compressed.write_bytes(gzip.compress(plain.read_bytes()))
    return compressed


def no_contig_lines(tmp_path: Path) -> Path:
    meta = [*MUTECT2_META, "##reference=file:///ref/GRCh38.fa"]
    return bgzipped(tmp_path, with_misplaced(sorted_records()), meta)


def records_read_out_of_order(tmp_path: Path) -> Path:
    records = with_misplaced(sorted_records())
    first = records.index(mutect2_record(CRBN_POSITIONS[0]))
    records[first], records[first + 1] = records[first + 1], records[first]
    return bgzipped(tmp_path, records)


def no_end_of_file_block(tmp_path: Path) -> Path:
    compressed = bgzipped(tmp_path, with_misplaced(sorted_records()))
    compressed.write_bytes(compressed.read_bytes().removesuffix(BGZF_EOF))
    return compressed


def a_gzip_member_appended(tmp_path: Path) -> Path:
    compressed = bgzipped(tmp_path, with_misplaced(sorted_records()))
    more = "".join(record + "\n" for record in filler("chrX", 10, start=2_000_000)).encode()
    compressed.write_bytes(compressed.read_bytes() + gzip.compress(more))
    return compressed


def refusal(path: Path) -> str:
    """Why a skip gives the file up, straight from the skip."""
    source = LineSource(path)
    with source.open() as stream:
        header = read_header(source.name, stream.lines())
    plan = vcf._skip_plan(header, vcf._regions(CRBN_ONLY))
    if plan is None:
        return "no contig order"
    try:
        with BlockSkipper(path, *plan, header.header_line, source.limits) as skipper:
            list(skipper.runs())
    except NotSkippable as error:
        return str(error)
    return "skippable"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (keys_that_fall, "not in the header's contig order"),
        (a_block_without_a_line_end, "a line longer than a block"),
        (plain_gzip, "block chain is broken"),
        (no_contig_lines, "no contig order"),
        (records_read_out_of_order, "records read are not sorted"),
        (no_end_of_file_block, "end-of-file block"),
        (a_gzip_member_appended, "block chain is broken"),
    ],
)
def test_a_file_the_skip_cannot_trust_is_scanned_whole_and_finds_the_misplaced_call(
    tmp_path: Path, skipping: None, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    assert reason in refusal(path)
    result = parse(path)
    assert sorted(v.pos for v in result.small_variants) == sorted([*CRBN_POSITIONS, MISPLACED])
    assert all(v.line > 0 for v in result.small_variants) and result.warnings == []
    # The misplaced call sends the scan back to chr1, so it reads to the end: every record is counted.
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    assert result.records_read == sum(1 for line in lines if not line.startswith("#"))


def test_a_truncated_file_is_refused_as_a_whole_scan_refuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compressed = bgzipped(tmp_path, sorted_records())
    compressed.write_bytes(compressed.read_bytes()[: compressed.stat().st_size * 3 // 5])
    assert "block chain is broken" in refusal(compressed)
    with pytest.raises(ParseError, match="truncated or corrupt") as scanned:
        parse(compressed)
    monkeypatch.setattr(vcf, "SKIP_MIN_BYTES", 0)
    with pytest.raises(ParseError, match="truncated or corrupt") as skimmed:
        parse(compressed)
    assert str(skimmed.value) == str(scanned.value) and skimmed.value.line == scanned.value.line
    assert scanned.value.line is not None and 1_000 < scanned.value.line < 10_000


def test_an_error_in_a_block_read_names_its_line_as_a_whole_scan_does(tmp_path: Path, skipping: None) -> None:
    records = sorted_records()
    broken = records.index(mutect2_record(CRBN_POSITIONS[2]))
    records[broken] = records[broken].rsplit("\t", 1)[0]
    path = bgzipped(tmp_path, records)
    assert refusal(path) == "skippable"  # the skip reads the record, fails, and hands the file to a whole scan
    with pytest.raises(ParseError, match="10 columns") as error:
        parse(path)
    assert error.value.line == len(MUTECT2_META) + len(CONTIGS) + 2 + broken + 1


# On the sample page -------------------------------------------------------------------------------------------


def test_the_sample_page_says_the_file_was_read_by_skipping_blocks(
    lab, sample, settings, skipping, tmp_path, django_capture_on_commit_callbacks
) -> None:
    settings.CELERY_TASK_ALWAYS_EAGER = True
    compressed = bgzipped(tmp_path, sorted_records(), name="relapse.vcf")
    lab.post(upload_url(sample), {"files": [SimpleUploadedFile("relapse.vcf.gz", compressed.read_bytes())]})
    run = parse_confirmed(lab, sample, django_capture_on_commit_callbacks)
    assert (run.status, run.records_kept, run.percent) == (ParseRun.Status.SUCCEEDED, len(CRBN_POSITIONS), 100)
    [warning] = run.warnings
    assert SKIP_WARNING.search(warning) and 0 < run.records_read < 2_000
    assert warning in lab.get(page_url(sample)).content.decode()
