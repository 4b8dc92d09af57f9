"""The demo cohort: two fictional institutions, one demo user per role, and a de-identified myeloma cohort.

Deterministic for a seed: one ``random.Random`` draws everything, UUIDs included, and every date is anchored to
a fixed data cut-off, never to today. Treatment histories follow myeloma practice closely enough that the
portal's views (refractoriness, first relapse, baseline vs relapse samples, method mix across sites) have
realistic material: a line is one planned programme (IMWG), continuous regimens run until progression, and
refractoriness follows from the dates by the IMWG 60-day rule (patients/refractoriness.py).
"""

import itertools
import math
import random
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.db import transaction

from crbn_portal.roles import Role

from . import refractoriness
from .drugs import DRUGS, IMID
from .models import Drug, Institution, LineDrug, Membership, Patient, Sample, TreatmentLine

DEMO_PASSWORD = "crbn-demo-2026"
SUPERUSER_USERNAME = "superadmin"
DATA_CUTOFF = date(2026, 6, 30)  # the cohort's "today": events after it have not happened yet
FIRST_DIAGNOSIS, LAST_DIAGNOSIS = date(2014, 1, 1), date(2024, 12, 31)
DAYS_PER_MONTH = 30.44

# --- Institutions and users ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A fictional institution and its laboratory habits (assay mix and genome build differ between sites,
    which is what method harmonisation in the registry has to cope with)."""

    name: str
    code: str
    country: str
    region: str
    genome_build: str
    assay_mix: tuple[tuple[str, int], ...]

    def draw_assay(self, rng: random.Random) -> str:
        assays, weights = zip(*self.assay_mix, strict=True)
        return rng.choices(assays, weights=weights)[0]


SITES = (
    Site(
        "Northbridge University Hospital",
        "NBH",
        "GB",
        "Europe",
        Sample.GenomeBuild.GRCH38,
        (
            (Sample.Assay.WGS, 40),
            (Sample.Assay.WES, 15),
            (Sample.Assay.PANEL, 20),
            (Sample.Assay.RNA_SEQ, 20),
            (Sample.Assay.PCR, 5),
        ),
    ),
    Site(
        "Lakeshore Cancer Center",
        "LCC",
        "US",
        "North America",
        Sample.GenomeBuild.GRCH37,
        (
            (Sample.Assay.PANEL, 45),
            (Sample.Assay.WES, 25),
            (Sample.Assay.PCR, 15),
            (Sample.Assay.RNA_SEQ, 10),
            (Sample.Assay.WGS, 5),
        ),
    ),
)
USERNAME_PREFIX = {Role.LAB_SCIENTIST: "lab"}  # the other roles use their own value, e.g. clinician.nbh
FIRST_NAMES = ("Avery", "Blair", "Corin", "Dana", "Emrys", "Farah", "Greer", "Hollis", "Ines", "Jory", "Kit", "Lorne")
LAST_NAMES = ("Ashdown", "Brackley", "Carrow", "Dunmore", "Elsworth", "Fenwright", "Galloway", "Hartnell", "Ivers")


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    institution: str
    password: str = DEMO_PASSWORD


def _username(role: Role, site: Site) -> str:
    return f"{USERNAME_PREFIX.get(role, role.value)}.{site.code.lower()}"


def demo_logins() -> list[DemoLogin]:
    """Every demo account, in a stable order (also the accounts ``--force`` may delete)."""
    logins = [DemoLogin(_username(role, site), role.label, site.code) for site in SITES for role in Role]
    return [*logins, DemoLogin(SUPERUSER_USERNAME, "Superuser", "all")]


# --- Regimens ---------------------------------------------------------------------------------------------------


class Regimen(NamedTuple):
    """A regimen as the demo prescribes it, with its registration trial's median PFS."""

    name: str
    drugs: tuple[str, ...]
    median_pfs_months: float
    continuous: bool  # given until progression, so a relapse on it makes the patient refractory
    since: int = 2014  # first year in routine use, so each line's choice fits its date
    fixed_months: float = 0.0  # planned duration when not continuous
    weight: int = 0  # how often it is chosen at relapse among the regimens that suit the patient
    induction_only: tuple[str, ...] = ()  # stopped after the first cycles, so not refractory at relapse


