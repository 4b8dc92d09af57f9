"""The patient list's filters. The queryset handed in is already scoped by ``visible_to(user)``; these only
narrow it, and never let a choice or a search term reach past what the user may see."""

from datetime import timedelta
from typing import Any

import django_filters
from django.db.models import DateField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet

from crbn_portal.permissions import institutions_with_patient_access

from .drugs import CRBN_DEPENDENT_CLASSES
from .models import Drug, Institution, Patient, TreatmentLine
from .refractoriness import REFRACTORY_WINDOW_DAYS


def refractory_line_exists(drug: Drug) -> Exists:
    """IMWG in SQL, mirroring refractoriness.line_is_refractory: a line with the drug that progressed on
    therapy (no last dose yet) or within the window after its last dose.

    Adding a timedelta to a date compiles to ``date + interval`` on PostgreSQL and to Django's
    ``django_format_dtdelta`` on SQLite, which yields an ISO date string that compares correctly.
    """
    window_end = ExpressionWrapper(
        F("end_date") + timedelta(days=REFRACTORY_WINDOW_DAYS),
        output_field=DateField(),
    )
    lines = TreatmentLine.objects.filter(patient=OuterRef("pk"), drugs=drug, progression_date__isnull=False)
    return Exists(lines.filter(Q(end_date__isnull=True) | Q(progression_date__lte=window_end)))


class PatientFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Study ID or MRN", method="filter_search")
    institution = django_filters.ModelChoiceFilter(
        queryset=Institution.objects.none(), to_field_name="code", empty_label="Any"
    )
    sex = django_filters.ChoiceFilter(choices=Patient.Sex.choices, empty_label="Any")
    iss_stage = django_filters.ChoiceFilter(label="ISS stage", choices=Patient.Stage.choices, empty_label="Any")
    presentation = django_filters.ChoiceFilter(
        label="Disease presentation", choices=Patient.Presentation.choices, empty_label="Any"
    )
    refractory_to = django_filters.ModelChoiceFilter(
        label="Refractory to",
        queryset=Drug.objects.filter(drug_class__in=CRBN_DEPENDENT_CLASSES),
        to_field_name="name",
        empty_label="Any",
        method="filter_refractory_to",
    )

    class Meta:
        model = Patient
        fields: list[str] = []

    def __init__(self, data: Any = None, queryset: QuerySet[Patient] | None = None, *, user: Any, **kwargs: Any):
        super().__init__(data, queryset, **kwargs)
        self.user = user
        self.filters["institution"].queryset = Institution.objects.visible_to(user)

    def filter_search(self, queryset: QuerySet[Patient], name: str, value: str) -> QuerySet[Patient]:
        """Study ID by substring; MRN only by exact match and only inside the user's own institutions, so the
        box can neither reveal another centre's MRNs nor be used to enumerate them. (django-filter skips empty
        terms, and the form strips whitespace.)"""
        own = institutions_with_patient_access(self.user)
        return queryset.filter(Q(study_id__icontains=value) | Q(mrn__iexact=value, institution__in=own))

    def filter_refractory_to(self, queryset: QuerySet[Patient], name: str, value: Drug) -> QuerySet[Patient]:
        return queryset.filter(refractory_line_exists(value))
