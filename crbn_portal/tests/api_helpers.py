"""Shared by the API tests: a client signed in as a persona, and the audit events a call left."""

from typing import Any

from rest_framework.test import APIClient

from crbn_portal.models import AuditEvent


def api_as(user: Any) -> APIClient:
    """A browser session's client (the session authentication path; tokens have their own tests)."""
    client = APIClient()
    client.force_login(user)
    return client


def uuids(response: Any) -> list[str]:
    return [row["uuid"] for row in response.json()["results"]]


def last_event(user: Any) -> AuditEvent:
    return AuditEvent.objects.filter(user=user).first()
