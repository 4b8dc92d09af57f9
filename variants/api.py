"""REST API for variant files. Lab systems upload and confirm in one call (they do not do two steps), then poll
the file's status. Objects are named by public UUID only; permissions go through the same chokepoint as the
pages (404 for what the user cannot see, 403 for a role that may not upload)."""

from typing import Any
from uuid import UUID

import django_filters
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crbn_portal.api_base import VisibleReadOnlyViewSet, api_audit
from crbn_portal.audit import audit_record
from crbn_portal.models import AuditEvent
from patients.models import Sample

from . import selectors, services
from .forms import named_message
from .models import (
    Alteration,
    CopyNumberSegment,
    Expression,
    FileKind,
    Fusion,
    ParseRun,
    SmallVariant,
    SpliceJunction,
    StructuralVariant,
    VariantFile,
)
from .views import file_download, parse_again_detail


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


class FilesOut(serializers.Serializer):
    files = VariantFileOut(many=True)
    errors = serializers.ListField(child=serializers.CharField(), required=False, help_text="One per refused file.")


class FileErrorsOut(serializers.Serializer):
    """The latest parse run's problems; empty when the file parsed cleanly or has not been parsed yet."""

    uuid = serializers.UUIDField()
    status = serializers.CharField(source="current_run.status", default=None)
    error = serializers.CharField(source="current_run.error", default="")
    error_line = serializers.IntegerField(source="current_run.error_line", default=None, allow_null=True)
    warnings = serializers.ListField(child=serializers.CharField(), source="current_run.warnings", default=list)


class SampleFilesApi(APIView):
    """GET: the sample's files with their latest run. POST multipart ``file`` (one or more parts), optional
    ``kind`` and ``tumour_sample``: store, confirm and queue each file. 201 when a parse was queued, 200 when
    every file was a byte-identical re-upload of a confirmed file, 400 with ``errors`` (each naming its file)
    when any file was refused; the files that went through are listed in ``files`` either way."""

    @extend_schema(responses=FilesOut)
    def get(self, request: Request, uuid: UUID) -> Response:
        sample = selectors.sample_get(user=request.user, uuid=uuid)
        audit_record(request=request, action=AuditEvent.Action.LIST, obj=sample, detail={"part": "files"})
        files = selectors.sample_files(user=request.user, sample=sample)
        return Response({"files": _files_out(request, files)})

    @extend_schema(
        request={"multipart/form-data": UploadIn},
        responses={
            200: FilesOut,
            201: FilesOut,
            400: OpenApiResponse(description="``errors`` names each refused file, or the request's field at fault."),
        },
    )
    def post(self, request: Request, uuid: UUID) -> Response:
        sample = selectors.sample_get_for_upload(user=request.user, uuid=uuid)
        payload = UploadIn(data=request.data)
        payload.is_valid(raise_exception=True)
        options = {key: payload.validated_data[key] for key in ("kind", "tumour_sample")}
        stored, errors, queued = [], [], False
        pairs, indexes = services.uploads_paired(payload.validated_data["file"])
        for upload, index in pairs + [(index, None) for index in indexes]:
            try:
                variant_file, confirmed_now = _upload_and_confirm(request, sample, upload, index, errors, **options)
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

    @extend_schema(responses=VariantFileOut)
    def get(self, request: Request, uuid: UUID) -> Response:
        variant_file = selectors.variant_file_get(user=request.user, uuid=uuid)
        audit_record(request=request, action=AuditEvent.Action.VIEW, obj=variant_file)
        return Response(VariantFileOut(variant_file, context={"request": request}).data)


def _upload_and_confirm(
    request: Request,
    sample: Sample,
    upload: UploadedFile,
    index: UploadedFile | None,
    errors: list[str],
    *,
    kind: str,
    tumour_sample: str,
) -> tuple[VariantFile, bool]:
    """Store one file, with the .tbi/.csi uploaded beside it, and queue its parse. Returns (file, whether this call
    queued a parse): a re-upload of a file still pending (e.g. from the page) is confirmed now; one already
    confirmed is left as it is. An index uploaded without its file goes beside the sample's file it names. A
    refused index joins ``errors`` and its file is parsed without it, as the index is optional."""
    if services.indexed_name(upload.name or ""):
        return _attach_index(request, sample, upload, None), False
    variant_file, created = services.variant_file_upload(
        sample=sample, upload=upload, by=request.user, kind=kind, tumour_sample=tumour_sample
    )
    audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=variant_file, detail={"created": created})
    if index is not None:  # before the parse is queued, so that the parse finds it
        try:
            _attach_index(request, sample, index, variant_file)
        except ValidationError as error:
            errors.append(named_message(index.name or "index", error))
    if variant_file.confirmed:
        return variant_file, False
    run = services.variant_file_confirm(
        variant_file=variant_file, by=request.user, kind=kind, tumour_sample=tumour_sample
    )
    audit_record(
        request=request, action=AuditEvent.Action.CONFIRM, obj=variant_file, detail={"parse_run": str(run.uuid)}
    )
    return variant_file, True


