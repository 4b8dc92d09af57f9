"""The knowledge base: load the versioned YAML files of ``rules/kb/``, validate them, freeze them.

A KnowledgeBase is an immutable snapshot of one release: its id, the alteration classes and how to recognise
them, the alteration x drug table, the thresholds and the report wording. A malformed file is refused with
KnowledgeBaseError naming the file and the key path. Policy is checked as well as shape, because these are
clinical statements (domain/CRBN.md section 5):

- no CRBN alteration is tier I, and none is better than evidence level C;
- every entry cites a source listed in release.yaml;
- an entry that rests on a fact CRBN.md marks UNVERIFIED has evidence basis "inferred";
- CELMoD calls are "unknown" except for biallelic loss (class E), the only mechanistic pan-CRBN resistance;
- a predicted resistance rate needs clinical evidence;
- a number no source gives is an implementation default with basis "inferred".

Pure Python: the Django side stores releases by their file texts and rebuilds snapshots with load_kb_texts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType

from . import schema
from .facts import EVIDENCE_KINDS
from .results import Call
from .schema import At, KnowledgeBaseError

__all__ = [
    "KB_DIR",
    "KB_FILES",
    "CallEntry",
    "ClassDef",
    "CopyNumberMatch",
    "Exon10Match",
    "ExpressionThreshold",
    "GeneSpan",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "Matching",
    "MissenseMatch",
    "Numbering",
    "Residue",
    "Threshold",
    "Thresholds",
    "TruncatingMatch",
    "Wording",
    "load_kb",
    "load_kb_texts",
]

KB_DIR = Path(__file__).resolve().parent.parent / "kb"
KB_FILES = ("release.yaml", "classes.yaml", "calls.yaml", "thresholds.yaml", "wording.yaml")

CLASS_LETTERS = ("A", "B", "C", "D", "E", "F", "G", "H", "I")
KB_CALLS = ("resistant", "reduced", "likely_sensitive", "unknown")
RESISTANCE_CALLS = ("resistant", "reduced")
LEVELS = ("A", "B", "C", "D")
TIERS = ("I", "II", "III", "IV")
BASES = ("clinical", "functional", "structural", "inferred")
CELMODS = ("iberdomide", "mezigdomide")
AMINO_ACIDS = frozenset("ACDEFGHIKLMNPQRSTVWY")
THRESHOLD_IDS = (
    "actionable_resistance_rate",
    "clonal_ccf",
    "exon10_min_junction_depth",
    "exon10_skip_fraction",
    "germline_normal_alt_max",
    "lod_vaf",
    "min_coverage",
    "refractory_window_days",
)
FRACTION_THRESHOLDS = ("actionable_resistance_rate", "clonal_ccf", "exon10_skip_fraction", "lod_vaf")
WORDING_NOTES = ("below_lod", "decision_support", "filtered", "inferred", "not_actionable", "subclonal")
ENGINE_CALLS = tuple(call.value for call in Call)
PLACEHOLDERS = {"drug": "thalidomide", "rate": "0.8"}


@dataclass(frozen=True)
class Residue:
    """A class-B residue (canonical numbering) with its role and sources."""

    position: int
    amino_acid: str
    role: str
    citations: tuple[str, ...]
    rests_on_unverified: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.amino_acid}{self.position}"


@dataclass(frozen=True)
class ExpressionThreshold:
    """An expression cut-off bound to one assay; ``below`` is None when the source gives no single-sample value."""

    assay: str
    below: float | None
    unit: str
    citations: tuple[str, ...]
    note: str


@dataclass(frozen=True)
class GeneSpan:
    """The CRBN gene body in one build (1-based, inclusive), for class H."""

    build: str
    chrom: str
    start: int
    end: int
    citations: tuple[str, ...]
    unverified_margin_bp: int = 0
    rests_on_unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Numbering:
    """How protein positions are normalised to NP_057386.2 (CRBN.md section 3)."""

    canonical_protein: str
    canonical_transcripts: tuple[str, ...]
    sequence: str
    isoform2_protein: str
    isoform2_transcripts: tuple[str, ...]
    isoform2_missing_residue: int
    mouse_offset: int
    mouse_human_range: tuple[int, int]
    mouse_anchors: tuple[tuple[str, str], ...]  # (mouse residue, human residue), e.g. ("W383", "W380")

    def residue(self, position: int) -> str | None:
        """The canonical amino acid at a 1-based position, or None outside the protein."""
        return self.sequence[position - 1] if 1 <= position <= len(self.sequence) else None

    def isoform2_to_canonical(self, position: int) -> int:
        """Isoform 2 lacks the canonical residue ``isoform2_missing_residue`` (Ala23): later numbers shift by one."""
        return position + 1 if position >= self.isoform2_missing_residue else position

    def mouse_to_human(self, position: int) -> int | None:
        """Mouse numbering is +offset in the TBD; outside the range where that holds, no mapping is given."""
        human = position - self.mouse_offset
        low, high = self.mouse_human_range
        return human if low <= human <= high else None

    def is_mouse_anchor(self, position: int) -> bool:
        """Whether the mapping at this mouse position is one CRBN.md states (W383/W389/W403), not extrapolated."""
        return any(int(mouse[1:]) == position for mouse, _ in self.mouse_anchors)


@dataclass(frozen=True)
class ClassDef:
    """One alteration class (A-I) as CRBN.md section 4 defines it."""

    letter: str
    name: str
    definition: str
    expected_effect: str
    evidence: tuple[str, ...]  # the evidence kinds needed to detect it, or to rule it out
    gates_negative: bool  # must its evidence be assessable before "no alteration detected" may be said?
    severity: int  # 1 = most severe; breaks ties between equally strong calls
    citations: tuple[str, ...]


@dataclass(frozen=True)
class TruncatingMatch:
    """Class A: truncating consequences at or before a residue; splice sites by position or exon."""

    consequences: tuple[str, ...]
    splice_consequences: tuple[str, ...]
    max_position: int
    splice_max_exon: int
    splice_rests_on_unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class MissenseMatch:
    """Classes B, C, D: missense consequences at a residue set (B) or in a residue range (C, D)."""

    consequences: tuple[str, ...]
    range: tuple[int, int] | None = None
    residues: tuple[Residue, ...] = ()

    def residue_at(self, position: int) -> Residue | None:
        return next((item for item in self.residues if item.position == position), None)

    def covers(self, position: int) -> bool:
        return self.range is not None and self.range[0] <= position <= self.range[1]


@dataclass(frozen=True)
class CopyNumberMatch:
    """Classes E and F: homozygous deletion, a second hit on the remaining copy, single-copy loss."""

    homozygous_copy_number: int
    second_hit_classes: tuple[str, ...]
    default_ploidy: int


@dataclass(frozen=True)
class Exon10Match:
    """Class G: the ids of the thresholds it compares against (thresholds.yaml)."""

    threshold: str
    min_depth: str


@dataclass(frozen=True)
class Matching:
    """The parameters of the class rules, read from each class's ``match`` block."""

    truncating: TruncatingMatch
    binding: MissenseMatch
    tbd: MissenseMatch
    lon: MissenseMatch
    copy_number: CopyNumberMatch
    exon10: Exon10Match
    expression: tuple[ExpressionThreshold, ...]
    other_protein_altering: tuple[str, ...]

    def expression_threshold(self, assay: str) -> ExpressionThreshold | None:
        return next((item for item in self.expression if item.assay == assay), None)


