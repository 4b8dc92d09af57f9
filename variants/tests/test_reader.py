"""The shared line reader: line endings, gzip and bgzip (inflated by threads), limits, progress, and the blocks of
whole lines the VCF scan skips through; every error names its line."""

import gzip
import threading
from pathlib import Path

import pysam
import pytest

from variants.parsers import reader
from variants.parsers.facts import ParseError
from variants.parsers.reader import Limits, LineSource, decode

LINES = [f"chr1\t{position}\t.\tA\tG\t.\tPASS\tDP={position % 97}" for position in range(1, 3_001)]


def text(lines: list[str], end: str = "\n") -> bytes:
    return "".join(line + end for line in lines).encode()


def numbered(path: Path, limits: Limits | None = None) -> list[tuple[int, bytes]]:
    return list(LineSource(path, limits=limits or Limits()).lines())


def bgzip(path: Path, data: bytes) -> Path:
    with pysam.BGZFile(str(path), "wb") as handle:
        handle.write(data)
    return path


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of a few hundred bytes, so line ends and limits fall across chunk boundaries."""
    monkeypatch.setattr(reader, "FIRST_CHUNK_BYTES", 101)
    monkeypatch.setattr(reader, "CHUNK_BYTES", 397)


@pytest.fixture
def inflater() -> str:
    """The bgzip block inflater (isal); a fixture so that the block tests say what they exercise."""
    return "isal"


# Line endings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_lf_crlf_and_cr_all_end_lines(tmp_path: Path, end: str, small_chunks: None) -> None:
    path = tmp_path / "t.tsv"
    path.write_bytes(text(LINES[:50], end))
    assert numbered(path) == [(number, line.encode()) for number, line in enumerate(LINES[:50], 1)]


def test_a_crlf_split_across_chunks_is_one_line_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "FIRST_CHUNK_BYTES", 4)  # "abc\r" | "\ndef\r\n"
    path = tmp_path / "t.txt"
    path.write_bytes(b"abc\r\ndef\r\n")
    assert numbered(path) == [(1, b"abc"), (2, b"def")]


def test_a_bare_cr_at_a_chunk_end_still_ends_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "FIRST_CHUNK_BYTES", 4)  # "abc\r" | "def\r" (old Mac file)
    path = tmp_path / "t.txt"
    path.write_bytes(b"abc\rdef\r\rghi")
    assert numbered(path) == [(1, b"abc"), (2, b"def"), (3, b""), (4, b"ghi")]


def test_the_last_line_needs_no_line_end(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"a\nb")
    assert numbered(path) == [(1, b"a"), (2, b"b")]


# gzip and bgzip ----------------------------------------------------------------------------------------------


def test_gzip_with_several_members_reads_as_one_file(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv.gz"
    path.write_bytes(gzip.compress(text(LINES[:10])) + gzip.compress(text(LINES[10:20])))
    assert [line for _, line in numbered(path)] == [line.encode() for line in LINES[:20]]


def test_bgzip_blocks_are_inflated_in_order(tmp_path: Path, inflater: str, small_chunks: None) -> None:
    # About 110 KB: two BGZF blocks and the end-of-file block, in batches of a few hundred inflated bytes.
    path = bgzip(tmp_path / "t.vcf.gz", text(LINES * 1))
    assert numbered(path) == [(number, line.encode()) for number, line in enumerate(LINES, 1)]


def test_concatenated_bgzip_files_and_an_appended_gzip_member_read_as_one(tmp_path: Path, inflater: str) -> None:
    first = bgzip(tmp_path / "a.gz", text(LINES[:1_500])).read_bytes()
    second = bgzip(tmp_path / "b.gz", text(LINES[1_500:2_500])).read_bytes()
    path = tmp_path / "t.vcf.gz"
    path.write_bytes(first + second + gzip.compress(text(LINES[2_500:])))
    assert [line for _, line in numbered(path)] == [line.encode() for line in LINES]


@pytest.mark.parametrize("kind", ["gzip", "bgzip"])
def test_a_truncated_file_is_refused_naming_the_line_reached(tmp_path: Path, kind: str, inflater: str) -> None:
    data = text(LINES * 20)  # about 2 MB, 60,000 lines
    whole = gzip.compress(data) if kind == "gzip" else bgzip(tmp_path / "whole.gz", data).read_bytes()
    path = tmp_path / "t.vcf.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ParseError, match="truncated or corrupt") as error:
        numbered(path)
    assert error.value.line is not None and 1_000 < error.value.line < 60_000


def test_a_bgzip_block_whose_crc_does_not_match_is_refused(tmp_path: Path, inflater: str) -> None:
    data = bytearray(bgzip(tmp_path / "whole.gz", text(LINES)).read_bytes())
    data[data.index(b"\x1f\x8b", 1) - 8] ^= 0xFF  # the first block's CRC32
    path = tmp_path / "t.vcf.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError, match="truncated or corrupt") as error:
        numbered(path)
    assert error.value.line == 1


# Limits ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("end", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_a_line_over_the_length_limit_is_refused_after_the_lines_before_it(
    tmp_path: Path, end: str, small_chunks: None
) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text(["x" * 40] * 30 + ["y" * 41] + ["z"], end))
    source = LineSource(path, limits=Limits(max_line_bytes=40))
    read = []
    with pytest.raises(ParseError, match="longer than the limit of 40 bytes") as error:
        read.extend(source.lines())
    assert error.value.line == 31 and len(read) == 30


def test_an_endless_line_is_refused_without_reading_it_whole(tmp_path: Path, small_chunks: None) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"short\n" + b"x" * 100_000)
    with pytest.raises(ParseError, match="longer than the limit") as error:
        numbered(path, Limits(max_line_bytes=1_000))
    assert error.value.line == 2


def test_a_file_that_inflates_past_the_limit_is_refused_at_the_line_reached(tmp_path: Path) -> None:
    lines = ["a" * 9] * 100  # 10 bytes a line
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(text(lines)))
    with pytest.raises(ParseError, match="inflates past the limit of 255 bytes") as error:
        numbered(path, Limits(max_inflated_bytes=255))
    assert error.value.line == 26  # bytes 250-259


# Progress and decoding ---------------------------------------------------------------------------------------


def test_progress_is_reported_with_increasing_lines_and_bytes(tmp_path: Path, small_chunks: None) -> None:
    path = bgzip(tmp_path / "t.vcf.gz", text(LINES))
    calls: list[tuple[int, int]] = []
    lines = list(LineSource(path, limits=Limits(progress_every_lines=500)).lines(lambda *call: calls.append(call)))
    assert len(calls) >= 5 and calls == sorted(calls)
    assert calls[-1] == (len(lines), path.stat().st_size)


def test_a_line_that_is_not_utf8_is_refused_naming_it() -> None:
    with pytest.raises(ParseError, match="line 7: the line is not UTF-8 text \\(byte 3\\)"):
        decode("t.vcf", 7, b"ab\xffcd")


# Blocks --------------------------------------------------------------------------------------------------------


def test_blocks_carry_on_after_the_lines_read_and_hold_whole_lf_lines(tmp_path: Path, small_chunks: None) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text(LINES[:200], "\r\n"))
    with LineSource(path).open() as stream:
        head = [line for _, (_, line) in zip(range(3), stream.lines(), strict=False)]
        blocks = list(stream.blocks())
    assert all(block.endswith(b"\n") and b"\r" not in block for block in blocks)
    assert head + b"".join(blocks).split(b"\n")[:-1] == [line.encode() for line in LINES[:200]]


def test_errors_in_block_reading_name_the_line_from_the_callers_count(tmp_path: Path, small_chunks: None) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(text(["x" * 10] * 100 + ["y" * 50]))
    source = LineSource(path, limits=Limits(max_line_bytes=20))
    with source.open() as stream, pytest.raises(ParseError, match="longer than the limit") as error:
        for block in stream.blocks():
            stream.line += block.count(b"\n")
    assert error.value.line == 101


def test_a_reader_that_stops_early_stops_the_inflating_threads(tmp_path: Path, inflater: str) -> None:
    path = bgzip(tmp_path / "t.vcf.gz", text(LINES * 50))
    assert LineSource(path).head(5) == LINES[:5]
    with LineSource(path).open() as stream:
        next(stream.blocks())
    assert not [thread for thread in threading.enumerate() if thread.name.startswith("bgzf")]


# The last line, read from the end ----------------------------------------------------------------------------


def test_the_last_line_of_a_bgzip_file_is_read_from_its_last_blocks(tmp_path: Path) -> None:
    path = bgzip(tmp_path / "t.vcf.gz", text(LINES * 30))  # several blocks
    assert reader.bgzf_last_line(path) == LINES[-1].encode()
    long_last = "x" * 150_000  # across three blocks
    assert reader.bgzf_last_line(bgzip(tmp_path / "long.gz", text([*LINES, long_last]))) == long_last.encode()
    assert reader.bgzf_last_line(bgzip(tmp_path / "one.gz", b"only\r\n")) == b"only"


def test_the_last_line_is_none_when_the_file_does_not_end_in_whole_blocks(tmp_path: Path) -> None:
    path = bgzip(tmp_path / "t.vcf.gz", text(LINES * 30))
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(path.read_bytes()[:-100])
    assert reader.bgzf_last_line(cut) is None
    assert reader.bgzf_last_line(path, blocks=1) == LINES[-1].encode()
