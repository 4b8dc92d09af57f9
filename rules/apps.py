from django.apps import AppConfig


class RulesConfig(AppConfig):
    """The knowledge base (releases in the database), the rules engine and the assessments made with them."""

    name = "rules"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from patients.signals import demo_clearing, demo_seeded
        from variants.signals import ingest_finished

        from .receivers import assess_after_ingest, assess_demo_cohort, clear_demo_assessments

        ingest_finished.connect(assess_after_ingest, dispatch_uid="rules.assess_after_ingest")
        demo_seeded.connect(assess_demo_cohort, dispatch_uid="rules.assess_demo_cohort")
        demo_clearing.connect(clear_demo_assessments, dispatch_uid="rules.clear_demo_assessments")