LEN, POM, THAL, MEZI = "lenalidomide", "pomalidomide", "thalidomide", "mezigdomide"
BORT, CARF, IXA, DARA, ISA = "bortezomib", "carfilzomib", "ixazomib", "daratumumab", "isatuximab"
DEX, PRED, MEL, CYCLO = "dexamethasone", "prednisone", "melphalan", "cyclophosphamide"
ASCT = "high-dose melphalan with ASCT"
ELO, SELI, PANO = "elotuzumab", "selinexor", "panobinostat"

# Line 1: induction, transplant and maintenance form one line (IMWG); chosen by age and era, not by weight.
VRD_ASCT_R = Regimen("VRd + ASCT + R maintenance", (BORT, LEN, DEX, ASCT), 60, True, induction_only=(BORT, DEX, ASCT))
DVRD_ASCT_R = Regimen(  # PERSEUS: daratumumab and lenalidomide continue as maintenance
    "D-VRd + ASCT + DR maintenance", (DARA, BORT, LEN, DEX, ASCT), 90, True, 2022, induction_only=(BORT, DEX, ASCT)
)
VTD_ASCT = Regimen("VTd + ASCT", (BORT, THAL, DEX, ASCT), 36, False, fixed_months=8)  # no maintenance then
VRD_LITE = Regimen("VRd-lite", (BORT, LEN, DEX), 36, True, induction_only=(BORT,))  # then Rd until progression
RD = Regimen("Rd", (LEN, DEX), 26, True)  # FIRST
VMP = Regimen("VMP", (BORT, MEL, PRED), 22, False, fixed_months=12)  # VISTA
DARA_RD = Regimen("DaraRd", (DARA, LEN, DEX), 55, True, 2017, weight=6)  # MAIA first line, POLLUX at relapse
VCD = Regimen("VCd", (BORT, CYCLO, DEX), 9, False, fixed_months=6, weight=1)  # salvage when options run out

RELAPSE_REGIMENS = (
    DARA_RD,
    Regimen("KRd", (CARF, LEN, DEX), 26, True, 2016, weight=3),  # ASPIRE
    Regimen("IxaRd", (IXA, LEN, DEX), 21, True, 2017, weight=2),  # TOURMALINE-MM1
    Regimen("EloRd", (ELO, LEN, DEX), 19, True, 2016, weight=1),  # ELOQUENT-2
    Regimen("DVd", (DARA, BORT, DEX), 17, True, 2017, weight=3, induction_only=(BORT,)),  # CASTOR
    Regimen("DPd", (DARA, POM, DEX), 12, True, 2020, weight=3),  # APOLLO
    Regimen("IsaPd", (ISA, POM, DEX), 12, True, 2020, weight=2),  # ICARIA
    Regimen("KPd", (CARF, POM, DEX), 16, True, 2016, weight=1),
    Regimen("PVd", (POM, BORT, DEX), 11, True, 2019, weight=2),  # OPTIMISMM
    Regimen("EloPd", (ELO, POM, DEX), 10, True, 2018, weight=1),  # ELOQUENT-3
    Regimen("Pd", (POM, DEX), 4, True, weight=1),  # MM-003
    Regimen("Kd", (CARF, DEX), 19, True, 2016, weight=3),  # ENDEAVOR
    Regimen("DaraKd", (DARA, CARF, DEX), 28, True, 2020, weight=5),  # CANDOR
    Regimen("IsaKd", (ISA, CARF, DEX), 35, True, 2021, weight=3),  # IKEMA
    Regimen("Daratumumab", (DARA,), 4, True, 2016, weight=1),  # SIRIUS
    Regimen("PanoVd", (PANO, BORT, DEX), 12, False, 2015, fixed_months=11, weight=1),  # PANORAMA-1
    Regimen("SVd", (SELI, BORT, DEX), 14, True, 2021, weight=2),  # BOSTON
    Regimen("MeziVd (trial)", (MEZI, BORT, DEX), 12, True, 2023, weight=1),  # SUCCESSOR-1
    Regimen("Belantamab", ("belantamab mafodotin",), 3, True, 2020, weight=1),  # DREAMM-2
    Regimen("Teclistamab", ("teclistamab",), 11, True, 2022, weight=5),  # MajesTEC-1
    Regimen("Elranatamab", ("elranatamab",), 17, True, 2023, weight=4),  # MagnetisMM-3
    Regimen("Talquetamab", ("talquetamab",), 8, True, 2023, weight=3),  # MonumenTAL-1
    Regimen("Ide-cel", (CYCLO, "idecabtagene vicleucel"), 9, False, 2021, fixed_months=1, weight=3),  # KarMMa
    Regimen("Cilta-cel", (CYCLO, "ciltacabtagene autoleucel"), 35, False, 2022, fixed_months=1, weight=4),
    VCD,
)
FIRST_LINE_REGIMENS = (VRD_ASCT_R, DVRD_ASCT_R, VTD_ASCT, VRD_LITE, RD, VMP)
REGIMENS = {regimen.name: regimen for regimen in (*FIRST_LINE_REGIMENS, *RELAPSE_REGIMENS)}

