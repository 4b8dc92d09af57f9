"""Protein numbering: every position is normalised to canonical NP_057386.2 before a class rule reads it.

CRBN.md section 3, numbering traps: isoform 2 (NM_001173482) lacks Ala23, so its numbers from 23 on are
canonical minus one; mouse-numbered papers are +3 in the TBD (mouse W383/W389/W403 = human W380/W386/W400).
After normalisation the reference amino acid named in HGVS p. is checked against the canonical sequence: a
mismatch means the numbering is wrong, and the engine then refuses to classify the variant (CRBN.md section 2:
never annotate protein changes from a model that fails that check).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .facts import SmallVariantFact
from .kb import Numbering
from .results import Tracer

THREE_LETTER = {
    "Ala": "A",
    "Arg": "R",
    "Asn": "N",
    "Asp": "D",
    "Cys": "C",
    "Gln": "Q",
    "Glu": "E",
    "Gly": "G",
    "His": "H",
    "Ile": "I",
    "Leu": "L",
    "Lys": "K",
    "Met": "M",
    "Phe": "F",
    "Pro": "P",
    "Ser": "S",
    "Thr": "T",
    "Trp": "W",
    "Tyr": "Y",
    "Val": "V",
    "Ter": "*",
}
_HGVS_P = re.compile(r"p\.\(?(?P<ref>[A-Z][a-z]{2}|[A-Z*])(?P<pos>\d+)")


@dataclass(frozen=True)
class ProteinPosition:
    """A canonical position, or why none could be given. ``inferred`` marks an extrapolated mapping."""

    position: int | None
    problem: str | None = None
    inferred: bool = False
    notes: tuple[str, ...] = ()


def hgvs_p_reference(hgvs_p: str | None) -> tuple[str, int] | None:
    """The reference residue (one letter, "*" for a stop) and its position in an HGVS p. string."""
    match = _HGVS_P.search(hgvs_p or "")
    if match is None:
        return None
    ref = match["ref"]
    letter = THREE_LETTER.get(ref) if len(ref) == 3 else ref
    return (letter, int(match["pos"])) if letter else None


def canonical_position(variant: SmallVariantFact, numbering: Numbering, tracer: Tracer) -> ProteinPosition:
    """Normalise a variant's protein position to NP_057386.2, then check the HGVS reference residue."""
    reference = hgvs_p_reference(variant.hgvs_p)
    raw = variant.protein_position
    if raw is None and reference is not None:
        raw = reference[1]
    if raw is None:
        return ProteinPosition(None)
    if variant.numbering == "mouse":
        return _from_mouse(variant.key, raw, numbering, tracer)
    mapped = _from_transcript(variant, raw, numbering, tracer)
    return _check_reference(variant.key, mapped, reference, numbering, tracer)


def _from_mouse(key: str, raw: int, numbering: Numbering, tracer: Tracer) -> ProteinPosition:
    """Mouse numbering: human = mouse - offset inside the TBD; exact only at the anchors CRBN.md states."""
    human = numbering.mouse_to_human(raw)
    if human is None:
        tracer.add("numbering.mouse", key, "classes.numbering.mouse", f"mouse {raw}: outside the TBD, not mapped")
        return ProteinPosition(None, problem=f"mouse residue {raw} lies outside the TBD, where no offset is known")
    if numbering.is_mouse_anchor(raw):
        tracer.add("numbering.mouse", key, "classes.numbering.mouse", f"mouse {raw} -> human {human} (anchor)")
        return ProteinPosition(human)
    tracer.add("numbering.mouse", key, "classes.numbering.mouse", f"mouse {raw} -> human {human} (inferred)")
    note = f"mouse residue {raw} mapped to human {human} by the TBD offset, established only at W380/W386/W400"
    return ProteinPosition(human, inferred=True, notes=(note,))


def _from_transcript(variant: SmallVariantFact, raw: int, numbering: Numbering, tracer: Tracer) -> ProteinPosition:
    """Canonical transcripts pass through; isoform 2 shifts by one from residue 23; others are refused."""
    base = (variant.transcript or "").split(".")[0]
    if not base:
        tracer.add("numbering.transcript", variant.key, None, "no transcript: canonical numbering assumed")
        return ProteinPosition(raw, notes=("transcript not given: canonical NP_057386.2 numbering assumed",))
    if base in numbering.canonical_transcripts:
        return ProteinPosition(raw)
    if base in numbering.isoform2_transcripts:
        position = numbering.isoform2_to_canonical(raw)
        tracer.add("numbering.isoform2", variant.key, "classes.numbering.isoform2", f"{raw} -> {position}")
        return ProteinPosition(position, notes=(f"isoform-2 residue {raw} = canonical {position}",))
    tracer.add("numbering.transcript", variant.key, None, f"transcript {variant.transcript} not recognised")
    return ProteinPosition(None, problem=f"transcript {variant.transcript} is not a known CRBN transcript")


def _check_reference(
    key: str, mapped: ProteinPosition, reference: tuple[str, int] | None, numbering: Numbering, tracer: Tracer
) -> ProteinPosition:
    """The HGVS reference residue must be the canonical residue at the normalised position."""
    if mapped.position is None or reference is None or reference[0] == "*":
        return mapped
    found = numbering.residue(mapped.position)
    if found == reference[0]:
        return mapped
    tracer.add("numbering.reference_check", key, "classes.numbering.canonical", f"mismatch at {mapped.position}")
    problem = f"HGVS names {reference[0]} but canonical residue {mapped.position} is {found or 'beyond the protein'}"
    return ProteinPosition(None, problem=f"{problem}: protein numbering suspect, not classified")
