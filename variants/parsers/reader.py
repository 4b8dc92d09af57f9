"""Streaming line reader shared by every parser: plain, gzip or bgzip, in constant memory. Pure Python.

Lines come out as bytes so a parser can discard the records outside its loci by looking at their first bytes,
without decoding or splitting them (decoding every record of a whole genome is what makes reading slow).
A parser that must go faster still can take whole blocks of lines (``LineStream.blocks``) and skip the lines
it does not want with C-speed searches. The reader enforces the limits a hostile upload could break: line
length and inflated size.

bgzip files (a series of gzip members of at most 64 KiB each) are inflated by a small pool of threads, since
inflating is most of the cost of reading a whole genome; isal (Intel's ISA-L) does it at about twice zlib's
speed and releases the GIL while it works. A parser can also give the stream a sieve (``LineStream.sieve``):
a function that those threads run on each inflated chunk, beside inflating it, to say which of its lines the
parser must look at; a sieve written with numpy, which also releases the GIL, takes the scan off the parser's
thread, so that reading a whole genome costs little more than inflating it on every core.
"""

import gzip
import time
import zlib
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

from isal import igzip, isal_zlib

from .facts import ParseError

GZIP_MAGIC = b"\x1f\x8b"
Progress = Callable[[int, int], None]  # (lines read, compressed bytes consumed)
Sieve = Callable[[bytes], object]  # runs in an inflating thread on each inflated chunk: what the parser needs of it

