"""What a knowledge-base release changes against another: pure Python over two frozen snapshots.

A curator must see every statement that differs before activating, because activation re-assesses every
sample: the alteration classes, the rules' parameters (residues, ranges, copy-number and exon-10 settings,
expression cut-offs), each call per class x drug, the thresholds, the report wording and the cited sources.
"""

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from enum import StrEnum

from .engine import KnowledgeBase


class Change(StrEnum):
    ADDED = "added"
    CHANGED = "changed"
    REMOVED = "removed"


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: str
    new: str


@dataclass(frozen=True)
class DiffEntry:
    """One entry that differs, e.g. section "calls", key "B.lenalidomide", with the fields that changed."""

    section: str
    key: str
    change: Change
    fields: tuple[FieldChange, ...] = ()


SECTIONS = (
    ("classes", "Alteration classes"),
    ("rules", "Class rules (residues, ranges, cut-offs)"),
    ("calls", "Calls per class and drug"),
    ("thresholds", "Thresholds"),
    ("wording", "Report wording"),
    ("citations", "Citations"),
)


def diff_knowledge_bases(old: KnowledgeBase | None, new: KnowledgeBase) -> tuple[DiffEntry, ...]:
    """Every entry of ``new`` that is added, changed or removed against ``old`` (None: everything is added)."""
    entries: list[DiffEntry] = []
    for section, _ in SECTIONS:
        entries += _diff_mapping(section, _section(old, section) if old else {}, _section(new, section))
    return tuple(entries)


def _section(kb: KnowledgeBase, section: str) -> Mapping[str, object]:
    if section == "classes":
        return kb.classes
    if section == "rules":
        matching = {item.name: getattr(kb.matching, item.name) for item in fields(kb.matching)}
        return {**matching, "numbering": kb.numbering, **{f"gene_body.{k}": v for k, v in kb.gene_body.items()}}
    if section == "calls":
        return {entry.id: entry for entry in kb.calls.values()}
    if section == "thresholds":
        return kb.thresholds.entries
    if section == "citations":
        return kb.citations
    return {
        **{f"calls.{key}": text for key, text in kb.wording.calls.items()},
        **{f"notes.{key}": text for key, text in kb.wording.notes.items()},
    }


def _diff_mapping(section: str, old: Mapping[str, object], new: Mapping[str, object]) -> list[DiffEntry]:
    entries = []
    for key in [*new, *(key for key in old if key not in new)]:
        if key not in old:
            entries.append(DiffEntry(section, key, Change.ADDED, _field_changes(None, new[key])))
        elif key not in new:
            entries.append(DiffEntry(section, key, Change.REMOVED, _field_changes(old[key], None)))
        elif old[key] != new[key]:
            entries.append(DiffEntry(section, key, Change.CHANGED, _field_changes(old[key], new[key])))
    return entries


def _field_changes(old: object, new: object) -> tuple[FieldChange, ...]:
    """Field by field for dataclasses (only the differing ones); the whole value otherwise."""
    sample = new if new is not None else old
    if not is_dataclass(sample):
        return (FieldChange("text", _show(old), _show(new)),)
    changes = []
    for item in fields(sample):
        before = getattr(old, item.name) if old is not None else None
        after = getattr(new, item.name) if new is not None else None
        if before != after:
            changes.append(FieldChange(item.name, _show(before), _show(after)))
    return tuple(changes)


def _show(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return ", ".join(value) or "none"
    return str(value)
