"""Streaming line reader shared by every parser: plain, gzip or bgzip, in constant memory. Pure Python.

Lines come out as bytes so a parser can discard the records outside its loci by looking at their first bytes,
without decoding or splitting them (decoding every record of a whole genome is what makes reading slow).
A parser that must go faster still can take whole blocks of lines (``LineStream.blocks``) and skip the lines
it does not want with C-speed searches. The reader enforces the limits a hostile upload could break: line
length and inflated size.

bgzip files (a series of gzip members of at most 64 KiB each) are inflated by a small pool of threads, since
inflating is most of the cost of reading a whole genome; isal (Intel's ISA-L) does it at about twice zlib's
speed and releases the GIL while it works.
"""

import gzip
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from isal import isal_zlib

from .facts import ParseError

GZIP_MAGIC = b"\x1f\x8b"
Progress = Callable[[int, int], None]  # (lines read, compressed bytes consumed)

CHUNK_BYTES = 4 << 20  # what one read or one inflated batch holds: large, so per-chunk Python work is rare
# The first chunks are small, so sniffing a file's head or reading a header before a region query inflates little.
FIRST_CHUNK_BYTES = 64 << 10
INFLATE_THREADS = 2  # the machines have two cores; the parser's own thread scans while these inflate
BGZF_MAGIC = b"\x1f\x8b\x08\x04"  # gzip, deflate, FLG.FEXTRA
BGZF_EXTRA = b"\x06\x00BC\x02\x00"  # XLEN 6: one subfield, BC, of 2 bytes (the block size - 1)
BGZF_MAX_BLOCK = 65_536
CORRUPT = (EOFError, zlib.error, isal_zlib.error, gzip.BadGzipFile)


@dataclass(frozen=True)
class Limits:
    """Set from the portal's settings; the defaults suit a whole-genome VCF."""

    max_line_bytes: int = 1_000_000
    max_inflated_bytes: int = 200 * 1024**3
    progress_every_lines: int = 100_000


class LineSource:
    """Numbered lines of one file. ``name`` is what error messages call the file (the uploaded name)."""

    def __init__(self, path: Path, name: str | None = None, limits: Limits = Limits()) -> None:
        self.path, self.name, self.limits = Path(path), name or Path(path).name, limits
        self.size = self.path.stat().st_size
        self.compressed = _starts_with_gzip_magic(self.path)

    def head(self, max_lines: int = 200) -> list[str]:
        """The first lines, decoded leniently: enough to sniff the format and read a header."""
        lines = []
        for _, raw in self.lines():
            lines.append(raw.decode("utf-8", errors="replace"))
            if len(lines) >= max_lines:
                break
        return lines

    def lines(self, progress: Progress | None = None) -> Iterator[tuple[int, bytes]]:
        """(1-based line number, line without its end-of-line bytes). CR, LF and CRLF all end a line."""
        with self.open(progress) as stream:
            yield from stream.lines()

    def open(self, progress: Progress | None = None) -> "LineStream":
        """One pass over the file, for a parser that reads some lines and then whole blocks."""
        return LineStream(self, progress)