CHUNK_BYTES = 4 << 20  # what one read or one inflated batch holds: large, so per-chunk Python work is rare
# The first chunks are small, so sniffing a file's head or reading a header before a region query inflates little.
FIRST_CHUNK_BYTES = 64 << 10
INFLATE_THREADS = 2  # the machines have two cores; the parser's own thread scans while these inflate
BGZF_MAGIC = b"\x1f\x8b\x08\x04"  # gzip, deflate, FLG.FEXTRA
BGZF_EXTRA = b"\x06\x00BC\x02\x00"  # XLEN 6: one subfield, BC, of 2 bytes (the block size - 1)
BGZF_MAX_BLOCK = 65_536
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")  # the empty last block
# isal's type hints leave igzip.decompress untyped and call isal_zlib.error an instance: typed here as documented.
_igzip_decompress: Callable[[memoryview], bytes] = igzip.decompress
CORRUPT = (EOFError, zlib.error, cast("type[Exception]", isal_zlib.error), gzip.BadGzipFile)


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
        self.sieve: Sieve | None = None  # set by a parser once it knows what to look for; see sieved_blocks
        self._chunks = _inflate(self._raw, source.compressed, lambda: self.sieve)
        self._blocks = self._read_blocks()
        self._block, self._pos = b"", 0  # the current block and where lines() stopped in it
        self._sieved: tuple[object, int] | None = None  # the sieve's answer for the current block, and its shift
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
        for block, _ in self.sieved_blocks():
            yield block

    def sieved_blocks(self) -> Iterator[tuple[bytes, tuple[object, int] | None]]:
        """``blocks``, each with (what the sieve said of the chunk it ends with, where that chunk starts in the
        block: the unfinished line carried from the chunk before comes first), or None where the sieve did not
        run or its answer does not describe the block (the first block after ``lines``, CR line ends, a block
        cut short by a limit)."""
        while self._fill():
            partial = self._pos > 0
            block = self._block[self._pos :] if partial else self._block
            self._pos = len(self._block)
            yield block, None if partial else self._sieved
            if self.sieve is None:
                # Between blocks a parser that scans in its own thread offers the GIL to the inflating threads,
                # which need it briefly after each batch; measured here, without this the scan starves them. A
                # sieving parser, or one reading a header line by line, holds it too little to need this.
                time.sleep(0)

    def _fill(self) -> bool:
        if self._pos < len(self._block):
            return True
        (self._block, self._sieved), self._pos = next(self._blocks, (b"", None)), 0
        return bool(self._block)

    # Blocks of whole lines -------------------------------------------------------------------------------------

    def _read_blocks(self) -> Generator[tuple[bytes, tuple[object, int] | None], None, None]:
        carry, inflated = b"", 0  # carry: the unfinished last line of the data so far
        while True:
            chunk, offset, sieved = self._next_chunk()
            if offset < 0:
                break
            crossing = self._crossing(carry, chunk, inflated)
            inflated += len(chunk)
            # The sieve saw the chunk, not the block: its answer holds where the block is carry + chunk unchanged.
            marks = (sieved, len(carry)) if sieved is not None and b"\r" not in carry else None
            block, carry = _complete_lines(carry, chunk)
            bad = self._first_bad_line(block, carry, crossing)
            self._report(offset)
            if bad is None:
                if block:
                    yield block, marks
                continue
            # The lines before the bad one come first, as a line-by-line reader gives them.
            start, message = bad
            if start:
                yield block[:start], None
            raise ParseError(self.name, self.line + 1, message)
        last = _to_lf(carry + b"\n")[0] if carry else b""
        if last:
            yield last, None
        self._report(self.size, final=True)

    def _next_chunk(self) -> tuple[bytes, int, object]:
        try:
            return next(self._chunks, (b"", -1, None))
        except CORRUPT as error:
            message = f"the compressed data is truncated or corrupt ({error})"
            raise ParseError(self.name, self.line + 1, message) from None

    def _report(self, offset: int, final: bool = False) -> None:
        every = self.limits.progress_every_lines
        if self.progress is not None and (final or self.line // every > self._reported // every):
            self._reported = self.line
            self.progress(self.line, offset)

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
        too_long = long_line(block, carry, self.limits.max_line_bytes)
        if too_long is not None:
            problems.append((too_long, f"the line is longer than the limit of {self.limits.max_line_bytes:,} bytes"))
        return min(problems) if problems else None


def decode(name: str, number: int, line: bytes) -> str:
    """A line as text, or a ParseError naming the line when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(name, number, f"the line is not UTF-8 text (byte {error.start + 1})") from None


def bgzf_last_line(path: Path, blocks: int = 4) -> bytes | None:
    """The last line of a bgzip file, read from its last blocks only; None when the file does not end in whole,
    sound BGZF blocks or the line is longer than ``blocks`` of them hold."""
    with path.open("rb") as raw:
        size = raw.seek(0, 2)
        start = raw.seek(max(0, size - blocks * BGZF_MAX_BLOCK))
        tail = raw.read()
    end = len(tail) - (len(BGZF_EOF) if tail.endswith(BGZF_EOF) else 0)
    text = b""
    while b"\n" not in text.rstrip(b"\r\n"):
        block = _block_ending_at(tail, end)
        if block is None:
            return _whole_file_line(text) if start == 0 and end == 0 else None
        try:
            text, end = inflate_members(tail, block, end) + text, block
        except CORRUPT:
            return None
    return text.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].rstrip(b"\r")


def _block_ending_at(data: bytes, end: int) -> int | None:
    """Where the whole BGZF block that ends at ``end`` starts (the magic bytes can occur inside compressed data,
    so a candidate counts only if its own size field reaches exactly to ``end``)."""
    pos = data.rfind(BGZF_MAGIC, 0, max(end - 25, 0))
    while pos >= 0:
        if _bgzf_size(data[:end], pos) == end - pos:
            return pos
        pos = data.rfind(BGZF_MAGIC, 0, pos)
    return None


def _whole_file_line(text: bytes) -> bytes | None:
    return text.rstrip(b"\r\n") or None


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


def long_line(block: bytes, carry: bytes, limit: int) -> int | None:
    """Where the first line longer than limit starts (len(block) for the unfinished one), or None. Every such
    line holds one of the points limit+1 bytes apart, so looking around those points finds it without visiting
    every line."""
    for point in range(limit, len(block), limit + 1):
        start = block.rfind(b"\n", 0, point) + 1
        if block.find(b"\n", point) - start > limit:
            return start
    return len(block) if len(carry.rstrip(b"\r")) > limit else None


# Inflating -----------------------------------------------------------------------------------------------------


Chunk = tuple[bytes, int, object]  # inflated data, compressed bytes consumed, the sieve's answer (None: no sieve)


def _inflate(raw: BinaryIO, compressed: bool, sieve: Callable[[], Sieve | None]) -> Generator[Chunk, None, None]:
    """Inflated chunks of about CHUNK_BYTES. Only bgzip is sieved: other files have no threads to sieve in."""
    if not compressed:
        for size in _chunk_sizes():
            chunk = raw.read(size)
            if not chunk:
                return
            yield chunk, raw.tell(), None
    if _is_bgzf(raw.read(18)):
        raw.seek(0)
        yield from _bgzf_chunks(raw, sieve)
    else:
        raw.seek(0)
        yield from _gzip_chunks(raw)


def _gzip_chunks(raw: BinaryIO) -> Iterator[Chunk]:
    # Plain gzip cannot be split, so it is inflated in one thread; GzipFile reads multi-member files too.
    stream = gzip.GzipFile(fileobj=raw, mode="rb")
    for size in _chunk_sizes():
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk, raw.tell(), None


def _chunk_sizes() -> Iterator[int]:
    size = FIRST_CHUNK_BYTES
    while True:
        yield size
        size = min(size * 4, CHUNK_BYTES)


def _is_bgzf(header: bytes, pos: int = 0) -> bool:
    """A BGZF block starts at pos: gzip with one extra field, BC, that gives the block's size (the SAM/BAM
    specification; htslib requires the same layout)."""
    return header.startswith(BGZF_MAGIC, pos) and header.startswith(BGZF_EXTRA, pos + 10)


def _bgzf_chunks(raw: BinaryIO, sieve: Callable[[], Sieve | None]) -> Iterator[Chunk]:
    """Batches of BGZF blocks inflated by a thread pool, in file order, a few batches ahead of the reader. From
    anything that is not a whole BGZF block (a plain gzip member appended, zero padding, a cut-off block) on,
    GzipFile reads the rest, so such files are read, or refused, exactly as gzip would."""
    pool = ThreadPoolExecutor(INFLATE_THREADS, thread_name_prefix="bgzf")
    pending: deque[tuple[Future[tuple[bytes, object]], int]] = deque()
    submitted = 0
    try:
        for batch, offset in _bgzf_batches(raw):
            if batch is None:
                yield from _drain(pending)
                raw.seek(offset)
                yield from _gzip_chunks(raw)
                return
            job = pool.submit(_inflate_batch, *batch, sieve()) if submitted > 1 else _inflated_here(*batch, sieve())
            pending.append((job, offset))
            submitted += 1
            # Look further ahead only as the reader keeps reading: one that stops at the header (the first two
            # batches, 320 KiB, hold a whole genome's) inflates nothing it does not read.
            yield from _drain(pending, keep=min((submitted - 1) // 2, 2 * INFLATE_THREADS))
        yield from _drain(pending)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _inflated_here(data: bytes, start: int, end: int, sieve: Sieve | None) -> "Future[tuple[bytes, object]]":
    """The first two batches, five blocks (320 KiB, a whole genome's header), inflated in the reader's thread: a
    sniff or a header before a region query or a block skip needs no more, and handing them to the pool's
    threads would cost more than inflating them."""
    future: Future[tuple[bytes, object]] = Future()
    future.set_result(_inflate_batch(data, start, end, sieve))
    return future


def _drain(pending: deque[tuple[Future[tuple[bytes, object]], int]], keep: int = 0) -> Iterator[Chunk]:
    while len(pending) > keep:
        future, offset = pending.popleft()
        data, sieved = future.result()
        yield data, offset, sieved


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
    size = bgzf_claimed_size(data, pos)
    return size if pos + size <= len(data) else 0


def bgzf_claimed_size(data: bytes, pos: int = 0) -> int:
    """The size the BGZF block header at pos gives its block (which data need not hold whole), or 0 when no
    BGZF block header is there."""
    if not _is_bgzf(data, pos) or len(data) < pos + 18:
        return 0
    size = (data[pos + 16] | data[pos + 17] << 8) + 1
    return size if size >= 26 else 0


def _inflate_batch(data: bytes, start: int, end: int, sieve: Sieve | None) -> tuple[bytes, object]:
    """Runs in a pool thread: (the inflated batch, what the sieve says of it)."""
    inflated = inflate_members(data, start, end)
    return inflated, sieve(inflated) if sieve is not None and inflated else None


def inflate_members(data: bytes, start: int, end: int) -> bytes:
    """Each block is inflated as a whole gzip member, one call that also checks its CRC and size, as gzip and
    htslib do, so corruption is refused, not read."""
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
    """The whole batch in one call: isal's gzip reader inflates member after member without taking the GIL
    between them (one call per 64 KiB block would take it back 64 times a batch, and on a busy machine each
    time can wait for a thread the system has paused), at about twice zlib's speed, checking each member's CRC
    and length as gzip does."""
    start, end = blocks[0][0], blocks[-1][0] + blocks[-1][1]
    inflated = _igzip_decompress(memoryview(data)[start:end])
    if len(inflated) != sum(size for _, _, size in blocks):
        raise zlib.error("a bgzip block does not inflate to its size")
    return inflated
