"""seed_demo fills an empty database with a realistic demo cohort and one login per role, and nothing else."""

import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from crbn_portal.roles import Role
from patients import demo
from patients.drugs import DRUGS
from patients.models import Institution, Membership, Patient, Sample, TreatmentLine
from patients.tests.factories import InstitutionFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

SMALL = ("--patients-per-institution", "15")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    # client.login checks the password; the production hasher would cost ~0.2 s per login.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


PATIENT_FIELDS = (
    "uuid", "institution__code", "study_id", "mrn", "year_of_birth", "sex", "diagnosis_date", "iss_stage",
    "riss_stage", "t_4_14", "t_14_16", "del_17p", "gain_1q", "presentation", "registry_consent",
)  # fmt: skip
LINE_FIELDS = ("uuid", "line_number", "regimen", "start_date", "end_date", "best_response", "progression_date")
SAMPLE_FIELDS = (
    "uuid", "patient__study_id", "accession", "timepoint", "collection_date", "receipt_date", "specimen",
    "enrichment", "purity_pct", "assay", "genome_build",
)  # fmt: skip


def canonical_dump() -> list[list[tuple]]:
    """Everything the seed decides, in an order that does not depend on insertion ids."""
    lines = TreatmentLine.objects.select_related("patient").prefetch_related("drugs").order_by("uuid")
    return [
        list(Institution.objects.order_by("code").values_list("uuid", "code", "name", "country", "region")),
        list(get_user_model().objects.order_by("username").values_list("username", "first_name", "last_name")),
        list(Membership.objects.order_by("uuid").values_list("uuid", "user__username", "institution__code", "role")),
        list(Patient.objects.order_by("uuid").values_list(*PATIENT_FIELDS)),
        [(line.patient.study_id, *[getattr(line, field) for field in LINE_FIELDS], drug_names(line)) for line in lines],
        list(Sample.objects.order_by("uuid").values_list(*SAMPLE_FIELDS)),
    ]


def drug_names(line: TreatmentLine) -> list[str]:
    return sorted(drug.name for drug in line.drugs.all())


def refractory_count_from_the_database(drug: str, *, min_lines: int) -> int:
    """What the portal itself derives (Patient.refractory_drugs) from the stored lines."""
    patients = [patient for patient in Patient.objects.all() if len(patient.line_facts) >= min_lines]
    return sum(drug in patient.refractory_drugs for patient in patients)


def test_it_seeds_200_patients_across_two_institutions_in_different_regions():
    output = seed()
    institutions = list(Institution.objects.all())
    assert len(institutions) == 2
    assert len({institution.region for institution in institutions}) == 2
    assert Patient.objects.count() >= 200
    assert all(institution.patients.count() >= 100 for institution in institutions)
    assert "Len-refractory" in output
    assert "clinician.nbh" in output
    assert demo.DEMO_PASSWORD in output


def test_every_demo_login_can_log_in_with_its_role(client):
    seed(*SMALL)
    for login in demo.demo_logins():
        assert client.login(username=login.username, password=demo.DEMO_PASSWORD), login.username
        client.logout()
    for membership in Membership.objects.select_related("user"):
        assert membership.user.groups.filter(name=membership.role).exists()
        assert membership.user.is_staff == (membership.role == Role.ADMIN)
    assert Membership.objects.count() == len(Role) * 2
    assert get_user_model().objects.get(username=demo.SUPERUSER_USERNAME).is_superuser


@pytest.mark.usefixtures("without_demo_reports")
def test_the_same_seed_gives_identical_data():
    seed("--seed", "5", *SMALL)
    first = canonical_dump()
    seed("--seed", "5", "--force", *SMALL)
    assert canonical_dump() == first


@pytest.mark.usefixtures("without_demo_reports")
def test_a_different_seed_gives_different_data():
    seed("--seed", "5", *SMALL)
    first = canonical_dump()
    seed("--seed", "6", "--force", *SMALL)
    assert canonical_dump() != first


def test_it_refuses_a_database_that_already_has_data():
    PatientFactory()
    with pytest.raises(CommandError, match="--force"):
        seed(*SMALL)
    assert Patient.objects.count() == 1


def test_force_replaces_the_clinical_records_but_keeps_other_users():
    PatientFactory(institution=InstitutionFactory(code="OLD"))
    UserFactory(username="real.person")
    seed("--force", *SMALL)
    assert set(Institution.objects.values_list("code", flat=True)) == {"NBH", "LCC"}
    assert Patient.objects.count() == 30
    assert get_user_model().objects.filter(username="real.person").exists()


def test_if_empty_leaves_existing_data_alone_and_lists_the_logins():
    seed(*SMALL)
    before = canonical_dump()
    output = seed("--if-empty", "--seed", "9", *SMALL)
    assert output.startswith("Demo data already present; not seeding.")
    assert "admin.lcc" in output
    assert canonical_dump() == before


def test_if_empty_seeds_an_empty_database():
    seed("--if-empty", *SMALL)
    assert Patient.objects.count() == 30


def test_it_refuses_to_run_in_production_mode(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        seed(*SMALL)
    assert not Institution.objects.exists()


def test_rows_satisfy_the_model_constraints():
    seed("--patients-per-institution", "40")
    for model in (Patient, TreatmentLine, Sample):
        for row in model.objects.order_by("id")[::7]:
            row.full_clean()


def test_lines_are_numbered_from_one_and_only_the_last_may_lack_a_progression():
    seed("--patients-per-institution", "40")
    lines = TreatmentLine.objects.order_by("patient_id", "line_number")
    for _, group in itertools.groupby(lines, key=lambda line: line.patient_id):
        group = list(group)
        assert [line.line_number for line in group] == list(range(1, len(group) + 1))
        assert all(line.progression_date for line in group[:-1])
        assert all(line.end_date is None or line.end_date >= line.start_date for line in group)


def test_samples_are_received_within_three_days_with_a_site_specific_build():
    seed(*SMALL)
    for sample in Sample.objects.select_related("institution"):
        assert 0 <= (sample.receipt_date - sample.collection_date).days <= 3
        assert 5 <= sample.purity_pct <= 95
        assert sample.accession.startswith(f"{sample.institution.code}-S-")
    builds = dict(Sample.objects.values_list("institution__code", "genome_build").distinct())
    assert builds == {"NBH": "GRCh38", "LCC": "GRCh37"}


def test_refractory_shares_are_as_in_myeloma_practice():
    summary = demo.seed_demo(seed=2026)
    assert 0.70 <= summary.len_refractory.fraction <= 0.85
    assert 0.40 <= summary.pom_refractory.fraction <= 0.60
    assert refractory_count_from_the_database("lenalidomide", min_lines=2) == summary.len_refractory.count
    assert refractory_count_from_the_database("pomalidomide", min_lines=3) == summary.pom_refractory.count


def test_every_regimen_names_drugs_from_the_controlled_list():
    controlled = {entry.name for entry in DRUGS}
    for regimen in demo.REGIMENS.values():
        assert set(regimen.drugs) <= controlled, regimen.name
        assert set(regimen.induction_only) <= set(regimen.drugs), regimen.name
