from django.apps import AppConfig


class VariantsConfig(AppConfig):
    """Uploaded variant files and the CRBN alterations parsed from them (filled by the ingest work)."""

    name = "variants"

    def ready(self) -> None:
        from patients.signals import demo_clearing, demo_seeded

        from .receivers import clear_demo_files, write_demo_files

        demo_seeded.connect(write_demo_files, dispatch_uid="variants.write_demo_files")
        demo_clearing.connect(clear_demo_files, dispatch_uid="variants.clear_demo_files")
