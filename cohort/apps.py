from django.apps import AppConfig


class CohortConfig(AppConfig):
    """The multi-centre registry: frequencies, survival, the learning loop, method harmonisation, exports."""

    name = "cohort"
