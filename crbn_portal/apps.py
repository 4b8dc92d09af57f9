from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CrbnPortalConfig(AppConfig):
    """Cross-cutting pieces: the base model, audit events, role groups, the health task, system checks."""

    name = "crbn_portal"
    verbose_name = "CRBN Portal"

    def ready(self) -> None:
        from . import audit, checks  # noqa: F401  (connect the audit signals, register the checks)
        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="crbn_portal.sync_role_groups")