@dataclass(frozen=True)
class CallEntry:
    """One cell of the alteration x drug table."""

    id: str  # "B.lenalidomide", or "other.lenalidomide" for protein-altering variants outside every class
    alteration_class: str
    drug: str
    call: str
    level: str
    basis: str
    tier: str
    predicted_resistance_rate: float | None
    citations: tuple[str, ...]
    last_reviewed: date
    wording: str
    rests_on_unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class Threshold:
    """A number the engine compares against, with where it comes from."""

    id: str
    value: float
    unit: str
    basis: str
    citations: tuple[str, ...]
    note: str
    implementation_default: bool = False
    validated: bool | None = None
    assay: str | None = None


@dataclass(frozen=True)
class Thresholds:
    entries: Mapping[str, Threshold]

    def value(self, threshold_id: str) -> float:
        return self.entries[threshold_id].value


@dataclass(frozen=True)
class Wording:
    calls: Mapping[str, str]
    notes: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class KnowledgeBase:
    """One release of the knowledge base, frozen. ``sha256`` covers the five files' texts. Compared and hashed
    by identity, so a snapshot can key a cache; compare releases by ``release`` and ``sha256``."""

    release: str
    date: date
    status: str
    summary: str
    drugs: tuple[str, ...]
    citations: Mapping[str, str]
    numbering: Numbering
    gene_body: Mapping[str, GeneSpan]
    classes: Mapping[str, ClassDef]
    matching: Matching
    calls: Mapping[tuple[str, str], CallEntry]
    thresholds: Thresholds
    wording: Wording
    sha256: str

    def call(self, alteration_class: str, drug: str) -> CallEntry:
        return self.calls[(alteration_class, drug)]