DRUG_CLASS = {entry.name: entry.drug_class for entry in DRUGS}
PI, ANTI_CD38 = "proteasome_inhibitor", "anti_cd38"  # keys of drugs.DRUG_CLASSES
# Steroids and alkylators (lymphodepletion before CAR-T) are given whatever the patient is refractory to.
IGNORED_FOR_RESISTANCE = frozenset({"steroid", "alkylator_asct"})
TRIPLE_CLASS = frozenset({IMID, PI, ANTI_CD38})
# Bispecifics, CAR-T and belantamab are licensed only after an IMiD, a PI and an anti-CD38 antibody.
LATE_LINE_CLASSES = frozenset({"bispecific", "car_t", "bcma_directed"})

MAX_LINES = 5
# Attrition between lines (death, frailty, palliation), from real-world line-by-line cohorts.
NEXT_LINE_PROBABILITY = {1: 0.8, 2: 0.7, 3: 0.6, 4: 0.5}
STOPPED_EARLY = 0.25  # continuous therapy stopped for toxicity or by choice (~25-30% on maintenance)
PFS_SHAPE = 1.3  # Weibull shape: few very early relapses, a long tail of durable remissions
INDUCTION_DAYS = 150  # four to six induction cycles, then the transplant: when induction-only drugs stop
MIN_PFS_DAYS = 35  # progression is first seen at a response assessment, after at least one cycle


@dataclass
class DemoRecord:
    """One generated patient with their lines and samples, not yet written."""

    patient: Patient
    lines: list[TreatmentLine]
    samples: list[Sample]

    @property
    def facts(self) -> list[refractoriness.LineFacts]:
        return [_facts(line) for line in self.lines]


@dataclass(frozen=True)
class Share:
    count: int
    of: int

    @property
    def fraction(self) -> float:
        return self.count / self.of if self.of else 0.0

    def __str__(self) -> str:
        return f"{self.count}/{self.of} ({self.fraction:.0%})"


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    institutions: int
    users: int
    patients: int
    lines: int
    samples: int
    len_refractory: Share  # among patients with >= 2 lines
    pom_refractory: Share  # among patients with >= 3 lines
    logins: list[DemoLogin]


# --- The service ------------------------------------------------------------------------------------------------


@transaction.atomic
def seed_demo(*, seed: int, patients_per_institution: int = 110, stdout: IO[str] | None = None) -> DemoSummary:
    """Write the demo institutions, users and cohort; the caller makes sure the database is empty."""
    rng = random.Random(seed)
    _say(stdout, f"Creating {len(SITES)} institutions and {len(demo_logins())} demo users...")
    institutions = [_create_institution(rng, site) for site in SITES]
    _create_users(rng, institutions)
    _say(stdout, f"Generating {patients_per_institution} patients per institution (seed {seed})...")
    records = [
        record
        for site, institution in zip(SITES, institutions, strict=True)
        for record in _site_cohort(rng, site, institution, patients_per_institution)
    ]
    for record in records:
        _add_follow_up(seed, record)
    _save_cohort(records)
    return _summarise(seed, records)


