"""`manage.py ingest`: bulk load without a worker, progress on stderr, one line per file, non-zero on failure."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patients.tests.factories import PatientFactory, SampleFactory
from variants import services
from variants.models import ParseRun, SpliceJunction, VariantFile

from .test_sample_page import CNVKIT_CNS, SJ_OUT_TAB


@pytest.fixture
def sample(world):
    return SampleFactory(patient=PatientFactory(institution=world.inst_a), accession="R-77", genome_build="GRCh38")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    contents = {
        "relapse.SJ.out.tab": SJ_OUT_TAB,
        "relapse.cns": CNVKIT_CNS,
        # Recognised from its first 20 rows; line 25 is broken.
        "broken.SJ.out.tab": SJ_OUT_TAB * 6 + b"chr3\t3151046\tlots\t2\t2\t1\t30\t3\t50\n",
        "empty.tab": b"",
    }
    for name, content in contents.items():
        (tmp_path / name).write_bytes(content)
    return {name: tmp_path / name for name in contents}


def ingest(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("ingest", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_loads_files_with_a_progress_bar_and_one_result_line_each(sample, files, world):
    out, err = ingest("R-77", str(files["relapse.SJ.out.tab"]), str(files["relapse.cns"]), "--user", "lab_scientist_a")

    assert "relapse.SJ.out.tab: parsed as STAR SJ.out.tab, 3 rows kept of 4 records, build GRCh38" in out
    assert "relapse.cns: parsed as CNVkit .cns, 2 rows kept of 2 records, build GRCh38" in out
    assert "[##############################] 100% 4 records" in err
    assert SpliceJunction.objects.filter(sample=sample).count() == 3
    assert set(ParseRun.objects.values_list("status", flat=True)) == {ParseRun.Status.SUCCEEDED}
    assert set(VariantFile.objects.values_list("created_by__username", flat=True)) == {"lab_scientist_a"}


def test_a_bad_file_fails_with_its_line_and_a_non_zero_exit_while_the_good_one_loads(sample, files):
    err = StringIO()
    with pytest.raises(CommandError, match=r"1 of 2 files failed: broken\.SJ\.out\.tab"):
        call_command(
            "ingest", "R-77", str(files["broken.SJ.out.tab"]), str(files["relapse.cns"]), stdout=StringIO(), stderr=err
        )

    assert "broken.SJ.out.tab, line 25: intron end 'lots' is not a whole number" in err.getvalue()
    assert not SpliceJunction.objects.exists()
    assert ParseRun.objects.get(file__original_name="relapse.cns").status == ParseRun.Status.SUCCEEDED


def test_an_empty_or_missing_file_is_named_and_nothing_is_stored(sample, files, tmp_path):
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 2 files failed"):
        call_command("ingest", "R-77", str(files["empty.tab"]), str(tmp_path / "nope.tab"), stderr=err)

    assert "empty.tab: the file is empty; nothing was stored." in err.getvalue()
    assert "nope.tab: cannot read the file (No such file or directory)" in err.getvalue()
    assert not VariantFile.objects.exists()


def test_an_unrecognised_file_says_which_formats_are_accepted(sample, tmp_path):
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear colleague,\nplease find the results attached.\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", "R-77", str(letter), stderr=err)

    assert "letter.txt: the format is not recognised; expected one of: VCF" in err.getvalue()
    # Its bytes are kept with the reason; nothing was parsed.
    run = ParseRun.objects.get()
    assert run.status == ParseRun.Status.FAILED and run.error.startswith("letter.txt: the format is not recognised")


def test_a_reloaded_file_is_recognised_and_not_parsed_again(sample, files):
    ingest("R-77", str(files["relapse.SJ.out.tab"]))

    out, _ = ingest("R-77", str(files["relapse.SJ.out.tab"]))

    assert "relapse.SJ.out.tab: already uploaded on" in out
    assert ParseRun.objects.count() == 1


def test_the_queued_task_delivered_later_is_a_no_op(sample, files):
    ingest("R-77", str(files["relapse.SJ.out.tab"]))
    run = ParseRun.objects.get()

    services.parse_run_execute(run_id=run.pk, task_id="celery-delivery-after-the-command")

    after = ParseRun.objects.get()
    assert (after.status, after.task_id, after.finished_at) == (run.status, run.task_id, run.finished_at)
    assert run.task_id.startswith("ingest-command-")


def test_an_accession_at_two_institutions_needs_the_institution_code(sample, world, files):
    SampleFactory(patient=PatientFactory(institution=world.inst_b), accession="R-77")

    with pytest.raises(CommandError, match=r"exists at several institutions \(LCC, NBH\): give --institution"):
        ingest("R-77", str(files["relapse.cns"]))

    out, _ = ingest("R-77", str(files["relapse.cns"]), "--institution", "nbh")
    assert "relapse.cns: parsed" in out
    assert VariantFile.objects.get().sample == sample


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["NO-SUCH"], "No sample with accession 'NO-SUCH'"),
        (["R-77", "--user", "nobody"], "No user 'nobody'"),
        (["R-77", "--user", "clinician_a"], "clinician_a is not a lab scientist or admin at NBH"),
    ],
)
def test_unknown_samples_users_and_wrong_roles_are_refused(sample, files, args, message):
    accession, *options = args
    with pytest.raises(CommandError, match=message):
        ingest(accession, str(files["relapse.cns"]), *options)
    assert not VariantFile.objects.exists()


def test_a_chosen_kind_that_does_not_fit_fails_clearly(sample, files):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("ingest", "R-77", str(files["relapse.cns"]), "--kind", "junctions", stderr=err)

    assert "relapse.cns: declared as junctions, but it looks like CNVkit .cns" in err.getvalue()