def _attach_index(request: Request, sample: Sample, index: UploadedFile, paired: VariantFile | None) -> VariantFile:
    """An index that does not match its file is kept, and the parse's warnings say it was ignored."""
    variant_file, problem = services.variant_file_index_attach(upload=index, sample=sample, variant_file=paired)
    detail = {"index": index.name, "matches": problem is None}
    audit_record(request=request, action=AuditEvent.Action.UPLOAD, obj=variant_file, detail=detail)
    return variant_file


def _files_out(request: Request, files: list[VariantFile]) -> Any:
    return VariantFileOut(files, many=True, context={"request": request}).data


class FileParseAgainApi(APIView):
    """POST: parse again a file whose latest parse failed (a lost worker, a limit raised or an index uploaded
    since); the failed run stays on record. 201 with the file and its new run; 400 with ``errors`` when its
    latest parse did not fail; 403 for a role that may not upload."""

    @extend_schema(
        request=None,
        responses={201: VariantFileOut, 400: OpenApiResponse(description="``errors``: the latest parse did not fail.")},
    )
    def post(self, request: Request, uuid: UUID) -> Response:
        variant_file = selectors.variant_file_get(user=request.user, uuid=uuid)
        selectors.sample_get_for_upload(user=request.user, uuid=variant_file.sample.uuid)
        run, errors = None, []
        try:
            run = services.variant_file_parse_again(variant_file=variant_file, by=request.user)
        except ValidationError as error:
            errors = error.messages
        audit_record(
            request=request, action=AuditEvent.Action.CONFIRM, obj=variant_file, detail=parse_again_detail(run)
        )
        if run is None:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        current = selectors.with_current_runs(user=request.user, files=[variant_file])
        return Response(_files_out(request, current)[0], status=status.HTTP_201_CREATED)


class FileErrorsApi(APIView):
    """GET: what went wrong with a file's latest parse: its error with the line it was found on, and warnings."""

    @extend_schema(responses=FileErrorsOut)
    def get(self, request: Request, uuid: UUID) -> Response:
        variant_file = selectors.variant_file_get(user=request.user, uuid=uuid)
        api_audit(request, AuditEvent.Action.VIEW, obj=variant_file, detail={"part": "errors"})
        return Response(FileErrorsOut(variant_file).data)


class FileRawApi(APIView):
    """GET: the file's bytes exactly as uploaded (``application/octet-stream``), as the page's download serves them
    (same audit event)."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, uuid: UUID) -> HttpResponse:
        variant_file = selectors.variant_file_get(user=request.user, uuid=uuid)
        return file_download(request._request, uuid=variant_file.sample.uuid, file_uuid=variant_file.uuid)


# ---- alterations: the CRBN-locus facts parsed from a sample's files, one read-only endpoint per kind ----------


class AlterationFilter(django_filters.FilterSet):
    sample = django_filters.UUIDFilter(field_name="sample__uuid")
    source_file = django_filters.UUIDFilter(field_name="source_file__uuid")
    gene = django_filters.CharFilter()


def _alteration_viewset(model: type[Alteration], doc: str) -> type[VisibleReadOnlyViewSet]:
    """A serializer, filter and viewset for one kind: the model's own columns, with public UUIDs for the sample
    and the file (and the line of it) each fact came from."""
    out = type(
        f"{model.__name__}Out",
        (serializers.ModelSerializer,),
        {
            "sample": serializers.UUIDField(source="sample.uuid", read_only=True),
            "source_file": serializers.UUIDField(source="source_file.uuid", read_only=True),
            "Meta": type("Meta", (), {"model": model, "exclude": ["id"]}),
        },
    )
    filterset = type(
        f"{model.__name__}Filter", (AlterationFilter,), {"Meta": type("Meta", (), {"model": model, "fields": []})}
    )
    attributes = {
        "__doc__": doc,
        "queryset": model.objects.select_related("sample", "source_file"),
        "serializer_class": out,
        "filterset_class": filterset,
    }
    return type(f"{model.__name__}ViewSet", (VisibleReadOnlyViewSet,), attributes)


# URL segment -> viewset (registered by crbn_portal/api_urls.py under alterations/).
ALTERATION_VIEWSETS = {
    "small-variants": _alteration_viewset(SmallVariant, "SNVs and indels, one ALT allele each."),
    "copy-number": _alteration_viewset(CopyNumberSegment, "Copy-number segments overlapping the locus."),
    "structural-variants": _alteration_viewset(StructuralVariant, "Structural variants with a breakend at the locus."),
    "junctions": _alteration_viewset(SpliceJunction, "RNA splice junctions (exon skipping, e.g. exon 10)."),
    "expression": _alteration_viewset(Expression, "RNA expression values of the locus' genes."),
    "fusions": _alteration_viewset(Fusion, "RNA fusions involving the locus' genes."),
}
