"""How long the registry's analyses take at 10k patients: frequencies (every breakdown and the seed table) plus
Kaplan-Meier curves with the log-rank test for both endpoints, and reading the dataset from the database.

    .venv/bin/python bench/registry.py [--patients 10000] [--seed 7] [--skip-database]

The analyses run on a constructed cohort (pure Python records, known alteration rates); the database part fills
a scratch SQLite database in a temporary folder with as many consenting patients (two lines, a relapse sample
and a finished assessment each) and times ``cohort.selectors.registry_dataset``. Importing lifelines and
matplotlib is timed apart: a web worker pays it once. Not a test: the suite never runs it.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 1.0
COHORTS = ("ndmm", "len_refractory", "pom_refractory", "other_relapse")
CLASS_RATES = {"A": 0.01, "B": 0.02, "C": 0.02, "D": 0.01, "F": 0.08, "G": 0.15, "H": 0.03}
START = date(2016, 1, 1)


def _timed(label: str, action):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - began
    print(f"{label:<48} {elapsed:8.3f} s")
    return result, elapsed


def constructed_patients(count: int, rng: random.Random) -> list:  # type: ignore[type-arg]
    from cohort.dataset import RegistryLine, RegistryPatient, RegistrySample

    patients = []
    for number in range(count):
        relapse = START + timedelta(days=rng.randint(200, 2000))
        found = frozenset(letter for letter, rate in CLASS_RATES.items() if rng.random() < rate)
        pfs = max(30, round(rng.expovariate(1 / (200 if found else 450))))
        lines = (
            RegistryLine(1, frozenset({"lenalidomide"}), START, None, "VGPR", relapse),
            RegistryLine(2, frozenset({"pomalidomide"}), relapse + timedelta(days=20), None,
                         rng.choice(("PR", "VGPR", "SD", "PD")), relapse + timedelta(days=20 + pfs)),
        )  # fmt: skip
        sample = RegistrySample(
            f"s{number}", f"R{number}", rng.choice(("NBH", "LCC", "ZRH")), "Europe", "medullary", "first_relapse",
            relapse, "bm_aspirate", "cd138_magnetic", rng.choice(("wgs", "wes", "panel", "rna_seq")), "GRCh38",
            "not tested", rng.choice(COHORTS), rng.randint(0, 5), found, frozenset("ABCDEFGH"),
        )  # fmt: skip
        death = relapse + timedelta(days=rng.randint(100, 2500)) if rng.random() < 0.5 else None
        follow_up = date(2026, 6, 1)
        patients.append(
            RegistryPatient(f"R{number}", 10, sample.institution, "Europe", "medullary", "F", 66, START, follow_up,
                            death, lines, (sample,))
        )  # fmt: skip
    return patients


def analyses(patients: list) -> None:  # type: ignore[type-arg]
    from cohort.frequencies import DIMENSIONS, frequency_table, seed_table
    from cohort.survival import analyse, survival_records

    samples = [sample for patient in patients for sample in patient.samples]
    for dimension in DIMENSIONS:
        frequency_table(samples, dimension)
    seed_table(samples)
    for endpoint in ("pfs", "os"):
        analyse(survival_records(patients, endpoint, "status"), endpoint, "status")


def database_read(count: int, rng: random.Random) -> None:
    folder = tempfile.mkdtemp(prefix="crbn-bench-registry-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crbn_portal.settings")
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        _timed(f"fill the scratch database ({count} patients)", lambda: _fill(count, rng))
        from django.contrib.auth import get_user_model

        reader = get_user_model().objects.create(username="bench", is_superuser=True)
        from cohort.selectors import registry_dataset

        _timed("registry_dataset: read and de-identify", lambda: registry_dataset(user=reader))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _fill(count: int, rng: random.Random) -> None:
    from patients.models import Drug, Institution, LineDrug, Patient, Sample, TreatmentLine
    from rules.models import Assessment, JobStatus, Trigger

    institution = Institution.objects.create(name="Bench", code="BEN", country="GB", region="Europe")
    patients = Patient.objects.bulk_create(
        Patient(institution=institution, study_id=f"B{n}", year_of_birth=1950, diagnosis_date=START,
                registry_consent=True, last_follow_up_date=date(2026, 6, 1))
        for n in range(count)
    )  # fmt: skip
    lines = TreatmentLine.objects.bulk_create(
        TreatmentLine(patient=p, line_number=n, regimen="x", start_date=START + timedelta(days=400 * (n - 1)),
                      best_response="PR", progression_date=START + timedelta(days=400 * n - 20))
        for p in patients for n in (1, 2)
    )  # fmt: skip
    drugs = dict(Drug.objects.values_list("name", "id"))
    LineDrug.objects.bulk_create(LineDrug(line=line, drug_id=drugs["lenalidomide"]) for line in lines)
    samples = Sample.objects.bulk_create(
        Sample(patient=p, institution=institution, accession=f"S{p.pk}", timepoint="first_relapse",
               collection_date=START + timedelta(days=385), specimen="bm_aspirate", enrichment="none", assay="wgs")
        for p in patients
    )  # fmt: skip
    kinds = [{"kind": kind, "adequate": True} for kind in ("dna_variants", "copy_number", "rna_junctions")]
    Assessment.objects.bulk_create(
        Assessment(sample=s, trigger=Trigger.INGEST, status=JobStatus.DONE, bundled=True,
                   result={"alterations": [{"class": "G", "flags": []}] if rng.random() < 0.2 else [],
                           "qc": {"evidence": kinds}, "trace": ["x" * 40] * 50})
        for s in samples
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-database", action="store_true")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    print(f"Python {sys.version.split()[0]}; {options.patients} patients")
    _timed(
        "import lifelines and matplotlib (once per process)",
        lambda: (__import__("lifelines"), __import__("matplotlib")),
    )
    patients, _ = _timed("construct the cohort", lambda: constructed_patients(options.patients, rng))
    _, elapsed = _timed("frequencies (6 breakdowns + seed) and KM (PFS, OS)", lambda: analyses(patients))
    verdict = "PASS" if elapsed < TARGET_SECONDS else "MISS"
    print(f"target < {TARGET_SECONDS:.1f} s: {elapsed / TARGET_SECONDS:.2f}x of target, {verdict}")
    from cohort.figures import km_svg
    from cohort.survival import analyse, survival_records

    analysis = analyse(survival_records(patients, "pfs", "status"), "pfs", "status")
    _timed("one Kaplan-Meier SVG", lambda: km_svg(analysis))
    if not options.skip_database:
        database_read(options.patients, rng)


if __name__ == "__main__":
    main()
