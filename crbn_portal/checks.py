"""System checks for deploy-time problems that settings alone cannot catch."""

import os
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.files, deploy=True)
def media_root_writable(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    media_root = settings.MEDIA_ROOT
    parent = media_root if media_root.exists() else media_root.parent
    if os.access(parent, os.W_OK):
        return []
    return [Error(f"MEDIA_ROOT {media_root} is not writable: uploads would fail.", id="crbn_portal.E001")]
