"""The worklist: Len/Pom-exposed patients at first progression without a CRBN result, or without a sample; and relapse
results on their way to a signed report."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from crbn_portal.models import AuditEvent
from patients.models import Sample
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory
from reports.models import Report, ReportStatus
from reports.selectors import PAGE_SIZE
from reports.status import ReviewStatus, WorklistStatus
from reports.tests.reporting import amend, assessed_sample, draft, return_, sign, submit
from rules.models import Assessment, JobStatus, Trigger
from variants.models import FileKind, ParseRun, VariantFile

URL = reverse("reports:worklist")
PROGRESSION = date(2022, 6, 1)


@pytest.fixture
def clinician(client, world):
    client.force_login(world.users["clinician_a"])
    return client


def exposed_patient(institution, study_id: str, *, drugs=("lenalidomide", "dexamethasone"), progression=PROGRESSION):
    """A patient whose first line (with these drugs) ended in progression on therapy: refractory to each."""
    patient = PatientFactory(institution=institution, study_id=study_id)
    TreatmentLineFactory(patient=patient, drugs=list(drugs), progression_date=progression)
    return patient


def first_relapse_sample(patient, *, collected=date(2022, 6, 10), **fields) -> Sample:
    return SampleFactory(patient=patient, collection_date=collected, receipt_date=collected, **fields)


def uploaded_file(sample, *, run_status=None, error="", confirmed=True) -> VariantFile:
    """A file of the sample; with ``run_status``, its one parse run in that state."""
    variant_file = VariantFile(
        sample=sample,
        original_name="relapse.vcf",
        sha256=uuid.uuid4().hex * 2,
        size=1,
        kind=FileKind.SMALL_VARIANTS,
        confirmed=confirmed,
    )
    variant_file.stored.save("relapse.vcf", ContentFile(b"#"), save=False)
    variant_file.save()
    if run_status is not None:
        ParseRun.objects.create(file=variant_file, status=run_status, error=error)
    return variant_file


def assessment(sample, status=JobStatus.QUEUED, **fields) -> Assessment:
    if status == JobStatus.DONE:
        # Made with the bundled knowledge base: a done assessment must name its knowledge base.
        fields = {"bundled": True, "result": {"drugs": {"lenalidomide": {"call": "no_evidence"}}}, **fields}
    return Assessment.objects.create(sample=sample, status=status, trigger=Trigger.INGEST, **fields)


def section(response, key: str):
    return next(item for item in response.context["sections"] if item.key == key)


def untested(response) -> dict[str, object]:
    """Study ID -> row of the first section."""
    return {row.patient.study_id: row for row in section(response, "untested").rows}


def unsampled_ids(response) -> list[str]:
    return [row.patient.study_id for row in section(response, "unsampled").rows]


def in_review(response) -> dict[str, object]:
    """Sample accession -> row of the reports-awaiting-review section."""
    return {row.sample.accession: row for row in section(response, "review").rows}


def assessed(institution, accession: str, *, calls=None, finished=None, **fields) -> Sample:
    """A relapse sample with a done assessment (no engine run: the worklist reads only the stored calls)."""
    sample = first_relapse_sample(PatientFactory(institution=institution), accession=accession, **fields)
    calls = calls or {"lenalidomide": "resistance_likely", "pomalidomide": "uncertain"}
    assessment(sample, JobStatus.DONE, calls=calls, finished_at=finished or timezone.now())
    return sample


# --- the first section: first-relapse samples without a result ---


def test_exposed_patient_with_a_first_relapse_sample_and_no_files_is_listed(clinician, world):
    sample = first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"), accession="BM-001")

    response = clinician.get(URL)

    row = untested(response)["NBH-001"]
    assert row.sample == sample
    assert row.status == WorklistStatus.NO_FILES
    assert row.first_relapse_date == PROGRESSION
    assert [str(exposure) for exposure in row.exposures] == ["Len refractory (line 1)"]
    assert row.days_since_collection == (timezone.localdate() - date(2022, 6, 10)).days
    assertContains(response, "No files uploaded")
    assertContains(response, reverse("variants:sample", args=[sample.uuid]))
    assertContains(response, reverse("patients:detail", args=[sample.patient.uuid]))


def test_status_says_where_each_sample_without_a_result_stands(clinician, world):
    parsing = first_relapse_sample(exposed_patient(world.inst_a, "PARSING"))
    uploaded_file(parsing, run_status=ParseRun.Status.RUNNING)
    failed = first_relapse_sample(exposed_patient(world.inst_a, "FAILED"))
    uploaded_file(failed, run_status=ParseRun.Status.FAILED, error="line 12: no #CHROM header")
    queued = first_relapse_sample(exposed_patient(world.inst_a, "QUEUED"))
    uploaded_file(queued, run_status=ParseRun.Status.SUCCEEDED)
    assessment(queued, JobStatus.QUEUED)
    unconfirmed = first_relapse_sample(exposed_patient(world.inst_a, "UNCONFIRMED"))
    uploaded_file(unconfirmed, confirmed=False)
    crashed = first_relapse_sample(exposed_patient(world.inst_a, "CRASHED"))
    uploaded_file(crashed, run_status=ParseRun.Status.SUCCEEDED)
    assessment(crashed, JobStatus.FAILED, error="engine stopped")

    response = clinician.get(URL)

    rows = untested(response)
    assert {study_id: row.status for study_id, row in rows.items()} == {
        "PARSING": WorklistStatus.PARSING,
        "FAILED": WorklistStatus.PARSE_FAILED,
        "QUEUED": WorklistStatus.ASSESSMENT_QUEUED,
        "UNCONFIRMED": WorklistStatus.AWAITING_CONFIRMATION,
        "CRASHED": WorklistStatus.ASSESSMENT_FAILED,
    }
    assert rows["FAILED"].detail == "line 12: no #CHROM header"
    assert rows["CRASHED"].detail == "engine stopped"
    assertContains(response, "Parse failed")
    assertContains(response, "line 12: no #CHROM header")
    assertContains(response, "Assessment queued")


def test_a_retried_parse_counts_by_its_latest_run(clinician, world):
    sample = first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    variant_file = uploaded_file(sample, run_status=ParseRun.Status.FAILED, error="truncated")
    ParseRun.objects.create(file=variant_file, status=ParseRun.Status.QUEUED)

    assert untested(clinician.get(URL))["NBH-001"].status == WorklistStatus.PARSING


def test_a_done_assessment_takes_the_patient_off_the_list(clinician, world):
    sample = first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    uploaded_file(sample, run_status=ParseRun.Status.SUCCEEDED)
    assessment(sample, JobStatus.DONE)
    # A re-assessment queued later does not put a patient who has a result back on the list.
    assessment(sample, JobStatus.QUEUED)

    response = clinician.get(URL)

    assert untested(response) == {}
    assert unsampled_ids(response) == []


def test_a_patient_never_given_len_or_pom_is_not_listed(clinician, world):
    first_relapse_sample(exposed_patient(world.inst_a, "VRD-ONLY", drugs=("bortezomib", "dexamethasone")))
    first_relapse_sample(exposed_patient(world.inst_a, "THAL-ONLY", drugs=("thalidomide", "dexamethasone")))
    exposed_patient(world.inst_a, "NO-SAMPLE-VD", drugs=("bortezomib", "dexamethasone"))

    response = clinician.get(URL)

    assert untested(response) == {}
    assert unsampled_ids(response) == []
    assertNotContains(response, "VRD-ONLY")


def test_pomalidomide_exposure_in_a_later_line_counts(clinician, world):
    patient = exposed_patient(world.inst_a, "NBH-001", drugs=("bortezomib", "dexamethasone"))
    TreatmentLineFactory(
        patient=patient, line_number=2, start_date=date(2022, 7, 1), drugs=["pomalidomide", "dexamethasone"]
    )
    first_relapse_sample(patient)

    row = untested(clinician.get(URL))["NBH-001"]

    assert [str(exposure) for exposure in row.exposures] == ["Pom exposed"]


def test_only_first_relapse_samples_count(clinician, world):
    patient = exposed_patient(world.inst_a, "NBH-001")
    first_relapse_sample(patient, timepoint=Sample.Timepoint.BASELINE, collected=date(2019, 3, 5))
    first_relapse_sample(patient, timepoint=Sample.Timepoint.LATER_RELAPSE, collected=date(2023, 9, 1))

    response = clinician.get(URL)

    assert untested(response) == {}
    assert unsampled_ids(response) == ["NBH-001"]


def test_a_patient_with_two_first_relapse_samples_is_one_row_for_the_earlier(clinician, world):
    patient = exposed_patient(world.inst_a, "NBH-001")
    earlier = first_relapse_sample(patient, collected=date(2022, 6, 10))
    first_relapse_sample(patient, collected=date(2022, 6, 20), specimen=Sample.Specimen.PERIPHERAL_BLOOD)

    rows = section(clinician.get(URL), "untested").rows

    assert [(row.sample, row.other_samples) for row in rows] == [(earlier, 1)]


def test_a_result_on_either_first_relapse_sample_takes_the_patient_off(clinician, world):
    patient = exposed_patient(world.inst_a, "NBH-001")
    first_relapse_sample(patient, collected=date(2022, 6, 10))
    assessment(first_relapse_sample(patient, collected=date(2022, 6, 20)), JobStatus.DONE)

    assert untested(clinician.get(URL)) == {}


def test_another_institutions_sample_is_simply_absent(clinician, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    first_relapse_sample(exposed_patient(world.inst_b, "LCC-001"), accession="LCC-BM-1")
    exposed_patient(world.inst_b, "LCC-002")

    response = clinician.get(URL)

    assert response.status_code == 200
    assert list(untested(response)) == ["NBH-001"]
    assert unsampled_ids(response) == []
    assertNotContains(response, "LCC-001")
    assertNotContains(response, "LCC-BM-1")


def test_oldest_collection_comes_first(clinician, world):
    collections = [("MIDDLE", date(2022, 5, 1)), ("NEWEST", date(2023, 1, 1)), ("OLDEST", date(2021, 1, 1))]
    for study_id, collected in collections:
        patient = exposed_patient(world.inst_a, study_id, progression=date(2020, 12, 1))
        first_relapse_sample(patient, collected=collected)

    assert list(untested(clinician.get(URL))) == ["OLDEST", "MIDDLE", "NEWEST"]


def test_filters_by_status_and_institution(client, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NO-FILES"))
    parsing = first_relapse_sample(exposed_patient(world.inst_a, "PARSING"))
    uploaded_file(parsing, run_status=ParseRun.Status.QUEUED)
    exposed_patient(world.inst_a, "UNSAMPLED")
    client.force_login(world.users["superuser"])
    first_relapse_sample(exposed_patient(world.inst_b, "LCC-001"))

    by_status = client.get(URL, {"status": WorklistStatus.PARSING})
    assert list(untested(by_status)) == ["PARSING"]
    assert unsampled_ids(by_status) == []

    no_sample = client.get(URL, {"status": WorklistStatus.NO_SAMPLE})
    assert untested(no_sample) == {}
    assert unsampled_ids(no_sample) == ["UNSAMPLED"]

    by_institution = client.get(URL, {"institution": "LCC"})
    assert list(untested(by_institution)) == ["LCC-001"]
    assert unsampled_ids(by_institution) == []


def test_an_institution_outside_the_users_scope_is_refused_not_ignored(clinician, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))

    response = clinician.get(URL, {"institution": "LCC"})

    assert response.status_code == 200
    assert untested(response) == {}
    assertContains(response, "Some filters could not be applied")


def test_each_section_pages_on_its_own(clinician, world):
    for number in range(PAGE_SIZE + 2):
        patient = exposed_patient(world.inst_a, f"NBH-{number:03d}")
        first_relapse_sample(patient, collected=date(2022, 6, 1) + timedelta(days=number))

    first = clinician.get(URL)
    second = clinician.get(URL, {"untested_page": 2})

    assert len(section(first, "untested").rows) == PAGE_SIZE
    assert section(first, "untested").next_url == "?untested_page=2#untested"
    assert list(untested(second)) == ["NBH-025", "NBH-026"]


@pytest.mark.parametrize(("asked", "shown"), [("9", 2), ("0", 2), ("two", 1), ("", 1)])
def test_a_page_out_of_range_shows_the_last_and_a_non_number_the_first(clinician, world, asked, shown):
    for number in range(PAGE_SIZE + 2):
        patient = exposed_patient(world.inst_a, f"NBH-{number:03d}")
        first_relapse_sample(patient, collected=date(2022, 6, 1) + timedelta(days=number))

    page = section(clinician.get(URL, {"untested_page": asked}), "untested")

    assert page.page_obj.number == shown
    assert page.count == PAGE_SIZE + 2
    assert len(page.rows) == (2 if shown == 2 else PAGE_SIZE)
    assert page.rows[0].patient.study_id == ("NBH-025" if shown == 2 else "NBH-000")


# --- the second section: first progression without a sample ---


def test_exposed_patient_at_first_progression_without_a_sample_is_prompted(clinician, world):
    later = exposed_patient(world.inst_a, "LATER", progression=date(2023, 2, 1))
    earlier = exposed_patient(world.inst_a, "EARLIER", progression=date(2021, 8, 1))
    PatientFactory(institution=world.inst_a, study_id="NO-PROGRESSION")
    TreatmentLineFactory(patient=PatientFactory(institution=world.inst_a, study_id="ON-LEN"), drugs=["lenalidomide"])

    response = clinician.get(URL)

    assert unsampled_ids(response) == ["EARLIER", "LATER"]
    row = section(response, "unsampled").rows[0]
    assert row.patient == earlier
    assert row.first_relapse_date == date(2021, 8, 1)
    assert row.days_since_first_relapse == (timezone.localdate() - date(2021, 8, 1)).days
    assert later.first_relapse_date == date(2023, 2, 1)
    assertContains(response, "No first-relapse sample")
    assertNotContains(response, "ON-LEN")


def test_first_relapse_is_the_first_progression_in_line_order(clinician, world):
    patient = PatientFactory(institution=world.inst_a, study_id="NBH-001")
    # Line 1 was stopped for toxicity without progression; the first relapse ends line 2.
    TreatmentLineFactory(patient=patient, drugs=["lenalidomide"], end_date=date(2019, 9, 1))
    TreatmentLineFactory(
        patient=patient,
        line_number=2,
        start_date=date(2019, 10, 1),
        drugs=["pomalidomide"],
        end_date=date(2021, 1, 1),
        progression_date=date(2021, 5, 1),
    )

    row = section(clinician.get(URL), "unsampled").rows[0]

    assert row.first_relapse_date == date(2021, 5, 1)
    assert [str(exposure) for exposure in row.exposures] == ["Len exposed", "Pom exposed"]


# --- the third section: results on their way to a signed report ---


def test_an_assessed_relapse_sample_without_a_report_awaits_one(clinician, world):
    sample = assessed(world.inst_a, "BM-001", finished=timezone.now() - timedelta(days=3))

    response = clinician.get(URL)

    row = in_review(response)["BM-001"]
    assert (row.status, row.report, row.author) == (ReviewStatus.AWAITING_REPORT, None, "")
    assert [str(call) for call in row.verdict] == ["Len: resistance likely", "Pom: uncertain"]
    assert row.days_waiting == 3
    assertContains(response, "Result awaiting a report")
    assertContains(response, reverse("report:sample", args=[sample.uuid]))
    assertContains(response, reverse("variants:sample", args=[sample.uuid]))


def test_reports_being_worked_on_show_version_status_author_and_verdict(client, world):
    author, clinician = world.users["lab_scientist_a"], world.users["clinician_a"]
    drafted = draft(assessed_sample(world.inst_a, "R-DRAFT"), author)
    submitted = submit(draft(assessed_sample(world.inst_a, "R-REVIEW"), author), author)
    returned = return_(submit(draft(assessed_sample(world.inst_a, "R-RETURNED"), author), author), clinician)
    client.force_login(clinician)

    response = client.get(URL)

    rows = in_review(response)
    assert {accession: (row.report, row.status) for accession, row in rows.items()} == {
        "R-DRAFT": (drafted, ReviewStatus.DRAFT),
        "R-REVIEW": (submitted, ReviewStatus.IN_REVIEW),
        "R-RETURNED": (returned, ReviewStatus.RETURNED),
    }
    assert rows["R-RETURNED"].detail == "Check the purity."
    assert rows["R-RETURNED"].last_change_by == "clinician_a"
    assert rows["R-DRAFT"].author == "lab_scientist_a"
    assert str(rows["R-DRAFT"].verdict[0]) == "Len: resistance likely"
    assertContains(response, reverse("report:detail", args=[submitted.uuid]))
    assertContains(response, "Report v1")
    assertContains(response, "Check the purity.")


def test_signing_takes_the_sample_off_and_an_amendment_brings_it_back(client, world):
    clinician = world.users["clinician_a"]
    sample = assessed_sample(world.inst_a, "R-001")
    signed = sign(submit(draft(sample, clinician), clinician), clinician)
    client.force_login(clinician)
    assert in_review(client.get(URL)) == {}

    amendment = amend(signed, clinician)

    row = in_review(client.get(URL))["R-001"]
    assert (row.report, row.status, row.days_waiting) == (amendment, ReviewStatus.DRAFT, 0)
    assertContains(client.get(URL), "(amendment)")


def test_a_baseline_result_awaits_no_report(clinician, world):
    assessed(world.inst_a, "BASELINE", timepoint=Sample.Timepoint.BASELINE, collected=date(2019, 3, 5))
    assessed(world.inst_a, "LATER", timepoint=Sample.Timepoint.LATER_RELAPSE)

    assert list(in_review(clinician.get(URL))) == ["LATER"]


def test_longest_waiting_result_comes_first(clinician, world):
    now = timezone.now()
    for accession, days in [("MIDDLE", 5), ("NEWEST", 1), ("OLDEST", 20)]:
        assessed(world.inst_a, accession, finished=now - timedelta(days=days))

    assert list(in_review(clinician.get(URL))) == ["OLDEST", "MIDDLE", "NEWEST"]


def test_another_institutions_results_and_reports_are_absent(clinician, world):
    assessed(world.inst_a, "NBH-BM-1")
    assessed(world.inst_b, "LCC-BM-1")
    draft(assessed_sample(world.inst_b, "LCC-R-1"), world.users["clinician_b"])

    response = clinician.get(URL)

    assert list(in_review(response)) == ["NBH-BM-1"]
    assertNotContains(response, "LCC-BM-1")
    assertNotContains(response, "LCC-R-1")


def test_the_status_filter_narrows_to_one_report_status(clinician, world):
    author = world.users["lab_scientist_a"]
    assessed(world.inst_a, "NO-REPORT")
    submit(draft(assessed_sample(world.inst_a, "R-REVIEW"), author), author)
    first_relapse_sample(exposed_patient(world.inst_a, "UNTESTED"))

    by_report_status = clinician.get(URL, {"status": ReviewStatus.IN_REVIEW})
    assert list(in_review(by_report_status)) == ["R-REVIEW"]
    assert untested(by_report_status) == {}

    awaiting = clinician.get(URL, {"status": ReviewStatus.AWAITING_REPORT})
    assert list(in_review(awaiting)) == ["NO-REPORT"]

    by_testing_status = clinician.get(URL, {"status": WorklistStatus.NO_FILES})
    assert in_review(by_testing_status) == {}
    assert list(untested(by_testing_status)) == ["UNTESTED"]


def test_the_review_section_pages_on_its_own(clinician, world):
    now = timezone.now()
    for number in range(PAGE_SIZE + 1):
        assessed(world.inst_a, f"BM-{number:03d}", finished=now - timedelta(hours=100 - number))

    first = clinician.get(URL)
    second = clinician.get(URL, {"review_page": 2})

    assert len(section(first, "review").rows) == PAGE_SIZE
    assert section(first, "review").next_url == "?review_page=2#review"
    assert list(in_review(second)) == [f"BM-{PAGE_SIZE:03d}"]
    assertContains(first, f"of {PAGE_SIZE + 1} samples")


# --- empty states, access and audit ---


def test_empty_sections_say_what_would_appear(clinician, world):
    response = clinician.get(URL)

    assertContains(response, "Nobody is waiting here.", count=3)
    assertContains(response, "a first-relapse sample is registered for them, and no CRBN assessment of it has")
    assertContains(response, "and no first-relapse sample is registered for them.")


@pytest.mark.parametrize("name", ["clinician_a", "lab_scientist_a", "coordinator_a", "admin_a", "curator_a"])
def test_clinical_roles_see_the_worklist(client, world, name):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    client.force_login(world.users[name])

    response = client.get(URL)

    assert response.status_code == 200
    assert list(untested(response)) == ["NBH-001"]


def test_researchers_are_refused_with_a_reason(client, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))
    client.force_login(world.users["researcher_a"])

    response = client.get(URL)

    assert response.status_code == 403
    assertContains(response, "names identifiable patients", status_code=403)
    assertNotContains(response, "NBH-001", status_code=403)
    refusal = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert refusal.detail == {"page": "worklist", "refused": "role"}


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={URL}"


def test_every_view_of_the_worklist_is_audited(clinician, world):
    first_relapse_sample(exposed_patient(world.inst_a, "NBH-001"))

    clinician.get(URL, {"status": WorklistStatus.NO_FILES})

    event = AuditEvent.objects.get(action=AuditEvent.Action.LIST)
    assert event.username == "clinician_a"
    assert event.path == URL
    counts = {"untested": 1, "unsampled": 0, "review": 0}
    assert event.detail == {"page": "worklist", "status": "no_files", "counts": counts}


def test_the_navigation_links_to_the_worklist(clinician, world):
    assertContains(clinician.get(reverse("patients:list")), f'href="{URL}"')


# --- cost ---


def populate(world, start: int, count: int) -> None:
    """``count`` rows in each section, their samples in every state that reads extra rows."""
    states = [None, ParseRun.Status.FAILED, ParseRun.Status.SUCCEEDED, ParseRun.Status.RUNNING]
    for number in range(start, start + count):
        sample = first_relapse_sample(exposed_patient(world.inst_a, f"S-{number:03d}", drugs=["lenalidomide"]))
        state = states[number % len(states)]
        if state is not None:
            uploaded_file(sample, run_status=state, error="bad line" if state == ParseRun.Status.FAILED else "")
        if state == ParseRun.Status.SUCCEEDED:
            assessment(sample, JobStatus.FAILED, error="engine stopped")
        TreatmentLineFactory(
            patient=exposed_patient(world.inst_a, f"U-{number:03d}", drugs=["pomalidomide"]),
            line_number=2,
            start_date=date(2022, 7, 1),
            drugs=["lenalidomide"],
        )
        awaiting_review(world, number)


def awaiting_review(world, number: int) -> None:
    """A result without a report, or with an open version in one of its states (written directly: the services
    would need an engine run per sample, and the worklist reads only the stored rows)."""
    sample = assessed(world.inst_a, f"R-{number:03d}")
    status = [None, ReportStatus.DRAFT, ReportStatus.IN_REVIEW, ReportStatus.RETURNED][number % 4]
    if status is not None:
        author = world.users["lab_scientist_a"]
        Report.objects.create(
            sample=sample,
            assessment=sample.assessments.get(),
            status=status,
            created_by=author,
            changed_by=world.users["clinician_a"],
            return_comment="Check the purity." if status == ReportStatus.RETURNED else "",
        )


def test_query_count_does_not_grow_with_the_rows(clinician, world, django_assert_max_num_queries):
    populate(world, 0, 4)
    with CaptureQueriesContext(connection) as few:
        assert clinician.get(URL).status_code == 200

    populate(world, 4, 26)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = clinician.get(URL)

    assert section(response, "untested").count == 30
    assert section(response, "unsampled").count == 30
    assert section(response, "review").count == 30
    # Per section one query for the page and its total (plus its fixed prefetches), never one for the count alone.
    assert len(few.captured_queries) <= 18
