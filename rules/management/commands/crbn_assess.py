"""`manage.py crbn_assess FILE... [--build] [--sample] [--history] [--purity] [--baseline FILE...] [--json]`.

Offline assessment of a relapse sample's lab files (DESIGN.md, "Stable interfaces"): formats are sniffed as in
ingest, the files parsed, adapted to engine facts (rules/adapters.py) and assessed against the knowledge base
bundled in rules/kb. Nothing reads or writes the database, so it runs where only the files are.

Exit status 0 with one JSON document (``--json``) or a summary for lab staff; 2 with a one-line reason on stderr
for input the user can correct. Builds: a file that states its build must agree with --build and with every
other file; a file that states none takes --build, else the other files' build. --sample names the tumour
column of every sample file; baseline files take --build or the sample's build only where they state none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from rules.adapters import AdaptedSample, adapt_parse_results, treatment_lines_from_history
from rules.engine import Assessment, AssessmentInput, TreatmentLineFact, assess, load_kb
from variants.crbn import BUILDS
from variants.parsers import registry
from variants.parsers.facts import ParseError, ParseOptions, ParseResult
from variants.parsers.reader import LineSource

EXIT_BAD_INPUT = 2
KB_SOURCE = "bundled rules/kb files: offline, no database release is consulted"
NO_BUILD = "cannot tell the genome build: no file states it; pass --build GRCh37 or GRCh38"


class BadInput(Exception):
    """Input the user can correct: one line on stderr and exit status 2 from the command line; raised as is
    through call_command."""


@dataclass(frozen=True)
class InputFile:
    """One parsed file with what identifies it; ``build_note`` says where its build came from."""

    name: str
    sha256: str
    result: ParseResult
    build: str = ""  # the build that applies: the file's own, or the one settled for files that state none
    build_note: str = ""

    def provenance(self) -> dict[str, object]:
        result = self.result
        return {
            "name": self.name,
            "sha256": self.sha256,
            "kind": result.kind,
            "dialect": result.dialect,
            "build": self.build,
            "build_evidence": self.build_note,
            "tumour_sample": result.tumour_sample,
            "tumour_sample_reason": result.tumour_sample_reason,
            "records_read": result.records_read,
            "records_kept": result.records_kept,
            "warnings": list(result.warnings),
        }


class Command(BaseCommand):
    help = (
        "Assess CRBN alterations in a relapse sample's files offline (VCF, MAF, copy-number segments, SV VCF, "
        "splice junctions, expression, fusions) and print the verdict per drug."
    )
    # Offline by design: no system checks, which may reach for the database.
    requires_system_checks: list[str] = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = _usage_error  # one line and exit status 2, never argparse's usage block
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="The relapse sample's files.")
        parser.add_argument("--build", choices=BUILDS, help="Genome build of files that do not state one.")
        parser.add_argument("--sample", help="Tumour sample (column) to read in multi-sample files.")
        parser.add_argument("--history", type=Path, metavar="HISTORY.json", help="Treatment lines (DESIGN.md).")
        parser.add_argument("--purity", type=_purity, help="Plasma-cell purity of the sample, above 0 and up to 1.")
        parser.add_argument("--baseline", nargs="+", type=Path, default=[], metavar="FILE", help="Baseline files.")
        parser.add_argument("--json", action="store_true", help="Print one JSON document instead of a summary.")

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except BadInput as error:
            sys.stderr.write(f"crbn_assess: {one_line(str(error))}\n")
            sys.exit(EXIT_BAD_INPUT)

    def handle(self, *args: Any, **options: Any) -> None:
        files, build = read_group(options["files"], build=options["build"], sample=options["sample"])
        baseline, baseline_build = read_baseline(options["baseline"], build)
        refuse_duplicates([*files, *baseline])
        history, lines = read_history(options["history"])
        sample = adapt(files, build, options["purity"], options["sample"] or _tumour_name(files))
        before = adapt(baseline, baseline_build, None, "baseline") if baseline else None
        data = AssessmentInput(sample.facts, before.facts if before else None, lines)
        assessment = assess(data, load_kb())
        document = build_document(assessment, files, baseline, history, _warnings(sample, before))
        self.stdout.write(json.dumps(document, indent=2) if options["json"] else render_text(document))


def _usage_error(message: str) -> NoReturn:
    raise BadInput(f"{message} (see manage.py crbn_assess --help)")


def _purity(text: str) -> float:
    """A fraction in (0, 1]: a purity of 0 means no tumour cells, and the engine refuses it."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 < value <= 1.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"expected the plasma-cell fraction, above 0 and at most 1, got {text!r}")
    return value


def one_line(text: str) -> str:
    return " ".join(text.split())


# ---- reading the files ----------------------------------------------------------------------------------------


