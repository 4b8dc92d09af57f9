from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class CrbnPortalConfig(AppConfig):
    """Cross-cutting pieces: the base model, audit events, role groups, the health task, system checks, the page
    cache's write watch."""

    name = "crbn_portal"
    verbose_name = "CRBN Portal"

    def ready(self) -> None:
        from . import audit, checks  # noqa: F401  (connect the audit signals, register the checks)
        from .page_cache import install as watch_writes_for_page_cache
        from .roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="crbn_portal.sync_role_groups")
        connection_created.connect(watch_writes_for_page_cache, dispatch_uid="crbn_portal.page_cache")
