from django.urls import path

from . import views

app_name = "variants"
urlpatterns = [
    path("<uuid:uuid>/", views.sample_detail, name="sample"),
    path("<uuid:uuid>/files/", views.file_upload, name="file_upload"),
    path("<uuid:uuid>/files/confirm/", views.file_confirm, name="file_confirm"),
    path("<uuid:uuid>/files/status/", views.file_status, name="file_status"),
    path("<uuid:uuid>/files/<uuid:file_uuid>/download/", views.file_download, name="file_download"),
    path("<uuid:uuid>/files/<uuid:file_uuid>/parse-again/", views.file_parse_again, name="file_parse_again"),
]
