"""WSGI entry point (gunicorn crbn_portal.wsgi:application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crbn_portal.settings")

application = get_wsgi_application()