def demo_data_present() -> bool:
    """Anything the demo would collide with: clinical records or demo accounts."""
    usernames = [login.username for login in demo_logins()]
    return (
        Institution.objects.exists()
        or Patient.objects.exists()
        or get_user_model().objects.filter(username__in=usernames).exists()
    )


def clear_demo_data() -> None:
    """Delete every clinical record and the demo accounts (never other users), children before the parents
    that PROTECT them."""
    Sample.objects.all().delete()
    TreatmentLine.objects.all().delete()
    Patient.objects.all().delete()
    Membership.objects.all().delete()
    Institution.objects.all().delete()
    get_user_model().objects.filter(username__in=[login.username for login in demo_logins()]).delete()


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _create_institution(rng: random.Random, site: Site) -> Institution:
    return Institution.objects.create(
        uuid=_uuid(rng), name=site.name, code=site.code, country=site.country, region=site.region
    )


def _create_users(rng: random.Random, institutions: list[Institution]) -> None:
    # Hashed once: the password hasher costs ~0.2 s a call, and every demo account shares the password anyway.
    password = make_password(DEMO_PASSWORD)
    for site, institution in zip(SITES, institutions, strict=True):
        for role in Role:
            user = _create_user(rng, _username(role, site), password, is_staff=role == Role.ADMIN)
            # One by one, not bulk: the post_save signal puts the user in the role's group.
            Membership.objects.create(uuid=_uuid(rng), user=user, institution=institution, role=role)
    _create_user(rng, SUPERUSER_USERNAME, password, is_staff=True, is_superuser=True)


def _create_user(rng: random.Random, username: str, password: str, **flags: bool) -> AbstractBaseUser:
    return get_user_model().objects.create(
        username=username,
        password=password,
        first_name=rng.choice(FIRST_NAMES),
        last_name=rng.choice(LAST_NAMES),
        email=f"{username}@example.org",
        **flags,
    )


def _save_cohort(records: list[DemoRecord]) -> None:
    """Bulk inserts: a few queries for hundreds of patients. Parents first, so children pick up their ids."""
    Patient.objects.bulk_create([record.patient for record in records])
    lines = [line for record in records for line in record.lines]
    TreatmentLine.objects.bulk_create(lines)
    drug_ids = dict(Drug.objects.values_list("name", "id"))
    LineDrug.objects.bulk_create(
        LineDrug(line_id=line.pk, drug_id=drug_ids[name], last_dose_date=_drug_last_doses(line).get(name))
        for line in lines
        for name in REGIMENS[line.regimen].drugs
    )
    Sample.objects.bulk_create([sample for record in records for sample in record.samples])


def _summarise(seed: int, records: list[DemoRecord]) -> DemoSummary:
    return DemoSummary(
        seed=seed,
        institutions=len(SITES),
        users=len(demo_logins()),
        patients=len(records),
        lines=sum(len(record.lines) for record in records),
        samples=sum(len(record.samples) for record in records),
        len_refractory=_refractory_share(records, drug=LEN, min_lines=2),
        pom_refractory=_refractory_share(records, drug=POM, min_lines=3),
        logins=demo_logins(),
    )


def _refractory_share(records: Iterable[DemoRecord], *, drug: str, min_lines: int) -> Share:
    eligible = [record for record in records if len(record.lines) >= min_lines]
    count = sum(drug in refractoriness.refractory_drugs(record.facts) for record in eligible)
    return Share(count, len(eligible))


# --- Patients ---------------------------------------------------------------------------------------------------


def _site_cohort(rng: random.Random, site: Site, institution: Institution, size: int) -> list[DemoRecord]:
    mrns = rng.sample(range(1_000_000, 10_000_000), size)  # distinct within the hospital, as real MRNs are
    accessions = itertools.count(1)
    records = []
    for number, mrn in enumerate(mrns, start=1):
        patient = _patient(rng, institution, f"{site.code}-{number:04d}", f"M{mrn}")
        lines = _treatment_lines(rng, patient)
        records.append(DemoRecord(patient, lines, _samples(rng, site, patient, lines, accessions)))
    return records


