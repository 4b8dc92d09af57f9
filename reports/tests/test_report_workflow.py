"""The report workflow through its services: each state against each action, the second reviewer, signatures,
stale revisions and the amendment chain."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patients.tests.factories import PatientFactory, SampleFactory
from reports import services
from reports.models import RenderStatus, Report, ReportReview, ReportStatus, ReviewDecision
from reports.tests.reporting import (
    amend,
    approve,
    assessed_sample,
    draft,
    fresh,
    return_,
    second_clinician,
    sign,
    signed,
    submit,
)
from rules.models import Assessment
from variants.models import VariantFile

ACTIONS = ("submit", "approve", "return", "sign", "amend")
# What each state lets happen; everything else is refused. The actor is a clinician who did not write the report.
ALLOWED = {
    ReportStatus.DRAFT: {"submit"},
    ReportStatus.IN_REVIEW: {"approve", "return", "sign"},
    ReportStatus.RETURNED: {"submit"},
    ReportStatus.SIGNED: {"amend"},
    ReportStatus.AMENDED: set(),
}


@pytest.fixture
def sample(world):
    return assessed_sample(world.inst_a)


@pytest.fixture
def author(world):
    return world.users["lab_scientist_a"]


@pytest.fixture
def clinician(world):
    return world.users["clinician_a"]


def report_in(state: str, sample, author, clinician) -> Report:
    """A report of ``sample`` in ``state``, reached the way people reach it."""
    report = draft(sample, author)
    if state == ReportStatus.DRAFT:
        return report
    report = submit(report, author)
    if state == ReportStatus.RETURNED:
        return return_(report, clinician)
    if state == ReportStatus.IN_REVIEW:
        return report
    report = sign(report, clinician)
    if state == ReportStatus.SIGNED:
        return report
    sign(submit(amend(report, clinician), clinician), clinician)
    return fresh(report)


def act(action: str, report: Report, by) -> Report:
    if action == "submit":
        return submit(report, by)
    if action == "approve":
        return approve(report, by)
    if action == "return":
        return return_(report, by)
    if action == "sign":
        return sign(report, by)
    return amend(report, by)


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("action", ACTIONS)
def test_each_state_allows_only_its_own_actions(sample, author, clinician, state, action):
    report = report_in(state, sample, author, clinician)
    before = fresh(report)

    if action in ALLOWED[state]:
        act(action, report, clinician)
    else:
        with pytest.raises(ValidationError):
            act(action, report, clinician)
        after = fresh(report)
        assert (after.status, after.revision) == (before.status, before.revision)


def test_a_draft_states_the_samples_latest_completed_assessment(sample, author):
    report = draft(sample, author)

    latest = Assessment.objects.done().filter(sample=sample).newest_first().first()
    assert (report.version, report.status, report.assessment, report.created_by) == (1, "draft", latest, author)
    assert report.revision == 1


def test_a_sample_without_a_completed_assessment_cannot_be_reported(world, author):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), accession="R-NONE")

    with pytest.raises(ValidationError, match="no completed assessment yet"):
        draft(sample, author)
    assert not Report.objects.exists()


def test_a_sample_has_one_report_then_amendments(sample, author, clinician):
    report = draft(sample, author)
    with pytest.raises(ValidationError, match="already has a report being worked on"):
        draft(sample, author)

    sign(submit(report, author), clinician)
    with pytest.raises(ValidationError, match=r"already has a signed report \(v1\): amend it"):
        draft(sample, author)


def test_a_stale_revision_is_refused_naming_who_changed_it(sample, author, clinician):
    report = draft(sample, author)
    seen = report.revision
    services.report_submit(report=report, by=author, revision=seen)

    with pytest.raises(ValidationError, match=r"changed by lab_scientist_a at .* since you opened it; reload"):
        services.report_sign(report=report, by=clinician, password="irrelevant", revision=seen)
    assert fresh(report).status == ReportStatus.IN_REVIEW


def test_every_change_moves_the_revision_on(sample, author, clinician):
    report = draft(sample, author)
    revisions = [report.revision]
    for step in (lambda: submit(report, author), lambda: approve(report, clinician), lambda: sign(report, clinician)):
        revisions.append(step().revision)

    assert revisions == [1, 2, 3, 4]


def test_the_author_cannot_review_their_own_report(sample, clinician):
    report = submit(draft(sample, clinician), clinician)

    with pytest.raises(PermissionDenied):
        approve(report, clinician)
    with pytest.raises(PermissionDenied):
        services.report_review(
            report=report, by=clinician, decision=ReviewDecision.RETURN, comment="x", revision=fresh(report).revision
        )
    assert not ReportReview.objects.exists()


def test_returning_needs_a_comment_and_keeps_it(sample, author, clinician):
    report = submit(draft(sample, author), author)
    with pytest.raises(ValidationError, match="Say why"):
        return_(report, clinician, comment="  ")

    returned = return_(report, clinician, comment="Purity looks too high.")

    assert (returned.status, returned.return_comment) == (ReportStatus.RETURNED, "Purity looks too high.")
    assert list(returned.reviews.values_list("decision", "comment")) == [("return", "Purity looks too high.")]


def test_a_reviewer_approves_once_per_round(sample, author, clinician):
    report = approve(submit(draft(sample, author), author), clinician)

    with pytest.raises(ValidationError, match="already approved"):
        approve(report, clinician)


# ---- who may act ------------------------------------------------------------------------------------------------


def test_lab_scientists_draft_and_submit_but_do_not_review_sign_or_amend(sample, author, clinician):
    report = submit(draft(sample, author), author)

    for action in ("approve", "return", "sign"):
        with pytest.raises(PermissionDenied):
            act(action, report, author)
    report = sign(report, clinician)
    with pytest.raises(PermissionDenied):
        amend(report, author)


def test_clinicians_of_another_institution_cannot_act(world, sample, author):
    report = submit(draft(sample, author), author)
    outsider = world.users["clinician_b"]

    with pytest.raises(PermissionDenied):
        sign(report, outsider)
    with pytest.raises(PermissionDenied):
        draft(assessed_sample(world.inst_a, "R-2"), outsider)


@pytest.mark.parametrize("persona", ["coordinator_a", "curator_a", "researcher_a", "admin_a"])
def test_other_roles_cannot_draft(world, sample, persona):
    with pytest.raises(PermissionDenied):
        draft(sample, world.users[persona])


# ---- signing ----------------------------------------------------------------------------------------------------


def test_a_wrong_password_does_not_sign(sample, author, clinician):
    report = submit(draft(sample, author), author)

    with pytest.raises(ValidationError, match="password is not correct"):
        sign(report, clinician, password="wrong password")
    with pytest.raises(ValidationError, match="password is not correct"):
        sign(report, clinician, password="")
    assert fresh(report).status == ReportStatus.IN_REVIEW


def test_signing_freezes_what_the_report_states(sample, author, clinician):
    report = sign(submit(draft(sample, author), author), clinician)

    assessment = report.assessment
    files = VariantFile.objects.filter(sample=sample)
    assert report.status == ReportStatus.SIGNED
    assert (report.signed_by, report.signed_at is not None) == (clinician, True)
    assert report.frozen_result == assessment.result
    assert (report.engine_version, report.kb_release) == (assessment.engine_version, assessment.kb_release)
    assert report.input_checksums["facts"] == assessment.input_checksum
    assert sorted(item["sha256"] for item in report.input_checksums["files"]) == sorted(f.sha256 for f in files)
    assert "<!DOCTYPE html>" in report.rendered_html and sample.accession in report.rendered_html
    assert report.render_status == RenderStatus.QUEUED


def test_signing_queues_the_pdf_only_once_the_signature_is_committed(
    sample, author, clinician, django_capture_on_commit_callbacks
):
    report = submit(draft(sample, author), author)

    with django_capture_on_commit_callbacks() as callbacks:
        sign(report, clinician)

    assert len(callbacks) == 1


def test_the_signed_document_never_shows_the_mrn(world, author, clinician):
    sample = assessed_sample(world.inst_a, "R-MRN")
    sample.patient.mrn = "MRN-SECRET-123"
    sample.patient.save()

    report = sign(submit(draft(sample, author), author), clinician)

    assert "MRN-SECRET-123" not in report.rendered_html


# ---- second reviewer --------------------------------------------------------------------------------------------


@pytest.fixture
def strict(world):
    world.inst_a.requires_second_reviewer = True
    world.inst_a.save()
    return world.inst_a


def test_a_second_review_is_required_where_the_institution_says_so(strict, sample, author, clinician):
    report = submit(draft(sample, author), author)

    with pytest.raises(ValidationError, match="requires a second clinician's approval"):
        sign(report, clinician)
    approve(report, second_clinician(strict))
    assert sign(report, clinician).status == ReportStatus.SIGNED


def test_the_signers_own_approval_is_not_a_second_review(strict, sample, author, clinician):
    report = approve(submit(draft(sample, author), author), clinician)

    with pytest.raises(ValidationError, match="requires a second clinician's approval"):
        sign(report, clinician)


def test_an_approval_from_an_earlier_round_does_not_count(strict, sample, author, clinician):
    report = submit(draft(sample, author), author)
    approve(report, second_clinician(strict))
    return_(report, clinician)
    submit(report, author)

    with pytest.raises(ValidationError, match="requires a second clinician's approval"):
        sign(report, clinician)


def test_without_the_rule_a_clinician_signs_without_a_second_review(sample, author, clinician):
    assert sign(submit(draft(sample, author), author), clinician).status == ReportStatus.SIGNED


# ---- amendments -------------------------------------------------------------------------------------------------


def test_an_amendment_is_a_new_draft_and_the_signed_version_stays_in_force(sample, author, clinician):
    v1 = signed(sample, author, clinician)

    v2 = amend(v1, clinician, reason="Baseline sample results arrived.")

    assert (v2.version, v2.status, v2.previous, v2.amendment_reason) == (
        2,
        ReportStatus.DRAFT,
        v1,
        "Baseline sample results arrived.",
    )
    assert fresh(v1).status == ReportStatus.SIGNED


def test_signing_the_amendment_supersedes_the_signed_version(sample, author, clinician):
    v1 = signed(sample, author, clinician)
    v2 = sign(submit(amend(v1, clinician), clinician), clinician)
    v3 = sign(submit(amend(v2, clinician), clinician), clinician)

    chain = list(Report.objects.filter(sample=sample).order_by("version").values_list("version", "status"))
    assert chain == [(1, "amended"), (2, "amended"), (3, "signed")]
    assert (v3.previous, fresh(v2).previous) == (fresh(v2), fresh(v1))
    assert fresh(v1).rendered_html == v1.rendered_html  # superseded, never rewritten


def test_an_amendment_needs_a_reason(sample, author, clinician):
    v1 = signed(sample, author, clinician)

    with pytest.raises(ValidationError, match="reason"):
        amend(v1, clinician, reason=" ")


def test_a_signed_version_is_amended_once(sample, author, clinician):
    v1 = signed(sample, author, clinician)
    amend(v1, clinician)

    with pytest.raises(ValidationError, match="already being amended"):
        amend(v1, clinician)


def test_an_amendment_states_the_latest_assessment(sample, author, clinician):
    from rules.models import Trigger
    from rules.services import assessment_run

    v1 = signed(sample, author, clinician)
    newer = assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    assert amend(v1, clinician).assessment == newer
    assert fresh(v1).assessment != newer
