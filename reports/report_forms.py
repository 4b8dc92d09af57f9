"""Inputs of the report workflow's POST actions. Each carries the revision the user saw (optimistic concurrency)."""

from django import forms

from .models import ReviewDecision


class RevisionForm(forms.Form):
    revision = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ReviewForm(RevisionForm):
    decision = forms.ChoiceField(choices=ReviewDecision.choices)
    comment = forms.CharField(required=False, max_length=4000, widget=forms.Textarea)


class ReturnForm(RevisionForm):
    comment = forms.CharField(max_length=4000, widget=forms.Textarea)


class SignForm(RevisionForm):
    # Never rendered back with its value: a failed attempt shows an empty field.
    password = forms.CharField(strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    one_time_code = forms.CharField(required=False, max_length=8)


class AmendForm(forms.Form):
    reason = forms.CharField(max_length=4000, widget=forms.Textarea)
