"""Input of the upload and confirm steps. Checks here are about the request; the rules live in services."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat

from .models import FileKind, VariantFile
from .parsers import registry


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field, as Django 5.2's "Uploading multiple files" documents it; cleans to a list."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single_file_clean = super().clean
        if isinstance(data, list | tuple) and data:
            return [single_file_clean(each, initial) for each in data]
        # The documented pattern passes an empty selection ([]) as valid; as None, "required" applies.
        return [single_file_clean(data or None, initial)]


class UploadForm(forms.Form):
    # Empty files pass here so that the upload service refuses each by name while the others are stored.
    files = MultipleFileField(label="Variant files", allow_empty_file=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.CRBN_UPLOAD_MAX_BYTES)
        self.fields["files"].help_text = (
            f"One or several files, plain or gzip-compressed, up to {limit} each. "
            f"Accepted formats: {registry.accepted_formats()}. "
            "A bgzip-compressed VCF's tabix index (.tbi or .csi, named after it) may be uploaded with it."
        )


class ConfirmForm(forms.Form):
    """One pending file: keep the sniffed kind or correct it, and name the tumour column if the file has several."""

    kind = forms.ChoiceField(label="Kind", choices=FileKind.choices)
    tumour_sample = forms.CharField(
        label="Tumour sample column",
        max_length=200,
        required=False,
        help_text="Only for a file with several sample columns, when its header does not say which is the tumour.",
    )


ConfirmPairs = list[tuple[VariantFile, ConfirmForm]]


def confirm_forms(pending: Sequence[VariantFile], data: QueryDict | None = None) -> ConfirmPairs:
    """A form per pending file, prefixed by its public UUID. Bound to ``data``, only the files whose fields were
    posted are returned: a file uploaded after the page was drawn is not confirmed unseen."""
    pairs = [(variant_file, _confirm_form(variant_file, data)) for variant_file in pending]
    if data is None:
        return pairs
    return [(variant_file, form) for variant_file, form in pairs if form.add_prefix("kind") in data]


def named_message(name: str, error: ValidationError) -> str:
    """Every message names its file (the services' messages mostly do already)."""
    text = " ".join(error.messages)
    return text if text.startswith(name) else f"{name}: {text}"


def _confirm_form(variant_file: VariantFile, data: QueryDict | None) -> ConfirmForm:
    initial = {"kind": variant_file.kind, "tumour_sample": variant_file.tumour_sample}
    return ConfirmForm(data, prefix=str(variant_file.uuid), initial=initial)
