"""Assessments from stored rows: the database adapter, the assessment row's life, and the ingest signal."""

import hashlib
import json
from dataclasses import asdict
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patients.models import Sample
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory
from rules import adapters_db, services
from rules.engine import load_kb
from rules.models import Assessment, JobStatus, Trigger
from rules.tests.stored import class_b_sample, class_e_sample, parsed_file, w380c
from variants import services as variant_services
from variants.models import FileKind, ParseRun

DRUGS = ("thalidomide", "lenalidomide", "pomalidomide", "iberdomide", "mezigdomide")
# CNVkit .cns, GRCh38: one copy of CRBN (as in the variants tests).
CNVKIT_CNS = (
    b"chromosome\tstart\tend\tgene\tlog2\tcn\tdepth\tprobes\tweight\n"
    b"chr3\t3100000\t3200000\tCRBN\t-1.0\t1\t30.5\t40\t38.2\n"
)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def sample(world):
    patient = PatientFactory(institution=world.inst_a)
    return SampleFactory(patient=patient, accession="R-001", purity_pct=80, genome_build="GRCh38")


def alteration_classes(assessment: Assessment) -> list[str]:
    return sorted(item["class"] for item in assessment.result["alterations"])


def test_class_b_missense_on_the_last_copy_is_biallelic_loss_resistant_to_every_drug(sample):
    class_e_sample(sample)

    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert assessment.status == JobStatus.DONE
    assert alteration_classes(assessment) == ["B", "E", "F"]
    # Biallelic loss is the only alteration mechanistically resistant to the CELMoDs as well (CRBN.md 4).
    assert assessment.calls == dict.fromkeys(DRUGS, "resistance_likely")
    assert assessment.calls == {drug: item["call"] for drug, item in assessment.result["drugs"].items()}


def test_an_assessment_names_its_knowledge_base_and_input(sample):
    class_e_sample(sample)

    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    bundled = load_kb()
    assert (assessment.release, assessment.bundled) == (None, True)
    assert (assessment.kb_release, assessment.kb_sha256) == (bundled.release, bundled.sha256)
    assert assessment.engine_version == assessment.result["engine_version"]
    assert len(assessment.input_checksum) == 64
    assert assessment.qc_status == assessment.result["qc"]["status"]


def test_equal_inputs_give_equal_checksums_and_new_facts_change_it(sample):
    class_b_sample(sample)
    first = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
    again = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)
    parsed_file(sample, FileKind.STRUCTURAL_VARIANTS)
    later = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert first.input_checksum == again.input_checksum != later.input_checksum


def test_the_active_release_is_used_once_there_is_one(sample, world):
    class_b_sample(sample)
    release = services.release_load_draft(by=world.users["curator_a"])
    services.release_activate(release=release, by=world.users["curator_a"])

    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert (assessment.release, assessment.bundled) == (release, False)


def test_only_files_whose_latest_parse_succeeded_are_evidence(sample):
    w380c(parsed_file(sample, FileKind.SMALL_VARIANTS, status=ParseRun.Status.FAILED))
    parsed_file(sample, FileKind.COPY_NUMBER)

    facts = adapters_db.assessment_input(sample)[0].sample

    assert (facts.has_dna_variants, facts.variants) == (False, ())


def test_an_isoform2_transcript_with_a_converted_position_is_not_shifted_again(sample):
    # The parser stored W380 in canonical numbers beside the isoform-2 transcript; a second shift would give 381.
    w380c(parsed_file(sample, FileKind.SMALL_VARIANTS), transcript="NM_001173482.1")

    data, _ = adapters_db.assessment_input(sample)
    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert data.sample.variants[0].transcript == "NM_016302.4"
    assert assessment.result["alterations"][0]["entry"] == "classes.B.residues.W380"


def test_facts_read_for_many_samples_are_each_samples_own(world):
    """A re-assessment reads a chunk of samples at once; each must get exactly what it gets when read alone."""
    samples = []
    for drugs in (["lenalidomide", "dexamethasone"], ["pomalidomide", "dexamethasone"]):
        patient = PatientFactory(institution=world.inst_a)
        TreatmentLineFactory(patient=patient, drugs=drugs)
        baseline = SampleFactory(patient=patient, timepoint=Sample.Timepoint.BASELINE, collection_date=date(2019, 3, 1))
        parsed_file(baseline, FileKind.SMALL_VARIANTS)
        relapse = SampleFactory(patient=patient, purity_pct=80)
        samples += [baseline, relapse]
    class_e_sample(samples[1])
    class_b_sample(samples[3])

    together = adapters_db.stored_facts(samples)

    assert [together.assessment_input(item) for item in samples] == [
        adapters_db.assessment_input(item) for item in samples
    ]
    assert together.assessment_input(samples[1])[0].baseline.name == samples[0].accession


