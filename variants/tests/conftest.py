"""Fixtures the sample-page, upload and parse tests share; a module that needs another sample defines its own."""

import pytest

from patients.tests.factories import PatientFactory, SampleFactory


@pytest.fixture
def sample(world):
    return SampleFactory(patient=PatientFactory(institution=world.inst_a), genome_build="GRCh38")


@pytest.fixture
def lab(client, world):
    client.force_login(world.users["lab_scientist_a"])
    return client
