"""How fast the ingest's VCF parse path reads a whole-genome somatic VCF, against pysam and the cost of reading.

    .venv/bin/python bench/ingest.py [--sizes 1000000,5000000] [--keep DIR] [--seed N]

Generates Mutect2-like bgzipped VCFs (tumour and normal columns, a full GRCh38 ##contig header, records sorted by
contig order, about 40 of them in CRBN), indexes a copy with tabix, and measures each case in its own child
process so that peak memory (ru_maxrss) belongs to that case alone. Not a test: the suite never runs it.

The targets are stated on the parse (the ingest's parser, what a worker runs on the file). With --service (and
PostgreSQL at 127.0.0.1), the whole parse task of the ingest service is timed as well, in a scratch database:
the run claimed, the file parsed, its rows written in one transaction, the run finished; the file's upload (a
copy and a sha256 of its bytes, before any parse) is not counted. Those rows are shown beside the targets.
"""

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project's pure parsers, without Django

import pysam  # noqa: E402

from bench.report import Scratch, close_scratch, manage, open_scratch  # noqa: E402
from variants import crbn  # noqa: E402

# GRCh38 primary assembly, as in Homo_sapiens_assembly38.dict.
PRIMARY = [
    ("chr1", 248_956_422), ("chr2", 242_193_529), ("chr3", 198_295_559), ("chr4", 190_214_555),
    ("chr5", 181_538_259), ("chr6", 170_805_979), ("chr7", 159_345_973), ("chr8", 145_138_636),
    ("chr9", 138_394_717), ("chr10", 133_797_422), ("chr11", 135_086_622), ("chr12", 133_275_309),
    ("chr13", 114_364_328), ("chr14", 107_043_718), ("chr15", 101_991_189), ("chr16", 90_338_345),
    ("chr17", 83_257_441), ("chr18", 80_373_285), ("chr19", 58_617_616), ("chr20", 64_444_167),
    ("chr21", 46_709_983), ("chr22", 50_818_468), ("chrX", 156_040_895), ("chrY", 57_227_415), ("chrM", 16_569),
]  # fmt: skip
# The rest of the 3,366 sequences of the full analysis set, by kind; names follow the real patterns.
EXTRA_CONTIGS = (("random", 42), ("chrUn", 127), ("chrEBV", 1), ("alt", 261), ("decoy", 2_385), ("HLA", 525))
CRBN = crbn.PATHWAY_GENES["CRBN"][crbn.GRCH38]
CRBN_RECORDS = 40
TEMPLATES = 4_096  # distinct record tails; records cycle through them, so generation is string joins only
CHUNK_RECORDS = 100_000
TUMOUR, NORMAL = "RELAPSE_BM", "GERMLINE_PB"
# Most whole-genome Mutect2 calls are filtered; weak_evidence is the commonest reason.
FILTER_CHOICES = ["PASS"] * 3 + ["weak_evidence"] * 4 + ["germline;normal_artifact", "panel_of_normals"]
FILTER_CHOICES += ["strand_bias;weak_evidence", "clustered_events;haplotype", "map_qual", "slippage"]


# Generation --------------------------------------------------------------------------------------------------


def contig_header() -> list[tuple[str, int]]:
    contigs = list(PRIMARY)
    rng = random.Random(0)  # lengths of the small sequences do not matter, only that they are stable
    for kind, count in EXTRA_CONTIGS:
        for i in range(1, count + 1):
            contigs.append((_extra_name(kind, i), rng.randrange(1_000, 400_000)))
    return contigs


def _extra_name(kind: str, i: int) -> str:
    chrom = f"chr{1 + i % 22}"
    return {
        "random": f"{chrom}_KI{270_300 + i}v1_random",
        "chrUn": f"chrUn_KI{270_400 + i}v1",
        "chrEBV": "chrEBV",
        "alt": f"{chrom}_KI{270_700 + i}v1_alt",
        "decoy": f"chrUn_JTFH0{1_000_000 + i}v1_decoy",
        "HLA": f"HLA-A*{i // 100 + 1:02d}:{i % 100 + 1:02d}:01:01",
    }[kind]