def _patient(rng: random.Random, institution: Institution, study_id: str, mrn: str) -> Patient:
    diagnosis = FIRST_DIAGNOSIS + timedelta(days=rng.randint(0, (LAST_DIAGNOSIS - FIRST_DIAGNOSIS).days))
    cytogenetics = _cytogenetics(rng)
    iss = rng.choices(Patient.Stage.values, weights=(28, 37, 35))[0]
    return Patient(
        uuid=_uuid(rng),
        institution=institution,
        study_id=study_id,
        mrn=mrn,
        year_of_birth=diagnosis.year - _age_at_diagnosis(rng),
        sex=rng.choices((Patient.Sex.MALE, Patient.Sex.FEMALE), weights=(56, 44))[0],  # myeloma is commoner in men
        diagnosis_date=diagnosis,
        iss_stage=iss,
        riss_stage=_riss(rng, iss, cytogenetics),
        presentation=_presentation(rng),
        registry_consent=rng.random() < 0.9,
        **cytogenetics,
    )


def _age_at_diagnosis(rng: random.Random) -> int:
    """Median age at diagnosis is about 66-69; most patients are 50-80."""
    return min(90, max(38, round(rng.gauss(67, 9))))


def _cytogenetics(rng: random.Random) -> dict[str, bool | None]:
    """FISH at diagnosis; ~5% not tested (failed or not sent), which is not the same as normal."""
    if rng.random() < 0.05:
        return dict.fromkeys(("t_4_14", "t_14_16", "del_17p", "gain_1q"))
    # The IgH partner is one or the other: t(4;14) ~12%, t(14;16) ~3%.
    igh = rng.choices(("t_4_14", "t_14_16", None), weights=(12, 3, 85))[0]
    return {
        "t_4_14": igh == "t_4_14",
        "t_14_16": igh == "t_14_16",
        "del_17p": rng.random() < 0.10,
        "gain_1q": rng.random() < 0.35,
    }


def _riss(rng: random.Random, iss: str, cytogenetics: dict[str, bool | None]) -> str:
    """R-ISS (Palumbo, JCO 2015): ISS combined with high-risk FISH and LDH; unknown without FISH."""
    high_ldh = rng.random() < 0.12
    if cytogenetics["del_17p"] is None:
        return ""
    high_risk = bool(cytogenetics["del_17p"] or cytogenetics["t_4_14"] or cytogenetics["t_14_16"])
    if iss == Patient.Stage.I and not (high_risk or high_ldh):
        return Patient.Stage.I
    if iss == Patient.Stage.III and (high_risk or high_ldh):
        return Patient.Stage.III
    return Patient.Stage.II


def _presentation(rng: random.Random) -> str:
    kinds = Patient.Presentation
    options = (kinds.MEDULLARY, kinds.PARAMEDULLARY, kinds.EXTRAMEDULLARY, kinds.PLASMA_CELL_LEUKAEMIA)
    return rng.choices(options, weights=(91, 4, 4, 1))[0]


PRESENTATION_PFS_FACTOR = {
    Patient.Presentation.EXTRAMEDULLARY: 0.5,
    Patient.Presentation.PARAMEDULLARY: 0.8,
    Patient.Presentation.PLASMA_CELL_LEUKAEMIA: 0.35,
}


def _pfs_multiplier(patient: Patient) -> float:
    """High-risk disease relapses sooner: IMWG high-risk FISH, 1q gain, and worst of all EMD and PCL."""
    factor = 0.6 if (patient.del_17p or patient.t_4_14 or patient.t_14_16) else 1.0
    if patient.gain_1q:
        factor *= 0.85
    return factor * PRESENTATION_PFS_FACTOR.get(patient.presentation, 1.0)


# --- Treatment lines --------------------------------------------------------------------------------------------


def _treatment_lines(rng: random.Random, patient: Patient) -> list[TreatmentLine]:
    lines: list[TreatmentLine] = []
    start = patient.diagnosis_date + timedelta(days=rng.randint(7, 28))
    while True:
        regimen = _relapse_regimen(rng, lines, start.year) if lines else _first_line_regimen(rng, patient)
        line = _line(rng, patient, len(lines) + 1, regimen, start)
        lines.append(line)
        if not _goes_on_to_next_line(rng, line):
            return lines
        start = line.progression_date + timedelta(days=rng.randint(7, 45))
        if start > DATA_CUTOFF:
            return lines


