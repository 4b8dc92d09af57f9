"""The API's exception handler turns a service's ValidationError into a 400, never a 500."""

from django.core.exceptions import ValidationError

from crbn_portal.api import exception_handler


def test_a_validation_error_with_fields_becomes_a_400_naming_the_field():
    response = exception_handler(ValidationError({"kind": "x.vcf: choose what kind of file this is."}), {})
    assert response.status_code == 400
    assert response.data == {"kind": ["x.vcf: choose what kind of file this is."]}


def test_a_plain_validation_error_becomes_a_400_with_its_message():
    response = exception_handler(ValidationError("x.vcf: the file is empty; nothing was stored."), {})
    assert (response.status_code, response.data) == (400, ["x.vcf: the file is empty; nothing was stored."])


def test_other_exceptions_are_left_to_django():
    assert exception_handler(RuntimeError("bug"), {}) is None
