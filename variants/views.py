"""The sample page: findings, file status, upload and confirmation. Views adapt: fetch through the chokepoint,
check the role, call one service per file, record the audit event, render or redirect."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from crbn_portal.audit import audit_record, audit_record_poll
from crbn_portal.decorators import htmx_login_required
from crbn_portal.models import AuditEvent
from patients.models import Sample

from . import selectors, services
from .forms import UploadForm, confirm_forms, named_message
from .models import ParseRun, VariantFile


@login_required
@require_GET
def sample_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    audit_record(request=request, action=AuditEvent.Action.VIEW, obj=sample)
    return _render_page(request, sample)


@login_required
@require_POST
def file_upload(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get_for_upload(user=request.user, uuid=uuid)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=sample, detail={"refused": "no file"})
        return _render_page(request, sample, upload_form=form, status=400)
    pairs, indexes = services.uploads_paired(form.cleaned_data["files"])
    for upload, index in pairs:
        variant_file = _store_one(request, sample, upload)
        if index is not None:
            _attach_index(request, sample, index, variant_file)
    for index in indexes:
        _attach_index(request, sample, index, None)
    return redirect(_page_url(sample, "pending-heading"))


@login_required
@require_POST
def file_confirm(request: HttpRequest, uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get_for_upload(user=request.user, uuid=uuid)
    pending = selectors.pending_files(selectors.sample_files(user=request.user, sample=sample))
    pairs = confirm_forms(pending, request.POST)
    if not all(form.is_valid() for _, form in pairs):
        audit_record(request=request, action=AuditEvent.Action.CONFIRM, obj=sample, detail={"refused": "invalid"})
        return _render_page(request, sample, confirm_pairs=pairs, status=400)
    for variant_file, form in pairs:
        _confirm_one(request, variant_file, form.cleaned_data)
    if not pairs:
        messages.info(request, "No file was waiting for confirmation.")
    return redirect(_page_url(sample, "files-heading"))


@login_required
@require_POST
def file_parse_again(request: HttpRequest, uuid: UUID, file_uuid: UUID) -> HttpResponse:
    sample = selectors.sample_get_for_upload(user=request.user, uuid=uuid)
    variant_file = selectors.variant_file_get(user=request.user, uuid=file_uuid, sample=sample)
    run = None
    try:
        run = services.variant_file_parse_again(variant_file=variant_file, by=request.user)
    except ValidationError as error:
        messages.error(request, named_message(variant_file.original_name, error))
    else:
        messages.success(request, f"{variant_file.original_name}: queued for parsing again.")
    audit_record(request=request, action=AuditEvent.Action.CONFIRM, obj=variant_file, detail=parse_again_detail(run))
    return redirect(_page_url(sample, "files-heading"))


def parse_again_detail(run: ParseRun | None) -> dict[str, str]:
    """The audit event's detail for a request to parse a file again (page and API): refused, or the new run."""
    return {"parse_again": "refused"} if run is None else {"parse_again": "queued", "parse_run": str(run.uuid)}


@htmx_login_required
@require_GET
def file_status(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """The polled partial. Its live-region sentence is sent only when it differs from the one the page has
    (``seen``), so a screen reader hears state changes, not every progress tick."""
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    audit_record_poll(request=request, obj=sample, part="file status")
    context = selectors.file_status_context(sample=sample, user=request.user)
    context["announce"] = request.GET.get("seen") != context["status_summary"]
    return render(request, "variants/_file_status.html", context)


@login_required
@require_GET
def file_download(request: HttpRequest, uuid: UUID, file_uuid: UUID) -> FileResponse:
    sample = selectors.sample_get(user=request.user, uuid=uuid)
    variant_file = selectors.variant_file_get(user=request.user, uuid=file_uuid, sample=sample)
    audit_record(
        request=request, action=AuditEvent.Action.DOWNLOAD, obj=variant_file, detail={"sha256": variant_file.sha256}
    )
    # Octet-stream, not a type guessed from the name: a browser must save the lab's bytes, never render them.
    return FileResponse(
        variant_file.stored.open("rb"),
        as_attachment=True,
        filename=variant_file.original_name,
        content_type="application/octet-stream",
    )


def _store_one(request: HttpRequest, sample: Sample, upload: UploadedFile) -> VariantFile | None:
    try:
        variant_file, created = services.variant_file_upload(sample=sample, upload=upload, by=request.user)
    except ValidationError as error:
        # An unrecognised file is kept (with its failed run); other refusals store nothing.
        message = named_message(upload.name or "upload", error)
        kept = getattr(error, "variant_file", None)
        audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=kept or sample, detail={"refused": message})
        messages.error(request, message)
        return None
    audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=variant_file, detail={"created": created})
    messages.add_message(request, *_upload_message(upload.name or "upload", variant_file, created))
    return variant_file


def _attach_index(request: HttpRequest, sample: Sample, upload: UploadedFile, paired: VariantFile | None) -> None:
    """A .tbi/.csi goes beside the file it indexes: the one uploaded with it, else the sample's file it names."""
    name = upload.name or "index"
    try:
        variant_file, problem = services.variant_file_index_attach(upload=upload, sample=sample, variant_file=paired)
    except ValidationError as error:
        message = named_message(name, error)
        audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=sample, detail={"refused": message})
        messages.error(request, message)
        return
    detail = {"index": name, "matches": problem is None}
    audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=variant_file, detail=detail)
    messages.add_message(request, *_index_message(name, variant_file, problem))


def _index_message(name: str, variant_file: VariantFile, problem: str | None) -> tuple[int, str]:
    if problem is None:
        return (
            messages.SUCCESS,
            f"{name}: kept as the index of {variant_file.original_name}; its loci are read through it.",
        )
    return messages.WARNING, f"{name}: {problem}. It is kept, but {variant_file.original_name} is read without it."


def _upload_message(name: str, variant_file: VariantFile, created: bool) -> tuple[int, str]:
    if not created:
        uploader = variant_file.created_by.get_username() if variant_file.created_by else "an unknown user"
        when = f"{variant_file.created_at:%d %b %Y %H:%M}"
        return messages.INFO, f"{name}: already uploaded on {when} by {uploader} (as {variant_file.original_name})."
    dialect = variant_file.dialect or variant_file.get_kind_display()
    return messages.SUCCESS, f"{name}: stored and recognised as {dialect}. Check its kind and confirm to parse it."


def _confirm_one(request: HttpRequest, variant_file: VariantFile, choices: dict[str, str]) -> None:
    try:
        run = services.variant_file_confirm(variant_file=variant_file, by=request.user, **choices)
    except ValidationError as error:
        messages.error(request, named_message(variant_file.original_name, error))
        return
    detail = {"kind": variant_file.kind, "parse_run": str(run.uuid)}
    audit_record(request=request, action=AuditEvent.Action.CONFIRM, obj=variant_file, detail=detail)
    messages.success(request, f"{variant_file.original_name}: queued for parsing as {variant_file.get_kind_display()}.")


def _render_page(request: HttpRequest, sample: Sample, *, status: int = 200, **forms: Any) -> HttpResponse:
    context = selectors.sample_page_context(sample=sample, user=request.user)
    context.update(
        upload_form=forms.get("upload_form") or UploadForm(),
        confirm_pairs=forms.get("confirm_pairs") or confirm_forms(context["pending"]),
    )
    return render(request, "variants/sample_detail.html", context, status=status)


def _page_url(sample: Sample, fragment: str) -> str:
    return f"{reverse('variants:sample', args=[sample.uuid])}#{fragment}"
