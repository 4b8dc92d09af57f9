"""Reading only the blocks of a sorted bgzip file that can hold a locus. Pure Python.

A bgzip (BGZF) file is a chain of independent deflate blocks whose headers give their compressed size, so the
chain is walked without inflating anything. Inflating only the first few hundred bytes of a block gives its key:
the (CHROM, POS) of the first line that starts after the block's first line end. Each line belongs to the block
that holds the line end before it (the block's segment), so every line of a segment lies between its key and the
next segment's. When those keys never fall in the header's ##contig order, only the segments whose key range
meets a locus window need inflating, with the start of the next block to finish their last line; the records in
the other blocks are neither inflated nor counted.

Whatever breaks that reasoning makes the file NotSkippable, and the caller reads it whole: a broken block chain
or no end-of-file block, a block whose key cannot be read, keys that fall, a CR line end, lines read that are out
of order or do not start at their segment's key, a line over the length limit. Like a tabix index, the skip
trusts a file whose block keys are sorted to be sorted inside the blocks it does not read.
"""

import os
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from types import TracebackType

from .reader import BGZF_EOF, BGZF_MAX_BLOCK, CORRUPT, Limits, bgzf_claimed_size, inflate_members, long_line

Key = tuple[int, int]  # (rank of CHROM in the header's ##contig order, POS)
Window = tuple[int, int, int]  # (rank, lowest POS, highest POS): the lines there must be read
FIRST: Key = (-1, 0)  # below every key: the records that follow the header in its last block
PEEK_BYTES = 1_024  # inflated bytes first tried for a block's key; a long line needs more, up to the whole block
PEEK_READ = 2_048  # compressed bytes read with a block's header: enough for PEEK_BYTES of text
PROGRESS_BYTES = 16 << 20  # how often, in compressed bytes, the walk through the chain reports progress
HEADER_BYTES = 18  # a BGZF block's gzip header, extra field included; its deflate data follow


class NotSkippable(Exception):
    """Why the file cannot be read by skipping blocks; the caller reads it whole instead."""


@dataclass(frozen=True)
class Run:
    """Whole lines read from consecutive segments, each line ending in LF."""

    text: bytes
    numbered: bool  # nothing was skipped before it, so the lines before it are all known and can be counted


@dataclass(frozen=True, slots=True)  # one per block: a whole genome's file has tens of thousands
class _Block:
    offset: int
    size: int
    first_end: int  # where its first LF is in its inflated data: its segment starts after it
    key: Key


