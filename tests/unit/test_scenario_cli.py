"""`interop scenario run` says what it did with each pack and counts only what ran."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.mock_commands import run_scenarios

BASE = Path(__file__).resolve().parents[2] / "mocks" / "packs" / "base.yaml"
# Nothing answers here: a pack that gets as far as its checks would fail the run.
NOBODY = "127.0.0.1:1"


async def test_a_pack_of_records_only_says_so_and_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run_scenarios([BASE], NOBODY, {}, None, None, seed=True) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"scenario base ({BASE}): records only, no checks to run",
        "0 passed, 0 failed",
    ]


async def test_a_pack_that_cannot_be_read_fails_the_run_without_counting_a_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.yaml"
    assert await run_scenarios([missing], NOBODY, {}, None, None, seed=True) == 1
    printed = capsys.readouterr()
    assert str(missing) in printed.err
    assert printed.out.splitlines() == ["0 passed, 0 failed, 1 pack(s) not read"]
