"""The user's account page: their API tokens (create, revoke). A token's secret is shown once, in the answer to
the form that created it, and never stored or shown again."""

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import tokens
from .audit import audit_record
from .models import ApiToken, AuditEvent


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What will use it, e.g. the lab system's name and host."
    )
    institution = forms.ModelChoiceField(
        label="Acts at", queryset=None, empty_label=None, help_text="The token sees only this institution's data."
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Imported here: patients depends on crbn_portal, never the other way at import time.
        from patients.models import Institution

        self.fields["institution"].queryset = Institution.objects.filter(memberships__user=user).distinct()


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    audit_record(request=request, action=AuditEvent.Action.VIEW, detail={"page": "account"})
    return _page(request, TokenForm(user=request.user))


@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, user=request.user)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        token, secret = tokens.token_create(user=request.user, **form.cleaned_data)
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, error if isinstance(error, ValidationError) else str(error))
        return _page(request, form, status=400)
    audit_record(request=request, action=AuditEvent.Action.TOKEN_CREATE, obj=token, detail=_described(token))
    return _page(request, TokenForm(user=request.user), new_token=token, secret=secret, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, uuid: UUID) -> HttpResponse:
    token = tokens.token_revoke(token=get_object_or_404(ApiToken, user=request.user, uuid=uuid))
    audit_record(request=request, action=AuditEvent.Action.TOKEN_REVOKE, obj=token, detail=_described(token))
    messages.success(request, f"Token “{token.name}” is revoked: requests using it are refused from now on.")
    return redirect("account")


def _described(token: ApiToken) -> dict[str, str]:
    return {"name": token.name, "prefix": token.prefix, "institution": token.institution.code}


def _page(request: HttpRequest, form: TokenForm, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = {"form": form, "tokens": tokens.token_list(user=request.user), **extra}
    response = render(request, "account/account.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a secret shown once
    return response
