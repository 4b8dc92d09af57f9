"""seed_demo's lab files: uploaded, confirmed and parsed as a lab's are, every alteration class present, one
broken file per site with its error on the sample page, the same bytes for the same seed, and --force."""

import hashlib
import io
from collections import defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape

from patients.models import Sample
from variants import demo, demo_background, receivers
from variants.models import (
    CopyNumberSegment,
    Expression,
    FileKind,
    ParseRun,
    SmallVariant,
    SpliceJunction,
    StructuralVariant,
    VariantFile,
)
from variants.parsers.junctions import exon10_counts, skip_fraction
from variants.signals import ingest_finished

pytestmark = pytest.mark.django_db

DNA_AND_RNA = {FileKind.SMALL_VARIANTS, FileKind.COPY_NUMBER, FileKind.STRUCTURAL_VARIANTS, FileKind.JUNCTIONS}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def files_only(monkeypatch) -> None:
    """Only the variants app's files are under test. Each successful parse also tells the rules app, which
    queues an assessment: a row that protects its sample, which the rules app clears itself on --force."""
    monkeypatch.setattr(ingest_finished, "receivers", [])


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--patients-per-institution", "30", *args, stdout=out)
    return out.getvalue()


def latest_runs() -> dict[VariantFile, ParseRun]:
    files = VariantFile.objects.select_related("sample__institution", "sample__patient", "created_by")
    return {item: item.latest_run for item in files}


def succeeded_files() -> set[int]:
    return {item.pk for item, run in latest_runs().items() if run.status == ParseRun.Status.SUCCEEDED}


def skip_fractions() -> dict[int, tuple[float | None, int]]:
    """Source file -> (exon-10 skip fraction, skip + mean inclusion reads)."""
    by_file = defaultdict(list)
    for junction in SpliceJunction.objects.select_related("sample"):
        by_file[junction.source_file_id].append(junction)
    found = {}
    for file_id, junctions in by_file.items():
        counts = exon10_counts(junctions, junctions[0].sample.genome_build)
        depth = counts.skip_reads + (counts.inclusion_downstream_reads + counts.inclusion_upstream_reads) / 2
        found[file_id] = (skip_fraction(counts), depth)
    return found


def test_demo_files_are_uploaded_and_parsed_by_each_sites_lab_scientist():
    output = seed()
    runs = latest_runs()
    assert 140 <= len(runs) <= 180  # 158 for the default seed: the stories' files, then routine testing
    for item, run in runs.items():
        code = item.sample.institution.code
        assert item.created_by.username == f"lab.{code.lower()}"
        assert item.confirmed and run.created_by == item.created_by
        if run.status == ParseRun.Status.SUCCEEDED:
            assert run.task_id.startswith("demo-")
            assert run.build == item.sample.genome_build
    assert {item.sample.institution.code for item in runs} == {"NBH", "LCC"}
    assert "Demo lab files:" in output and "(2 failed as intended" in output


def test_one_file_per_site_fails_and_its_error_names_the_file_and_line(client):
    seed()
    failed = {item: run for item, run in latest_runs().items() if run.status != ParseRun.Status.SUCCEEDED}
    assert sorted(item.sample.institution.code for item in failed) == ["LCC", "NBH"]
    for item, run in failed.items():
        assert run.status == ParseRun.Status.FAILED
        assert run.error_line and run.error.startswith(f"{item.original_name}, line {run.error_line}: ")
        client.force_login(item.created_by)
        page = client.get(reverse("variants:sample", args=[item.sample.uuid]))
        assert escape(run.error) in page.content.decode()
    errors = {item.sample.institution.code: run.error for item, run in failed.items()}
    assert "the compressed data is truncated or corrupt" in errors["NBH"]
    assert "the record has 10 columns; expected 11" in errors["LCC"]
    # NBH's lab sent the whole file again; it parsed.
    [truncated] = [item for item in failed if item.sample.institution.code == "NBH"]
    resent = VariantFile.objects.filter(sample=truncated.sample, original_name=truncated.original_name)
    assert {item.latest_run.status for item in resent} == {ParseRun.Status.FAILED, ParseRun.Status.SUCCEEDED}


def test_every_alteration_class_has_its_source_file():
    seed()
    parsed = succeeded_files()
    crbn = SmallVariant.objects.filter(gene="CRBN", source_file__in=parsed, transcript="NM_016302.4")
    assert crbn.filter(hgvs_p="p.Arg419Ter", consequence="stop_gained", exon=11).exists()  # A
    assert crbn.filter(hgvs_p="p.Cys391Arg", hgvs_c="c.1171T>C", protein_position=391).exists()  # B
    assert crbn.filter(hgvs_p="p.Val388Ile", protein_position=388).exists()  # C
    assert crbn.filter(hgvs_p="p.Arg283His", protein_position=283, exon=8).exists()  # D
    segments = CopyNumberSegment.objects.filter(gene="CRBN", source_file__in=parsed)
    assert segments.filter(copy_number=0).exists()  # E
    assert segments.filter(copy_number=1).exists()  # F (and E with a class A/B variant beside it)
    assert any(fraction >= 0.4 and depth >= 30 for fraction, depth in skip_fractions().values())  # G
    assert StructuralVariant.objects.filter(gene="CRBN", chrom="3", source_file__in=parsed).exists()  # H
    assert Expression.objects.filter(gene="CRBN", unit="TPM", value__lt=1, source_file__in=parsed).exists()  # I


