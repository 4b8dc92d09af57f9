"""Invariants held by the database itself, whatever path writes the row."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients.models import Drug, Patient, Sample, TreatmentLine
from patients.tests.factories import InstitutionFactory, PatientFactory, SampleFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db


def assert_refused_by_database(model, pk, fields):
    """An UPDATE bypasses model validation, so only a database constraint can refuse it."""
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=pk).update(**fields)


def test_line_numbers_are_unique_per_patient():
    first = TreatmentLineFactory(line_number=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        TreatmentLineFactory(patient=first.patient, line_number=1)
    TreatmentLineFactory(line_number=1)  # another patient may have its own line 1


@pytest.mark.parametrize(
    "fields",
    [
        {"end_date": date(2019, 3, 1)},
        {"progression_date": date(2019, 3, 1)},
        {"line_number": 0},
    ],
)
def test_line_dates_in_order_and_numbers_positive_are_enforced_by_the_database(fields):
    line = TreatmentLineFactory(start_date=date(2019, 4, 1))
    assert_refused_by_database(TreatmentLine, line.pk, fields)


def test_line_clean_names_the_field_out_of_order():
    line = TreatmentLineFactory.build(start_date=date(2019, 4, 1), end_date=date(2019, 3, 1))
    with pytest.raises(ValidationError) as error:
        line.clean()
    assert "end_date" in error.value.message_dict


@pytest.mark.parametrize("purity", [-1, 100.01, 150])
def test_purity_outside_0_to_100_is_refused_by_the_database(purity):
    sample = SampleFactory()
    assert_refused_by_database(Sample, sample.pk, {"purity_pct": purity})


def test_purity_at_the_bounds_is_accepted():
    SampleFactory(purity_pct=0)
    SampleFactory(purity_pct=100)


def test_receipt_before_collection_is_refused():
    sample = SampleFactory(collection_date=date(2022, 7, 20))
    assert_refused_by_database(Sample, sample.pk, {"receipt_date": date(2022, 7, 19)})
    with pytest.raises(ValidationError):
        SampleFactory.build(collection_date=date(2022, 7, 20), receipt_date=date(2022, 7, 19)).clean()


def test_accession_is_unique_within_an_institution_but_not_across():
    sample = SampleFactory(accession="A-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        SampleFactory(accession="A-1", patient=PatientFactory(institution=sample.institution))
    SampleFactory(accession="A-1", patient=PatientFactory(institution=InstitutionFactory()))


def test_sample_takes_its_patients_institution():
    sample = SampleFactory()
    assert sample.institution_id == sample.patient.institution_id


def test_study_id_is_unique_within_an_institution_but_not_across():
    patient = PatientFactory(study_id="MM-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientFactory(study_id="MM-1", institution=patient.institution)
    PatientFactory(study_id="MM-1", institution=InstitutionFactory())


def test_diagnosis_before_year_of_birth_is_refused():
    patient = PatientFactory(year_of_birth=1960)
    assert_refused_by_database(Patient, patient.pk, {"diagnosis_date": date(1959, 12, 31)})


def test_every_record_gets_a_public_uuid_and_timestamps():
    patient = PatientFactory()
    assert patient.uuid and patient.created_at and patient.updated_at


def test_controlled_drug_list_is_loaded_with_classes():
    assert Drug.objects.get(name="lenalidomide").crbn_dependent
    assert Drug.objects.get(name="mezigdomide").drug_class == "celmod"
    assert not Drug.objects.get(name="daratumumab").crbn_dependent


def test_patient_refractoriness_is_derived_from_its_lines():
    patient = PatientFactory()
    TreatmentLineFactory(
        patient=patient,
        line_number=1,
        drugs=["lenalidomide", "dexamethasone"],
        end_date=date(2021, 1, 1),
        progression_date=date(2021, 3, 2),  # day 60
    )
    TreatmentLineFactory(
        patient=patient,
        line_number=2,
        drugs=["pomalidomide"],
        start_date=date(2021, 4, 1),
        end_date=date(2021, 9, 1),
        progression_date=date(2021, 11, 1),  # day 61
    )
    assert patient.refractory_drugs == {"lenalidomide": 1, "dexamethasone": 1}
    assert patient.first_relapse_date == date(2021, 3, 2)


def test_refractoriness_uses_a_drugs_own_last_dose_when_recorded():
    line = TreatmentLineFactory(
        drugs=["bortezomib", "lenalidomide"], end_date=date(2023, 5, 1), progression_date=date(2023, 5, 20)
    )
    line.line_drugs.filter(drug__name="bortezomib").update(last_dose_date=date(2019, 9, 1))
    line = TreatmentLine.objects.get(pk=line.pk)
    assert line.refractory_drugs == ("lenalidomide",)
    assert line.patient.refractory_drugs == {"lenalidomide": 1}


def test_a_drugs_last_dose_outside_its_line_is_refused_by_validation():
    line = TreatmentLineFactory(drugs=["bortezomib"], start_date=date(2019, 4, 1), end_date=date(2020, 1, 1))
    item = line.line_drugs.get()
    for outside in (date(2019, 3, 1), date(2020, 2, 1)):
        item.last_dose_date = outside
        with pytest.raises(ValidationError):
            item.clean()
