"""The short fuzz run of CI: a few hundred inputs per target, the same checks as the long run
(`python -m tests.fuzz --examples 100000`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz.run import TARGETS, Target, run
from tests.fuzz.targets import Gateway, Tally, serving

EXAMPLES = 250


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    with serving(Path(tmp_path_factory.mktemp("fuzz"))) as running:
        yield running


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_no_input_crashes_hangs_or_is_refused_without_a_field(
    gateway: Gateway, target: Target
) -> None:
    tally = Tally()
    run(target, gateway, tally, EXAMPLES, seed=None)
    assert tally.inputs >= EXAMPLES
    assert tally.failed == 0, tally.failures