def read_group(
    paths: Sequence[Path], *, build: str | None, sample: str | None, fallback: str | None = None
) -> tuple[list[InputFile], str]:
    """Parse every file and settle one build. With --build every file is parsed with it at once; without, the
    files that state a build decide it (else ``fallback``), and the others are parsed again with it: a VCF that
    states none cannot be read without one, and a segment file keeps both builds' loci until it knows."""
    attempts = [_attempt(path, build, sample, tolerate=build is None) for path in paths]
    stated = agreed_build([item for item in attempts if isinstance(item, InputFile)], build)
    settled = stated or fallback
    if settled is None:
        raise next((item for item in attempts if isinstance(item, BadInput)), BadInput(NO_BUILD))
    source = "--build" if build else "the other files" if stated else "the sample's files"
    files = [_settle(item, path, sample, settled, source) for item, path in zip(attempts, paths, strict=True)]
    agreed_build(files, build)
    return files, settled


def read_baseline(paths: Sequence[Path], build: str) -> tuple[list[InputFile], str]:
    """Baseline files may be on another build (the engine then does not compare them, and says so); where they
    state none, the sample's build applies. A multi-sample baseline file must declare its tumour column."""
    return read_group(paths, build=None, sample=None, fallback=build) if paths else ([], build)


def _tumour_name(files: Sequence[InputFile]) -> str:
    return next((item.result.tumour_sample for item in files if item.result.tumour_sample), "")


def _attempt(path: Path, build: str | None, sample: str | None, *, tolerate: bool) -> InputFile | BadInput:
    try:
        return parse_file(path, build=build, sample=sample)
    except BadInput as error:
        if not tolerate:
            raise
        return error


def _settle(attempt: InputFile | BadInput, path: Path, sample: str | None, build: str, source: str) -> InputFile:
    """Parse again with the settled build a file that failed without one, or that stated none and was read
    without one; then record the build that applies to it and where that came from."""
    parsed = attempt if isinstance(attempt, InputFile) else None
    if parsed is None or not (parsed.result.build or source == "--build"):
        parsed = parse_file(path, build=build, sample=sample)
    note = parsed.result.build_evidence or f"not stated by the file: {build} from {source}"
    return replace(parsed, build=parsed.result.build or build, build_note=note)


def parse_file(path: Path, *, build: str | None, sample: str | None) -> InputFile:
    """Sniff and parse one file; every way it can fail becomes a BadInput naming the file (and line)."""
    name = path.name
    try:
        source = LineSource(path, name)
        sniffed = registry.sniff(source)
        result = registry.parse(source, sniffed.kind, ParseOptions(tumour_sample=sample, expected_build=build))
        digest = sha256(path)
    except ParseError as error:
        raise BadInput(f"{error}{_hint(error, build, sample)}") from None
    except OSError as error:
        raise BadInput(f"{name}: cannot read the file ({error.strerror or error})") from None
    return InputFile(name, digest, result)


def _hint(error: ParseError, build: str | None, sample: str | None) -> str:
    """Parsers speak of choices "at upload"; here they are command-line options."""
    text = f"{error.problem} {error.expected}".lower()
    if "tumour sample" in text and sample is None:
        return "; pass --sample NAME"
    if "build" in text and build is None:
        return "; pass --build GRCh37 or GRCh38"
    return ""


def agreed_build(files: Sequence[InputFile], option: str | None) -> str | None:
    """The build every file that states one agrees on (and --build, when given); files are never lifted over."""
    stated = [item for item in files if item.result.build]
    for item in stated:
        if option and item.result.build != option:
            raise BadInput(f"{_build_of(item)} but --build is {option}; files are never lifted over")
        if item.result.build != stated[0].result.build:
            raise BadInput(f"{_build_of(stated[0])} but {_build_of(item)}; files are never lifted over")
    return option or (stated[0].result.build if stated else None)


def _build_of(item: InputFile) -> str:
    return f"{item.name} is {item.result.build} ({item.result.build_evidence})"


def refuse_duplicates(files: Sequence[InputFile]) -> None:
    """The same bytes given twice would count their junction reads twice."""
    seen: dict[str, str] = {}
    for item in files:
        if item.sha256 in seen:
            raise BadInput(f"{seen[item.sha256]} and {item.name} have identical contents; give each file once")
        seen[item.sha256] = item.name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_history(path: Path | None) -> tuple[dict[str, str] | None, tuple[TreatmentLineFact, ...]]:
    """(provenance, treatment lines) of HISTORY.json; a file that is not valid history is a BadInput."""
    if path is None:
        return None, ()
    try:
        raw = path.read_bytes()
        lines = treatment_lines_from_history(json.loads(raw.decode("utf-8")))
    except OSError as error:
        raise BadInput(f"{path.name}: cannot read the history ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise BadInput(f"{path.name}: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})") from None
    except ValueError as error:  # not UTF-8, or not the history format
        raise BadInput(f"{path.name}: {error}") from None
    return {"name": path.name, "sha256": hashlib.sha256(raw).hexdigest()}, tuple(lines)


def adapt(files: Sequence[InputFile], build: str, purity: float | None, name: str) -> AdaptedSample:
    """Engine facts of one sample; a fact the engine refuses (e.g. a VAF above 1) is the files' fault."""
    try:
        return adapt_parse_results([item.result for item in files], build=build, purity=purity, assay=None, name=name)
    except ValueError as error:
        raise BadInput(f"cannot assess {name or 'the sample'}: {error}") from None


