"""Panels that higher apps add to the patient page, without this app importing them (DESIGN.md: nothing here
depends on the apps built on top of it).

An app registers a provider in its AppConfig.ready(); for each page view the provider gets the user and the
patient and returns the template to include and its context, or None to add nothing (e.g. for a role that may
not see its content). Providers read through the chokepoint themselves.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .models import Patient

Provider = Callable[[Any, Patient], tuple[str, dict[str, Any]] | None]


@dataclass(frozen=True)
class Panel:
    template_name: str
    context: dict[str, Any]


_providers: dict[str, Provider] = {}


def register(key: str, provider: Provider) -> None:
    """Add (or replace, so a second ready() does not duplicate it) the provider known by ``key``."""
    _providers[key] = provider


def panels_for(user: Any, patient: Patient) -> list[Panel]:
    """The panels to show, in the order their providers were registered."""
    panels = []
    for provider in _providers.values():
        answer = provider(user, patient)
        if answer is not None:
            panels.append(Panel(*answer))
    return panels
