"""Included at the site root: the knowledge-base pages under kb/, and a sample's assessment under samples/."""

from django.urls import path

from . import views

app_name = "rules"
urlpatterns = [
    path("kb/", views.kb_table, name="kb"),
    path("kb/releases/", views.release_list, name="releases"),
    path("kb/releases/<uuid:uuid>/", views.release_detail, name="release"),
    path("kb/releases/<uuid:uuid>/activate/", views.release_activate, name="release_activate"),
    path("kb/reassessments/<uuid:uuid>/", views.reassessment_detail, name="reassessment"),
    path("kb/reassessments/<uuid:uuid>/progress/", views.reassessment_progress, name="reassessment_progress"),
    path("samples/<uuid:uuid>/assessment/", views.sample_assessment, name="sample_assessment"),
    path("samples/<uuid:uuid>/assessment/run/", views.sample_reassess, name="sample_reassess"),
]
