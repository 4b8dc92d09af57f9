"""The account's two-factor page: enrol (or replace) the authenticator app that gives one-time codes for signing."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import lockout, otp
from .audit import audit_record
from .models import AuditEvent


def _code_field(label: str, required: bool = True) -> forms.CharField:
    attrs = {"autocomplete": "one-time-code", "inputmode": "numeric"}
    return forms.CharField(label=label, max_length=8, required=required, widget=forms.TextInput(attrs=attrs))


class ConfirmCodeForm(forms.Form):
    current_token = _code_field("Code from your current app", required=False)
    token = _code_field("Code from the new app")

    def __init__(self, *args: Any, replacing: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if replacing:
            self.fields["current_token"].required = True
        else:
            del self.fields["current_token"]
            self.fields["token"].label = "Code from the app"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    device = otp.pending_device(request.user)
    form = ConfirmCodeForm(request.POST or None, replacing=otp.confirmed_device(request.user) is not None)
    if form.is_valid():
        try:
            _confirm(request, device, form.cleaned_data)
        except lockout.FailedSecret as error:
            form.add_error("current_token", error)
        except ValidationError as error:
            form.add_error("token", error)
        else:
            audit_record(request=request, action=AuditEvent.Action.ENROL, obj=device)
            messages.success(request, "Your authenticator app is enrolled: its codes now sign your reports.")
            return redirect("two_factor")
    audit_record(request=request, action=AuditEvent.Action.VIEW, detail={"page": "two-factor"})
    return render(request, "account/two_factor.html", _context(request, device, form))


def _confirm(request: HttpRequest, device: otp.TOTPDevice, data: dict[str, str]) -> None:
    """A wrong code from the current app counts towards the login lockout, as a wrong signing code does."""
    if lockout.is_locked_out(request, request.user):
        raise ValidationError(lockout.LOCKED_OUT)
    try:
        otp.confirm_device(device=device, token=data["token"], current_token=data.get("current_token", ""))
    except lockout.FailedSecret:
        lockout.record_failed_password(request, request.user)
        raise


def _context(request: HttpRequest, device: otp.TOTPDevice, form: ConfirmCodeForm) -> dict[str, object]:
    return {
        "enrolled": otp.confirmed_device(request.user),
        "form": form,
        "secret": otp.secret_base32(device),
        "uri": device.config_url,
        "qr_svg": otp.qr_svg(device.config_url),
    }
