from django.apps import AppConfig


class VariantsConfig(AppConfig):
    """Uploaded variant files and the CRBN alterations parsed from them (filled by the ingest work)."""

    name = "variants"
