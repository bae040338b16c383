"""Shared fixtures: a small seeded population and its index."""

from __future__ import annotations

import pytest

from broker.matching import IdentityIndex
from mocks.population import Population, generate


@pytest.fixture(scope="session")
def population() -> Population:
    return generate(5_000, seed=3)


@pytest.fixture(scope="session")
def index(population: Population) -> IdentityIndex:
    return IdentityIndex.build(population.columns())
