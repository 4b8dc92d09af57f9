from django.apps import AppConfig


class RulesConfig(AppConfig):
    """The knowledge base and the rules engine (filled by the rules-engine work)."""

    name = "rules"
