from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Relapse reports, sign-off, rendering and tumour boards (filled by the report work)."""

    name = "reports"