def test_a_variant_present_at_baseline_and_one_acquired_at_relapse_can_be_told_apart():
    seed()
    variants = SmallVariant.objects.filter(gene="CRBN").select_related("sample")
    keys = defaultdict(lambda: defaultdict(set))  # patient -> timepoint -> {(pos, ref, alt)}
    for variant in variants:
        keys[variant.sample.patient_id][variant.sample.timepoint].add((variant.pos, variant.ref, variant.alt))
    stories = [
        found
        for found in keys.values()
        if "baseline" in found
        and found["baseline"] & found["first_relapse"]
        and found["first_relapse"] - found["baseline"]
    ]
    assert stories


def test_no_alteration_detected_is_reachable_with_every_evidence_kind_and_nothing_found():
    seed()
    fractions = skip_fractions()
    parsed = defaultdict(list)
    for item, run in latest_runs().items():
        if run.status == ParseRun.Status.SUCCEEDED:
            parsed[item.sample_id].append(item)

    def nothing_found(sample: int) -> bool:
        junction_files = [fractions[item.pk] for item in parsed[sample] if item.pk in fractions]
        copies = CopyNumberSegment.objects.filter(sample=sample, gene="CRBN").values_list("copy_number", flat=True)
        return (
            not SmallVariant.objects.filter(sample=sample, gene="CRBN").exists()
            and not StructuralVariant.objects.filter(sample=sample, gene="CRBN").exists()
            and set(copies) == {2.0}
            and all(fraction < 0.4 and depth >= 30 for fraction, depth in junction_files)
        )

    every_kind = [sample for sample, items in parsed.items() if {item.kind for item in items} >= DNA_AND_RNA]
    assert len([sample for sample in every_kind if nothing_found(sample)]) >= 2


def test_the_same_seed_gives_the_same_bytes_and_force_replaces_them(django_capture_on_commit_callbacks):
    seed("--seed", "7")
    first = {(item.sample.accession, item.original_name, item.sha256) for item in VariantFile.objects.all()}
    old_paths = [Path(item.stored.path) for item in VariantFile.objects.all()]
    with django_capture_on_commit_callbacks(execute=True):
        seed("--seed", "7", "--force")
    again = VariantFile.objects.all()
    assert {(item.sample.accession, item.original_name, item.sha256) for item in again} == first
    assert not any(path.exists() for path in old_paths)  # the replaced files' bytes went with them
    for item in again:
        assert hashlib.sha256(Path(item.stored.path).read_bytes()).hexdigest() == item.sha256  # kept verbatim
    with django_capture_on_commit_callbacks(execute=True):
        seed("--seed", "8", "--force")
    assert {item.sha256 for item in VariantFile.objects.all()} != {sha for _, _, sha in first}


def test_a_demo_file_that_does_not_parse_as_planned_stops_the_seed_and_leaves_no_bytes(monkeypatch, media_root):
    plan_all_files = demo_background.plan_all_files

    def one_good_file_marked_broken(samples, seed):
        planned = plan_all_files(samples, seed)
        return [replace(planned[0], broken=True), *planned[1:]]

    monkeypatch.setattr(receivers.demo_background, "plan_all_files", one_good_file_marked_broken)
    with pytest.raises(receivers.DemoFileError, match="demo file"):
        seed()
    assert not VariantFile.objects.exists()
    assert not [path for path in media_root.rglob("*") if path.is_file()]


def routine_sample(
    number: int, timepoint: str, assay: str, refractory: frozenset[str] = frozenset()
) -> demo.DemoSample:
    return demo.DemoSample(
        "NBH", f"NBH-S-{number:05d}", f"P{number}", timepoint, assay, demo.GRCH38, date(2024, 1, 1), 0.8, True,
        refractory=refractory,
    )  # fmt: skip


def test_routine_testing_places_the_published_shares_per_cohort():
    pom = frozenset({"lenalidomide", "pomalidomide"})
    relapses = [routine_sample(number, demo.LATER_RELAPSE, demo.WGS, pom) for number in range(20)]
    baselines = [routine_sample(number, demo.BASELINE, demo.PANEL) for number in range(20, 60)]
    placed = demo_background.place_alterations([*relapses, *baselines], seed=3)
    # Pom-refractory: 9%, 24% and 29% of 20, rounded up; newly diagnosed: 0.9% of 40, and no copy loss or skipping.
    counts = {
        kind: sum(kind in kinds for kinds in placed.values()) for kind in demo_background.PUBLISHED_SHARES["ndmm"]
    }
    assert counts == {"point_mutation": 2 + 1, "copy_loss_or_sv": 5, "exon10_skipping": 6}
    assert sum(bool(placed[sample]) for sample in baselines) == 1
    assert placed == demo_background.place_alterations([*relapses, *baselines], seed=3)


def test_routine_evidence_follows_the_assay_and_the_timepoint():
    evidence = demo_background.evidence_for
    assert evidence(routine_sample(1, demo.BASELINE, demo.PCR)) is None
    assert evidence(routine_sample(2, demo.BASELINE, demo.PANEL)) == demo.Evidence("mutect2", "cnvkit", salmon=False)
    assert evidence(routine_sample(3, demo.FIRST_RELAPSE, demo.WES)).rna
    assert evidence(routine_sample(4, demo.FIRST_RELAPSE, demo.RNA_SEQ)) == demo.Evidence(rna=True, salmon=False)


def test_routine_testing_covers_most_samples_of_a_file_based_assay():
    seed()
    tested = set(VariantFile.objects.values_list("sample_id", flat=True))
    samples = Sample.objects.exclude(assay=Sample.Assay.PCR)
    assert len(tested) / samples.count() >= 0.8
    relapse_skips = [
        fraction
        for junction_file, (fraction, _) in skip_fractions().items()
        if VariantFile.objects.get(pk=junction_file).sample.timepoint != Sample.Timepoint.BASELINE
    ]
    assert len(relapse_skips) >= 20 and sum(fraction >= 0.4 for fraction in relapse_skips) >= 3