def _goes_on_to_next_line(rng: random.Random, line: TreatmentLine) -> bool:
    if line.progression_date is None or line.line_number >= MAX_LINES:
        return False
    return rng.random() < NEXT_LINE_PROBABILITY[line.line_number]


def _first_line_regimen(rng: random.Random, patient: Patient) -> Regimen:
    year = patient.diagnosis_date.year
    # Transplant eligibility: under 70 by common practice, and fit enough (~85% of them).
    if year - patient.year_of_birth < 70 and rng.random() < 0.85:
        return _transplant_programme(rng, year)
    if year >= 2019:  # MAIA made DaraRd the standard for transplant-ineligible patients
        return rng.choices((DARA_RD, VRD_LITE, RD), weights=(60, 30, 10))[0]
    return rng.choices((VRD_LITE, RD, VMP), weights=(45, 35, 20))[0]


def _transplant_programme(rng: random.Random, year: int) -> Regimen:
    if year >= 2022 and rng.random() < 0.45:  # quadruplet induction (GRIFFIN, PERSEUS)
        return DVRD_ASCT_R
    if year < 2019 and rng.random() < 0.25:  # before lenalidomide maintenance was funded everywhere
        return VTD_ASCT
    return VRD_ASCT_R


def _relapse_regimen(rng: random.Random, lines: list[TreatmentLine], year: int) -> Regimen:
    exposure = _Exposure.of(lines)
    candidates = [regimen for regimen in RELAPSE_REGIMENS if regimen.since <= year and exposure.suits(regimen)]
    if not candidates:
        return VCD
    return rng.choices(candidates, weights=[regimen.weight for regimen in candidates])[0]


@dataclass(frozen=True)
class _Exposure:
    """What earlier lines leave behind: drug classes given, drugs the patient is refractory to, regimens used."""

    classes: frozenset[str]
    refractory: frozenset[str]
    regimens: frozenset[str]

    @classmethod
    def of(cls, lines: list[TreatmentLine]) -> "_Exposure":
        refractory = refractoriness.refractory_drugs(_facts(line) for line in lines)
        return cls(
            classes=frozenset(DRUG_CLASS[drug] for line in lines for drug in REGIMENS[line.regimen].drugs),
            refractory=frozenset(drug for drug in refractory if DRUG_CLASS[drug] not in IGNORED_FOR_RESISTANCE),
            regimens=frozenset(line.regimen for line in lines),
        )

    def suits(self, regimen: Regimen) -> bool:
        classes = {DRUG_CLASS[drug] for drug in regimen.drugs}
        if regimen.name in self.regimens or self.refractory.intersection(regimen.drugs):
            return False
        # Refractory to one anti-CD38 antibody means refractory to the other (shared target).
        if ANTI_CD38 in classes and any(DRUG_CLASS[drug] == ANTI_CD38 for drug in self.refractory):
            return False
        return not classes & LATE_LINE_CLASSES or self.classes >= TRIPLE_CLASS


def _line(rng: random.Random, patient: Patient, number: int, regimen: Regimen, start: date) -> TreatmentLine:
    expected_days = regimen.median_pfs_months * DAYS_PER_MONTH * _pfs_multiplier(patient)
    pfs_days = _remission_days(rng, expected_days)
    progression = start + timedelta(days=pfs_days)
    planned_stop = _planned_stop(rng, regimen, start, pfs_days)
    return TreatmentLine(
        uuid=_uuid(rng),
        patient=patient,
        line_number=number,
        regimen=regimen.name,
        start_date=start,
        end_date=_last_dose(rng, planned_stop, progression),
        best_response=_best_response(rng, pfs_days / expected_days),
        progression_date=progression if progression <= DATA_CUTOFF else None,
    )


def _remission_days(rng: random.Random, expected_days: float) -> int:
    """Time to progression from a Weibull distribution with the expected median."""
    scale = expected_days / (math.log(2) ** (1 / PFS_SHAPE))
    return max(MIN_PFS_DAYS, round(rng.weibullvariate(scale, PFS_SHAPE)))