def header_lines() -> list[str]:
    filters = ["PASS", "base_qual", "clustered_events", "contamination", "duplicate", "fragment", "germline",
               "haplotype", "low_allele_frac", "map_qual", "multiallelic", "n_ratio", "normal_artifact",
               "orientation", "panel_of_normals", "position", "slippage", "strand_bias", "weak_evidence"]  # fmt: skip
    lines = ["##fileformat=VCFv4.2"]
    lines += [f'##FILTER=<ID={name},Description="{name.replace("_", " ")}">' for name in filters]
    lines += [f'##FORMAT=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in FORMATS]
    lines.append('##GATKCommandLine=<ID=Mutect2,CommandLine="Mutect2 --tumor-sample RELAPSE_BM --normal-sample '
                 'GERMLINE_PB --reference Homo_sapiens_assembly38.fasta",Version="4.2.6.1">')  # fmt: skip
    lines += [f'##INFO=<ID={i},Number={n},Type={t},Description="{d}">' for i, n, t, d in INFOS]
    lines.append("##MutectVersion=2.2")
    lines += [f"##contig=<ID={name},length={length}>" for name, length in contig_header()]
    lines += ["##filtering_status=Warning: unfiltered Mutect 2 calls.", f"##normal_sample={NORMAL}"]
    lines += ["##reference=file:///ref/Homo_sapiens_assembly38.fasta", "##source=FilterMutectCalls"]
    lines += ["##source=Mutect2", f"##tumor_sample={TUMOUR}"]
    columns = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", NORMAL, TUMOUR]
    return [*lines, "\t".join(columns)]


FORMATS = [
    ("AD", "R", "Integer", "Allelic depths for the ref and alt alleles in the order listed"),
    ("AF", "A", "Float", "Allele fractions of alternate alleles in the tumor"),
    ("DP", "1", "Integer", "Approximate read depth (reads with MQ=255 or with bad mates are filtered)"),
    ("F1R2", "R", "Integer", "Count of reads in F1R2 pair orientation supporting each allele"),
    ("F2R1", "R", "Integer", "Count of reads in F2R1 pair orientation supporting each allele"),
    ("FAD", "R", "Integer", "Count of fragments supporting each allele."),
    ("GT", "1", "String", "Genotype"),
    ("SB", "4", "Integer", "Per-sample component statistics which comprise the Fisher's Exact Test"),
]
INFOS = [
    ("AS_FilterStatus", "A", "String", "Filter status for each allele, as assessed by ApplyFilters"),
    ("AS_SB_TABLE", "1", "String", "Allele-specific forward/reverse read counts for strand bias tests"),
    ("DP", "1", "Integer", "Approximate read depth; some reads may have been filtered"),
    ("ECNT", "1", "Integer", "Number of events in this haplotype"),
    ("GERMQ", "1", "Integer", "Phred-scaled quality that alt alleles are not germline variants"),
    ("MBQ", "R", "Integer", "median base quality by allele"),
    ("MFRL", "R", "Integer", "median fragment length by allele"),
    ("MMQ", "R", "Integer", "median mapping quality by allele"),
    ("MPOS", "A", "Integer", "median distance from end of read"),
    ("NALOD", "A", "Float", "Negative log 10 odds of artifact in normal with same allele fraction as tumor"),
    ("NLOD", "A", "Float", "Normal log 10 likelihood ratio of diploid het or hom alt genotypes"),
    ("POPAF", "A", "Float", "negative log 10 population allele frequencies of alt alleles"),
    ("TLOD", "A", "Float", "Log 10 likelihood ratio score of variant existing versus not existing"),
]


def record_tails(rng: random.Random) -> list[str]:
    """Everything after POS and ID for TEMPLATES Mutect2-like records: SNVs, indels, a few multiallelic sites,
    mostly filtered, with tumour and normal read counts that agree with AF and DP."""
    return [_tail(rng) for _ in range(TEMPLATES)]


def _tail(rng: random.Random) -> str:
    ref, alts = _alleles(rng)
    filters = rng.choice(FILTER_CHOICES)
    tumour, t_depth, t_alts = _sample(rng, "0/1", rng.randrange(20, 140), len(alts), somatic=True)
    normal, n_depth, _ = _sample(rng, "0/0", rng.randrange(15, 90), len(alts), somatic=False)
    status = ",".join(["SITE"] * len(alts)) if filters == "PASS" else ",".join([filters.split(";")[0]] * len(alts))
    info = (
        f"AS_FilterStatus={status};AS_SB_TABLE={t_depth // 2},{t_depth - t_depth // 2}|{t_alts // 2},"
        f"{t_alts - t_alts // 2};DP={t_depth + n_depth + rng.randrange(0, 9)};ECNT={rng.randrange(1, 4)};"
        f"GERMQ={rng.randrange(1, 94)};MBQ=30,{rng.randrange(20, 41)};MFRL={rng.randrange(150, 350)},"
        f"{rng.randrange(150, 350)};MMQ=60,{rng.randrange(20, 61)};MPOS={rng.randrange(5, 50)};"
        f"NALOD={rng.uniform(-2, 3):.3g};NLOD={rng.uniform(2, 25):.2f};POPAF={rng.uniform(1, 6):.2f};"
        f"TLOD={rng.uniform(3, 300):.2f}"
    )
    return f"{ref}\t{','.join(alts)}\t.\t{filters}\t{info}\tGT:AD:AF:DP:F1R2:F2R1:FAD:SB\t{normal}\t{tumour}\n"


def _alleles(rng: random.Random) -> tuple[str, list[str]]:
    bases, kind = "ACGT", rng.random()
    ref = rng.choice(bases)
    if kind < 0.08:  # deletion
        return ref + "".join(rng.choices(bases, k=rng.randrange(1, 12))), [ref]
    if kind < 0.15:  # insertion
        return ref, [ref + "".join(rng.choices(bases, k=rng.randrange(1, 12)))]
    others = [base for base in bases if base != ref]
    return ref, rng.sample(others, 2) if kind > 0.99 else [rng.choice(others)]


def _sample(rng: random.Random, genotype: str, depth: int, n_alts: int, somatic: bool) -> tuple[str, int, int]:
    alt_reads = [rng.randrange(2, max(3, depth // 2)) if somatic else rng.randrange(0, 2) for _ in range(n_alts)]
    ref_reads = max(0, depth - sum(alt_reads))
    reads = [ref_reads, *alt_reads]
    ad = ",".join(map(str, reads))
    af = ",".join(f"{(count + 0.5) / (depth + 1):.3g}" for count in alt_reads)
    f1r2 = ",".join(str(count // 2) for count in reads)
    f2r1 = ",".join(str(count - count // 2) for count in reads)
    sb = f"{ref_reads // 2},{ref_reads - ref_reads // 2},{sum(alt_reads) // 2},{sum(alt_reads) - sum(alt_reads) // 2}"
    genotype = genotype if n_alts == 1 or not somatic else "0/1/2"
    return f"{genotype}:{ad}:{af}:{depth}:{f1r2}:{f2r1}:{ad}:{sb}", depth, sum(alt_reads)


def record_counts(total: int) -> list[tuple[str, int, int]]:
    """(contig, length, records): the primary chromosomes by length (chrY at a quarter: many tumours are
    female), a few calls on chrM, and 0.2% on alt and decoy contigs, as Mutect2 gives on the full reference."""
    weights = [(name, length, length / 4 if name == "chrY" else length) for name, length in PRIMARY[:-1]]
    extra = [(name, length) for name, length in contig_header()[len(PRIMARY) :] if "_alt" in name][:20]
    primary_total = total - 20 - len(extra) * (total // 500 // len(extra))
    scale = primary_total / sum(weight for _, _, weight in weights)
    counts = [(name, length, round(weight * scale)) for name, length, weight in weights]
    counts[0] = (counts[0][0], counts[0][1], counts[0][2] + primary_total - sum(n for _, _, n in counts))
    counts.append(("chrM", 16_569, 20))
    return counts + [(name, length, total // 500 // len(extra)) for name, length in extra]


def positions(length: int, count: int, jitter: list[int]) -> Iterator[int]:
    """count sorted positions spread over the contig: an even step with a jitter below the step."""
    step = max(1, length // max(count, 1))
    for i in range(count):
        yield 1 + i * step + jitter[i & 4095] % step


def crbn_positions(pos: Iterator[int], jitter: list[int]) -> Iterator[int]:
    """chr3's positions with the k inside CRBN replaced by max(CRBN_RECORDS, k) evenly spread ones, so every size
    has about 40 CRBN records among its neighbours; as many records after CRBN are dropped as were added, so the
    file has exactly the records record_counts says."""
    inside, extra = 0, -1  # extra: records still to drop after CRBN; -1 until CRBN is passed
    for value in pos:
        if CRBN.start <= value <= CRBN.end:
            inside += 1
            continue
        if value > CRBN.end and extra < 0:
            count = max(CRBN_RECORDS, inside)
            step = (CRBN.end - CRBN.start) // count
            yield from (CRBN.start + i * step + jitter[i] % step for i in range(count))
            extra = count - inside
        if extra > 0:
            extra -= 1
        else:
            yield value


def vcf_chunks(total: int, seed: int) -> Iterator[bytes]:
    """The whole file in chunks of CHUNK_RECORDS records: string joins over cycled templates, no per-record
    randomness, so 5M records take seconds."""
    rng = random.Random(seed)
    tails = record_tails(rng)
    jitter = [rng.randrange(0, 1 << 30) for _ in range(4096)]
    order = [rng.randrange(TEMPLATES) for _ in range(1 << 16)]
    yield ("\n".join(header_lines()) + "\n").encode()
    i = 0
    for name, length, count in record_counts(total):
        pos = positions(length, count, jitter)
        pos = crbn_positions(pos, jitter) if name == "chr3" else pos
        lines = []
        for value in pos:
            lines.append(f"{name}\t{value}\t.\t{tails[order[i & 0xFFFF]]}")
            i += 1
            if len(lines) == CHUNK_RECORDS:
                yield "".join(lines).encode()
                lines = []
        yield "".join(lines).encode()


def write_bgzip(path: Path, chunks: Iterator[bytes]) -> str:
    """bgzip with two threads when installed (libdeflate makes it fast), else pysam's single-threaded BGZF."""
    bgzip = shutil.which("bgzip")
    if bgzip:
        with path.open("wb") as out:
            process = subprocess.Popen([bgzip, "-@2", "-c"], stdin=subprocess.PIPE, stdout=out)
            assert process.stdin is not None
            for chunk in chunks:
                process.stdin.write(chunk)
            process.stdin.close()
            if process.wait() != 0:
                raise SystemExit(f"bgzip failed writing {path}")
        return "bgzip -@2"
    with pysam.BGZFile(str(path), "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return "pysam.BGZFile"


def index(path: Path) -> str:
    """A .tbi beside the file: tabix when installed, else pysam (the same htslib code, single-threaded)."""
    tabix = shutil.which("tabix")
    if tabix:
        subprocess.run([tabix, "-f", "-p", "vcf", str(path)], check=True)
        return "tabix"
    pysam.tabix_index(str(path), preset="vcf", force=True)
    return "pysam.tabix_index"


@dataclass(frozen=True)
class Files:
    records: int
    indexed: Path  # with its .tbi beside it
    unindexed: Path  # a link to the same bytes under a name with no index beside it
    made: str  # how they were made, or that they were reused


def prepare(workdir: Path, records: int, seed: int) -> Files:
    indexed = workdir / f"somatic-{records}-seed{seed}.vcf.gz"
    unindexed = workdir / f"somatic-{records}-seed{seed}-noindex.vcf.gz"
    made = "reused from --keep"
    if not Path(f"{indexed}.tbi").is_file():
        started = time.perf_counter()
        writer = write_bgzip(indexed, vcf_chunks(records, seed))
        indexer = index(indexed)
        made = f"written by {writer}, indexed by {indexer} in {time.perf_counter() - started:.1f} s"
    if not unindexed.exists():
        unindexed.symlink_to(indexed.name)
    count = sum(count for _, _, count in record_counts(records))
    return Files(count, indexed, unindexed, made)


# Measuring, each case in a child process -----------------------------------------------------------------------


def run_case(case: str, path: Path) -> dict:
    """One run of the case in a fresh process: its time and the child's peak resident memory."""
    command = [sys.executable, str(Path(__file__).resolve()), "--case", case, "--file", str(path)]
    output = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def read_cost(path: Path) -> dict:
    """What merely reading the file costs: bgzip with two threads into wc -l, else Python's gzip in a child."""
    bgzip = shutil.which("bgzip")
    if not bgzip:
        return {**run_case("gzip_read", path), "how": "Python gzip, as bgzip is not installed"}
    started = time.perf_counter()
    lines = subprocess.run(f"{bgzip} -dc -@2 {path} | wc -l", shell=True, check=True, capture_output=True).stdout
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": None, "detail": f"{int(lines):,} lines", "how": "bgzip -dc -@2 | wc -l"}


def child(case: str, path: Path) -> None:
    """Runs in the child: imports and one untimed run first (an ingest worker has paid those one-off costs
    before its next file), then the timed run, so each figure is the work alone; the parent takes the median
    over rounds. The full scan, whose one-off costs are lost in its length, runs once."""
    if case != "variantfile_scan":
        CASES[case](path)
    started = time.perf_counter()
    detail = CASES[case](path)
    seconds = time.perf_counter() - started
    if isinstance(detail, Timed):  # a case with set-up of its own times only its work
        detail, seconds = detail.detail, detail.seconds
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb(), "detail": detail}))


def peak_mb() -> float:
    """This process's peak resident set. VmHWM rather than ru_maxrss: on Linux ru_maxrss also keeps the peak of
    the process image that exec replaced, so a large parent would show up in every child."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parse(path: Path) -> str:
    from variants.parsers import registry
    from variants.parsers.facts import ParseOptions
    from variants.parsers.reader import LineSource

    result = registry.parse(LineSource(path), "small_variants", ParseOptions(), progress=lambda lines, done: None)
    kept = len(result.small_variants)
    return f"{_how_read(result.warnings)}: {result.records_read:,} records read, {kept} variants kept"


def _how_read(warnings: list[str]) -> str:
    """index (region queries), skip (a sorted file read only in the blocks that can hold a locus) or scan."""
    if any("through the index" in warning for warning in warnings):
        return "index"
    return "skip" if any("read by skipping blocks" in warning for warning in warnings) else "scan"


def _kept_loci() -> list[tuple[str, int, int]]:
    return [(f"chr{i.chrom}", i.start - 1, i.end) for i in crbn.loci_of_interest(crbn.GRCH38).values()]


def _tabix_region(path: Path) -> str:
    with pysam.TabixFile(str(path)) as tabix:
        found = sum(1 for chrom, start, end in _kept_loci() for _ in tabix.fetch(chrom, start, end))
    return f"{found} records in {len(_kept_loci())} loci"


def _variantfile_region(path: Path) -> str:
    with pysam.VariantFile(str(path)) as vcf:
        found = sum(1 for chrom, start, end in _kept_loci() for _ in vcf.fetch(chrom, start, end))
    return f"{found} records in {len(_kept_loci())} loci"


def _variantfile_scan(path: Path) -> str:
    with pysam.VariantFile(str(path)) as vcf:
        return f"{sum(1 for _ in vcf):,} records"


def _gzip_read(path: Path) -> str:
    import gzip

    lines = 0
    with gzip.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return f"{lines:,} lines"


@dataclass(frozen=True)
class Timed:
    detail: str
    seconds: float


def _service(path: Path) -> Timed:
    """The ingest service's parse task on the file, uploaded (with its index, when one is beside it) to a new
    sample of the scratch database; only ``parse_run_execute`` is timed."""
    import django

    django.setup()
    from variants import services

    sample, by = _scratch_sample()
    name = path.name.replace("-noindex", "")  # stored under its own name, where no index lies beside it
    with _upload(path, name) as upload:
        variant_file, _ = services.variant_file_upload(sample=sample, upload=upload, by=by)
    index = Path(f"{path}.tbi")
    if index.is_file():
        with _upload(index, index.name) as upload:
            services.variant_file_index_attach(upload=upload, sample=sample, variant_file=variant_file)
    run = services.variant_file_confirm(variant_file=variant_file, by=by, enqueue=False)
    started = time.perf_counter()
    services.parse_run_execute(run_id=run.pk, task_id=f"bench-{run.uuid}")
    seconds = time.perf_counter() - started
    run.refresh_from_db()
    for stored in Path(variant_file.stored.path).parent.glob(Path(variant_file.stored.path).name + "*"):
        stored.unlink()  # the copy and its index: five rounds of a 5M file would otherwise fill gigabytes
    how = _how_read(run.warnings)
    return Timed(f"{how}: {run.status}, {run.records_read:,} records read, {run.records_kept} rows written", seconds)


def _scratch_sample() -> tuple[object, object]:
    import uuid

    from patients.tests.factories import SampleFactory, UserFactory

    tag = uuid.uuid4().hex[:10]
    institution = {"patient__institution__name": f"Bench {tag}", "patient__institution__code": tag}
    sample = SampleFactory(genome_build="GRCh38", accession=f"B-{tag}", **institution)
    return sample, UserFactory(username=f"bench-{tag}")


@contextmanager
def _upload(path: Path, name: str) -> Iterator[Any]:
    """The file as an upload (a Django File with its size), as the ingest service takes it."""
    from django.core.files import File

    with path.open("rb") as handle:
        upload = File(handle, name=name)
        upload.size = path.stat().st_size
        yield upload


CASES: dict[str, Callable[[Path], str | Timed]] = {
    "service": _service,
    "parse": _parse,
    "tabix_region": _tabix_region,
    "variantfile_region": _variantfile_region,
    "variantfile_scan": _variantfile_scan,
    "gzip_read": _gzip_read,
}


# One size, the report ------------------------------------------------------------------------------------------


def measure(files: Files, repeat: int, service: bool) -> dict[str, dict]:
    """Every figure for one size: the median of ``repeat`` rounds, each round running every case once, so a
    slow spell on a shared machine weighs on all cases alike and one lucky or unlucky run moves nothing. The
    full scan, ten times longer than the rest together, runs in the first round only."""
    cases: dict[str, Callable[[], dict]] = {
        "read cost": lambda: read_cost(files.unindexed),
        "parse, indexed": lambda: run_case("parse", files.indexed),
        "parse, unindexed": lambda: run_case("parse", files.unindexed),
        "pysam TabixFile region query": lambda: run_case("tabix_region", files.indexed),
        "pysam VariantFile region query": lambda: run_case("variantfile_region", files.indexed),
        "pysam VariantFile full scan": lambda: run_case("variantfile_scan", files.unindexed),
    }
    if service:
        cases["ingest service, indexed"] = lambda: run_case("service", files.indexed)
        cases["ingest service, unindexed"] = lambda: run_case("service", files.unindexed)
    runs: dict[str, list[dict]] = {name: [] for name in cases}
    for round_ in range(repeat):
        for name, run in cases.items():
            if not round_ or not name.endswith("full scan"):
                runs[name].append(run())
    return {name: _median(figures) for name, figures in runs.items()}


def _median(figures: list[dict]) -> dict:
    """The run with the median time (the lower middle one of an even number), with every run's time beside it."""
    ordered = sorted(figures, key=lambda figure: figure["seconds"])
    return {**ordered[(len(ordered) - 1) // 2], "runs": ", ".join(f"{figure['seconds']:.3f}" for figure in figures)}


def print_figures(files: Files, figures: dict[str, dict], load: str) -> None:
    size = files.indexed.stat().st_size / 1e6
    print(f"\n{files.records:,} records, {size:,.0f} MB bgzipped ({files.made}); {load}")
    print(f"  {'case':<32} {'seconds':>8} {'peak MB':>8}  detail [every run's seconds]")
    for name, figure in figures.items():
        peak = f"{figure['peak_mb']:8.1f}" if figure.get("peak_mb") else f"{'-':>8}"
        detail = figure["detail"] + (f" ({figure['how']})" if "how" in figure else "")
        print(f"  {name:<32} {figure['seconds']:8.3f} {peak}  {detail} [{figure['runs']}]")


def load_average() -> str:
    """The machine's load while measuring: on a shared machine, figures from a busy spell are slower alike."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def targets(results: list[tuple[Files, dict[str, dict]]]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met) for every size, then memory across sizes; met is None for a figure shown
    beside a target for context (VariantFile also parses the records it returns, as the parser does)."""
    rows = []
    for files, figures in results:
        seconds = {name: figure["seconds"] for name, figure in figures.items()}
        indexed = seconds["parse, indexed"] / seconds["pysam TabixFile region query"]
        by_records = seconds["parse, indexed"] / seconds["pysam VariantFile region query"]
        unindexed = seconds["parse, unindexed"] / seconds["read cost"]
        label = f"{files.records:,}"
        rows.append((f"{label}: indexed parse <= 2x TabixFile region query", f"{indexed:.2f}x", indexed <= 2))
        rows.append((f"{label}:   (indexed parse / VariantFile region query)", f"{by_records:.2f}x", None))
        rows.append((f"{label}: unindexed parse <= 1.0x read cost", f"{unindexed:.2f}x", unindexed <= 1))
        rows += _service_rows(label, seconds)
    peaks = [max(f["parse, indexed"]["peak_mb"], f["parse, unindexed"]["peak_mb"]) for _, f in results]
    rows.append(("parse peak memory < 150 MB", f"{max(peaks):.1f} MB at most", max(peaks) < 150))
    growth = max(peaks) - min(peaks)
    flat = growth <= max(10.0, 0.1 * min(peaks))
    rows.append(("parse peak memory flat in file size (<= 10 MB or 10%)", f"+{growth:.1f} MB", flat))
    return rows


def _service_rows(label: str, seconds: dict[str, float]) -> list[tuple[str, str, bool | None]]:
    """The whole parse task beside the targets: the same ratios, with the rows written to PostgreSQL."""
    if "ingest service, indexed" not in seconds:
        return []
    indexed = seconds["ingest service, indexed"] / seconds["pysam TabixFile region query"]
    unindexed = seconds["ingest service, unindexed"] / seconds["read cost"]
    return [
        (f"{label}:   (ingest service indexed / TabixFile region query)", f"{indexed:.2f}x", None),
        (f"{label}:   (ingest service unindexed / read cost)", f"{unindexed:.2f}x", None),
    ]


def environment() -> str:
    from variants.parsers import reader

    return (
        f"Python {sys.version.split()[0]}, pysam {pysam.__version__}, {os.cpu_count()} cores; the reader inflates "
        f"bgzip with {reader.INFLATE_THREADS} threads using isal, which also sieve each chunk with numpy"
    )


def main() -> None:
    args = arguments()
    if args.case:
        child(args.case, Path(args.file))
        return
    workdir = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crbn-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = _service_database(args.database) if args.service else None
    try:
        print(environment())
        results = []
        for records in (int(size) for size in args.sizes.split(",")):
            files = prepare(workdir, records, args.seed)
            before = load_average()
            results.append((files, measure(files, args.repeat, service=scratch is not None)))
            print_figures(*results[-1], f"before: {before}, after: {load_average()}")
        print("\nTargets")
        for target, measured, met in targets(results):
            verdict = "    " if met is None else "PASS" if met else "MISS"
            print(f"  {verdict}  {target:<58} {measured}")
    finally:
        if scratch is not None:
            close_scratch(scratch, keep=False)
        if not args.keep:
            shutil.rmtree(workdir)


def _service_database(database: str) -> "Scratch":
    """A scratch PostgreSQL database, migrated, for the service cases (bench/report.py's helpers); the children
    inherit its environment."""
    scratch = open_scratch(database)
    manage(scratch, "migrate", "--noinput")
    return scratch


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000000,5000000", help="records per file, comma-separated")
    parser.add_argument("--keep", metavar="DIR", help="write (or reuse) the files here and leave them")
    parser.add_argument("--seed", type=int, default=38, help="the generator's seed (default 38)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of every case; medians are reported (default 5)")
    parser.add_argument("--service", action="store_true", help="also time the ingest service's parse task")
    parser.add_argument("--database", default="crbn_ingest_bench", help="scratch database for --service")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)  # run in a child process
    parser.add_argument("--file", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