@dataclass(frozen=True)
class _Release:
    release: str
    date: date
    status: str
    summary: str
    drugs: tuple[str, ...]
    citations: Mapping[str, str]


def load_kb(directory: Path | None = None) -> KnowledgeBase:
    """Read and validate the knowledge base in ``directory`` (default: rules/kb/)."""
    folder = directory or KB_DIR
    texts: dict[str, str] = {}
    for name in KB_FILES:
        try:
            texts[name] = (folder / name).read_text(encoding="utf-8")
        except OSError as exc:
            raise KnowledgeBaseError(f"{name}: cannot be read ({exc.strerror or exc})") from exc
    return load_kb_texts(texts)


def load_kb_texts(texts: Mapping[str, str]) -> KnowledgeBase:
    """Validate a release given as {file name: text}, the form a database release stores."""
    missing = [name for name in KB_FILES if name not in texts]
    extra = sorted(set(texts) - set(KB_FILES))
    if missing or extra:
        raise KnowledgeBaseError(f"release files: missing {missing or 'none'}, unexpected {extra or 'none'}")
    docs = {name: schema.parse_yaml(name, texts[name]) for name in KB_FILES}
    release = _read_release(docs["release.yaml"])
    cites = frozenset(release.citations)
    thresholds = _read_thresholds(docs["thresholds.yaml"], cites)
    classes, matching, numbering, spans = _read_classes(docs["classes.yaml"], cites, thresholds)
    calls = _read_calls(docs["calls.yaml"], cites, release, classes)
    return KnowledgeBase(
        release=release.release,
        date=release.date,
        status=release.status,
        summary=release.summary,
        drugs=release.drugs,
        citations=release.citations,
        numbering=numbering,
        gene_body=spans,
        classes=classes,
        matching=matching,
        calls=calls,
        thresholds=thresholds,
        wording=_read_wording(docs["wording.yaml"]),
        sha256=_digest(texts),
    )