def test_the_checksum_is_the_sha256_of_the_inputs_canonical_json(sample):
    # Stored checksums were made with dataclasses.asdict; a faster encoding must give the same text.
    TreatmentLineFactory(patient=sample.patient, drugs=["lenalidomide"], progression_date=date(2022, 7, 15))
    class_e_sample(sample)
    data, _ = adapters_db.assessment_input(sample)

    canonical = json.dumps(asdict(data), sort_keys=True, default=str, separators=(",", ":"))

    assert services.input_checksum(data) == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.mark.parametrize(("stored", "fraction"), [(80, 0.8), (12.5, 0.125), (0, None), (None, None)])
def test_purity_percent_is_given_to_the_engine_as_a_fraction(world, stored, fraction):
    assert adapters_db.purity(Sample(purity_pct=stored)) == fraction


def test_treatment_lines_and_the_baseline_sample_reach_the_engine(sample):
    TreatmentLineFactory(
        patient=sample.patient,
        drugs=["lenalidomide", "dexamethasone"],
        start_date=date(2020, 1, 1),
        end_date=date(2022, 6, 30),
        progression_date=date(2022, 7, 15),
        best_response="VGPR",
    )
    baseline = SampleFactory(
        patient=sample.patient, timepoint=Sample.Timepoint.BASELINE, collection_date=date(2019, 12, 1)
    )
    parsed_file(baseline, FileKind.SMALL_VARIANTS)
    class_b_sample(sample)

    data, _ = adapters_db.assessment_input(sample)
    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert data.lines[0].drug_names == ("dexamethasone", "lenalidomide")
    assert data.baseline is not None and data.baseline.name == baseline.accession
    # The baseline is compared, but no stored row gives DNA coverage, so absence there cannot prove acquisition.
    assert assessment.result["alterations"][0]["acquired_reason"] == "baseline coverage unknown or below minimum"
    lenalidomide = next(item for item in assessment.result["context"]["drugs"] if item["drug"] == "lenalidomide")
    assert lenalidomide["refractory"] is True


def test_a_queued_assessment_absorbs_the_next_ingest_but_not_a_persons_request(
    sample, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        first = services.assessment_queue(sample=sample, trigger=Trigger.INGEST)
        second = services.assessment_queue(sample=sample, trigger=Trigger.INGEST)
        requested = services.assessment_queue(sample=sample, trigger=Trigger.ON_DEMAND)

    assert first == second and first.status == JobStatus.QUEUED
    assert requested != first
    assert len(callbacks) == 2


def test_a_redelivered_task_does_not_assess_twice(sample):
    class_b_sample(sample)
    assessment = services.assessment_queue(sample=sample, trigger=Trigger.ON_DEMAND)
    services.assessment_execute(assessment_id=assessment.pk, task_id="task-1")
    assessment.refresh_from_db()
    finished = assessment.finished_at

    services.assessment_execute(assessment_id=assessment.pk, task_id="task-2")
    services.assessment_execute(assessment_id=assessment.pk, task_id="task-1")

    assessment.refresh_from_db()
    assert (assessment.status, assessment.finished_at) == (JobStatus.DONE, finished)


def test_an_assessment_that_cannot_be_made_is_stored_as_failed(sample, monkeypatch):
    def broken(sample):
        raise ValueError("variant 3:1:C>T vaf must lie in 0-1, got 2")

    monkeypatch.setattr(adapters_db, "assessment_input", broken)

    assessment = services.assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert assessment.status == JobStatus.FAILED
    assert "vaf must lie in 0-1" in assessment.error
    assert assessment.result is None


def test_a_parsed_upload_assesses_its_sample(sample, world, eager, django_capture_on_commit_callbacks):
    """variants sends ingest_finished after the rows commit; rules queues the assessment on commit."""
    upload = SimpleUploadedFile("relapse.cns", CNVKIT_CNS)
    variant_file, _ = variant_services.variant_file_upload(
        sample=sample, upload=upload, by=world.users["lab_scientist_a"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        variant_services.variant_file_confirm(variant_file=variant_file, by=world.users["lab_scientist_a"])

    assessment = Assessment.objects.get(sample=sample)
    assert (assessment.status, assessment.trigger) == (JobStatus.DONE, Trigger.INGEST)
    assert assessment.created_by == world.users["lab_scientist_a"]
    assert alteration_classes(assessment) == ["F"]
