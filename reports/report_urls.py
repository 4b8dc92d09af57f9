"""Relapse reports, mounted at reports/: a report's page and its workflow actions, a sample's reports."""

from django.urls import path

from . import report_views as views

app_name = "report"
urlpatterns = [
    path("<uuid:uuid>/", views.report_detail, name="detail"),
    path("<uuid:uuid>/render-status/", views.report_render_status, name="render_status"),
    path("<uuid:uuid>/pdf/", views.report_pdf, name="pdf"),
    path("<uuid:uuid>/submit/", views.report_submit, name="submit"),
    path("<uuid:uuid>/review/", views.report_review, name="review"),
    path("<uuid:uuid>/return/", views.report_return, name="return"),
    path("<uuid:uuid>/sign/", views.report_sign, name="sign"),
    path("<uuid:uuid>/amend/", views.report_amend, name="amend"),
    path("<uuid:uuid>/render/", views.report_render_again, name="render_again"),
    path("sample/<uuid:uuid>/", views.sample_reports, name="sample"),
    path("new/<uuid:uuid>/", views.report_create, name="create"),
]
