"""Which lines of a chunk of a VCF the scan must look at, found with numpy in an inflating thread. Pure Python.

The scan (vcf._Scan) reads a line only where something may change: a new chromosome, a record whose POS may fall
near a locus, a line that is not a plain record. Everything else is counted. Finding those few lines in a 4 MiB
chunk is byte work that numpy does without holding the GIL, so the reader's inflating threads do it beside
inflating (reader.LineStream.sieve) and the parser's thread only reads the lines picked. The answer is
conservative: a line it cannot judge (a long CHROM, a malformed POS) is picked, and the per-line rules decide.
"""

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from variants import crbn

KEY_BYTES = 8  # CHROM and its tab within this many bytes is the line's key (longer names are always picked)
MAX_NAME_BYTES = 256  # a chunk on one chromosome is recognised whatever its name's length, up to this
POS_BYTES = 12  # a POS of up to 11 digits and its tab; a longer one is picked
LF, TAB, ZERO = 10, 9, 48
Windows = Sequence[tuple[int, int]]  # per chromosome, the POS ranges (inclusive) near a locus
# PLACES[n]: the weight of each of a POS's first POS_BYTES characters when it has n digits (0 past them), so
# that a POS's value is one multiply and one sum over its row of characters.
PLACES = np.array(
    [[10 ** (n - 1 - column) if column < n else 0 for column in range(POS_BYTES)] for n in range(POS_BYTES + 1)],
    dtype=np.int64,
)


@dataclass(frozen=True)
class Sieved:
    """One chunk: ``lines``, its LFs; ``first_end``, where its first line (the one carried from the chunk before)
    ends; ``picks``, (line, start, end) of each other line the scan must see, its line counted from 0 for that
    first line, its bytes chunk[start:end]."""

    lines: int
    first_end: int
    picks: list[tuple[int, int, int]]


class ChunkSieve:
    """Called on each inflated chunk. ``windows`` maps a normalised chromosome to the POS ranges near its loci."""

    def __init__(self, windows: Mapping[str, Windows], normalise: Callable[[str], str] = crbn.normalise_chrom):
        self.windows, self.normalise = windows, normalise
        self._names: dict[bytes, Windows | None] = {}  # CHROM as written -> its windows (None: no locus)
        self._scratch = threading.local()  # per thread, a reused array: fresh pages for every chunk cost more

    def __call__(self, chunk: bytes) -> Sieved | None:
        if b"\r" in chunk:
            return None  # the reader turns CR into LF, so offsets in this chunk would not be the block's
        data = np.frombuffer(chunk, np.uint8)
        ends = np.flatnonzero(np.equal(data, LF, out=self._flags(len(data))))
        if len(ends) < 2:
            return Sieved(len(ends), int(ends[0]) if len(ends) else len(chunk), [])
        starts = ends[:-1] + 1  # line i + 1 of the chunk is chunk[starts[i]:ends[i + 1]]
        picked = self._one_chromosome(chunk, data, starts)
        if picked is None:
            picked = self._several(data, starts)
        picked[0] = True  # the scan compares it with the line before, which it read itself
        rows = np.flatnonzero(picked)
        picks = [(int(row) + 1, int(starts[row]), int(ends[row + 1])) for row in rows]
        return Sieved(len(ends), int(ends[0]), picks)

    def _one_chromosome(
        self, chunk: bytes, data: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.bool_] | None:
        """The usual chunk of a sorted file, every line on the first line's chromosome: only the lines near a
        locus are picked. None when some line starts otherwise."""
        first = int(starts[0])
        tab = chunk.find(b"\t", first, first + MAX_NAME_BYTES)
        if tab <= first or b"\n" in chunk[first:tab]:
            return None
        prefix = np.frombuffer(chunk, np.uint8, tab + 1 - first, first)
        if not (_gather(data, starts, len(prefix)) == prefix).all():
            return None
        windows = self._windows(chunk[first:tab])
        return _near(data, starts + len(prefix), windows) if windows else np.zeros(len(starts), np.bool_)

    def _several(self, data: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
        """Any chunk: each line whose key differs from the line before's, each line near a locus of its own
        chromosome, and each line that has no short CHROM and tab at its start."""
        keys, tabs, named = _keys(data, starts)
        picked = ~named
        picked[1:] |= keys[1:] != keys[:-1]
        for key in np.unique(keys[named]):
            windows = self._windows(int(key).to_bytes(KEY_BYTES, "little").rstrip(b"\0")[:-1])  # without its tab
            if windows:
                rows = np.flatnonzero(named & (keys == key))
                picked[rows] |= _near(data, starts[rows] + tabs[rows] + 1, windows)
        return picked

    def _flags(self, size: int) -> npt.NDArray[np.bool_]:
        flags = getattr(self._scratch, "flags", None)
        if flags is None or len(flags) < size:
            flags = self._scratch.flags = np.empty(size, np.bool_)
        return flags[:size]

    def _windows(self, name: bytes) -> Windows | None:
        if name not in self._names:
            self._names[name] = self.windows.get(self.normalise(name.decode("utf-8", errors="replace")))
        return self._names[name]


def _keys(data: npt.NDArray[np.uint8], starts: npt.NDArray[np.intp]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per line: its first KEY_BYTES up to its first tab, as one integer (the bytes after the tab zeroed); where
    that tab is; whether the line is named there (a CHROM then a tab, before any LF)."""
    heads = _gather(data, starts, KEY_BYTES)
    tab, lf = heads == TAB, heads == LF
    tabs = tab.argmax(axis=1)
    lfs = np.where(lf.any(axis=1), lf.argmax(axis=1), KEY_BYTES)
    named = tab.any(axis=1) & (tabs > 0) & (tabs < lfs)
    heads[np.arange(KEY_BYTES) > tabs[:, None]] = 0
    return heads.view("<u8").ravel(), tabs, named


def _near(data: npt.NDArray[np.uint8], at: npt.NDArray[np.intp], windows: Windows) -> npt.NDArray[np.bool_]:
    """Whether each POS starting at ``at`` may be near a locus, or is not a plain number the per-line rules accept
    unseen (empty, a leading zero, too long, not ended by a tab or LF)."""
    digits = _gather(data, at, POS_BYTES).astype(np.int64) - ZERO
    is_digit = (digits >= 0) & (digits <= 9)
    length = np.where(is_digit.all(axis=1), POS_BYTES, (~is_digit).argmax(axis=1))
    after = data[np.minimum(at + length, len(data) - 1)]
    odd = (length == 0) | (length == POS_BYTES) | (digits[:, 0] == 0) | ((after != TAB) & (after != LF))
    value = (digits * PLACES[length]).sum(axis=1)
    near: npt.NDArray[np.bool_] = odd
    for low, high in windows:
        near |= (value >= low) & (value <= high)
    return near


def _gather(data: npt.NDArray[np.uint8], at: npt.NDArray[np.intp], width: int) -> npt.NDArray[np.uint8]:
    """The ``width`` bytes from each offset (the last byte repeated past the end: a line there has ended)."""
    gathered: npt.NDArray[np.uint8] = data[np.minimum(at[:, None] + np.arange(width), len(data) - 1)]
    return gathered
