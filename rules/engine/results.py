"""The engine's output: an Assessment with per-drug findings, the alterations, QC, context and the trace.

``Assessment.to_dict()`` is the JSON document of ``manage.py crbn_assess --json`` (DESIGN.md, stable
interfaces): ``engine_version``, ``kb_release``, ``build``, ``qc.status``, ``alterations[]`` (``class``, ``kind``,
``acquired``), ``drugs.<drug>.call`` and ``drugs.<drug>.actionable`` are stable keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

# Field names that are Python keywords in the dataclasses and plain words in the JSON.
_RENAMED = {"alteration_class": "class"}


class Call(StrEnum):
    """The per-drug verdict (a stable interface value)."""

    RESISTANCE_LIKELY = "resistance_likely"
    RESISTANCE_POSSIBLE = "resistance_possible"
    UNCERTAIN = "uncertain"
    NO_ALTERATION_DETECTED = "no_alteration_detected"
    NOT_ASSESSABLE = "not_assessable"


class QcStatus(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class TraceEntry:
    """One rule that fired: which rule, on which fact, using which knowledge-base entry, with what outcome."""

    rule: str
    fact: str
    entry: str | None
    outcome: str


@dataclass
class Tracer:
    """Collects trace entries in firing order (deterministic, because the engine walks sorted facts)."""

    prefix: str = ""
    entries: list[TraceEntry] = field(default_factory=list)

    def add(self, rule: str, fact: str, entry: str | None, outcome: str) -> None:
        self.entries.append(TraceEntry(rule, f"{self.prefix}{fact}", entry, outcome))


@dataclass(frozen=True)
class Clonality:
    """Cancer-cell fraction of a small variant (see clonality.py for the formula and its assumptions)."""

    vaf: float | None
    purity: float | None
    copy_number: int
    copy_number_assumed: bool
    ccf: float | None
    subclonal: bool | None
    below_lod: bool


@dataclass(frozen=True)
class Alteration:
    """A CRBN alteration assigned to a class (A-I). ``acquired`` is None when it cannot be told."""

    id: str
    alteration_class: str
    kind: str  # small_variant | copy_number | structural_variant | exon10_skipping | expression | biallelic
    fact: str
    description: str
    acquired: bool | None = None
    acquired_reason: str = ""
    clonality: Clonality | None = None
    flags: tuple[str, ...] = ()  # below_lod, filtered, subclonal, inferred
    notes: tuple[str, ...] = ()  # why a flag is set, e.g. the UNVERIFIED fact an inference rests on
    components: tuple[str, ...] = ()  # for a composite (biallelic) alteration, the alterations it joins
    entry: str | None = None  # the classes.yaml entry that matched, e.g. "classes.B.residues.W380"

    @property
    def low_confidence(self) -> bool:
        return "below_lod" in self.flags or "filtered" in self.flags

    @property
    def inferred(self) -> bool:
        return "inferred" in self.flags


@dataclass(frozen=True)
class UnclassifiedVariant:
    """A CRBN variant that matches no class; a protein-altering one makes every drug's call uncertain."""

    fact: str
    consequence: str
    description: str
    protein_altering: bool
    reason: str


@dataclass(frozen=True)
class EvidenceStatus:
    """Whether one evidence kind can support conclusions, and why not."""

    kind: str
    provided: bool
    adequate: bool
    reason: str


@dataclass(frozen=True)
class QualityControl:
    status: QcStatus
    reasons: tuple[str, ...]
    evidence: tuple[EvidenceStatus, ...]

    def adequate(self, kind: str) -> bool:
        return any(item.kind == kind and item.adequate for item in self.evidence)


@dataclass(frozen=True)
class DrugFinding:
    """The verdict for one drug, with the knowledge-base entry behind it."""

    drug: str
    call: Call
    actionable: bool
    level: str | None
    tier: str | None
    basis: str | None
    inferred: bool
    text: str
    reasons: tuple[str, ...]
    limitations: tuple[str, ...]
    entries: tuple[str, ...]
    alterations: tuple[str, ...]


@dataclass(frozen=True)
class DrugContext:
    drug: str
    exposed: bool
    refractory: bool | None  # None when never received
    refractory_line: int | None
    lines: tuple[int, ...]
    note: str | None


@dataclass(frozen=True)
class LineSummary:
    line: int
    drugs: tuple[str, ...]
    start: date | None
    end: date | None
    best_response: str | None
    progression: date | None
    refractory_to: tuple[str, ...]


@dataclass(frozen=True)
class TreatmentContext:
    drugs: tuple[DrugContext, ...]
    lines: tuple[LineSummary, ...]
    first_progression: date | None
    first_progression_line: int | None
    at_first_progression: bool | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Assessment:
    engine_version: str
    kb_release: str
    kb_sha256: str
    build: str
    sample: str
    qc: QualityControl
    alterations: tuple[Alteration, ...]
    unclassified: tuple[UnclassifiedVariant, ...]
    other_genes: tuple[str, ...]
    drugs: tuple[DrugFinding, ...]
    context: TreatmentContext
    disclaimer: str
    trace: tuple[TraceEntry, ...]

    def drug(self, name: str) -> DrugFinding:
        return next(item for item in self.drugs if item.drug == name)

    def to_dict(self) -> dict[str, object]:
        """JSON-able data; ``drugs`` is keyed by drug name, in the knowledge base's drug order."""
        data = _jsonable(self)
        assert isinstance(data, dict)
        data["drugs"] = {item.drug: _jsonable(item) for item in self.drugs}
        return data


def _jsonable(value: object) -> object:
    """Dataclasses to dicts, tuples to lists, dates to ISO strings, exact fractions to floats."""
    if is_dataclass(value) and not isinstance(value, type):
        return {_RENAMED.get(item.name, item.name): _jsonable(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return float(value)
    return value
