"""The worklist's filters. They only narrow rows already scoped by ``visible_to(user)``."""

from typing import Any

from django import forms

from patients.models import Institution

from .status import UNSAMPLED_STATUSES, UNTESTED_STATUSES, ReviewStatus


class WorklistFilterForm(forms.Form):
    institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), to_field_name="code", required=False, empty_label="Any"
    )
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Any"),
            ("Awaiting CRBN testing", [(status.value, status.label) for status in UNTESTED_STATUSES]),
            ("Without a sample", [(status.value, status.label) for status in UNSAMPLED_STATUSES]),
            ("Reports awaiting review", [(status.value, status.label) for status in ReviewStatus]),
        ],
    )

    def __init__(self, data: Any = None, *, user: Any) -> None:
        super().__init__(data)
        # Only institutions whose patients the user may read: a choice can never reach past the chokepoint.
        self.fields["institution"].queryset = Institution.objects.visible_to(user).order_by("code")
