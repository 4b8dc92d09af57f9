"""The report document: built from a sample that went through the real pipeline (upload, parse, assess), it
shows every element a lab report carries, in HGVS on versioned transcripts, escaped, with the MRN only inside
the patient's institution."""

import re
import uuid
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patients.models import Sample
from patients.tests.factories import PatientFactory, SampleFactory, TreatmentLineFactory
from reports.document import ReportMeta, document_context, render_document_html
from rules.models import JobStatus, Trigger
from rules.services import assessment_run
from rules.templatetags.rules_labels import CALL_LABELS
from variants import services as ingest
from variants.tests.test_sample_page import SJ_OUT_TAB

CSQ_LAYOUT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|HGVSp|Protein_position"
)
VCF_HEADER = (
    "##fileformat=VCFv4.2\n##source=Mutect2\n##tumor_sample=TUMOUR\n##normal_sample=NORMAL\n"
    "##contig=<ID=chr3,length=198295559>\n"
    '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">\n'
    '##FORMAT=<ID=AF,Number=A,Type=Float,Description="Allele fractions">\n'
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">\n'
    "##INFO=<ID=CSQ,Number=.,Type=String,Description="
    f'"Consequence annotations from Ensembl VEP. Format: {CSQ_LAYOUT}">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNORMAL\tTUMOUR\n"
)
# NM_016302.4 c.1171T>C p.Cys391Arg: a zinc ligand (class B); the gene is on the minus strand, so A>G on GRCh38.
C391R = (
    "chr3\t3151022\t.\tA\tG\t.\tPASS\tCSQ=G|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|NM_016302.4|"
    "protein_coding|11/11||NM_016302.4:c.1171T>C|NP_057386.2:p.Cys391Arg|391\tGT:AD:AF:DP\t0/0:60,0:0.0:60\t"
    "0/1:120,80:0.4:200\n"
)
# NM_016302.4 c.848G>A p.Arg283His: missense in the Lon region (class D), present at baseline too.
R283H = (
    "chr3\t3154062\t.\tC\tT\t.\tPASS\tCSQ=T|missense_variant|MODERATE|CRBN|ENSG00000113851|Transcript|NM_016302.4|"
    "protein_coding|8/11||NM_016302.4:c.848G>A|NP_057386.2:p.Arg283His|283\tGT:AD:AF:DP\t0/0:60,0:0.0:60\t"
    "0/1:160,40:0.2:200\n"
)
DRUGS = ("thalidomide", "lenalidomide", "pomalidomide", "iberdomide", "mezigdomide")
LAB = "Northbridge Molecular Haematology Laboratory"
SIGNER = "Dr Imogen Signwell"
MRN = "MRN-4455667"


def ingested(sample: Sample, name: str, content: str, by) -> None:
    """Upload, confirm and parse a file as the ingest worker would."""
    upload = SimpleUploadedFile(name, content.encode())
    variant_file, _ = ingest.variant_file_upload(sample=sample, upload=upload, by=by)
    run = ingest.variant_file_confirm(variant_file=variant_file, by=by, enqueue=False)
    ingest.parse_run_execute(run_id=run.pk, task_id="t")


def assessed_relapse(world, *, accession: str = "R-2024-001"):
    """A Len-refractory patient's first-relapse sample (C391R, R283H) and baseline (R283H), assessed."""
    lab = world.users["lab_scientist_a"]
    patient = PatientFactory(institution=world.inst_a, study_id="NBH-0042", mrn=MRN)
    TreatmentLineFactory(
        patient=patient,
        regimen="Rd",
        start_date=date(2019, 4, 1),
        end_date=date(2022, 6, 30),
        progression_date=date(2022, 7, 1),
        best_response="VGPR",
        drugs=["lenalidomide", "dexamethasone"],
    )
    baseline = SampleFactory(
        patient=patient, accession="B-2019-001", timepoint=Sample.Timepoint.BASELINE, collection_date=date(2019, 3, 15)
    )
    baseline.receipt_date = date(2019, 3, 16)
    baseline.save()
    ingested(baseline, "baseline.vcf", VCF_HEADER + R283H, lab)
    sample = SampleFactory(patient=patient, accession=accession, genome_build="GRCh38")
    ingested(sample, "relapse.mutect2.vcf", VCF_HEADER + C391R + R283H, lab)
    return sample, assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)


def meta(**overrides) -> ReportMeta:
    values = {
        "version": 1,
        "status": "Signed",
        "report_uuid": str(uuid.uuid4()),
        "created_at": datetime(2022, 8, 1, 9, 0, tzinfo=UTC),
        "signers": ((SIGNER, "Signed", datetime(2022, 8, 1, 10, 0, tzinfo=UTC)),),
        "amends_version": None,
        "amendment_reason": "",
        "lab_name": LAB,
        "lab_address": "1 Example Road\nNorthbridge NB1 2AB",
    }
    return ReportMeta(**{**values, **overrides})


def page_html(sample, assessment, *, user=None, **overrides) -> str:
    context = document_context(sample=sample, assessment=assessment, meta=meta(**overrides), user=user)
    return render_document_html(context=context, for_pdf=False)


def verdict_rows(html: str) -> dict[str, str]:
    """Drug -> call label, read from the verdict banner."""
    rows = re.findall(r'<th scope="row">(\w+)</th>\s*<td class="verdict-call">([^<]+)</td>', html)
    return {drug.lower(): label for drug, label in rows}


@pytest.fixture
def relapse(world):
    return assessed_relapse(world)


