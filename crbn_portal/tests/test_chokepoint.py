"""The permission chokepoint, walked for every persona against two institutions."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from crbn_portal.permissions import get_visible_or_404
from crbn_portal.roles import ROLE_PERMISSIONS, Role
from patients.models import Membership, Patient, Sample, TreatmentLine
from patients.tests.factories import MembershipFactory, PatientFactory, SampleFactory, TreatmentLineFactory

pytestmark = pytest.mark.django_db

MODELS = (Patient, TreatmentLine, Sample)
PATIENT_DATA_PERSONAS = [f"{role}_a" for role in Role if role != Role.RESEARCHER]


@pytest.fixture
def records(world):
    """One patient with a line and a sample in each institution."""
    made = {}
    for key, institution in (("a", world.inst_a), ("b", world.inst_b)):
        patient = PatientFactory(institution=institution)
        made[key] = {
            Patient: patient,
            TreatmentLine: TreatmentLineFactory(patient=patient),
            Sample: SampleFactory(patient=patient),
        }
    return made


def visible(model, user):
    return set(model.objects.visible_to(user))


@pytest.mark.parametrize("persona", PATIENT_DATA_PERSONAS)
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_members_see_their_institution_and_nothing_else(world, records, persona, model):
    user = world.users[persona]
    assert visible(model, user) == {records["a"][model]}
    assert get_visible_or_404(model, user, uuid=records["a"][model].uuid) == records["a"][model]
    with pytest.raises(Http404):
        get_visible_or_404(model, user, uuid=records["b"][model].uuid)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_the_other_institutions_clinician_sees_only_theirs(world, records, model):
    assert visible(model, world.users["clinician_b"]) == {records["b"][model]}


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_researchers_and_anonymous_visitors_see_no_identifiable_row(world, records, model):
    assert visible(model, world.users["researcher_a"]) == set()
    assert visible(model, AnonymousUser()) == set()
    with pytest.raises(Http404):
        get_visible_or_404(model, world.users["researcher_a"], uuid=records["a"][model].uuid)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_superusers_see_every_institution(world, records, model):
    assert visible(model, world.users["superuser"]) == {records["a"][model], records["b"][model]}


def test_an_inactive_user_sees_nothing(world, records):
    user = world.users["clinician_a"]
    user.is_active = False
    assert visible(Patient, user) == set()


def test_a_user_in_two_institutions_sees_both_without_duplicates(world, records):
    user = world.users["clinician_a"]
    MembershipFactory(user=user, institution=world.inst_b, role=Role.CLINICIAN)
    MembershipFactory(user=user, institution=world.inst_b, role=Role.LAB_SCIENTIST)
    assert list(Patient.objects.visible_to(user).order_by("pk")) == [records["a"][Patient], records["b"][Patient]]


def test_a_researcher_role_elsewhere_adds_no_patient_access(world, records):
    user = world.users["clinician_a"]
    MembershipFactory(user=user, institution=world.inst_b, role=Role.RESEARCHER)
    assert visible(Patient, user) == {records["a"][Patient]}


def test_membership_puts_the_user_in_the_role_group_and_its_removal_takes_it_away(world):
    user = world.users["lab_scientist_a"]
    assert user.has_perm("patients.add_sample")
    assert not user.has_perm("patients.add_treatmentline")
    Membership.objects.get(user=user).delete()
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per instance
    assert not user.has_perm("patients.add_sample")


def test_every_role_has_a_group_with_exactly_its_permissions(world):
    from django.contrib.auth.models import Group

    for role, names in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert held == set(names)
