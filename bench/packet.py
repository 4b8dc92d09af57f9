"""How long a 20-patient tumour-board packet takes to render, against bare WeasyPrint on the same HTML.

    .venv/bin/python bench/packet.py [--patients 20] [--repeat 3] [--keep]

Seeds the demo into a scratch folder (a SQLite database and media files under a temp CRBN_VAR_DIR, unless
DATABASE_URL names another database), plans a meeting with that many patients with an assessed relapse sample on
its agenda, then times, in alternating order, best of --repeat: the packet service as the render worker
runs it (reports.board_services.packet_render: claim, gather every patient's page, render, store, digest) and
``weasyprint.HTML(string=html).write_pdf()`` on the HTML that service rendered. Target: service <= 1.2x bare.
Not a test: the suite never runs it.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.2


def start_django(var_dir: Path) -> None:
    """Django on the scratch folder, quiet (WeasyPrint logs each layout step), with a migrated, seeded database."""
    os.environ.update({"CRBN_VAR_DIR": str(var_dir), "MEDIA_ROOT": str(var_dir / "media"), "LOG_LEVEL": "WARNING"})
    os.environ.update({"DEBUG": "off", "DJANGO_SETTINGS_MODULE": "crbn_portal.settings"})
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0, stdout=StringIO())


def agenda_meeting(patients: int) -> Any:
    """A meeting with ``patients`` patients, each with an assessed relapse sample. The demo assesses about 16
    patients per site, so both sites' patients go on one agenda, which the agenda service refuses (a meeting is one
    institution's): the items are written directly, with the service's own choice of sample and report, and the
    superuser, who sees both sites, exports the packet. The render path is the one every packet takes."""
    from datetime import date

    from django.contrib.auth import get_user_model

    from patients.demo import SUPERUSER_USERNAME
    from patients.models import Institution, Patient
    from reports import board_services
    from reports.board_models import AgendaItem
    from rules.models import Assessment

    superuser = get_user_model().objects.get(username=SUPERUSER_USERNAME)
    assessed = Assessment.objects.done().exclude(sample__timepoint="baseline").values("sample")
    chosen = list(Patient.objects.filter(samples__in=assessed).distinct().order_by("institution_id", "study_id"))
    if len(chosen) < patients:
        raise SystemExit(f"the demo has only {len(chosen)} patients with an assessed relapse sample")
    meeting = board_services.meeting_create(
        institution=Institution.objects.order_by("pk").first(),
        date=date(2026, 7, 1),
        title="Benchmark board",
        attendees="",
        by=superuser,
    )
    for position, patient in enumerate(chosen[:patients], start=1):
        sample = board_services.default_sample(patient)
        AgendaItem.objects.create(
            meeting=meeting,
            position=position,
            patient=patient,
            sample=sample,
            report=board_services.default_report(sample),
            question="Next line at first relapse: which regimen?",
        )
    return meeting


def time_service(meeting: Any) -> tuple[float, Any]:
    """One export rendered by the service: its render's seconds and the export. Outside a transaction the enqueue
    would run at once, so it is left out: the bench renders the export itself."""
    from reports import board_services

    board_services._enqueue_render = lambda export_id: None
    export = board_services.packet_export(meeting=meeting, by=meeting.created_by)
    started = time.perf_counter()
    board_services.packet_render(export_id=export.pk, task_id=f"bench-{export.pk}")
    return time.perf_counter() - started, export


def time_bare(html: str) -> tuple[float, bytes]:
    import weasyprint

    started = time.perf_counter()
    pdf = weasyprint.HTML(string=html).write_pdf()
    return time.perf_counter() - started, pdf


def measure(meeting: Any, repeat: int) -> dict[str, Any]:
    """Warm-up one render each way (WeasyPrint loads fonts on its first document), then ``repeat`` rounds."""
    from pypdf import PdfReader

    from reports.board_models import PacketExport, PacketStatus
    from reports.board_packet import build_packet_html

    _, export = time_service(meeting)
    html = build_packet_html(export)
    time_bare(html)
    service, bare, build = [], [], []
    for round_ in range(repeat):
        ways = ["service", "bare"] if round_ % 2 == 0 else ["bare", "service"]
        for way in ways:
            if way == "service":
                seconds, export = time_service(meeting)
                service.append(seconds)
            else:
                seconds, pdf = time_bare(html)
                bare.append(seconds)
        started = time.perf_counter()
        html = build_packet_html(PacketExport.objects.get(pk=export.pk))
        build.append(time.perf_counter() - started)
    ready = PacketExport.objects.filter(meeting=meeting, status=PacketStatus.READY).count()
    if ready != repeat + 1:
        raise SystemExit(f"only {ready} of {repeat + 1} exports are ready")
    pages = len(PdfReader(BytesIO(pdf)).pages)
    return {"service": service, "bare": bare, "build": build, "pages": pages, "kb": len(pdf) / 1024, "html": html}


def report(figures: dict[str, Any], patients: int, repeat: int) -> None:
    import django
    import weasyprint
    from django.db import connection

    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, WeasyPrint {weasyprint.__version__}, "
        f"{connection.vendor}, {os.cpu_count()} cores"
    )
    print(
        f"Packet: {patients} patients, {figures['pages']} pages, {figures['kb']:.0f} KB PDF, "
        f"{len(figures['html'].encode()) / 1024:.0f} KB HTML; best of {repeat}, order alternating\n"
    )
    print(f"  {'case':<60} {'best s':>8} {'mean s':>8}")
    rows = [
        ("bare weasyprint.HTML(string=html).write_pdf()", figures["bare"]),
        ("board_services.packet_render (gather, render, store, digest)", figures["service"]),
        ("  of which: board_packet.build_packet_html (gather the pages)", figures["build"]),
    ]
    for name, values in rows:
        print(f"  {name:<60} {min(values):8.3f} {statistics.mean(values):8.3f}")
    # Rounds run back to back, so a round's pair shares the machine's load; their median ratio is printed beside
    # the ratio of the bests, which decides.
    paired = statistics.median(s / b for s, b in zip(figures["service"], figures["bare"], strict=True))
    ratio = min(figures["service"]) / min(figures["bare"])
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(
        f"\n  {verdict}  packet service / bare WeasyPrint <= {TARGET_RATIO:g}x: {ratio:.2f}x "
        f"(median per round {paired:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=20, help="patients on the agenda (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="renders per way; the best is kept (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (database, PDFs)")
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="crbn-bench-packet-"))
    try:
        started = time.perf_counter()
        start_django(var_dir)
        meeting = agenda_meeting(args.patients)
        print(f"Scratch demo seeded and meeting planned in {time.perf_counter() - started:.1f} s")
        report(measure(meeting, args.repeat), args.patients, args.repeat)
    finally:
        if args.keep:
            print(f"\nKept: {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
