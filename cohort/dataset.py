"""The registry's de-identified records and how a sample is placed in a cohort. Pure Python, no Django.

Selectors build these records from the database (cohort/selectors.py); every analysis (frequencies, survival,
the learning loop, method harmonisation) reads only them, so each is tested on constructed cohorts.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from patients.refractoriness import LineFacts, refractory_drugs

LEN, POM = "lenalidomide", "pomalidomide"
IMIDS = frozenset({"thalidomide", LEN, POM})
# A relapse sample is often drawn in the first days of the next line's first cycle: a line that started up to
# this many days before the sample still counts as the line that followed it.
NEXT_LINE_WINDOW_DAYS = 30


class Cohort:
    """The seed study's cohorts (Gooding 2021), plus relapses refractory to neither drug."""

    NDMM = "ndmm"
    LEN_REFRACTORY = "len_refractory"
    POM_REFRACTORY = "pom_refractory"
    OTHER_RELAPSE = "other_relapse"
    LABELS = {
        NDMM: "Newly diagnosed",
        LEN_REFRACTORY: "Len-refractory",
        POM_REFRACTORY: "Pom-refractory",
        OTHER_RELAPSE: "Relapse, not Len/Pom-refractory",
    }


@dataclass(frozen=True)
class ClassGroup:
    """A column of the frequency tables: one or more alteration classes (CRBN.md section 4)."""

    key: str
    label: str
    letters: tuple[str, ...]


CLASS_LETTERS = tuple("ABCDEFGHI")
# The seed's three kinds of acquired change; low expression (I) is assay-specific and never pooled with them.
SEED_GROUPS = (
    ClassGroup("point_mutation", "Point mutation", ("A", "B", "C", "D")),
    ClassGroup("copy_loss_sv", "Copy loss or SV", ("E", "F", "H")),
    ClassGroup("exon10_skipping", "Exon-10 skipping", ("G",)),
)
ANY_ALTERATION = ClassGroup("any", "Any alteration (A-H)", tuple("ABCDEFGH"))
CLASS_GROUPS = tuple(ClassGroup(letter, f"Class {letter}", (letter,)) for letter in CLASS_LETTERS)


@dataclass(frozen=True)
class RegistryLine:
    number: int
    drugs: frozenset[str]
    start: date
    end: date | None
    best_response: str
    progression: date | None

    def facts_at(self, day: date) -> LineFacts:
        """The line as known on ``day``: a later progression has not happened yet."""
        progression = self.progression if self.progression and self.progression <= day else None
        return LineFacts(self.number, self.drugs, self.end, progression)


@dataclass(frozen=True)
class RegistrySample:
    """A de-identified sample with its latest assessment: the classes found and those its evidence could see."""

    key: str  # the sample's public UUID, for joining exports; never shown on a page
    registry_id: str
    institution: str
    region: str
    presentation: str
    timepoint: str
    collected: date  # true date: analyses use intervals; exports shift it
    specimen: str
    enrichment: str
    assay: str
    build: str
    splice_method: str
    cohort: str
    lines_before: int
    found: frozenset[str]
    assessable: frozenset[str]

    def detected(self, group: ClassGroup) -> bool:
        return not self.found.isdisjoint(group.letters)

    def assessable_for(self, group: ClassGroup) -> bool:
        """An alteration found proves its evidence was read, even where QC judged it too thin for a negative."""
        return self.detected(group) or not self.assessable.isdisjoint(group.letters)


@dataclass(frozen=True)
class RegistryPatient:
    registry_id: str
    date_shift: int
    institution: str
    region: str
    presentation: str
    sex: str
    age_at_diagnosis: int
    diagnosis: date
    last_follow_up: date | None
    death: date | None
    lines: tuple[RegistryLine, ...]
    samples: tuple[RegistrySample, ...] = field(default=())

    @property
    def first_relapse(self) -> date | None:
        return next((line.progression for line in self.lines if line.progression), None)

    @property
    def last_known_alive(self) -> date:
        """Last follow-up, or failing that the latest date the record holds."""
        days = [self.diagnosis, *(d for line in self.lines for d in (line.start, line.end, line.progression) if d)]
        days += [sample.collected for sample in self.samples]
        return max([*days, self.last_follow_up] if self.last_follow_up else days)

    def lines_after(self, day: date) -> list[RegistryLine]:
        earliest = day - timedelta(days=NEXT_LINE_WINDOW_DAYS)
        return [line for line in self.lines if line.start >= earliest]


def sample_cohort(timepoint: str, collected: date, lines: Sequence[RegistryLine]) -> str:
    """NDMM at baseline; at relapse, Pom-refractory before Len-refractory (IMWG 60-day rule, on the lines known
    at collection), as in the seed study's grouping."""
    if timepoint == "baseline":
        return Cohort.NDMM
    refractory = refractory_drugs(line.facts_at(collected) for line in lines if line.start <= collected)
    if POM in refractory:
        return Cohort.POM_REFRACTORY
    if LEN in refractory:
        return Cohort.LEN_REFRACTORY
    return Cohort.OTHER_RELAPSE


def lines_before(collected: date, lines: Sequence[RegistryLine]) -> int:
    earliest = collected - timedelta(days=NEXT_LINE_WINDOW_DAYS)
    return sum(1 for line in lines if line.start < earliest)


def assessable_classes(adequate_kinds: frozenset[str], class_evidence: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    """A class can be ruled out only when every evidence kind it needs was adequate (classes.yaml ``evidence``)."""
    return frozenset(letter for letter, kinds in class_evidence.items() if adequate_kinds.issuperset(kinds))


def crbn_status(sample: RegistrySample | None) -> str | None:
    """ "altered" or "not_altered" on classes A-H; None when the sample could not tell."""
    if sample is None or not sample.assessable_for(ANY_ALTERATION):
        return None
    return "altered" if sample.detected(ANY_ALTERATION) else "not_altered"


def alteration_group(sample: RegistrySample | None) -> str | None:
    """The seed group of the sample's alterations: one of SEED_GROUPS' keys, "multiple", "not_altered" or None."""
    status = crbn_status(sample)
    if status != "altered":
        return status
    assert sample is not None
    groups = [group.key for group in SEED_GROUPS if sample.detected(group)]
    return groups[0] if len(groups) == 1 else "multiple"
