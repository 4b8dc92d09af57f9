from django.urls import path

from . import api

app_name = "variants-api"
urlpatterns = [
    path("samples/<uuid:uuid>/files/", api.SampleFilesApi.as_view(), name="sample-files"),
    path("files/<uuid:uuid>/", api.FileApi.as_view(), name="file"),
    path("files/<uuid:uuid>/errors/", api.FileErrorsApi.as_view(), name="file-errors"),
    path("files/<uuid:uuid>/parse-again/", api.FileParseAgainApi.as_view(), name="file-parse-again"),
    path("files/<uuid:uuid>/raw/", api.FileRawApi.as_view(), name="file-raw"),
]
