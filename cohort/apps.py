from django.apps import AppConfig


class CohortConfig(AppConfig):
    """The multi-centre registry (filled by the registry work)."""

    name = "cohort"
