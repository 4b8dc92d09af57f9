"""The sieve that the reader's threads run on each inflated chunk of a VCF: which lines the scan must read. A
sieved scan must give exactly what the line-by-line rules give: the same records counted, variants kept, line
numbers and errors, in any record order."""

from pathlib import Path

import pysam
import pytest

from variants.crbn import GRCH38, PATHWAY_GENES
from variants.parsers import reader, vcf, vcf_sieve
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import LineSource
from variants.parsers.vcf_sieve import ChunkSieve, Sieved

CRBN = PATHWAY_GENES["CRBN"][GRCH38]
HEADER = [
    "##fileformat=VCFv4.2",
    "##contig=<ID=chr1,length=248956422>",
    "##contig=<ID=chr2,length=242193529>",
    "##contig=<ID=chr3,length=198295559>",
    "##contig=<ID=chr7,length=159345973>",
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR",
]
TAIL = "\t.\tA\tG\t.\tPASS\tDP=50\tGT:AD\t0/1:30,20"


def record(chrom: str, pos: int | str) -> str:
    return f"{chrom}\t{pos}{TAIL}"


def bgzip(path: Path, lines: list[str]) -> Path:
    with pysam.BGZFile(str(path), "wb") as handle:
        handle.write("".join(line + "\n" for line in lines).encode())
    return path


def scan(path: Path, monkeypatch: pytest.MonkeyPatch, sieved: bool) -> tuple[ParseResult, int]:
    """The parse with the sieve, or with the line rules alone; and how many chunks the sieve answered for."""
    answered = []

    def counting(windows: vcf_sieve.Windows) -> object:
        sieve = ChunkSieve(windows)
        return lambda chunk: answered.append(1) or sieve(chunk)

    with monkeypatch.context() as patch:
        patch.setattr(reader, "CHUNK_BYTES", 256 << 10)  # many chunks, so that most are sieved
        patch.setattr(vcf, "ChunkSieve", counting if sieved else lambda windows: None)
        return vcf.parse(LineSource(path), ParseOptions()), len(answered)


def both(path: Path, monkeypatch: pytest.MonkeyPatch) -> ParseResult:
    sieved, answered = scan(path, monkeypatch, sieved=True)
    plain, _ = scan(path, monkeypatch, sieved=False)
    assert answered > 5
    assert (sieved.records_read, sieved.small_variants, sieved.warnings) == (
        plain.records_read,
        plain.small_variants,
        plain.warnings,
    )
    return sieved


def bulk(chrom: str, first: int, count: int, step: int = 7) -> list[str]:
    return [record(chrom, first + i * step) for i in range(count)]


def test_a_sieved_scan_of_a_sorted_file_finds_what_the_line_rules_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    near_crbn = [record("chr3", CRBN.start + i * 50) for i in range(20)]
    lines = [*HEADER, *bulk("chr1", 1, 20_000), *bulk("chr2", 1, 10_000), *bulk("chr3", 1_000, 10_000)]
    lines += [*near_crbn, *bulk("chr3", CRBN.end + 20_000, 10_000), *bulk("chr7", 1, 5_000)]
    result = both(bgzip(tmp_path / "sorted.vcf.gz", lines), monkeypatch)
    assert len(result.small_variants) == 20
    assert result.small_variants[0].line == len(HEADER) + 40_001


def test_odd_lines_are_read_by_the_line_rules_in_an_unsorted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty lines, long contig names, POS with a leading zero or more digits than a genome has, a locus's
    chromosome coming back after others: each is read as a line-by-line scan reads it."""
    odd = ["", record("chrUn_JTFH01000001v1_decoy", 5), record("chr3", f"0{CRBN.start + 10}")]
    odd += [record("chr3", 123_456_789_012_345), record("chr3", CRBN.start + 20)]
    lines = [*HEADER, *bulk("chr1", 1, 15_000), *odd, *bulk("chr1", 200_000, 15_000)]
    lines += [*bulk("chr7", 1, 5_000), record("chr3", CRBN.start + 30), *bulk("chr2", 1, 10_000)]
    result = both(bgzip(tmp_path / "unsorted.vcf.gz", lines), monkeypatch)
    assert [variant.pos for variant in result.small_variants] == [CRBN.start + 10, CRBN.start + 20, CRBN.start + 30]


def test_a_malformed_record_deep_in_the_file_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [*HEADER, *bulk("chr1", 1, 30_000), "chr1 no tabs here", *bulk("chr1", 300_000, 100)]
    path = bgzip(tmp_path / "bad.vcf.gz", lines)
    for sieved in (True, False):
        with pytest.raises(ParseError, match="no tab-separated columns") as error:
            scan(path, monkeypatch, sieved)
        assert error.value.line == len(HEADER) + 30_001


def test_the_sieve_picks_new_chromosomes_loci_and_lines_it_cannot_judge() -> None:
    lines = ["1\tend of a line begun in the chunk before", record("chr1", 10), record("chr1", 20)]
    lines += [record("chr3", 100), record("chr3", CRBN.start), record("chr3", "0100"), "", record("chr3", 200)]
    chunk = "\n".join(lines).encode() + b"\n"
    sieved = ChunkSieve({"3": [(CRBN.start - 1_000, CRBN.end)]})(chunk)
    assert isinstance(sieved, Sieved)
    assert sieved.lines == len(lines) and sieved.first_end == len(lines[0])
    picked = [(index, chunk[start:end].decode()) for index, start, end in sieved.picks]
    # chr1 first (the line before is the scan's), chr3 on entering it, the locus, the leading zero, the empty
    # line, and the line after it (the empty line's key is not chr3's).
    assert [index for index, _ in picked] == [1, 3, 4, 5, 6, 7]
    assert picked[1][1] == record("chr3", 100) and picked[4][1] == ""


def test_the_sieve_leaves_chunks_with_cr_line_ends_to_the_line_rules() -> None:
    assert ChunkSieve({})(b"chr1\t1\r\nchr1\t2\r\n") is None
