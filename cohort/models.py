"""The registry stores nothing of its own: it reads patients, samples and assessments. This unmanaged model
exists only to carry the registry's permissions, which role groups hold (crbn_portal/roles.py)."""

from django.db import models


class Registry(models.Model):
    """Permission holder: no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_registry", "Can read the de-identified registry"),
            ("view_learning_loop", "Can read the registry's learning loop against the knowledge base"),
        ]

    def __str__(self) -> str:
        return "CRBN registry"
