"""A lab scientist uploads a relapse sample's VCF, junction file and segment file, confirms them, and watches
the parse finish; a real worker parses them."""

import random
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from patients.tests.factories import SampleFactory
from variants.demo import FIRST_RELAPSE, GRCH38, WGS, DemoSample, Evidence, Findings, sample_files

pytestmark = pytest.mark.services
WANTED = (".vcf.gz", ".SJ.out.tab", ".call.cns")  # Mutect2 calls, STAR junctions, CNVkit segments


def lab_files(folder: Path, accession: str) -> list[Path]:
    """The lab's files for a class B variant with one CRBN copy left, in the demo's real dialects."""
    sample = DemoSample("NBH", accession, "MM-E2E", FIRST_RELAPSE, WGS, GRCH38, date(2022, 7, 20), 0.8, True)
    findings = Findings(variants=(("C391R", 0.34),), copies=1, minor=0)
    generated = sample_files(random.Random(9), sample, findings, Evidence("mutect2", "cnvkit", rna=True), scenario="")
    paths = []
    for demo_file in generated:
        if demo_file.name.endswith(WANTED):
            paths.append(folder / demo_file.name)
            paths[-1].write_bytes(demo_file.content)
    return paths


def test_a_lab_scientist_uploads_three_files_and_watches_them_parse(world, page, log_in, shot, worker, tmp_path):
    sample = SampleFactory(patient__institution=world.inst_a, genome_build="GRCh38", accession="R1-E2E-001")
    files = lab_files(tmp_path, sample.accession)
    assert len(files) == 3
    log_in(world.users["lab_scientist_a"])
    page.goto(f"/samples/{sample.uuid}/")
    expect(page.get_by_role("heading", name=f"Sample {sample.accession}", level=1)).to_be_visible()
    shot("sample-page")

    page.get_by_label("Variant files").set_input_files(files)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Files waiting for confirmation")).to_be_visible()
    shot("recognised")

    page.get_by_role("button", name="Confirm and parse 3 files").click()
    expect(page.get_by_role("status").filter(has_text="3 files:")).to_have_text("3 files: 3 parsed.", timeout=90_000)
    shot("parsed")

    table = page.get_by_role("table", name="Confirmed files and their latest parse, newest first")
    expect(table.get_by_text("Parsed", exact=True)).to_have_count(3)
    for path in files:
        expect(table.get_by_role("link", name=path.name)).to_be_visible()