def _digest(texts: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in KB_FILES:
        digest.update(f"{name}\n{len(texts[name])}\n{texts[name]}".encode())
    return digest.hexdigest()


# ---- release.yaml ---------------------------------------------------------------------------------------------


def _read_release(doc: object) -> _Release:
    at = At("release.yaml")
    raw = schema.mapping(doc, at, required=("release", "date", "status", "summary", "drugs", "citations"))
    drugs = schema.text_list(raw["drugs"], at.key("drugs"))
    if len(set(drugs)) != len(drugs):
        raise at.key("drugs").error("a drug is listed twice")
    citations = schema.open_mapping(raw["citations"], at.key("citations"))
    return _Release(
        release=schema.text(raw["release"], at.key("release")),
        date=schema.day(raw["date"], at.key("date")),
        status=schema.choice(raw["status"], at.key("status"), ("draft", "released")),
        summary=schema.text(raw["summary"], at.key("summary")),
        drugs=drugs,
        citations=MappingProxyType(
            {key: schema.text(value, at.key("citations").key(key)) for key, value in schema.items(citations)}
        ),
    )


def _citations(value: object, at: At, known: frozenset[str], *, allow_empty: bool = False) -> tuple[str, ...]:
    """Citation keys, each listed in release.yaml's ``citations``."""
    keys = schema.text_list(value, at, allow_empty=allow_empty)
    for index, key in enumerate(keys):
        if key not in known:
            raise at.key(index).error(f"{key!r} is not a citation listed in release.yaml")
    return keys


def _unverified(raw: Mapping[str, object], at: At) -> tuple[str, ...]:
    value = raw.get("rests_on_unverified")
    return () if value is None else schema.text_list(value, at.key("rests_on_unverified"))


# ---- thresholds.yaml ------------------------------------------------------------------------------------------


def _read_thresholds(doc: object, cites: frozenset[str]) -> Thresholds:
    at = At("thresholds.yaml")
    raw = schema.mapping(doc, at, required=("thresholds",))
    entries = schema.keyed(raw["thresholds"], at.key("thresholds"), expected=THRESHOLD_IDS)
    parsed = {
        key: _read_threshold(key, value, at.key("thresholds").key(key), cites) for key, value in schema.items(entries)
    }
    return Thresholds(entries=MappingProxyType(parsed))


def _read_threshold(threshold_id: str, value: object, at: At, cites: frozenset[str]) -> Threshold:
    """A threshold must cite a source or declare itself an implementation default, which is always inferred."""
    raw = schema.mapping(
        value,
        at,
        required=("value", "unit", "basis", "citations", "note"),
        optional=("implementation_default", "validated", "assay"),
    )
    default = schema.boolean(raw.get("implementation_default", False), at.key("implementation_default"))
    citations = _citations(raw["citations"], at.key("citations"), cites, allow_empty=default)
    basis = schema.choice(raw["basis"], at.key("basis"), BASES)
    if default and basis != "inferred":
        raise at.key("basis").error(f"{basis!r} is not allowed (an implementation default has basis 'inferred')")
    high = 1.0 if threshold_id in FRACTION_THRESHOLDS else None
    return Threshold(
        id=threshold_id,
        value=schema.number(raw["value"], at.key("value"), low=0.0, high=high),
        unit=schema.text(raw["unit"], at.key("unit")),
        basis=basis,
        citations=citations,
        note=schema.text(raw["note"], at.key("note")),
        implementation_default=default,
        validated=None if "validated" not in raw else schema.boolean(raw["validated"], at.key("validated")),
        assay=schema.optional_text(raw.get("assay"), at.key("assay")),
    )


# ---- classes.yaml ---------------------------------------------------------------------------------------------


def _read_classes(
    doc: object, cites: frozenset[str], thresholds: Thresholds
) -> tuple[Mapping[str, ClassDef], Matching, Numbering, Mapping[str, GeneSpan]]:
    at = At("classes.yaml")
    raw = schema.mapping(doc, at, required=("numbering", "gene_body", "classes", "other"))
    numbering = _read_numbering(raw["numbering"], at.key("numbering"), cites)
    spans = _read_gene_body(raw["gene_body"], at.key("gene_body"), cites)
    blocks = schema.keyed(raw["classes"], at.key("classes"), expected=CLASS_LETTERS)
    where = {letter: at.key("classes").key(letter) for letter in CLASS_LETTERS}
    classes = {letter: _read_class(letter, blocks[letter], where[letter], cites) for letter in CLASS_LETTERS}
    match = {letter: _match_block(letter, blocks[letter], where[letter]) for letter in CLASS_LETTERS}
    other = _read_other(raw["other"], at.key("other"))
    matching = _read_matching(match, other, cites, numbering, thresholds)
    return MappingProxyType(classes), matching, numbering, spans


def _read_class(letter: str, value: object, at: At, cites: frozenset[str]) -> ClassDef:
    fields = ("name", "definition", "expected_effect", "evidence", "gates_negative", "severity", "citations", "match")
    raw = schema.mapping(value, at, required=fields)
    evidence = schema.text_list(raw["evidence"], at.key("evidence"))
    for index, kind in enumerate(evidence):
        schema.choice(kind, at.key("evidence").key(index), EVIDENCE_KINDS)
    return ClassDef(
        letter=letter,
        name=schema.text(raw["name"], at.key("name")),
        definition=schema.text(raw["definition"], at.key("definition")),
        expected_effect=schema.text(raw["expected_effect"], at.key("expected_effect")),
        evidence=evidence,
        gates_negative=schema.boolean(raw["gates_negative"], at.key("gates_negative")),
        severity=schema.integer(raw["severity"], at.key("severity"), minimum=1),
        citations=_citations(raw["citations"], at.key("citations"), cites),
    )


_MATCH_KEYS: Mapping[str, tuple[str, ...]] = {
    "A": ("consequences", "splice_consequences", "max_position", "splice_max_exon", "splice_rests_on_unverified"),
    "B": ("consequences", "residues"),
    "C": ("consequences", "range"),
    "D": ("consequences", "range"),
    "E": ("total_copy_number", "second_hit_classes"),
    "F": ("default_ploidy",),
    "G": ("threshold", "min_depth"),
    "H": ("region",),
    "I": ("thresholds",),
}

_Block = tuple[dict[str, object], At]


def _match_block(letter: str, value: object, at: At) -> _Block:
    """The class's ``match`` mapping with exactly the keys its rule reads (run after _read_class)."""
    assert isinstance(value, dict)
    where = at.key("match")
    return schema.mapping(value["match"], where, required=_MATCH_KEYS[letter]), where


def _read_matching(
    match: Mapping[str, _Block],
    other: tuple[str, ...],
    cites: frozenset[str],
    numbering: Numbering,
    thresholds: Thresholds,
) -> Matching:
    schema.choice(match["H"][0]["region"], match["H"][1].key("region"), ("gene_body",))
    return Matching(
        truncating=_read_truncating(match["A"]),
        binding=_read_binding(match["B"], cites, numbering),
        tbd=_read_range_missense(match["C"]),
        lon=_read_range_missense(match["D"]),
        copy_number=_read_copy_number(match["E"], match["F"]),
        exon10=_read_exon10(match["G"], thresholds),
        expression=_read_expression(match["I"], cites),
        other_protein_altering=other,
    )


def _terms(value: object, at: At) -> tuple[str, ...]:
    """Sequence Ontology terms, written as VEP writes them (lower case with underscores)."""
    terms = schema.text_list(value, at)
    for index, term in enumerate(terms):
        if not term.replace("_", "").isalnum() or term != term.lower():
            raise at.key(index).error(f"{term!r} is not a Sequence Ontology term name")
    return terms


def _read_truncating(block: _Block) -> TruncatingMatch:
    raw, at = block
    consequences = _terms(raw["consequences"], at.key("consequences"))
    splice = _terms(raw["splice_consequences"], at.key("splice_consequences"))
    if not set(splice) <= set(consequences):
        raise at.key("splice_consequences").error("every splice consequence must also be listed in consequences")
    return TruncatingMatch(
        consequences=consequences,
        splice_consequences=splice,
        max_position=schema.integer(raw["max_position"], at.key("max_position"), minimum=1),
        splice_max_exon=schema.integer(raw["splice_max_exon"], at.key("splice_max_exon"), minimum=1),
        splice_rests_on_unverified=schema.text_list(
            raw["splice_rests_on_unverified"], at.key("splice_rests_on_unverified"), allow_empty=True
        ),
    )


def _read_binding(block: _Block, cites: frozenset[str], numbering: Numbering) -> MissenseMatch:
    raw, at = block
    value = raw["residues"]
    if not isinstance(value, list) or not value:
        raise at.key("residues").error("expected a non-empty list of residues")
    residues = tuple(_read_residue(item, at.key("residues").key(i), cites, numbering) for i, item in enumerate(value))
    if len({item.position for item in residues}) != len(residues):
        raise at.key("residues").error("a residue is listed twice")
    return MissenseMatch(consequences=_terms(raw["consequences"], at.key("consequences")), residues=residues)


def _read_residue(value: object, at: At, cites: frozenset[str], numbering: Numbering) -> Residue:
    """A residue such as W380, checked against the canonical sequence; mouse-numbered entries are mapped first."""
    raw = schema.mapping(
        value, at, required=("residue", "role", "citations"), optional=("numbering", "rests_on_unverified")
    )
    letter, number = _residue_label(raw["residue"], at.key("residue"))
    species = schema.choice(raw.get("numbering", "human"), at.key("numbering"), ("human", "mouse"))
    position, notes = _residue_position(number, species, numbering, at.key("residue"))
    if numbering.residue(position) != letter:
        found = numbering.residue(position) or "outside the protein"
        message = f"'{letter}{number}' does not match the canonical sequence (residue {position} is {found})"
        raise at.key("residue").error(message)
    return Residue(
        position=position,
        amino_acid=letter,
        role=schema.text(raw["role"], at.key("role")),
        citations=_citations(raw["citations"], at.key("citations"), cites),
        rests_on_unverified=_unverified(raw, at) + notes,
    )


def _residue_position(position: int, species: str, numbering: Numbering, at: At) -> tuple[int, tuple[str, ...]]:
    if species == "human":
        return position, ()
    human = numbering.mouse_to_human(position)
    if human is None:
        raise at.error(f"mouse residue {position} lies outside the range where the mouse offset applies")
    if numbering.is_mouse_anchor(position):
        return human, ()
    return human, (f"mouse residue {position} mapped to human {human} by the TBD offset outside its anchors",)


def _read_range_missense(block: _Block) -> MissenseMatch:
    raw, at = block
    return MissenseMatch(
        consequences=_terms(raw["consequences"], at.key("consequences")),
        range=schema.int_pair(raw["range"], at.key("range")),
    )


def _read_copy_number(loss: _Block, single: _Block) -> CopyNumberMatch:
    raw, at = loss
    second = schema.text_list(raw["second_hit_classes"], at.key("second_hit_classes"))
    for index, letter in enumerate(second):
        schema.choice(letter, at.key("second_hit_classes").key(index), ("A", "B"), "only class A or B is a second hit")
    return CopyNumberMatch(
        homozygous_copy_number=schema.integer(raw["total_copy_number"], at.key("total_copy_number"), minimum=0),
        second_hit_classes=second,
        default_ploidy=schema.integer(single[0]["default_ploidy"], single[1].key("default_ploidy"), minimum=1),
    )


def _read_exon10(block: _Block, thresholds: Thresholds) -> Exon10Match:
    raw, at = block
    known = tuple(thresholds.entries)
    return Exon10Match(
        threshold=schema.choice(raw["threshold"], at.key("threshold"), known, "not a threshold in thresholds.yaml"),
        min_depth=schema.choice(raw["min_depth"], at.key("min_depth"), known, "not a threshold in thresholds.yaml"),
    )


def _read_expression(block: _Block, cites: frozenset[str]) -> tuple[ExpressionThreshold, ...]:
    raw, at = block
    value = raw["thresholds"]
    if not isinstance(value, list) or not value:
        raise at.key("thresholds").error("expected a non-empty list of assay-bound thresholds")
    parsed = tuple(_read_expression_threshold(item, at.key("thresholds").key(i), cites) for i, item in enumerate(value))
    if len({item.assay for item in parsed}) != len(parsed):
        raise at.key("thresholds").error("an assay is listed twice")
    return parsed


def _read_expression_threshold(value: object, at: At, cites: frozenset[str]) -> ExpressionThreshold:
    raw = schema.mapping(value, at, required=("assay", "below", "unit", "citations", "note"))
    return ExpressionThreshold(
        assay=schema.text(raw["assay"], at.key("assay")),
        below=schema.optional_number(raw["below"], at.key("below")),
        unit=schema.text(raw["unit"], at.key("unit")),
        citations=_citations(raw["citations"], at.key("citations"), cites),
        note=schema.text(raw["note"], at.key("note")),
    )


def _read_other(value: object, at: At) -> tuple[str, ...]:
    raw = schema.mapping(value, at, required=("protein_altering_consequences",))
    return _terms(raw["protein_altering_consequences"], at.key("protein_altering_consequences"))


def _read_numbering(value: object, at: At, cites: frozenset[str]) -> Numbering:
    raw = schema.mapping(value, at, required=("canonical", "isoform2", "mouse"))
    protein, transcripts, sequence = _read_canonical(raw["canonical"], at.key("canonical"), cites)
    isoform_protein, isoform_transcripts, missing = _read_isoform2(raw["isoform2"], at.key("isoform2"), cites)
    offset, human_range, anchors = _read_mouse(raw["mouse"], at.key("mouse"), cites)
    numbering = Numbering(
        canonical_protein=protein,
        canonical_transcripts=transcripts,
        sequence=sequence,
        isoform2_protein=isoform_protein,
        isoform2_transcripts=isoform_transcripts,
        isoform2_missing_residue=missing,
        mouse_offset=offset,
        mouse_human_range=human_range,
        mouse_anchors=anchors,
    )
    _check_anchors(numbering, at.key("mouse").key("anchors"))
    return numbering


def _read_canonical(value: object, at: At, cites: frozenset[str]) -> tuple[str, tuple[str, ...], str]:
    raw = schema.mapping(value, at, required=("protein", "transcripts", "sequence", "citations"))
    _citations(raw["citations"], at.key("citations"), cites)
    transcripts = schema.text_list(raw["transcripts"], at.key("transcripts"))
    return schema.text(raw["protein"], at.key("protein")), transcripts, _sequence(raw["sequence"], at.key("sequence"))


def _read_isoform2(value: object, at: At, cites: frozenset[str]) -> tuple[str, tuple[str, ...], int]:
    raw = schema.mapping(value, at, required=("protein", "transcripts", "missing_residue", "citations", "note"))
    _citations(raw["citations"], at.key("citations"), cites)
    schema.text(raw["note"], at.key("note"))
    transcripts = schema.text_list(raw["transcripts"], at.key("transcripts"))
    missing = schema.integer(raw["missing_residue"], at.key("missing_residue"), minimum=1)
    return schema.text(raw["protein"], at.key("protein")), transcripts, missing


def _read_mouse(
    value: object, at: At, cites: frozenset[str]
) -> tuple[int, tuple[int, int], tuple[tuple[str, str], ...]]:
    raw = schema.mapping(value, at, required=("offset", "human_range", "anchors", "citations", "note"))
    _citations(raw["citations"], at.key("citations"), cites)
    schema.text(raw["note"], at.key("note"))
    offset = schema.integer(raw["offset"], at.key("offset"))
    return (
        offset,
        schema.int_pair(raw["human_range"], at.key("human_range")),
        _anchors(raw["anchors"], at.key("anchors")),
    )


def _residue_label(value: object, at: At) -> tuple[str, int]:
    """A residue written as one letter and a position, e.g. W380."""
    label = schema.text(value, at)
    letter, digits = label[:1], label[1:]
    if letter not in AMINO_ACIDS or not digits.isdigit():
        raise at.error(f"{label!r} is not a residue such as W380")
    return letter, int(digits)


def _sequence(value: object, at: At) -> str:
    sequence = "".join(schema.text(value, at).split())
    bad = sorted(set(sequence) - AMINO_ACIDS)
    if bad:
        raise at.error(f"not a protein sequence (unexpected letters {''.join(bad)})")
    return sequence


def _anchors(value: object, at: At) -> tuple[tuple[str, str], ...]:
    raw = schema.open_mapping(value, at)
    for mouse, human in schema.items(raw):
        _residue_label(mouse, at.key(mouse))
        _residue_label(human, at.key(mouse))
    return tuple((mouse, str(human)) for mouse, human in schema.items(raw))


def _check_anchors(numbering: Numbering, at: At) -> None:
    """Each anchor pair must agree with the offset and with the human sequence (mouse W383 = human W380)."""
    for mouse, human in numbering.mouse_anchors:
        (mouse_letter, mouse_position), (letter, position) = _residue_label(mouse, at), _residue_label(human, at)
        if mouse_letter != letter or mouse_position - numbering.mouse_offset != position:
            raise at.key(mouse).error(f"{mouse} = {human} disagrees with the offset {numbering.mouse_offset}")
        if numbering.residue(position) != letter:
            raise at.key(mouse).error(f"{human} does not match the canonical sequence")


def _read_gene_body(value: object, at: At, cites: frozenset[str]) -> Mapping[str, GeneSpan]:
    raw = schema.mapping(value, at, required=(), optional=("GRCh37", "GRCh38"))
    return MappingProxyType({build: _read_span(build, item, at.key(build), cites) for build, item in schema.items(raw)})


def _read_span(build: str, value: object, at: At, cites: frozenset[str]) -> GeneSpan:
    """A gene span whose ends are uncertain by a margin must say which unverified fact makes them so."""
    raw = schema.mapping(
        value,
        at,
        required=("chrom", "start", "end", "citations"),
        optional=("unverified_margin_bp", "rests_on_unverified"),
    )
    start, end = schema.int_pair([raw["start"], raw["end"]], at)
    margin = schema.integer(raw.get("unverified_margin_bp", 0), at.key("unverified_margin_bp"), minimum=0)
    unverified = _unverified(raw, at)
    if margin and not unverified:
        raise at.key("rests_on_unverified").error("required when unverified_margin_bp is set")
    return GeneSpan(
        build=build,
        chrom=schema.text(raw["chrom"], at.key("chrom")),
        start=start,
        end=end,
        citations=_citations(raw["citations"], at.key("citations"), cites),
        unverified_margin_bp=margin,
        rests_on_unverified=unverified,
    )


# ---- calls.yaml -----------------------------------------------------------------------------------------------


def _read_calls(
    doc: object, cites: frozenset[str], release: _Release, classes: Mapping[str, ClassDef]
) -> Mapping[tuple[str, str], CallEntry]:
    at = At("calls.yaml")
    raw = schema.mapping(doc, at, required=("classes", "other"))
    blocks = schema.keyed(raw["classes"], at.key("classes"), expected=CLASS_LETTERS)
    calls: dict[tuple[str, str], CallEntry] = {}
    for letter, block in [*schema.items(blocks), ("other", raw["other"])]:
        where = at.key("classes").key(letter) if letter != "other" else at.key("other")
        drugs = schema.keyed(
            schema.mapping(block, where, required=("drugs",))["drugs"], where.key("drugs"), expected=release.drugs
        )
        for drug in release.drugs:
            calls[(letter, drug)] = _read_entry(
                letter, drug, drugs[drug], where.key("drugs").key(drug), cites, release.date
            )
    _check_every_drug_gated(calls, classes, release.drugs, at.key("classes"))
    return MappingProxyType(calls)


def _read_entry(letter: str, drug: str, value: object, at: At, cites: frozenset[str], released: date) -> CallEntry:
    fields = ("call", "level", "basis", "tier", "predicted_resistance_rate", "citations", "last_reviewed", "wording")
    raw = schema.mapping(value, at, required=fields, optional=("rests_on_unverified",))
    call = _entry_call(raw["call"], at.key("call"), letter, drug)
    basis = _entry_basis(raw["basis"], at.key("basis"), _unverified(raw, at))
    return CallEntry(
        id=f"{letter}.{drug}",
        alteration_class=letter,
        drug=drug,
        call=call,
        level=_entry_level(raw["level"], at.key("level")),
        basis=basis,
        tier=_entry_tier(raw["tier"], at.key("tier"), call),
        predicted_resistance_rate=_entry_rate(
            raw["predicted_resistance_rate"], at.key("predicted_resistance_rate"), basis
        ),
        citations=_citations(raw["citations"], at.key("citations"), cites),
        last_reviewed=_entry_reviewed(raw["last_reviewed"], at.key("last_reviewed"), released),
        wording=schema.text(raw["wording"], at.key("wording")),
        rests_on_unverified=_unverified(raw, at),
    )


def _entry_call(value: object, at: At, letter: str, drug: str) -> str:
    """CELMoD sensitivity per alteration is unknown unless curated; only biallelic loss (E) is mechanistic."""
    call = schema.choice(value, at, KB_CALLS)
    if drug in CELMODS and letter != "E" and call != "unknown":
        raise at.error(f"{call!r} is not allowed (CELMoD sensitivity per alteration is unknown unless curated)")
    return call


def _entry_level(value: object, at: At) -> str:
    level = schema.choice(value, at, LEVELS)
    if level in ("A", "B"):
        raise at.error(f"{level!r} is not allowed (CRBN alterations are at best evidence level C)")
    return level


def _entry_tier(value: object, at: At, call: str) -> str:
    tier = schema.choice(value, at, TIERS)
    if tier == "I":
        raise at.error("'I' is not allowed (CRBN alterations are never tier I)")
    if call == "unknown" and tier != "III":
        raise at.error(f"{tier!r} is not allowed for call 'unknown' (unknown significance is tier III)")
    return tier


def _entry_basis(value: object, at: At, unverified: tuple[str, ...]) -> str:
    basis = schema.choice(value, at, BASES)
    if unverified and basis != "inferred":
        raise at.error(f"{basis!r} is not allowed (the entry rests on an UNVERIFIED fact: basis must be 'inferred')")
    return basis


def _entry_rate(value: object, at: At, basis: str) -> float | None:
    rate = schema.optional_number(value, at, low=0.0, high=1.0)
    if rate is not None and basis != "clinical":
        raise at.error(f"{rate} is not allowed (a predicted resistance rate needs basis 'clinical')")
    return rate


def _entry_reviewed(value: object, at: At, released: date) -> date:
    reviewed = schema.day(value, at)
    if reviewed > released:
        raise at.error(f"{reviewed.isoformat()} is after the release date {released.isoformat()}")
    return reviewed


def _check_every_drug_gated(
    calls: Mapping[tuple[str, str], CallEntry], classes: Mapping[str, ClassDef], drugs: tuple[str, ...], at: At
) -> None:
    """A drug no gating class can call resistant could never be assessed: refuse such a table."""
    for drug in drugs:
        gating = [letter for letter, cls in classes.items() if cls.gates_negative]
        if not any(calls[(letter, drug)].call in RESISTANCE_CALLS for letter in gating):
            raise at.error(f"no class that gates negative calls predicts resistance to {drug}")


# ---- wording.yaml ---------------------------------------------------------------------------------------------


def _read_wording(doc: object) -> Wording:
    at = At("wording.yaml")
    raw = schema.mapping(doc, at, required=("calls", "notes"))
    calls = schema.keyed(raw["calls"], at.key("calls"), expected=ENGINE_CALLS)
    notes = schema.keyed(raw["notes"], at.key("notes"), expected=WORDING_NOTES)
    return Wording(
        calls=MappingProxyType({key: _sentence(value, at.key("calls").key(key)) for key, value in schema.items(calls)}),
        notes=MappingProxyType({key: _sentence(value, at.key("notes").key(key)) for key, value in schema.items(notes)}),
    )


def _sentence(value: object, at: At) -> str:
    """A report sentence; its placeholders must be among {drug} and {rate}."""
    sentence = schema.text(value, at)
    try:
        sentence.format(**PLACEHOLDERS)
    except (KeyError, IndexError, ValueError) as exc:
        raise at.error(f"bad placeholder {exc} (allowed: {{drug}}, {{rate}})") from exc
    return sentence
