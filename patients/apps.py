from django.apps import AppConfig


class PatientsConfig(AppConfig):
    """Institutions, memberships, patients, treatment lines and samples."""

    name = "patients"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (keeps role groups in step with memberships)