def _planned_stop(rng: random.Random, regimen: Regimen, start: date, pfs_days: int) -> date | None:
    """The last dose if nothing intervenes: fixed-duration regimens end by plan; continuous ones run until
    progression (None) unless stopped early for toxicity or by choice, so a later relapse is not refractory."""
    if not regimen.continuous:
        return start + timedelta(days=round(regimen.fixed_months * DAYS_PER_MONTH))
    if rng.random() < STOPPED_EARLY:
        return start + timedelta(days=round(pfs_days * rng.uniform(0.3, 0.8)))
    return None


def _last_dose(rng: random.Random, planned_stop: date | None, progression: date) -> date | None:
    if progression > DATA_CUTOFF:  # still in remission at the cut-off: on therapy, or off it by plan
        return planned_stop if planned_stop and planned_stop <= DATA_CUTOFF else None
    if planned_stop and planned_stop < progression:
        return planned_stop
    return progression - timedelta(days=rng.randint(0, 28))  # treated to progression: last dose in the last cycle


# Deeper responses go with longer remissions, so the best response follows the remission's relative length.
_R = TreatmentLine.Response
RESPONSE_BY_RELATIVE_PFS = (
    (0.15, ((_R.PD, 3), (_R.SD, 3), (_R.MR, 2), (_R.PR, 2))),
    (0.6, ((_R.MR, 1), (_R.PR, 4), (_R.VGPR, 3), (_R.CR, 1))),
    (1.5, ((_R.PR, 2), (_R.VGPR, 4), (_R.CR, 3), (_R.SCR, 1))),
    (math.inf, ((_R.VGPR, 3), (_R.CR, 4), (_R.SCR, 3))),
)


def _best_response(rng: random.Random, relative_pfs: float) -> str:
    pool = next(pool for limit, pool in RESPONSE_BY_RELATIVE_PFS if relative_pfs < limit)
    responses, weights = zip(*pool, strict=True)
    return rng.choices(responses, weights=weights)[0]


def _facts(line: TreatmentLine) -> refractoriness.LineFacts:
    return refractoriness.LineFacts(
        number=line.line_number,
        drugs=frozenset(REGIMENS[line.regimen].drugs),
        end=line.end_date,
        progression=line.progression_date,
        drug_last_doses=tuple(sorted(_drug_last_doses(line).items())),
    )


def _drug_last_doses(line: TreatmentLine) -> dict[str, date]:
    """Induction-only drugs (bortezomib, the transplant) stop when induction ends, unless the line ended or
    progressed first: then they were still being given, and a progression counts against them too."""
    induction_end = line.start_date + timedelta(days=INDUCTION_DAYS)
    stopped_sooner = [day for day in (line.end_date, line.progression_date) if day is not None]
    if induction_end > DATA_CUTOFF or any(day <= induction_end for day in stopped_sooner):
        return {}
    return dict.fromkeys(REGIMENS[line.regimen].induction_only, induction_end)


# --- Follow-up: death and last contact ----------------------------------------------------------------------

# After a progression that no further line follows (attrition, or the last line), most patients die within
# months: median survival once options run out is under a year in real-world triple-class-exposed cohorts.
DEATH_WITHOUT_NEXT_LINE = 0.7
MEDIAN_DAYS_TO_DEATH = 270
FOLLOW_UP_VISIT_DAYS = 90  # the last clinic visit falls within a quarter before the cut-off


def _add_follow_up(seed: int, record: DemoRecord) -> None:
    """Sets the patient's date of death or last follow-up. A separate RNG per patient, so the follow-up never
    changes the draws (UUIDs, lines, samples) of the rest of the cohort."""
    patient, last = record.patient, record.lines[-1]
    rng = random.Random(f"patients.demo.follow_up/{seed}/{patient.study_id}")
    death = _death_after(rng, last.progression_date) if last.progression_date else None
    latest_event = max(
        day for line in record.lines for day in (line.start_date, line.end_date, line.progression_date) if day
    )
    latest_event = max([latest_event, *(sample.collection_date for sample in record.samples)])
    if death is not None and death > latest_event:
        patient.date_of_death = patient.last_follow_up_date = death
        return
    visit = DATA_CUTOFF - timedelta(days=rng.randint(0, FOLLOW_UP_VISIT_DAYS))
    patient.last_follow_up_date = max(visit, latest_event)


