"""The account's two-factor page: enrol (or replace) the authenticator app that gives one-time codes for signing."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import otp
from .audit import audit_record
from .models import AuditEvent


class ConfirmCodeForm(forms.Form):
    token = forms.CharField(
        label="Code from the app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    device = otp.pending_device(request.user)
    form = ConfirmCodeForm(request.POST or None)
    if form.is_valid():
        try:
            otp.confirm_device(device=device, token=form.cleaned_data["token"])
        except ValidationError as error:
            form.add_error("token", error)
        else:
            audit_record(request=request, action=AuditEvent.Action.ENROL, obj=device)
            messages.success(request, "Your authenticator app is enrolled: its codes now sign your reports.")
            return redirect("two_factor")
    audit_record(request=request, action=AuditEvent.Action.VIEW, detail={"page": "two-factor"})
    return render(request, "account/two_factor.html", _context(request, device, form))


def _context(request: HttpRequest, device: otp.TOTPDevice, form: ConfirmCodeForm) -> dict[str, object]:
    return {
        "enrolled": otp.confirmed_device(request.user),
        "form": form,
        "secret": otp.secret_base32(device),
        "uri": device.config_url,
        "qr_svg": otp.qr_svg(device.config_url),
    }
