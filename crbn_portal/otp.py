"""One-time codes (TOTP, django-otp) for signers: enrolment on the account page and the check at signing.

A user has at most one authenticator: an unconfirmed device is created when enrolment starts and becomes the
user's device once a code from the app proves it was scanned correctly."""

import base64
from typing import Any

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .lockout import FailedSecret

DEVICE_NAME = "Authenticator app"
ENROL_FIRST = "Your institution requires a one-time code to sign: enrol an authenticator app on your account first."
WRONG_CODE = "The one-time code is not correct or has expired: the report was not signed."
WRONG_CURRENT_CODE = (
    "The code from your current app is not correct or has expired: the app was not replaced. If you no longer have "
    "that phone, ask your IT administrator to remove the old device."
)


def confirmed_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def pending_device(user: Any) -> TOTPDevice:
    """The device being enrolled: the same secret is shown until the user confirms it."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=False, defaults={"name": DEVICE_NAME})
    return device


def confirm_device(*, device: TOTPDevice, token: str, current_token: str = "") -> TOTPDevice:
    """The first correct code makes the device the user's authenticator. Replacing an enrolled one also takes a
    code from it: a password alone (phished, or typed at an unlocked workstation) must not be enough to move
    the signing codes to another phone. A user who lost the phone asks IT to remove the device in the admin."""
    if confirmed_device(device.user) is not None:
        require_code(user=device.user, token=current_token, refused=WRONG_CURRENT_CODE)
    if not device.verify_token(token.strip()):
        raise ValidationError("That code does not match: check the clock on your phone and try the newest code.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return device


def require_code(*, user: Any, token: str, refused: str = "") -> None:
    """Raises with a message the user can act on: enrol first, or the code is wrong (``refused``, else the
    signing message)."""
    device = confirmed_device(user)
    if device is None:
        raise ValidationError(ENROL_FIRST)
    if not token or not device.verify_token(token.strip()):
        raise FailedSecret(refused or WRONG_CODE)


def signing_code_state(*, institution: Any, user: Any) -> dict[str, bool]:
    """What the sign form needs to know: whether a code is asked for, and whether the user can give one."""
    required = bool(institution.signers_require_totp)
    return {"required": required, "enrolled": required and confirmed_device(user) is not None}


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps accept it when typed in by hand."""
    return base64.b32encode(device.bin_key).decode()


def qr_svg(uri: str) -> str:
    """The enrolment URI as an SVG QR code, drawn on the server (no script, no external service)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")