def _death_after(rng: random.Random, progression: date) -> date | None:
    if rng.random() >= DEATH_WITHOUT_NEXT_LINE:
        return None
    death = progression + timedelta(days=30 + round(rng.expovariate(math.log(2) / MEDIAN_DAYS_TO_DEATH)))
    return death if death <= DATA_CUTOFF else None


# --- Samples ----------------------------------------------------------------------------------------------------


def _samples(
    rng: random.Random, site: Site, patient: Patient, lines: list[TreatmentLine], accessions: Iterator[int]
) -> list[Sample]:
    return [
        _sample(rng, site, patient, timepoint, event, f"{site.code}-S-{next(accessions):05d}")
        for timepoint, event in _sampling_events(rng, patient, lines)
    ]


def _sampling_events(rng: random.Random, patient: Patient, lines: list[TreatmentLine]) -> list[tuple[str, date]]:
    """Marrow at diagnosis for most; again at first relapse (when the CRBN question is asked) for most who
    relapsed; sometimes at a later relapse, to follow clonal evolution under IMiD pressure."""
    events = []
    if rng.random() < 0.85:
        events.append((Sample.Timepoint.BASELINE, patient.diagnosis_date))
    first_relapse = refractoriness.first_relapse_date(_facts(line) for line in lines)
    if first_relapse and rng.random() < 0.75:
        events.append((Sample.Timepoint.FIRST_RELAPSE, first_relapse))
    later = [line.progression_date for line in lines[1:] if line.progression_date]
    if later and rng.random() < 0.4:
        events.append((Sample.Timepoint.LATER_RELAPSE, later[-1]))
    return events


def _sample(rng: random.Random, site: Site, patient: Patient, timepoint: str, event: date, accession: str) -> Sample:
    collected = min(event + timedelta(days=rng.randint(0, 7)), DATA_CUTOFF)  # before the next line starts
    specimen = _specimen(rng, patient.presentation)
    enrichment = _enrichment(rng, specimen)
    return Sample(
        uuid=_uuid(rng),
        patient=patient,
        institution=patient.institution,  # bulk_create skips Sample.save, which would copy it
        accession=accession,
        timepoint=timepoint,
        collection_date=collected,
        receipt_date=min(collected + timedelta(days=rng.randint(0, 3)), DATA_CUTOFF),
        specimen=specimen,
        enrichment=enrichment,
        purity_pct=_purity(rng, specimen, enrichment),
        assay=site.draw_assay(rng),
        genome_build=site.genome_build,
    )


def _specimen(rng: random.Random, presentation: str) -> str:
    """Marrow for most; blood where plasma cells circulate (PCL); a biopsy of the plasmacytoma for some with
    extramedullary or paraskeletal disease."""
    if presentation == Patient.Presentation.PLASMA_CELL_LEUKAEMIA and rng.random() < 0.6:
        return Sample.Specimen.PERIPHERAL_BLOOD
    if presentation != Patient.Presentation.MEDULLARY and rng.random() < 0.4:
        return Sample.Specimen.PLASMACYTOMA
    return rng.choices((Sample.Specimen.BONE_MARROW, Sample.Specimen.PERIPHERAL_BLOOD), weights=(97, 3))[0]


def _enrichment(rng: random.Random, specimen: str) -> str:
    if specimen == Sample.Specimen.PLASMACYTOMA:  # solid tissue: tumour-rich without sorting
        return Sample.Enrichment.NONE
    kinds = Sample.Enrichment
    return rng.choices((kinds.CD138_MAGNETIC, kinds.FACS, kinds.NONE), weights=(80, 12, 8))[0]


def _purity(rng: random.Random, specimen: str, enrichment: str) -> Decimal:
    """Plasma-cell content: high after CD138 or FACS selection and in a plasmacytoma, low in unsorted marrow."""
    if specimen == Sample.Specimen.PLASMACYTOMA:
        value = rng.triangular(50, 95, 80)
    elif enrichment == Sample.Enrichment.NONE:
        value = rng.triangular(5, 60, 20)
    else:
        value = rng.triangular(30, 95, 82)
    return Decimal(f"{value:.1f}")
