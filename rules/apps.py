from django.apps import AppConfig


class RulesConfig(AppConfig):
    """The knowledge base (releases in the database), the rules engine and the assessments made with them."""

    name = "rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from variants.signals import ingest_finished

        from .receivers import assess_after_ingest

        ingest_finished.connect(assess_after_ingest, dispatch_uid="rules.assess_after_ingest")
