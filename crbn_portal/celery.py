"""The Celery app. Its configuration lives in settings (the CELERY_* names), where each choice is explained."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crbn_portal.settings")

app = Celery("crbn_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
