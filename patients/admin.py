"""Admin for the clinical records, scoped to the staff member's institutions."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from crbn_portal.admin import PROVENANCE_FIELDS, ScopedAdmin

from .models import Drug, Institution, LineDrug, Membership, Patient, Sample, TreatmentLine


class InstitutionChoicesMixin:
    """Institution drop-downs offer only the staff member's own institutions."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "institution":
            kwargs["queryset"] = Institution.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "country", "region")
    list_filter = ("country", "region")
    search_fields = ("name", "code")
    readonly_fields = PROVENANCE_FIELDS

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request) & Institution.objects.visible_to(request.user)


@admin.register(Membership)
class MembershipAdmin(InstitutionChoicesMixin, admin.ModelAdmin):
    list_display = ("user", "institution", "role")
    list_filter = ("role", "institution")
    search_fields = ("user__username", "user__last_name", "institution__code")
    readonly_fields = PROVENANCE_FIELDS

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return super().get_queryset(request).filter(institution__in=Institution.objects.visible_to(request.user))


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    list_display = ("name", "drug_class")
    list_filter = ("drug_class",)
    search_fields = ("name",)


class TreatmentLineInline(admin.TabularInline):
    """Lines on the patient's page; their drugs are edited on each line's own page."""

    model = TreatmentLine
    extra = 0
    fields = ("line_number", "regimen", "start_date", "end_date", "best_response", "progression_date")
    show_change_link = True


class LineDrugInline(admin.TabularInline):
    model = LineDrug
    extra = 1
    fields = ("drug", "last_dose_date")


@admin.register(Patient)
class PatientAdmin(InstitutionChoicesMixin, ScopedAdmin):
    list_display = ("study_id", "institution", "year_of_birth", "sex", "diagnosis_date", "iss_stage")
    list_filter = ("institution", "sex", "iss_stage", "riss_stage", "presentation", "registry_consent")
    search_fields = ("study_id",)
    date_hierarchy = "diagnosis_date"
    inlines = [TreatmentLineInline]


@admin.register(TreatmentLine)
class TreatmentLineAdmin(ScopedAdmin):
    list_display = ("patient", "line_number", "regimen", "start_date", "end_date", "best_response", "progression_date")
    list_filter = ("best_response", "drugs")
    search_fields = ("patient__study_id", "regimen")
    raw_id_fields = ("patient",)
    inlines = [LineDrugInline]


@admin.register(Sample)
class SampleAdmin(ScopedAdmin):
    list_display = ("accession", "patient", "timepoint", "collection_date", "specimen", "assay", "genome_build")
    list_filter = ("timepoint", "specimen", "enrichment", "assay", "genome_build")
    search_fields = ("accession", "patient__study_id")
    raw_id_fields = ("patient",)
