"""factory_boy factories for the clinical records."""

from datetime import date

import factory
from django.contrib.auth import get_user_model

from crbn_portal.roles import Role
from patients.models import Drug, Institution, Membership, Patient, Sample, TreatmentLine

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(TEST_PASSWORD)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Hospital {n}")
    code = factory.Sequence(lambda n: f"H{n}")
    country = "GB"
    region = "Europe"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = Role.CLINICIAN


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    institution = factory.SubFactory(InstitutionFactory)
    study_id = factory.Sequence(lambda n: f"MM-{n:04d}")
    year_of_birth = 1955
    sex = Patient.Sex.FEMALE
    diagnosis_date = date(2019, 3, 1)


class TreatmentLineFactory(factory.django.DjangoModelFactory):
    """Pass ``drugs=["lenalidomide", "dexamethasone"]`` to name drugs from the controlled list."""

    class Meta:
        model = TreatmentLine
        skip_postgeneration_save = True

    patient = factory.SubFactory(PatientFactory)
    line_number = 1
    regimen = "Rd"
    start_date = date(2019, 4, 1)

    @factory.post_generation
    def drugs(self, create: bool, names: list[str] | None, **kwargs: object) -> None:
        if create and names:
            self.drugs.set(Drug.objects.filter(name__in=names))


class SampleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sample

    patient = factory.SubFactory(PatientFactory)
    accession = factory.Sequence(lambda n: f"ACC-{n:05d}")
    timepoint = Sample.Timepoint.FIRST_RELAPSE
    collection_date = date(2022, 7, 20)
    receipt_date = date(2022, 7, 21)
    specimen = Sample.Specimen.BONE_MARROW
    enrichment = Sample.Enrichment.CD138_MAGNETIC
    purity_pct = 80
    assay = Sample.Assay.WGS
