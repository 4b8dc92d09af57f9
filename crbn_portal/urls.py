"""Top-level URLs: accounts, the admin, and one include per app."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from . import audit_views, two_factor_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="patients:list", permanent=False), name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", two_factor_views.two_factor, name="two_factor"),
    path("audit/", audit_views.audit_log, name="audit"),
    path("admin/", admin.site.urls),
    path("patients/", include("patients.urls")),
    path("samples/", include("variants.urls")),
    path("worklist/", include("reports.urls")),
    path("reports/", include("reports.report_urls")),
    path("boards/", include("reports.board_urls")),
    path("registry/", include("cohort.urls")),
    path("api/", include("crbn_portal.api_urls")),
    path("account/", include("crbn_portal.account_urls")),
    path("", include("rules.urls")),
]

admin.site.site_header = "CRBN Portal administration"
admin.site.site_title = "CRBN Portal admin"
