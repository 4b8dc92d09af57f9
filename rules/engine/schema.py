"""Small, strict readers for the knowledge-base YAML. Pure Python (PyYAML only).

Every reader takes the raw value and where it sits (file and key path), and either returns a typed value or
raises KnowledgeBaseError naming both, e.g. ``calls.yaml: classes.B.drugs.lenalidomide.tier: 'I' is not
allowed (CRBN alterations are never tier I)``. Unknown keys and duplicate keys are refused, so a typo cannot
silently fall back to a default.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml


class KnowledgeBaseError(ValueError):
    """A knowledge-base file that cannot be used. The message names the file and the key path."""


@dataclass(frozen=True)
class At:
    """A position in a knowledge-base file: the file name and the dotted key path."""

    file: str
    path: str = ""

    def key(self, name: str | int) -> At:
        if isinstance(name, int):
            return At(self.file, f"{self.path}[{name}]")
        return At(self.file, f"{self.path}.{name}" if self.path else name)

    def error(self, message: str) -> KnowledgeBaseError:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return KnowledgeBaseError(f"{where}: {message}")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys (PyYAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(file: str, text: str) -> object:
    """Parse one file's text; a syntax error or a duplicate key names the file and the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise KnowledgeBaseError(f"{file}: {line}{problem}") from exc


def mapping(value: object, at: At, *, required: Collection[str], optional: Collection[str] = ()) -> dict[str, object]:
    """A mapping with exactly the allowed keys: every required one present, nothing unknown."""
    if not isinstance(value, dict):
        raise at.error(f"expected a mapping, got {_kind(value)}")
    allowed = set(required) | set(optional)
    for key in sorted(value, key=str):
        if not isinstance(key, str) or key not in allowed:
            raise at.key(str(key)).error(f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if key not in value:
            raise at.key(key).error("required key missing")
    return {str(key): item for key, item in value.items()}


def open_mapping(value: object, at: At) -> dict[str, object]:
    """A non-empty mapping with free-form text keys (citation keys, anchor residues)."""
    if not isinstance(value, dict):
        raise at.error(f"expected a mapping, got {_kind(value)}")
    if not value:
        raise at.error("must not be empty")
    for key in value:
        if not isinstance(key, str):
            raise at.key(str(key)).error("keys must be text")
    return {str(key): item for key, item in value.items()}


def keyed(value: object, at: At, *, expected: Collection[str]) -> dict[str, object]:
    """A mapping whose keys must be exactly ``expected`` (e.g. the five drugs, the nine classes)."""
    return mapping(value, at, required=expected)


def text(value: object, at: At) -> str:
    if not isinstance(value, str) or not value.strip():
        raise at.error(f"expected non-empty text, got {_kind(value)}")
    return " ".join(value.split())


def optional_text(value: object, at: At) -> str | None:
    return None if value is None else text(value, at)


def boolean(value: object, at: At) -> bool:
    if not isinstance(value, bool):
        raise at.error(f"expected true or false, got {_kind(value)}")
    return value


def integer(value: object, at: At, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise at.error(f"expected an integer, got {_kind(value)}")
    if minimum is not None and value < minimum:
        raise at.error(f"{value} is below the minimum {minimum}")
    return value


def number(value: object, at: At, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise at.error(f"expected a number, got {_kind(value)}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise at.error(f"{value} is outside {low}-{high}")
    return float(value)


def optional_number(value: object, at: At, *, low: float | None = None, high: float | None = None) -> float | None:
    return None if value is None else number(value, at, low=low, high=high)


def choice(value: object, at: At, allowed: Collection[str], why: str = "") -> str:
    """One of a closed vocabulary; ``why`` explains a policy refusal to the curator."""
    if not isinstance(value, str) or value not in allowed:
        reason = why or f"allowed: {', '.join(sorted(allowed))}"
        raise at.error(f"{value!r} is not allowed ({reason})")
    return value


def text_list(value: object, at: At, *, allow_empty: bool = False) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise at.error(f"expected a list, got {_kind(value)}")
    if not value and not allow_empty:
        raise at.error("must not be empty")
    return tuple(text(item, at.key(index)) for index, item in enumerate(value))


def day(value: object, at: At) -> date:
    """A date, written unquoted (YAML reads 2026-11-29 as a date) or as an ISO string."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise at.error(f"expected a date YYYY-MM-DD, got {value!r}")


def int_pair(value: object, at: At) -> tuple[int, int]:
    """An inclusive [low, high] range."""
    if not isinstance(value, list) or len(value) != 2:
        raise at.error(f"expected [low, high], got {value!r}")
    low, high = (integer(item, at.key(index), minimum=1) for index, item in enumerate(value))
    if low > high:
        raise at.error(f"range [{low}, {high}] is reversed")
    return low, high


def items(value: Mapping[str, object]) -> list[tuple[str, object]]:
    """A mapping's entries in key order, so validation reports the same first error every time."""
    return sorted(value.items())


def _kind(value: object) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"
