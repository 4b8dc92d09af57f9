"""The knowledge-base pages and the sample assessment page: who may see and do what, and what they show."""

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from crbn_portal.models import AuditEvent
from patients.tests.factories import PatientFactory, SampleFactory
from rules import services
from rules.engine import load_kb
from rules.models import Assessment, JobStatus, KnowledgeBaseRelease, ReassessmentRun, ReleaseStatus, Trigger
from rules.tests.stored import class_b_sample, class_e_sample, edited_texts

ROLES_THAT_READ_THE_KB = ("lab_scientist_a", "clinician_a", "coordinator_a", "curator_a", "admin_a", "clinician_b")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def eager(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def sample(world):
    patient = PatientFactory(institution=world.inst_a, study_id="NBH-0001")
    sample = SampleFactory(patient=patient, accession="R-2024-001", purity_pct=80)
    class_e_sample(sample)
    return sample


@pytest.fixture
def assessed(sample):
    return services.assessment_run(sample=sample, trigger=Trigger.INGEST)


@pytest.fixture
def active(world):
    release = services.release_load_draft(by=world.users["curator_a"])
    services.release_activate(release=release, by=world.users["curator_a"])
    release.refresh_from_db()
    return release


@pytest.fixture
def draft(world, active):
    return services.release_load_draft(by=world.users["curator_a"], texts=edited_texts("2026.12-test"))


def login(client: Client, world, name: str) -> Client:
    client.force_login(world.users[name])
    return client


def assessment_url(sample) -> str:
    return reverse("rules:sample_assessment", args=[sample.uuid])


def reassess_url(sample) -> str:
    return reverse("rules:sample_reassess", args=[sample.uuid])


def activate_url(release) -> str:
    return reverse("rules:release_activate", args=[release.uuid])


# ---- the permission matrix --------------------------------------------------------------------------------------


def page_urls(sample, release, run) -> list[str]:
    return [
        reverse("rules:kb"),
        reverse("rules:releases"),
        reverse("rules:release", args=[release.uuid]),
        reverse("rules:reassessment", args=[run.uuid]),
        reverse("rules:reassessment_progress", args=[run.uuid]),
        assessment_url(sample),
    ]


def test_anonymous_visitors_are_sent_to_log_in(client, sample, draft):
    run = ReassessmentRun.objects.get()
    for url in page_urls(sample, draft, run):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    for url in (reverse("rules:releases"), activate_url(draft), reassess_url(sample)):
        assert client.post(url).status_code == 302, url


@pytest.mark.parametrize("name", ROLES_THAT_READ_THE_KB)
def test_every_clinical_role_reads_the_knowledge_base(client, world, active, name):
    login(client, world, name)

    assert client.get(reverse("rules:kb")).status_code == 200
    assert client.get(reverse("rules:releases")).status_code == 200
    assert client.get(reverse("rules:release", args=[active.uuid])).status_code == 200


def test_researchers_use_the_registry_not_the_knowledge_base_or_samples(client, world, sample, draft):
    login(client, world, "researcher_a")
    run = ReassessmentRun.objects.get()

    for url in page_urls(sample, draft, run)[:-1]:
        assert client.get(url).status_code == 403, url
    assert client.get(assessment_url(sample)).status_code == 404
    assert client.post(reassess_url(sample)).status_code == 404


@pytest.mark.parametrize("name", ["clinician_a", "lab_scientist_a", "coordinator_a", "admin_a"])
def test_only_curators_load_and_activate(client, world, draft, name):
    login(client, world, name)

    assert client.post(reverse("rules:releases")).status_code == 403
    assert client.post(activate_url(draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == ReleaseStatus.DRAFT


def test_a_curator_loads_a_draft(client, world):
    login(client, world, "curator_a")

    response = client.post(reverse("rules:releases"), follow=True)

    release = KnowledgeBaseRelease.objects.get()
    assertRedirects(response, reverse("rules:release", args=[release.uuid]))
    assertContains(response, f"Draft {release.release_id} loaded")
    assertContains(response, f"Activate {release.release_id}")


def test_a_curator_activates_a_draft_and_watches_the_reassessment(
    client, world, draft, assessed, eager, django_capture_on_commit_callbacks
):
    login(client, world, "curator_a")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(activate_url(draft))

    run = ReassessmentRun.objects.get(release=draft)
    assertRedirects(response, reverse("rules:reassessment", args=[run.uuid]))
    draft.refresh_from_db()
    assert draft.status == ReleaseStatus.ACTIVE
    page = client.get(response.url)
    assertContains(page, "1 of 1 sample assessed")
    assertNotContains(page, "hx-trigger")


def test_a_superuser_may_activate(client, world, draft):
    login(client, world, "superuser")

    client.post(activate_url(draft))

    draft.refresh_from_db()
    assert draft.status == ReleaseStatus.ACTIVE


def test_activation_needs_the_csrf_token(world, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["curator_a"])

    assert client.post(activate_url(draft)).status_code == 403
    draft.refresh_from_db()
    assert draft.status == ReleaseStatus.DRAFT


def test_another_institutions_sample_does_not_exist_for_its_clinicians(client, world, assessed):
    login(client, world, "clinician_b")

    assert client.get(assessment_url(assessed.sample)).status_code == 404
    assert client.post(reassess_url(assessed.sample)).status_code == 404


@pytest.mark.parametrize("name", ["clinician_a", "lab_scientist_a"])
def test_the_institutions_clinicians_and_lab_scientists_may_reassess(client, world, sample, name):
    login(client, world, name)

    response = client.post(reassess_url(sample))

    assertRedirects(response, assessment_url(sample))
    queued = Assessment.objects.get(sample=sample)
    assert (queued.status, queued.trigger, queued.created_by) == (
        JobStatus.QUEUED,
        Trigger.ON_DEMAND,
        world.users[name],
    )
    assertContains(client.get(assessment_url(sample)), "An assessment is queued")


@pytest.mark.parametrize("name", ["coordinator_a", "curator_a", "admin_a"])
def test_other_roles_see_the_assessment_but_may_not_reassess(client, world, assessed, name):
    login(client, world, name)

    page = client.get(assessment_url(assessed.sample))

    assert page.status_code == 200
    assertNotContains(page, "Re-assess now")
    assert client.post(reassess_url(assessed.sample)).status_code == 403


# ---- what the pages show ----------------------------------------------------------------------------------------


def test_the_table_marks_inferred_cells_visibly(client, world, active):
    login(client, world, "clinician_a")
    kb = load_kb()
    inferred = [entry for entry in kb.calls.values() if entry.basis == "inferred"]

    response = client.get(reverse("rules:kb"))

    assert inferred, "the bundled knowledge base has inferred cells"
    # One badge per inferred cell, plus the one in the footnote that explains it.
    assert response.content.decode().count('<span class="badge badge--inferred">inferred</span>') == len(inferred) + 1
    assertContains(response, "rests on an unverified fact; it is not established")
    assertContains(response, active.release_id)
    for name in (cls.name for cls in kb.classes.values()):
        assertContains(response, name)


def test_the_table_shows_the_bundled_files_until_a_release_is_active(client, world):
    login(client, world, "clinician_a")

    response = client.get(reverse("rules:kb"))

    assertContains(response, "Bundled, not activated")
    assertContains(response, load_kb().release)


def test_the_release_page_shows_the_changed_call(client, world, draft):
    login(client, world, "curator_a")

    response = client.get(reverse("rules:release", args=[draft.uuid]))

    assertContains(response, "B.lenalidomide")
    assertContains(response, '<td class="kb-diff__old">resistant</td>', html=True)
    assertContains(response, '<td class="kb-diff__new">reduced</td>', html=True)
    assertContains(response, f"Activate {draft.release_id}")


def test_a_clinician_sees_the_diff_without_the_activate_button(client, world, draft):
    login(client, world, "clinician_a")

    response = client.get(reverse("rules:release", args=[draft.uuid]))

    assertContains(response, "B.lenalidomide")
    assertNotContains(response, "Activate 2026.12-test")


def test_the_progress_partial_polls_until_the_run_is_done(client, world, draft, assessed):
    login(client, world, "curator_a")
    run = ReassessmentRun.objects.get()
    url = reverse("rules:reassessment_progress", args=[run.uuid])

    queued = client.get(url)
    assertContains(queued, 'hx-trigger="every 1s"')
    assertContains(queued, "waiting for a worker to start")

    services.reassess_all(run_id=run.pk, task_id="task-1")
    done = client.get(url)
    assertNotContains(done, "hx-trigger")
    assertContains(done, "<progress", html=False)


def test_the_changed_calls_list_links_each_sample(client, world, active, eager, django_capture_on_commit_callbacks):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), accession="R-CHANGE", purity_pct=90)
    class_b_sample(sample)
    services.assessment_run(sample=sample, trigger=Trigger.INGEST)
    newer = services.release_load_draft(by=world.users["curator_a"], texts=edited_texts("2026.12-test"))
    with django_capture_on_commit_callbacks(execute=True):
        run = services.release_activate(release=newer, by=world.users["curator_a"])

    mine = login(client, world, "clinician_a").get(reverse("rules:reassessment", args=[run.uuid]))
    theirs = login(Client(), world, "clinician_b").get(reverse("rules:reassessment", args=[run.uuid]))

    assertContains(mine, f'<a href="{assessment_url(sample)}">R-CHANGE</a>', html=False)
    assertContains(mine, "Resistance likely")
    assertContains(mine, "B.lenalidomide")
    assertNotContains(theirs, "R-CHANGE")
    assertContains(theirs, "No call changed in the samples you may see")


def test_the_assessment_page_shows_verdicts_alterations_qc_and_the_trace(client, world, assessed):
    login(client, world, "clinician_a")

    response = client.get(assessment_url(assessed.sample))

    assertContains(response, "Verdict per drug")
    assertContains(response, '<span class="verdict verdict--resistance_likely">Resistance likely</span>', count=5)
    assertContains(response, "one copy lost (3:3100000-3200000) plus class B variant")
    assertContains(response, "bundled, not activated")
    assertContains(response, "Quality control")
    assertContains(response, '<details class="trace">', html=False)
    assertContains(response, "classes.B.residues.W380")
    assertContains(response, "Re-assess now")


def test_a_sample_not_yet_assessed_says_so(client, world, sample):
    login(client, world, "clinician_a")

    assertContains(client.get(assessment_url(sample)), "has not been assessed yet")


def test_every_view_records_an_audit_event(client, world, draft, assessed):
    login(client, world, "curator_a")
    run = ReassessmentRun.objects.get()
    urls = page_urls(assessed.sample, draft, run)

    for url in urls:
        before = AuditEvent.objects.count()
        client.get(url)
        assert AuditEvent.objects.count() == before + 1, url
    client.post(activate_url(draft))
    event = AuditEvent.objects.first()
    assert (event.action, event.object_uuid, event.username) == (AuditEvent.Action.ACTIVATE, draft.uuid, "curator_a")
