"""Inputs of the tumour-board pages. Every choice a form offers is drawn from what the user may see (the
institutions they coordinate, the meeting institution's patients, the patient's own samples, reports and lines),
so a posted value can never reach past the chokepoint."""

from typing import Any

from django import forms

from patients.models import Drug, Institution, Patient, TreatmentLine

from .board_models import AgendaItem, Meeting


class DateInput(forms.DateInput):
    input_type = "date"


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["date", "title", "attendees"]
        widgets = {"date": DateInput(), "attendees": forms.Textarea(attrs={"rows": 4})}


class MeetingCreateForm(MeetingForm):
    institution = forms.ModelChoiceField(queryset=Institution.objects.none(), empty_label=None)

    class Meta(MeetingForm.Meta):
        fields = ["institution", "date", "title", "attendees"]

    def __init__(self, data: Any = None, *, institutions: Any) -> None:
        super().__init__(data)
        self.fields["institution"].queryset = institutions


class AgendaAddForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), to_field_name="uuid")
    question = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="What the board is asked to decide."
    )

    def __init__(self, data: Any = None, *, patients: Any) -> None:
        super().__init__(data)
        self.fields["patient"].queryset = patients
        self.fields["patient"].label_from_instance = lambda patient: patient.study_id


class AgendaItemForm(forms.Form):
    sample = forms.ModelChoiceField(queryset=None, required=False, to_field_name="uuid", empty_label="No sample")
    report = forms.ModelChoiceField(queryset=None, required=False, to_field_name="uuid", empty_label="No report")
    question = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data: Any = None, *, item: AgendaItem, samples: Any, reports: Any) -> None:
        initial = {
            "sample": item.sample.uuid if item.sample else None,
            "report": item.report.uuid if item.report else None,
            "question": item.question,
        }
        super().__init__(data, initial=initial)
        self.fields["sample"].queryset = samples
        self.fields["report"].queryset = reports
        self.fields["report"].label_from_instance = _report_label


def _report_label(report: Any) -> str:
    return f"{report.sample.accession} v{report.version} ({report.get_status_display().lower()})"


class MoveForm(forms.Form):
    offset = forms.TypedChoiceField(choices=[("-1", "up"), ("1", "down")], coerce=int)


class DecisionForm(forms.Form):
    regimen = forms.CharField(max_length=100, help_text="The regimen's name as used clinically, e.g. DaraPd.")
    recommended_drugs = forms.ModelMultipleChoiceField(
        queryset=Drug.objects.order_by("name"), to_field_name="name", help_text="The recommended regimen's drugs."
    )
    drugs_to_avoid = forms.ModelMultipleChoiceField(
        queryset=Drug.objects.order_by("name"), to_field_name="name", required=False
    )
    rationale = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(
        label="Evidence cited",
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Publications, guidelines, the relapse report.",
    )
    trial_referral = forms.CharField(
        label="Clinical-trial referral", max_length=300, required=False, help_text="The trial, if any."
    )
    follow_up_date = forms.DateField(required=False, widget=DateInput())


class LinkLineForm(forms.Form):
    line = forms.ModelChoiceField(
        queryset=TreatmentLine.objects.none(),
        required=False,
        to_field_name="uuid",
        empty_label="None yet",
        label="Treatment line that followed",
    )

    def __init__(self, data: Any = None, *, lines: Any, suggested: TreatmentLine | None) -> None:
        super().__init__(data, initial={"line": suggested.uuid if suggested else None})
        self.fields["line"].queryset = lines
        self.fields["line"].label_from_instance = _line_label


def _line_label(line: TreatmentLine) -> str:
    response = f", best response {line.best_response}" if line.best_response else ""
    return f"Line {line.line_number}: {line.regimen}, from {line.start_date:%d %b %Y}{response}"
