"""Survival by CRBN status: the two endpoints, Kaplan-Meier curves and the log-rank test (lifelines).

Endpoints (implementation choices, stated on the page):
- PFS on the next IMiD-containing line: from the start of the first line containing thalidomide, lenalidomide
  or pomalidomide that follows the patient's first assessable relapse sample, to progression or death; censored
  at the start of the following line, else at the last date the patient was known alive.
- OS from first relapse (the end of the first line that progressed): to death; censored at last follow-up.
CRBN status comes from that relapse sample. lifelines and pandas are imported inside the functions: importing
them costs over a second, which neither web start-up nor the other registry pages should pay.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .dataset import IMIDS, RegistryLine, RegistryPatient, RegistrySample, alteration_group, crbn_status

DAYS_PER_MONTH = 30.4375
TICK_MONTHS = (0, 12, 24, 36, 48, 60)
GROUP_LABELS = {
    "altered": "CRBN altered",
    "not_altered": "No CRBN alteration",
    "point_mutation": "Point mutation",
    "copy_loss_sv": "Copy loss or SV",
    "exon10_skipping": "Exon-10 skipping",
    "multiple": "More than one kind",
}
GROUPINGS: dict[str, Callable[[RegistrySample | None], str | None]] = {
    "status": crbn_status,
    "class": alteration_group,
}
ENDPOINTS = {
    "pfs": "Progression-free survival on the next IMiD-containing line",
    "os": "Overall survival from first relapse",
}


@dataclass(frozen=True)
class SurvivalRecord:
    group: str
    days: int
    event: bool


@dataclass(frozen=True)
class Curve:
    group: str
    label: str
    patients: int
    events: int
    months: tuple[float, ...]  # step times, starting at 0
    survival: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    median: float | None  # months; None when the curve never falls to 50%
    median_low: float | None
    median_high: float | None
    at_risk: tuple[int, ...]  # at each of TICK_MONTHS


@dataclass(frozen=True)
class SurvivalAnalysis:
    endpoint: str
    grouping: str
    curves: tuple[Curve, ...]
    logrank_p: float | None  # None with fewer than two groups

    @property
    def title(self) -> str:
        return ENDPOINTS[self.endpoint]


def _relapse_sample(
    patient: RegistryPatient, group_of: Callable[[RegistrySample | None], str | None]
) -> tuple[RegistrySample | None, str]:
    """The first relapse sample that tells the patient's CRBN status, with that status."""
    for sample in sorted(patient.samples, key=lambda item: item.collected):
        group = group_of(sample) if sample.timepoint != "baseline" else None
        if group is not None:
            return sample, group
    return None, ""


def _next_imid_line(patient: RegistryPatient, after: date) -> RegistryLine | None:
    return next((line for line in patient.lines_after(after) if line.drugs & IMIDS), None)


def _ended(start: date, event_day: date | None, censor_day: date) -> SurvivalRecord | None:
    end, event = (event_day, True) if event_day else (censor_day, False)
    days = (end - start).days
    return SurvivalRecord("", days, event) if days >= 0 else None


def pfs_record(patient: RegistryPatient, grouping: str) -> SurvivalRecord | None:
    sample, group = _relapse_sample(patient, GROUPINGS[grouping])
    line = _next_imid_line(patient, sample.collected) if sample else None
    if line is None:
        return None
    following = next((item.start for item in patient.lines if item.number > line.number), None)
    death_first = patient.death is not None and (following is None or patient.death <= following)
    event_day = line.progression or (patient.death if death_first else None)
    record = _ended(line.start, event_day, following or patient.last_known_alive)
    return SurvivalRecord(group, record.days, record.event) if record else None


def os_record(patient: RegistryPatient, grouping: str) -> SurvivalRecord | None:
    sample, group = _relapse_sample(patient, GROUPINGS[grouping])
    start = patient.first_relapse
    if sample is None or start is None:
        return None
    record = _ended(start, patient.death, patient.last_known_alive)
    return SurvivalRecord(group, record.days, record.event) if record else None


RECORDS = {"pfs": pfs_record, "os": os_record}


def survival_records(patients: Iterable[RegistryPatient], endpoint: str, grouping: str) -> list[SurvivalRecord]:
    make = RECORDS[endpoint]
    return [record for patient in patients if (record := make(patient, grouping)) is not None]


def analyse(records: Sequence[SurvivalRecord], endpoint: str, grouping: str) -> SurvivalAnalysis:
    """One Kaplan-Meier curve per group (in GROUP_LABELS order) and the log-rank test across them."""
    groups = [key for key in GROUP_LABELS if any(record.group == key for record in records)]
    curves = tuple(_curve(key, [record for record in records if record.group == key]) for key in groups)
    return SurvivalAnalysis(endpoint, grouping, curves, _logrank(records) if len(groups) > 1 else None)


def _curve(group: str, records: list[SurvivalRecord]) -> Curve:
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    months = [record.days / DAYS_PER_MONTH for record in records]
    fitter = KaplanMeierFitter().fit(months, [record.event for record in records])
    band = fitter.confidence_interval_
    median_band = median_survival_times(band)
    return Curve(
        group=group,
        label=GROUP_LABELS[group],
        patients=len(records),
        events=sum(record.event for record in records),
        months=tuple(float(value) for value in fitter.survival_function_.index),
        survival=tuple(float(value) for value in fitter.survival_function_.iloc[:, 0]),
        low=tuple(float(value) for value in band.iloc[:, 0]),
        high=tuple(float(value) for value in band.iloc[:, 1]),
        median=_finite(fitter.median_survival_time_),
        median_low=_finite(median_band.iloc[0, 0]),
        median_high=_finite(median_band.iloc[0, 1]),
        at_risk=tuple(sum(month >= tick for month in months) for tick in TICK_MONTHS),
    )


def _finite(value: float) -> float | None:
    return float(value) if value == value and value != float("inf") else None  # NaN != NaN


def _logrank(records: Sequence[SurvivalRecord]) -> float:
    from lifelines.statistics import multivariate_logrank_test

    result = multivariate_logrank_test(
        [record.days for record in records], [record.group for record in records], [record.event for record in records]
    )
    return float(result.p_value)
