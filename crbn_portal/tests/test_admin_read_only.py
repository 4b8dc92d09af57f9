"""Records that change only through their own workflow (or never) are read-only in the admin."""

import pytest
from django.contrib import admin
from django.urls import reverse

from crbn_portal.models import ApiToken, AuditEvent
from reports.models import Decision, Meeting, PacketExport, Report, ReportReview
from rules.models import Assessment, CallChange, ReassessmentRun

pytestmark = pytest.mark.django_db

READ_ONLY = (
    AuditEvent,
    ApiToken,
    Report,
    ReportReview,
    Meeting,
    PacketExport,
    Decision,
    Assessment,
    CallChange,
    ReassessmentRun,
)


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda model: model.__name__)
def test_a_superuser_may_list_but_not_add_change_or_delete(model, admin_client, admin_user, rf):
    model_admin = admin.site._registry[model]
    request = rf.get("/")
    request.user = admin_user
    opts = model._meta

    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 403
    assert not model_admin.has_change_permission(request) and not model_admin.has_delete_permission(request)
