"""Constructed registry records with known properties (no database)."""

from datetime import date, timedelta
from typing import Any

from cohort.dataset import Cohort, RegistryLine, RegistryPatient, RegistrySample

DNA = frozenset("ABCD")
DNA_CN = frozenset("ABCDEF")
EVERYTHING = frozenset("ABCDEFGHI")
START = date(2020, 1, 1)


def sample(number: int, *, found: str = "", assessable: frozenset[str] = EVERYTHING, **fields: Any) -> RegistrySample:
    values: dict[str, Any] = {
        "key": f"s{number}",
        "registry_id": f"P{number}",
        "institution": "NBH",
        "region": "Europe",
        "presentation": "medullary",
        "timepoint": "first_relapse",
        "collected": START,
        "specimen": "bm_aspirate",
        "enrichment": "cd138_magnetic",
        "assay": "wgs",
        "build": "GRCh38",
        "splice_method": "not tested",
        "cohort": Cohort.LEN_REFRACTORY,
        "lines_before": 1,
        "found": frozenset(found),
        "assessable": assessable,
    }
    values.update(fields)
    return RegistrySample(**values)


def line(
    number: int, drugs: tuple[str, ...], start: date, *, days_to_progression: int | None = None, **fields: Any
) -> RegistryLine:
    progression = start + timedelta(days=days_to_progression) if days_to_progression is not None else None
    values: dict[str, Any] = {"end": None, "best_response": "VGPR", "progression": progression}
    values.update(fields)
    return RegistryLine(number, frozenset(drugs), start, values["end"], values["best_response"], values["progression"])


def patient(
    number: int, *, samples: tuple[RegistrySample, ...] = (), lines: tuple[RegistryLine, ...] = (), **fields: Any
) -> RegistryPatient:
    values: dict[str, Any] = {
        "registry_id": f"P{number}",
        "date_shift": 10,
        "institution": "NBH",
        "region": "Europe",
        "presentation": "medullary",
        "sex": "F",
        "age_at_diagnosis": 65,
        "diagnosis": date(2018, 1, 1),
        "last_follow_up": None,
        "death": None,
        "lines": lines,
        "samples": samples,
    }
    values.update(fields)
    return RegistryPatient(**values)


def relapsed_patient(number: int, *, found: str, pfs_days: int, event: bool = True, **fields: Any) -> RegistryPatient:
    """Line 1 (Len) progressed at START; relapse sample at START; line 2 (Pom) starts 14 days later and
    progresses ``pfs_days`` after its start (or is censored then, at last follow-up)."""
    first = line(1, ("lenalidomide", "dexamethasone"), date(2018, 2, 1), progression=START)
    second_start = START + timedelta(days=14)
    end = second_start + timedelta(days=pfs_days)
    second = line(2, ("pomalidomide", "dexamethasone"), second_start, progression=end if event else None)
    relapse = sample(number, found=found, registry_id=f"P{number}")
    follow_up = fields.pop("last_follow_up", end)
    return patient(number, samples=(relapse,), lines=(first, second), last_follow_up=follow_up, **fields)
