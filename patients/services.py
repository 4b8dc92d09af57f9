"""Writes of clinical records from the API: patients, treatment lines and samples. Each checks the writer's role
at the record's own institution (model permissions come from role groups that span institutions), validates the
row with its constraints (``full_clean``) and saves it in one transaction. Callers fetch existing rows through the
chokepoint first, so a record the writer cannot see is a 404 before it gets here."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model

from crbn_portal.permissions import has_role_in
from crbn_portal.roles import Role

from .models import Drug, LineDrug, Patient, Sample, TreatmentLine

# Who keeps each kind of record, per institution (crbn_portal.roles gives the matching model permissions).
PATIENT_WRITERS = frozenset({Role.ADMIN})
LINE_WRITERS = frozenset({Role.CLINICIAN, Role.ADMIN})
SAMPLE_WRITERS = frozenset({Role.LAB_SCIENTIST, Role.ADMIN})
WRITERS = {Patient: PATIENT_WRITERS, TreatmentLine: LINE_WRITERS, Sample: SAMPLE_WRITERS}
WHO_WRITES = {
    Patient: "Only the institution's admins register and change patients.",
    TreatmentLine: "Only the institution's clinicians and admins record treatment lines.",
    Sample: "Only the institution's lab scientists and admins register and change samples.",
}


def may_write(user: Any, model: type[Model], institution_id: int, *, adding: bool) -> bool:
    codename = f"{model._meta.app_label}.{'add' if adding else 'change'}_{model._meta.model_name}"
    return user.has_perm(codename) and has_role_in(user, institution_id, WRITERS[model])


def record_create(*, model: type[Model], by: Any, drugs: Iterable[Drug] | None = None, **fields: Any) -> Model:
    """A new patient, treatment line (with ``drugs``) or sample."""
    record = model(**fields, created_by=by)
    return _save(record, by, adding=True, drugs=drugs)


def record_update(*, record: Model, by: Any, drugs: Iterable[Drug] | None = None, **changes: Any) -> Model:
    """Changed fields of an existing record; a treatment line's ``drugs``, when given, replace its drugs."""
    for name, value in changes.items():
        setattr(record, name, value)
    return _save(record, by, adding=False, drugs=drugs)


def _save(record: Model, by: Any, *, adding: bool, drugs: Iterable[Drug] | None) -> Model:
    model = type(record)
    if not may_write(by, model, _institution_id(record), adding=adding):
        raise PermissionDenied(WHO_WRITES[model])
    if isinstance(record, Sample):
        record.institution_id = record.patient.institution_id  # as Sample.save does: the accession check needs it
    record.full_clean()
    try:
        with transaction.atomic():
            record.save()
            if drugs is not None:
                _set_drugs(record, drugs)  # type: ignore[arg-type]
    except IntegrityError as error:
        # full_clean checked the constraints; only a concurrent write of the same record gets here.
        raise ValidationError(f"Another change to this {model._meta.verbose_name} came first; try again.") from error
    return record


def _institution_id(record: Model) -> int:
    if isinstance(record, Patient):
        return record.institution_id
    return record.patient.institution_id  # type: ignore[attr-defined]


def _set_drugs(line: TreatmentLine, drugs: Iterable[Drug]) -> None:
    """Replace the line's drugs; a drug kept keeps its recorded last dose."""
    wanted = {drug.pk: drug for drug in drugs}
    line.line_drugs.exclude(drug_id__in=wanted).delete()
    kept = set(line.line_drugs.values_list("drug_id", flat=True))
    LineDrug.objects.bulk_create(LineDrug(line=line, drug=drug) for pk, drug in wanted.items() if pk not in kept)