def _warnings(sample: AdaptedSample, baseline: AdaptedSample | None) -> list[str]:
    return [*sample.warnings, *(f"baseline: {text}" for text in (baseline.warnings if baseline else ()))]


# ---- output ---------------------------------------------------------------------------------------------------


def build_document(
    assessment: Assessment,
    files: Sequence[InputFile],
    baseline: Sequence[InputFile],
    history: dict[str, str] | None,
    warnings: list[str],
) -> dict[str, object]:
    """The engine's stable keys (Assessment.to_dict) plus where the knowledge base and every input came from.
    Nothing here reads a clock or a path, so the same input gives the same bytes."""
    document = assessment.to_dict()
    document["kb_source"] = KB_SOURCE
    document["inputs"] = {
        "files": [item.provenance() for item in files],
        "baseline_files": [item.provenance() for item in baseline],
        "history": history,
    }
    document["warnings"] = warnings
    return document


def render_text(document: dict[str, Any]) -> str:
    """A summary for lab staff: verdicts first, then what they rest on and what could not be assessed."""
    sections = (
        _heading(document),
        _verdicts(document["drugs"]),
        _alterations(document),
        _context(document["context"]),
        _not_assessed(document["qc"]),
        _files(document["inputs"]),
        _bullets("Warnings", document["warnings"]),
    )
    return "\n\n".join(section for section in sections if section) + f"\n\n{document['disclaimer']}"


def _heading(document: dict[str, Any]) -> str:
    qc = document["qc"]
    lines = [
        f"CRBN assessment: sample {document['sample'] or '(unnamed)'}, build {document['build']}",
        f"Knowledge base {document['kb_release']} ({document['kb_source']}); engine {document['engine_version']}",
        f"QC: {qc['status'].upper()}",
    ]
    return "\n".join(lines + [f"  - {reason}" for reason in qc["reasons"]])


def _verdicts(drugs: dict[str, dict[str, Any]]) -> str:
    rows = [("drug", "call", "actionable", "level", "basis")]
    rows += [
        (drug, item["call"], "yes" if item["actionable"] else "no", item["level"] or "-", item["basis"] or "-")
        for drug, item in drugs.items()
    ]
    return "Verdict per drug\n" + _table(rows)


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def _alterations(document: dict[str, Any]) -> str:
    """Classified alterations, then protein-altering variants of unknown significance; the rest is counted only
    (an unannotated or intronic germline SNP per line would bury the findings)."""
    lines = [_alteration(item) for item in document["alterations"]]
    unclassified = document["unclassified"]
    lines += [
        f"  VUS: CRBN {item['description']}: {item['reason']}" for item in unclassified if item["protein_altering"]
    ]
    quiet = sum(1 for item in unclassified if not item["protein_altering"])
    lines += (
        [f"  {quiet} other CRBN variant(s) without a protein-altering consequence (listed with --json)"]
        if quiet
        else []
    )
    lines += [f"  recorded, not weighed: {gene}" for gene in document["other_genes"]]
    return "Alterations (class A-I)\n" + ("\n".join(lines) if lines else "  none found")


def _alteration(item: dict[str, Any]) -> str:
    acquired = {True: "acquired", False: "not acquired", None: "acquired: unknown"}[item["acquired"]]
    flags = "".join(f"; {flag}" for flag in item["flags"])
    return f"  {item['class']}  {item['kind']}: {item['description']} ({acquired}{flags})"


def _context(context: dict[str, Any]) -> str:
    lines = [_drug_context(item) for item in context["drugs"] if item["exposed"]]
    lines += [f"  note: {note}" for note in context["notes"]]
    return "Treatment context\n" + "\n".join(lines)


def _drug_context(item: dict[str, Any]) -> str:
    given = ", ".join(str(line) for line in item["lines"])
    state = f"refractory from line {item['refractory_line']}" if item["refractory"] else "exposed, not refractory"
    return f"  {item['drug']}: {state} (received in line {given})"


def _not_assessed(qc: dict[str, Any]) -> str:
    return _bullets(
        "Not assessable (not provided, or not adequate)",
        [f"{item['kind']}: {item['reason']}" for item in qc["evidence"] if not item["adequate"]],
    )


def _files(inputs: dict[str, Any]) -> str:
    lines = []
    for role, key in (("sample", "files"), ("baseline", "baseline_files")):
        for item in inputs[key]:
            tumour = (
                f", tumour {item['tumour_sample']} ({item['tumour_sample_reason']})" if item["tumour_sample"] else ""
            )
            lines.append(
                f"  {role}: {item['name']}: {item['dialect']}, {item['build']} ({item['build_evidence']}){tumour}, "
                f"{item['records_kept']:,} of {item['records_read']:,} records kept, sha256 {item['sha256'][:12]}"
            )
            lines += [f"    warning: {text}" for text in item["warnings"]]
    return "Files\n" + "\n".join(lines)


def _bullets(title: str, items: Sequence[str]) -> str:
    return f"{title}\n" + "\n".join(f"  - {item}" for item in items) if items else ""