class BlockSkipper:
    """One skipping read of a bgzip file. ``order`` maps each CHROM (as written) to its rank in the header's contig
    order; ``windows`` say where lines must be read; the header (``header_lines`` lines) is always read whole.
    ``progress`` is given the compressed bytes walked so far. ``blocks_total`` counts the blocks that hold data,
    ``blocks_read`` those whose lines were read (the header's, and each run's)."""

    def __init__(
        self,
        path: Path,
        order: Mapping[bytes, int],
        windows: Sequence[Window],
        header_lines: int,
        limits: Limits,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.order, self.windows, self.header_lines, self.limits = order, windows, header_lines, limits
        self.progress = progress
        self.blocks_read = self.blocks_total = 0
        self._fd = os.open(path, os.O_RDONLY)
        self._size = os.fstat(self._fd).st_size

    def __enter__(self) -> "BlockSkipper":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        os.close(self._fd)

    def runs(self) -> Iterator[Run]:
        """The runs to read, in file order, once the whole chain has been walked and its keys found sorted."""
        head, offset = self._header()
        blocks = self._keyed_blocks(offset)
        keys = [FIRST, *(block.key for block in blocks)]
        if self.blocks_total * BGZF_MAX_BLOCK > self.limits.max_inflated_bytes:
            raise NotSkippable("the file may inflate past the limit, which only a whole read can tell")
        last = FIRST
        for first, final in _ranges(_wanted(keys, self.windows)):
            text = self._segments(head, blocks, first, final)
            last = self._check_sorted(text, keys, first, final, last)
            # Runs are never adjacent: only one that starts right after the header follows no skipped block.
            yield Run(text, numbered=first == 0)

    # The chain -----------------------------------------------------------------------------------------------

    def _chain(self, offset: int) -> Iterator[tuple[int, int, bytes]]:
        """(offset, size, the block's first PEEK_READ bytes) of each block from offset; the last must be the
        end-of-file block and end the file."""
        head = b""
        while offset < self._size:
            head = os.pread(self._fd, PEEK_READ, offset)
            size = bgzf_claimed_size(head)
            if not size or offset + size > self._size:
                raise NotSkippable("the bgzip block chain is broken")
            yield offset, size, head[:size]
            offset += size
        if head[: len(BGZF_EOF)] != BGZF_EOF:
            raise NotSkippable("the file does not end with the bgzip end-of-file block")

    def _header(self) -> tuple[bytes, int]:
        """(the text after the header in its last block, where the next block starts), reading the header's
        blocks whole; the header's lines were read and checked by the caller."""
        lines = 0
        for offset, size, _ in self._chain(0):
            text = self._inflate(offset, size)
            if b"\r" in text:
                raise NotSkippable("the header has CR line ends")
            self.blocks_total += bool(text)
            self.blocks_read += bool(text)
            count = text.count(b"\n")
            if lines + count >= self.header_lines:
                return text[_nth_lf(text, self.header_lines - lines) + 1 :], offset + size
            lines += count
        raise NotSkippable("the header does not end in a whole line")

    def _keyed_blocks(self, offset: int) -> list[_Block]:
        """The blocks after the header's that hold data, with their keys, which must never fall: an unsorted file
        is given up on at the first block that shows it."""
        blocks: list[_Block] = []
        reported, last = offset, FIRST
        for at, size, head in self._chain(offset):
            found = self._key(at, size, head)
            if found is not None:
                if found[1] < last:
                    raise NotSkippable("the blocks' first records are not in the header's contig order")
                blocks.append(_Block(at, size, *found))
                last = found[1]
            if self.progress is not None and at - reported >= PROGRESS_BYTES:
                self.progress(at)
                reported = at
        self.blocks_total += len(blocks)
        return blocks

    def _key(self, offset: int, size: int, head: bytes) -> tuple[int, Key] | None:
        """(where the block's first LF is, its key), or None for a block that holds no data."""
        want = PEEK_BYTES
        while True:
            data = head if want == PEEK_BYTES or len(head) == size else os.pread(self._fd, size, offset)
            text, whole = _inflated_start(data, want)
            if len(text) < want and not whole and len(data) < size:  # the compressed bytes read ran out first
                text, whole = _inflated_start(os.pread(self._fd, size, offset), want)
            found = _first_key(text, self.order)
            if found is not None or (whole and not text):
                return found
            if whole:
                raise NotSkippable("a block holds no whole key (a line longer than a block)")
            want *= 4

    def _inflate(self, offset: int, size: int) -> bytes:
        try:
            return inflate_members(os.pread(self._fd, size, offset), 0, size)
        except CORRUPT as error:
            raise NotSkippable(f"a block is corrupt ({error})") from None

    # The runs ------------------------------------------------------------------------------------------------

    def _segments(self, head: bytes, blocks: list[_Block], first: int, final: int) -> bytes:
        """The lines of segments first..final: segment 0 is the text after the header, segment k > 0 block k-1's
        text after its first LF; the next block's first line finishes the last one."""
        pieces = [head] if first == 0 else [self._read(blocks[first - 1])[blocks[first - 1].first_end + 1 :]]
        pieces += [self._read(blocks[k - 1]) for k in range(first + 1, final + 1)]
        if final < len(blocks):
            # Only the next block's first line: the rest of that block is another segment's, not read.
            pieces.append(self._inflate(blocks[final].offset, blocks[final].size)[: blocks[final].first_end + 1])
        text = b"".join(pieces)
        return text + b"\n" if text and not text.endswith(b"\n") else text

    def _read(self, block: _Block) -> bytes:
        self.blocks_read += 1
        return self._inflate(block.offset, block.size)

    def _check_sorted(self, text: bytes, keys: list[Key], first: int, final: int, last: Key) -> Key:
        """The key of the run's last line, once its lines are found in order, after the run before, starting at
        their segment's key and ending at or before the next segment's."""
        if b"\r" in text or long_line(text, b"", self.limits.max_line_bytes) is not None:
            raise NotSkippable("a line read has a CR end or is over the length limit")
        line_keys = [_line_key(line, self.order) for line in text.split(b"\n")[:-1]]
        if not line_keys:
            return last
        after = keys[final + 1] if final + 1 < len(keys) else line_keys[-1]
        in_order = all(earlier <= later for earlier, later in pairwise([last, *line_keys, after]))
        if not in_order or (first > 0 and line_keys[0] != keys[first]):
            raise NotSkippable("the records read are not sorted")
        return line_keys[-1]


def _wanted(keys: list[Key], windows: Sequence[Window]) -> list[bool]:
    """Whether each segment can hold a line in a window: its key at or before the window's end, and the next
    segment's key at or after the window's start (the last segment runs to the end of the file)."""
    wanted = [False] * len(keys)
    for rank, low, high in windows:
        for segment in range(max(bisect_left(keys, (rank, low)) - 1, 0), bisect_right(keys, (rank, high))):
            wanted[segment] = True
    return wanted


def _ranges(wanted: list[bool]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of wanted segments."""
    start = None
    for segment, want in enumerate([*wanted, False]):
        if want and start is None:
            start = segment
        elif not want and start is not None:
            yield start, segment - 1
            start = None


def _inflated_start(data: bytes, want: int) -> tuple[bytes, bool]:
    """At most ``want`` inflated bytes from the start of the block in data, and whether they are all of it."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        return inflater.decompress(memoryview(data)[HEADER_BYTES:], want), inflater.eof
    except zlib.error as error:
        raise NotSkippable(f"a block is corrupt ({error})") from None


def _first_key(text: bytes, order: Mapping[bytes, int]) -> tuple[int, Key] | None:
    """(where text's first LF is, the key of the line after it), or None when text stops before that key."""
    first_end = text.find(b"\n")
    tab = text.find(b"\t", first_end + 1) if first_end >= 0 else -1
    end = text.find(b"\t", tab + 1) if tab >= 0 else -1
    if end < 0:
        if first_end >= 0 and b"\n" in text[first_end + 1 :]:
            raise NotSkippable("a block's first record has no CHROM and POS")
        return None
    return first_end, _line_key(text[first_end + 1 : end], order)


def _line_key(line: bytes, order: Mapping[bytes, int]) -> Key:
    chrom, _, rest = line.partition(b"\t")
    pos = rest.partition(b"\t")[0]
    rank = order.get(chrom)
    if rank is None or not pos.isdigit():
        raise NotSkippable("a record's CHROM is not a ##contig of the header, or its POS is not a number")
    return rank, int(pos)


def _nth_lf(text: bytes, n: int) -> int:
    at = -1
    for _ in range(n):
        at = text.find(b"\n", at + 1)
    return at
