"""Reports in each state of the workflow, built through the services as people would build them."""

from typing import Any

from crbn_portal.roles import Role
from patients.tests.factories import TEST_PASSWORD, MembershipFactory, PatientFactory, SampleFactory
from reports import services
from reports.models import Report, ReviewDecision
from rules.models import Trigger
from rules.services import assessment_run
from rules.tests.stored import class_e_sample


def assessed_sample(institution: Any, accession: str = "R-2024-001") -> Any:
    """A first-relapse sample with biallelic CRBN loss (class E), assessed."""
    patient = PatientFactory(institution=institution, study_id=f"ST-{accession}")
    sample = SampleFactory(patient=patient, accession=accession, purity_pct=80, genome_build="GRCh38")
    class_e_sample(sample)
    assessment_run(sample=sample, trigger=Trigger.INGEST)
    return sample


def second_clinician(institution: Any, username: str = "clinician_a2") -> Any:
    return MembershipFactory(user__username=username, institution=institution, role=Role.CLINICIAN).user


def fresh(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def draft(sample: Any, author: Any) -> Report:
    return services.report_create_draft(sample=sample, by=author)


def submit(report: Report, by: Any) -> Report:
    return services.report_submit(report=report, by=by, revision=fresh(report).revision)


def approve(report: Report, by: Any) -> Report:
    revision = fresh(report).revision
    return services.report_review(report=report, by=by, decision=ReviewDecision.APPROVE, comment="", revision=revision)


def return_(report: Report, by: Any, comment: str = "Check the purity.") -> Report:
    return services.report_return(report=report, by=by, comment=comment, revision=fresh(report).revision)


def sign(report: Report, by: Any, password: str = TEST_PASSWORD) -> Report:
    return services.report_sign(report=report, by=by, password=password, revision=fresh(report).revision)


def amend(report: Report, by: Any, reason: str = "Baseline sample added.") -> Report:
    return services.report_amend(report=report, by=by, reason=reason)


def signed(sample: Any, author: Any, signer: Any) -> Report:
    return sign(submit(draft(sample, author), author), signer)
