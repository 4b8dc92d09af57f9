"""Top-level URLs: accounts, the admin, and one include per app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="patients:list", permanent=False), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("patients/", include("patients.urls")),
    path("samples/", include("variants.urls")),
    path("worklist/", include("reports.urls")),
    path("reports/", include("reports.report_urls")),
    path("api/v1/", include("variants.api_urls")),
    path("", include("rules.urls")),
]

admin.site.site_header = "CRBN Portal administration"
admin.site.site_title = "CRBN Portal admin"
