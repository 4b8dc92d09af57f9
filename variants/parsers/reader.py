"""Streaming line reader shared by every parser: plain, gzip or bgzip, in constant memory. Pure Python.

Lines come out as bytes so a parser can discard the records outside its loci by looking at their first bytes,
without decoding or splitting them (decoding every record of a whole genome is what makes reading slow).
The reader enforces the limits a hostile upload could break: line length and inflated size.
"""

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .facts import ParseError

GZIP_MAGIC = b"\x1f\x8b"
Progress = Callable[[int, int], None]  # (lines read, compressed bytes consumed)


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
        with self.path.open("rb") as raw:
            stream = _open_stream(raw, self.compressed)
            yield from self._numbered(stream, raw, progress)

    def _numbered(self, stream: BinaryIO, raw: BinaryIO, progress: Progress | None) -> Iterator[tuple[int, bytes]]:
        number, inflated = 0, 0
        try:
            for line in _split_lines(stream, self.limits.max_line_bytes + 2):
                number += 1
                inflated += len(line)
                self._check(number, line, inflated)
                if progress is not None and number % self.limits.progress_every_lines == 0:
                    progress(number, raw.tell())
                yield number, line.rstrip(b"\r\n")
        except (EOFError, zlib.error, gzip.BadGzipFile) as error:
            raise ParseError(self.name, number + 1, f"the compressed data is truncated or corrupt ({error})") from None
        if progress is not None:
            progress(number, self.size)

    def _check(self, number: int, line: bytes, inflated: int) -> None:
        if len(line.rstrip(b"\r\n")) > self.limits.max_line_bytes:
            limit = self.limits.max_line_bytes
            raise ParseError(self.name, number, f"the line is longer than the limit of {limit:,} bytes")
        if inflated > self.limits.max_inflated_bytes:
            limit = self.limits.max_inflated_bytes
            raise ParseError(self.name, number, f"the file inflates past the limit of {limit:,} bytes")


def decode(name: str, number: int, line: bytes) -> str:
    """A line as text, or a ParseError naming the line when it is not UTF-8."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParseError(name, number, f"the line is not UTF-8 text (byte {error.start + 1})") from None


def _starts_with_gzip_magic(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _open_stream(raw: BinaryIO, compressed: bool) -> BinaryIO:
    # gzip reads bgzip too: a bgzip file is a series of gzip members.
    return gzip.GzipFile(fileobj=raw, mode="rb") if compressed else raw  # type: ignore[return-value]


def _split_lines(stream: BinaryIO, max_chunk: int) -> Iterator[bytes]:
    """Lines ending in LF, CRLF or a bare CR (old Mac files), each read at most max_chunk bytes at a time,
    so an endless line cannot exhaust memory."""
    buffered = io.BufferedReader(stream, buffer_size=1 << 20) if not isinstance(stream, io.BufferedReader) else stream
    pending = b""
    while True:
        chunk = buffered.read1(1 << 20) if hasattr(buffered, "read1") else buffered.read(1 << 20)
        if not chunk:
            break
        pending += chunk
        *complete, pending = _split_keep_ends(pending)
        yield from complete
        if len(pending) > max_chunk:
            yield pending  # the caller's length check refuses it
            pending = b""
    if pending:
        yield pending


def _split_keep_ends(data: bytes) -> list[bytes]:
    """Split on LF, CRLF or bare CR, keeping the ends; the last element is an unfinished line (maybe empty)."""
    if b"\r" not in data:
        parts = data.split(b"\n")
        return [part + b"\n" for part in parts[:-1]] + [parts[-1]]
    normalised = data.replace(b"\r\n", b"\n")
    if normalised.endswith(b"\r"):
        # A CR at the end of a chunk may be the first half of a CRLF: keep it back for the next chunk.
        return [*_split_keep_ends(normalised[:-1])[:-1], _split_keep_ends(normalised[:-1])[-1] + b"\r"]
    return _split_keep_ends(normalised.replace(b"\r", b"\n"))
