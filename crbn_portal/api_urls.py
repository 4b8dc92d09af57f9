"""The API, mounted at api/: version 1 under v1/ (one router for the apps' viewsets, beside the variant-file
endpoints), the OpenAPI 3 schema and its interactive documentation (served from static files, no CDN)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from patients import api as patients_api
from reports import api as reports_api
from rules import api as rules_api
from variants import api as variants_api

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False  # one URL per resource: JSON is the only format
router.register("institutions", patients_api.InstitutionViewSet, basename="institution")
router.register("patients", patients_api.PatientViewSet, basename="patient")
router.register("treatment-lines", patients_api.TreatmentLineViewSet, basename="treatment-line")
router.register("samples", patients_api.SampleViewSet, basename="sample")
for segment, viewset in variants_api.ALTERATION_VIEWSETS.items():
    router.register(f"alterations/{segment}", viewset, basename=f"alteration-{segment}")
router.register("assessments", rules_api.AssessmentViewSet, basename="assessment")
router.register("reports", reports_api.ReportViewSet, basename="report")
router.register("meetings", reports_api.MeetingViewSet, basename="meeting")

urlpatterns = [
    path("v1/", include("variants.api_urls")),
    path("v1/", include((router.urls, "api"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
]