class LineStream:
    """One pass over a file: numbered lines (``lines``), then, where a parser wants speed, the rest as blocks of
    whole lines (``blocks``). ``line`` is the number of lines read so far; errors name the line after it."""

    def __init__(self, source: LineSource, progress: Progress | None) -> None:
        self.name, self.limits, self.size, self.progress = source.name, source.limits, source.size, progress
        self.line = 0
        self._raw = source.path.open("rb")
        self._chunks = _inflate(self._raw, source.compressed)
        self._blocks = self._read_blocks()
        self._block, self._pos = b"", 0  # the current block and where lines() stopped in it
        self._reported = 0

    def __enter__(self) -> "LineStream":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._blocks.close()
        self._chunks.close()  # stops the inflating threads
        self._raw.close()

    def lines(self) -> Iterator[tuple[int, bytes]]:
        while self._fill():
            for line in self._block[self._pos :].split(b"\n")[:-1]:
                self._pos += len(line) + 1  # kept current so that blocks() can take over after any line
                self.line += 1
                yield self.line, line

    def blocks(self) -> Iterator[bytes]:
        """The rest of the file in blocks of whole lines, each ending in LF (CR and CRLF become LF). The caller
        counts each block's lines and adds them to ``line`` before asking for the next block, so that errors
        and progress name the right line; counting is left to the caller because it scans the block anyway."""
        while self._fill():
            block = self._block[self._pos :] if self._pos else self._block
            self._pos = len(self._block)
            yield block

    def _fill(self) -> bool:
        if self._pos < len(self._block):
            return True
        self._block, self._pos = next(self._blocks, b""), 0
        return bool(self._block)

    # Blocks of whole lines -------------------------------------------------------------------------------------

    def _read_blocks(self) -> Iterator[bytes]:
        carry, inflated = b"", 0  # carry: the unfinished last line of the data so far
        while True:
            chunk, offset = self._next_chunk()
            if offset < 0:
                break
            crossing = self._crossing(carry, chunk, inflated)
            inflated += len(chunk)
            block, carry = _complete_lines(carry, chunk)
            bad = self._first_bad_line(block, carry, crossing)
            self._report(offset)
            if bad is None:
                if block:
                    yield block
                continue
            # The lines before the bad one come first, as a line-by-line reader gives them.
            start, message = bad
            if start:
                yield block[:start]
            raise ParseError(self.name, self.line + 1, message)
        last = _to_lf(carry + b"\n")[0] if carry else b""
        if last:
            yield last
        self._report(self.size, final=True)

    def _next_chunk(self) -> tuple[bytes, int]:
        try:
            return next(self._chunks, (b"", -1))
        except CORRUPT as error:
            message = f"the compressed data is truncated or corrupt ({error})"
            raise ParseError(self.name, self.line + 1, message) from None

    def _report(self, offset: int, final: bool = False) -> None:
        every = self.limits.progress_every_lines
        if self.progress is not None and (final or self.line // every > self._reported // every):
            self._reported = self.line
            self.progress(self.line, offset)
        # Between blocks the parser's thread offers the GIL to the inflating threads, which need it briefly after
        # each 64 KiB block; measured here, without this the scan starves them.
        time.sleep(0)

    def _crossing(self, carry: bytes, chunk: bytes, inflated: int) -> int | None:
        """Where in carry + chunk (with LF endings) the first byte past the inflated-size limit falls."""
        within = self.limits.max_inflated_bytes - inflated
        if within >= len(chunk):
            return None
        before, held = _to_lf(carry + bytes(chunk[:within]))
        return len(before) + (1 if held and chunk[within : within + 1] != b"\n" else 0)

    def _first_bad_line(self, block: bytes, carry: bytes, crossing: int | None) -> tuple[int, str] | None:
        """(where the first line that breaks a limit starts in the block, why), or None."""
        problems = []
        if crossing is not None:
            start = block.rfind(b"\n", 0, min(crossing, len(block))) + 1 if crossing < len(block) else len(block)
            problems.append((start, f"the file inflates past the limit of {self.limits.max_inflated_bytes:,} bytes"))
        too_long = _long_line(block, carry, self.limits.max_line_bytes)
        if too_long is not None:
            problems.append((too_long, f"the line is longer than the limit of {self.limits.max_line_bytes:,} bytes"))
        return min(problems) if problems else None


def decode(name: str, number: int, line: bytes) -> str:
    """A line as text, or a ParseError naming the line when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(name, number, f"the line is not UTF-8 text (byte {error.start + 1})") from None


def _starts_with_gzip_magic(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _complete_lines(carry: bytes, chunk: bytes) -> tuple[bytes, bytes]:
    """(the whole lines of carry + chunk with LF endings, the unfinished line after them)."""
    if b"\r" in chunk or b"\r" in carry:
        data, held = _to_lf(carry + bytes(chunk))
        cut = data.rfind(b"\n") + 1
        return data[:cut], data[cut:] + held
    cut = chunk.rfind(b"\n") + 1
    if not cut:
        return b"", carry + bytes(chunk)
    # One copy of the chunk, not two: the block is built from a view of it.
    return b"".join((carry, memoryview(chunk)[:cut])), bytes(chunk[cut:])


def _to_lf(data: bytes) -> tuple[bytes, bytes]:
    """CRLF and bare CR (old Mac files) become LF. A CR at the end is held back: it may be the first half of a
    CRLF whose LF is in the next chunk."""
    held = b"\r" if data.endswith(b"\r") else b""
    data = data[:-1] if held else data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n"), held


def _long_line(block: bytes, carry: bytes, limit: int) -> int | None:
    """Where the first line longer than limit starts (len(block) for the unfinished one), or None. Every such
    line holds one of the points limit+1 bytes apart, so looking around those points finds it without visiting
    every line."""
    for point in range(limit, len(block), limit + 1):
        start = block.rfind(b"\n", 0, point) + 1
        if block.find(b"\n", point) - start > limit:
            return start
    return len(block) if len(carry.rstrip(b"\r")) > limit else None


# Inflating -----------------------------------------------------------------------------------------------------


def _inflate(raw: BinaryIO, compressed: bool) -> Iterator[tuple[bytes, int]]:
    """(inflated data, compressed bytes consumed) in chunks of about CHUNK_BYTES."""
    if not compressed:
        for size in _chunk_sizes():
            chunk = raw.read(size)
            if not chunk:
                return
            yield chunk, raw.tell()
    if _is_bgzf(raw.read(18)):
        raw.seek(0)
        yield from _bgzf_chunks(raw)
    else:
        raw.seek(0)
        yield from _gzip_chunks(raw)


def _gzip_chunks(raw: BinaryIO) -> Iterator[tuple[bytes, int]]:
    # Plain gzip cannot be split, so it is inflated in one thread; GzipFile reads multi-member files too.
    stream = gzip.GzipFile(fileobj=raw, mode="rb")
    for size in _chunk_sizes():
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk, raw.tell()


def _chunk_sizes() -> Iterator[int]:
    size = FIRST_CHUNK_BYTES
    while True:
        yield size
        size = min(size * 4, CHUNK_BYTES)


def _is_bgzf(header: bytes, pos: int = 0) -> bool:
    """A BGZF block starts at pos: gzip with one extra field, BC, that gives the block's size (the SAM/BAM
    specification; htslib requires the same layout)."""
    return header.startswith(BGZF_MAGIC, pos) and header.startswith(BGZF_EXTRA, pos + 10)


def _bgzf_chunks(raw: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """Batches of BGZF blocks inflated by a thread pool, in file order, a few batches ahead of the reader. From
    anything that is not a whole BGZF block (a plain gzip member appended, zero padding, a cut-off block) on,
    GzipFile reads the rest, so such files are read, or refused, exactly as gzip would."""
    pool = ThreadPoolExecutor(INFLATE_THREADS, thread_name_prefix="bgzf")
    pending: deque[tuple[Future[bytes], int]] = deque()
    submitted = 0
    try:
        for batch, offset in _bgzf_batches(raw):
            if batch is None:
                yield from _drain(pending)
                raw.seek(offset)
                yield from _gzip_chunks(raw)
                return
            pending.append((pool.submit(_inflate_batch, *batch), offset))
            submitted += 1
            # Look further ahead only as the reader keeps reading: one that stops at the header wastes little.
            yield from _drain(pending, keep=min(submitted // 2, 2 * INFLATE_THREADS))
        yield from _drain(pending)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _drain(pending: deque[tuple[Future[bytes], int]], keep: int = 0) -> Iterator[tuple[bytes, int]]:
    while len(pending) > keep:
        future, offset = pending.popleft()
        yield future.result(), offset


def _bgzf_batches(raw: BinaryIO) -> Iterator[tuple[tuple[bytes, int, int] | None, int]]:
    """((data, start, end): whole BGZF blocks, the file offset after them); last, (None, offset) where something
    that is not a whole BGZF block starts. Only the blocks' sizes are read here; the pool does the rest, since
    this runs in the reader's thread, which the parser needs."""
    data, pos, base, start, blocks = b"", 0, 0, 0, 0
    sizes = (size // BGZF_MAX_BLOCK for size in _chunk_sizes())  # blocks per batch: 1, 4, 16, 64, 64 ...
    target = next(sizes)
    while True:
        if len(data) - pos < BGZF_MAX_BLOCK + 8:
            if pos > start:
                yield (data, start, pos), base + pos
            more = raw.read(CHUNK_BYTES // 4)
            data, base, pos, start, blocks = data[pos:] + more, base + pos, 0, 0, 0
            if not data:
                return
        size = _bgzf_size(data, pos)
        if not size:
            if pos > start:
                yield (data, start, pos), base + pos
            yield None, base + pos
            return
        pos, blocks = pos + size, blocks + 1
        if blocks >= target:
            yield (data, start, pos), base + pos
            start, blocks, target = pos, 0, next(sizes)


def _bgzf_size(data: bytes, pos: int) -> int:
    """The size of the whole BGZF block at pos, or 0."""
    if not _is_bgzf(data, pos) or len(data) < pos + 18:
        return 0
    size = (data[pos + 16] | data[pos + 17] << 8) + 1
    return size if pos + size <= len(data) and size >= 26 else 0


def _inflate_batch(data: bytes, start: int, end: int) -> bytes:
    """Runs in a pool thread: each block is inflated as a whole gzip member, one call that also checks its CRC
    and size, as gzip and htslib do, so corruption is refused, not read."""
    blocks = []
    while start < end:
        size = (data[start + 16] | data[start + 17] << 8) + 1
        inflated = int.from_bytes(data[start + size - 4 : start + size], "little")
        if inflated > BGZF_MAX_BLOCK:
            raise zlib.error("a bgzip block claims more than 64 KiB")  # htslib never writes one
        blocks.append((start, size, inflated))
        start += size
    return _inflate_blocks(data, blocks)


def _inflate_blocks(data: bytes, blocks: list[tuple[int, int, int]]) -> bytes:
    # isal's inflate is about twice zlib's speed and, like zlib, checks each member's CRC and length.
    parts = []
    for start, size, inflated in blocks:
        part = isal_zlib.decompress(data[start : start + size], 31, max(inflated, 1))
        if len(part) != inflated:
            raise zlib.error("a bgzip block does not inflate to its size")
        parts.append(part)
    return b"".join(parts)
