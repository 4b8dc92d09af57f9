"""REST API for variant files. Lab systems upload and confirm in one call (they do not do two steps), then poll
the file's status. Objects are named by public UUID only; permissions go through the same chokepoint as the
pages (404 for what the user cannot see, 403 for a role that may not upload)."""

from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent
from patients.models import Sample

from . import selectors, services
from .forms import named_message
from .models import FileKind, ParseRun, VariantFile


class ParseRunOut(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = ParseRun
        fields = [
            "uuid",
            "status",
            "status_display",
            "percent",
            "finished",
            "records_read",
            "bytes_read",
            "bytes_total",
            "records_kept",
            "build",
            "build_evidence",
            "tumour_sample",
            "tumour_sample_reason",
            "warnings",
            "error",
            "error_line",
            "created_at",
            "started_at",
            "finished_at",
        ]


class VariantFileOut(serializers.ModelSerializer):
    """A file with its latest parse run (``current_run``, set by the selectors)."""

    sample = serializers.UUIDField(source="sample.uuid")
    uploaded_by = serializers.CharField(source="created_by.username", default=None)
    download_url = serializers.SerializerMethodField()
    run = ParseRunOut(source="current_run", allow_null=True)

    class Meta:
        model = VariantFile
        fields = [
            "uuid",
            "sample",
            "original_name",
            "size",
            "sha256",
            "kind",
            "dialect",
            "kind_overridden",
            "tumour_sample",
            "confirmed",
            "created_at",
            "uploaded_by",
            "download_url",
            "run",
        ]

    def get_download_url(self, variant_file: VariantFile) -> str:
        path = reverse("variants:file_download", args=[variant_file.sample.uuid, variant_file.uuid])
        return self.context["request"].build_absolute_uri(path)


class UploadIn(serializers.Serializer):
    # Empty files pass here so that the upload service refuses each by name, as on the page.
    file = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=False)
    kind = serializers.ChoiceField(choices=FileKind.choices, required=False, allow_blank=True, default="")
    tumour_sample = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SampleFilesApi(APIView):
    """GET: the sample's files with their latest run. POST multipart ``file`` (one or more parts), optional
    ``kind`` and ``tumour_sample``: store, confirm and queue each file. 201 when a parse was queued, 200 when
    every file was a byte-identical re-upload of a confirmed file, 400 with ``errors`` (each naming its file)
    when any file was refused; the files that went through are listed in ``files`` either way."""

    def get(self, request: Request, uuid: UUID) -> Response:
        sample = selectors.sample_get(user=request.user, uuid=uuid)
        audit_record(request=request, action=AuditEvent.Action.LIST, obj=sample, detail={"part": "files"})
        files = selectors.sample_files(user=request.user, sample=sample)
        return Response({"files": _files_out(request, files)})

    def post(self, request: Request, uuid: UUID) -> Response:
        sample = selectors.sample_get_for_upload(user=request.user, uuid=uuid)
        payload = UploadIn(data=request.data)
        payload.is_valid(raise_exception=True)
        options = {key: payload.validated_data[key] for key in ("kind", "tumour_sample")}
        stored, errors, queued = [], [], False
        for upload in payload.validated_data["file"]:
            try:
                variant_file, confirmed_now = _upload_and_confirm(request, sample, upload, **options)
            except ValidationError as error:
                errors.append(named_message(upload.name, error))
                continue
            stored.append(variant_file)
            queued = queued or confirmed_now
        body = {"files": _files_out(request, selectors.with_current_runs(user=request.user, files=stored))}
        if errors:
            return Response({**body, "errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(body, status=status.HTTP_201_CREATED if queued else status.HTTP_200_OK)


class FileApi(APIView):
    """GET: one file's status, progress, error, warnings, build, dialect and counts."""

    def get(self, request: Request, uuid: UUID) -> Response:
        variant_file = selectors.variant_file_get(user=request.user, uuid=uuid)
        audit_record(request=request, action=AuditEvent.Action.VIEW, obj=variant_file)
        return Response(VariantFileOut(variant_file, context={"request": request}).data)


def _upload_and_confirm(
    request: Request, sample: Sample, upload: UploadedFile, *, kind: str, tumour_sample: str
) -> tuple[VariantFile, bool]:
    """Store one file and queue its parse. Returns (file, whether this call queued a parse): a re-upload of a
    file still pending (e.g. from the page) is confirmed now; one already confirmed is left as it is."""
    variant_file, created = services.variant_file_upload(
        sample=sample, upload=upload, by=request.user, kind=kind, tumour_sample=tumour_sample
    )
    audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=variant_file, detail={"created": created})
    if variant_file.confirmed:
        return variant_file, False
    run = services.variant_file_confirm(
        variant_file=variant_file, by=request.user, kind=kind, tumour_sample=tumour_sample
    )
    audit_record(
        request=request, action=AuditEvent.Action.CONFIRM, obj=variant_file, detail={"parse_run": str(run.uuid)}
    )
    return variant_file, True


def _files_out(request: Request, files: list[VariantFile]) -> Any:
    return VariantFileOut(files, many=True, context={"request": request}).data
