from django.urls import path

from . import views

app_name = "cohort"
urlpatterns = [
    path("", views.frequencies, name="frequencies"),
    path("survival/", views.survival, name="survival"),
    path("learning-loop/", views.learning_loop, name="learning_loop"),
    path("methods/", views.methods, name="methods"),
    path("export/cbioportal/", views.export_cbioportal, name="export_cbioportal"),
    path("export/fhir/", views.export_fhir, name="export_fhir"),
]
