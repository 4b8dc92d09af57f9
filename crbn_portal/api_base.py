"""What every API viewset shares: public UUIDs in URLs, the permission chokepoint, and an audit event per call."""

from typing import Any

from django.db import models
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from .audit import audit_record, listed_filters
from .models import ApiToken, AuditEvent

# Query parameters that may carry an identifier (a study ID or MRN search): only their presence is logged.


def api_audit(
    request: Request, action: str, obj: models.Model | None = None, detail: dict[str, Any] | None = None
) -> None:
    """audit_record, plus which token acted (by its recognisable prefix) when a lab system called."""
    detail = dict(detail or {})
    if isinstance(request.auth, ApiToken):
        detail["token"] = request.auth.prefix
    audit_record(request=request, action=action, obj=obj, detail=detail)


class VisibleReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Read-only, looked up by UUID, scoped by ``visible_to(user)`` (so an invisible object is a 404), audited.

    Subclasses set ``queryset`` to the model's unscoped queryset (with its joins); the chokepoint is applied here,
    per request."""

    lookup_field = "uuid"
    lookup_value_converter = "uuid"

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().visible_to(self.request.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        api_audit(
            request, AuditEvent.Action.LIST, detail={"endpoint": self.basename, **listed_filters(request.query_params)}
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        api_audit(request, AuditEvent.Action.VIEW, obj=obj, detail={"endpoint": self.basename})
        return Response(self.get_serializer(obj).data)
