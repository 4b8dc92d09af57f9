"""REST API for institutions (read), patients, treatment lines and samples (read, create with POST, change with
PATCH). Everything is reached through the permission chokepoint and named by public UUID; the patient list filters
as the patient page does. Writes go through patients.services, which checks the writer's role at the institution."""

from typing import Any

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from crbn_portal.api_base import VisibleReadOnlyViewSet, api_audit
from crbn_portal.models import AuditEvent

from . import services
from .filters import PatientFilter
from .models import Drug, Institution, Patient, Sample, TreatmentLine
from .selectors import _lines_with_drugs


class InstitutionOut(serializers.ModelSerializer):
    class Meta:
        model = Institution
        fields = ["uuid", "code", "name", "country", "region", "requires_second_reviewer", "signers_require_totp"]


class PatientOut(serializers.ModelSerializer):
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)
    mrn = serializers.SerializerMethodField()
    refractory_drugs = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "uuid",
            "institution",
            "study_id",
            "mrn",
            "year_of_birth",
            "sex",
            "diagnosis_date",
            "iss_stage",
            "riss_stage",
            "t_4_14",
            "t_14_16",
            "del_17p",
            "gain_1q",
            "presentation",
            "registry_consent",
            "last_follow_up_date",
            "date_of_death",
            "refractory_drugs",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_mrn(self, patient: Patient) -> str | None:
        """Only the institution's own members see the MRN (as on the patient page)."""
        return patient.mrn if patient.mrn_visible_to(self.context["request"].user) else None

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_refractory_drugs(self, patient: Patient) -> dict[str, int]:
        """Drug -> first line that made the patient refractory to it (IMWG 60-day rule)."""
        return patient.refractory_drugs


class TreatmentLineOut(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    drugs = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    refractory_drugs = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = TreatmentLine
        fields = [
            "uuid",
            "patient",
            "line_number",
            "regimen",
            "drugs",
            "start_date",
            "end_date",
            "best_response",
            "progression_date",
            "refractory_drugs",
        ]


class SampleOut(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    institution = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Sample
        fields = [
            "uuid",
            "patient",
            "institution",
            "accession",
            "timepoint",
            "collection_date",
            "receipt_date",
            "specimen",
            "enrichment",
            "purity_pct",
            "assay",
            "genome_build",
            "created_at",
        ]


# ---- input: what a POST creates and a PATCH changes -------------------------------------------------------------


class RecordIn(serializers.ModelSerializer):
    """The owning record (``owner``: the patient's institution, the line's or sample's patient) is chosen among
    those the writer can see when creating, and cannot change afterwards."""

    owner = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields[self.owner]
        request = self.context.get("request")  # absent only while the schema is generated: nothing is read then
        if self.instance is not None:
            field.read_only = True
        elif request is not None:
            field.queryset = field.queryset.visible_to(request.user)


class PatientIn(RecordIn):
    owner = "institution"
    institution = serializers.SlugRelatedField(slug_field="code", queryset=Institution.objects.all())

    class Meta:
        model = Patient
        fields = [
            name
            for name in PatientOut.Meta.fields
            if name not in {"uuid", "refractory_drugs", "created_at", "updated_at"}
        ]


class TreatmentLineIn(RecordIn):
    owner = "patient"
    patient = serializers.SlugRelatedField(slug_field="uuid", queryset=Patient.objects.all())
    drugs = serializers.SlugRelatedField(slug_field="name", many=True, queryset=Drug.objects.all())

    class Meta:
        model = TreatmentLine
        fields = [name for name in TreatmentLineOut.Meta.fields if name not in {"uuid", "refractory_drugs"}]


class SampleIn(RecordIn):
    owner = "patient"
    patient = serializers.SlugRelatedField(slug_field="uuid", queryset=Patient.objects.all())

    class Meta:
        model = Sample
        fields = [name for name in SampleOut.Meta.fields if name not in {"uuid", "institution", "created_at"}]


class PatientApiFilter(PatientFilter):
    """The patient page's filters; DRF hands the filter the request, the page's filter wants its user."""

    def __init__(self, data: Any = None, queryset: Any = None, *, request: Any = None, **kwargs: Any):
        super().__init__(data, queryset, user=request.user, request=request, **kwargs)


class TreatmentLineFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__uuid")

    class Meta:
        model = TreatmentLine
        fields = ["patient"]


class SampleFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient__uuid")
    institution = django_filters.CharFilter(field_name="institution__code")
    accession = django_filters.CharFilter()

    class Meta:
        model = Sample
        fields = ["patient", "institution", "accession", "timepoint", "assay"]


class RecordViewSet(VisibleReadOnlyViewSet):
    """Adds POST (create) and PATCH (change) through patients.services; every write, done or refused, is audited."""

    input_serializer_class: type[RecordIn]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        payload = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        record = self._write(request, None, payload.validated_data)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        payload = self.input_serializer_class(
            record, data=request.data, partial=True, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        return Response(self.get_serializer(self._write(request, record, payload.validated_data)).data)

    def _write(self, request: Request, record: Model | None, data: dict[str, Any]) -> Model:
        action = AuditEvent.Action.CREATE if record is None else AuditEvent.Action.CHANGE
        detail = {"endpoint": self.basename, "fields": sorted(data)}
        try:
            if record is None:
                record = services.record_create(model=self.queryset.model, by=request.user, **data)
            else:
                record = services.record_update(record=record, by=request.user, **data)
        except PermissionDenied:
            api_audit(request, action, obj=record, detail={**detail, "refused": "role"})
            raise
        api_audit(request, action, obj=record, detail=detail)
        return self.get_queryset().get(pk=record.pk)  # fresh, with the joins the output reads


def documented_writes(viewset: type[RecordViewSet]) -> type[RecordViewSet]:
    """Tell the schema that writes take the input serializer and answer with the output one."""
    request, response = viewset.input_serializer_class, viewset.serializer_class
    return extend_schema_view(
        create=extend_schema(request=request, responses={201: response}),
        partial_update=extend_schema(request=request, responses=response),
    )(viewset)


class InstitutionViewSet(VisibleReadOnlyViewSet):
    """Institutions whose patients you may read (a token: its one institution)."""

    queryset = Institution.objects.all()
    serializer_class = InstitutionOut


@documented_writes
class PatientViewSet(RecordViewSet):
    """Patients, pseudonymised by study ID; ``q`` searches study IDs (and exact MRNs of your own institutions)."""

    queryset = Patient.objects.select_related("institution").prefetch_related(_lines_with_drugs())
    serializer_class = PatientOut
    input_serializer_class = PatientIn
    filterset_class = PatientApiFilter


@documented_writes
class TreatmentLineViewSet(RecordViewSet):
    """Lines of therapy with their drugs, dates, best IMWG response and the drugs they made the patient
    refractory to."""

    queryset = TreatmentLine.objects.select_related("patient").prefetch_related("drugs", "line_drugs__drug")
    serializer_class = TreatmentLineOut
    input_serializer_class = TreatmentLineIn
    filterset_class = TreatmentLineFilter


@documented_writes
class SampleViewSet(RecordViewSet):
    """Tumour samples: timepoint, specimen, enrichment, purity, assay and genome build."""

    queryset = Sample.objects.select_related("patient", "institution").order_by("patient_id", "collection_date", "id")
    serializer_class = SampleOut
    input_serializer_class = SampleIn
    filterset_class = SampleFilter