def test_the_banner_states_each_drugs_call_in_words(relapse):
    sample, assessment = relapse

    html = page_html(sample, assessment)

    assert verdict_rows(html) == {drug: CALL_LABELS[assessment.calls[drug]] for drug in DRUGS}
    assert assessment.calls["lenalidomide"] == "resistance_likely"
    assert "Informational" in html


def test_small_variants_are_written_in_hgvs_on_versioned_transcripts(relapse):
    sample, assessment = relapse

    html = page_html(sample, assessment)

    for text in ("NM_016302.4:c.1171T&gt;C", "NP_057386.2:p.(Cys391Arg)", "NP_057386.2:p.(Arg283His)"):
        assert text in html
    assert "Pre-existing (present at baseline)" in html
    # Without a stated baseline depth the engine cannot tell that C391R was absent before.
    assert "Acquired status unknown: baseline coverage unknown or below minimum" in html


def test_it_carries_the_lab_report_elements(relapse):
    sample, assessment = relapse
    files = {item.original_name: item.sha256 for item in sample.variant_files.all()}

    html = page_html(sample, assessment, amends_version=1, amendment_reason="Receipt date corrected.", version=2)

    for text in (
        "NBH-0042",
        "R-2024-001",
        "Bone-marrow aspirate",
        "20 Jul 2022",  # collected
        "21 Jul 2022",  # received
        "CD138+ magnetic selection",
        "80%",
        "Whole-genome sequencing",
        "NM_016302.4 (protein NP_057386.2)",
        "GRCh38",
        files["relapse.mutect2.vcf"],
        "Mutect2 VCF",
        assessment.kb_release,
        f"Engine {assessment.engine_version}",
        LAB,
        "1 Example Road<br>Northbridge NB1 2AB",
        SIGNER,
        "Amends version 1: Receipt date corrected.",
        "Limit of detection",
        "B-2019-001",
    ):
        assert text in html, text


def test_treatment_history_shows_lines_refractoriness_and_the_timeline(relapse):
    sample, assessment = relapse

    html = page_html(sample, assessment)

    assert "Refractory since line 1" in html
    assert 'aria-labelledby="report-timeline-title report-timeline-desc"' in html
    assert "Line 1, Rd: from 2019-04-01 to 2022-06-30; progression 2022-07-01; refractory to" in html
    assert "VGPR" in html


def test_inferred_entries_are_flagged_as_not_established(relapse):
    sample, assessment = relapse

    html = page_html(sample, assessment)

    assert assessment.result["drugs"]["iberdomide"]["inferred"]
    assert "Iberdomide: rests on an unverified fact; not established" in html
    assert "inferred: not established" in html


def test_recommendations_inform_and_never_forbid(relapse):
    sample, assessment = relapse

    context = document_context(sample=sample, assessment=assessment, meta=meta())

    text = " ".join(context["recommendations"])
    assert "The CRBN findings predict resistance to thalidomide, lenalidomide and pomalidomide" in text
    assert "in the treating clinician's judgement" in text
    assert not re.search(r"\b(do not|don't|never) (give|use|prescribe)\b", text, re.IGNORECASE)


def test_the_mrn_shows_only_to_the_patients_institution(relapse, world):
    sample, assessment = relapse

    assert MRN in page_html(sample, assessment, user=world.users["clinician_a"])
    assert MRN not in page_html(sample, assessment, user=world.users["clinician_b"])
    assert MRN not in page_html(sample, assessment, user=None)


def test_an_accession_holding_html_is_escaped(world):
    sample, assessment = assessed_relapse(world, accession="<script>alert(1)</script>")

    html = page_html(sample, assessment)

    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_unsigned_draft_says_so(relapse):
    sample, assessment = relapse

    html = page_html(sample, assessment, status="Draft", signers=())

    assert "Not yet signed: not for clinical decisions until signed." in html


def test_the_print_form_is_a_whole_page_with_the_stylesheet_and_running_elements(relapse):
    sample, assessment = relapse
    context = document_context(sample=sample, assessment=assessment, meta=meta())

    printed = render_document_html(context=context, for_pdf=True)
    preview = render_document_html(context=context, for_pdf=False)

    assert printed.startswith("<!DOCTYPE html>")
    assert "position: running(report-header)" in printed
    assert 'class="running-header"' in printed
    assert 'class="running-header"' not in preview
    assert 'href="/static/css/report.css"' in preview
    body = preview[preview.index("<article") : preview.index("</article>")]
    assert body in printed


def test_without_small_variant_evidence_it_says_so_and_draws_no_lollipop(world):
    sample = SampleFactory(patient=PatientFactory(institution=world.inst_a), genome_build="GRCh38")
    ingested(sample, "relapse.SJ.out.tab", SJ_OUT_TAB.decode(), world.users["lab_scientist_a"])
    assessment = assessment_run(sample=sample, trigger=Trigger.ON_DEMAND)

    html = page_html(sample, assessment)

    assert re.search(r"Small variants in CRBN</h3>\s*<p>Not assessable: not provided.</p>", html)
    assert "Not drawn: no small-variant file was provided for this sample." in html
    assert "lollipop-title" not in html


def test_entries_are_not_restated_from_knowledge_base_files_that_changed_since(relapse):
    sample, assessment = relapse
    assessment.kb_sha256 = "0" * 64

    html = page_html(sample, assessment)

    assert "the knowledge-base files used for this assessment have changed since" in html
    assert "B.lenalidomide" in html
    assert "Gooding et al." not in html


def test_an_unfinished_assessment_cannot_be_reported(relapse):
    sample, assessment = relapse
    assessment.status = JobStatus.RUNNING

    with pytest.raises(ValueError, match="has not finished"):
        document_context(sample=sample, assessment=assessment, meta=meta())
