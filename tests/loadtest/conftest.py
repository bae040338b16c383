"""The all-in-one stack (`interop up` as a subprocess) shared by the load runs of a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loadtest.launch import Stack, all_in_one

POPULATION = 2000


@pytest.fixture(scope="session")
def memory_stack() -> Iterator[Stack]:
    with all_in_one(POPULATION) as stack:
        yield stack
