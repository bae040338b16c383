"""Every shipped scenario pack, through the whole stack, each in its own test session."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import grpc
import pytest

from mocks import scenario_run
from mocks.scenarios import load
from systems import REGISTRY
from tests.e2e.stacks import ROOT, Stack

PACKS = sorted((ROOT / "mocks" / "packs").glob("*.yaml"))
WITH_CHECKS = [p for p in PACKS if load(p, REGISTRY.names).checks]


def test_every_required_scenario_is_shipped() -> None:
    names = {p.stem for p in WITH_CHECKS}
    assert names >= {
        "clean-traveller",
        "sis-refusal-alias",
        "sis-arrest-flags",
        "sis-stolen-passport",
        "vis-revoked",
        "ees-overstay",
        "etias-refused",
        "etias-flag",
        "eurodac-fingerprint",
        "yellow-link",
        "partial-timeout",
        # Issue 13: one pack per point reviewed against the legal texts ...
        "document-identity",
        "visa-validity",
        "identity-links",
        "exit-check",
        "purposes-and-profiles",
        "ees-search",
        "actions-and-details",
        # ... and the entry conditions.
        "expired-passport",
        "visa-national-without-visa",
        "visa-exempt-without-etias",
        "expired-visa",
        "visa-limited-territory",
        "minor",
        "overstayer-on-entry",
    }


@pytest.mark.parametrize("pack", WITH_CHECKS, ids=[p.stem for p in WITH_CHECKS])
async def test_scenario_pack(stack: Stack, pack: Path) -> None:
    scenario = load(pack, REGISTRY.names)
    session = scenario_run.new_session()
    await scenario_run.seed(scenario, stack.mock_addresses, session)
    try:
        async with grpc.aio.insecure_channel(stack.target) as channel:
            results = await scenario_run.run(scenario, channel, session)
    finally:
        await scenario_run.reset(stack.mock_addresses, list(scenario.records), session)
    failed = [(r.name, r.problems) for r in results if not r.passed]
    assert not failed
    assert len(results) == len(scenario.checks)


async def _cli(stack: Stack, *args: str) -> tuple[int, str]:
    """Run `interop scenario run` without blocking the loop an in-process stack serves on."""
    mocks = [f"--mock={s}={a}" for s, a in stack.mock_addresses.items()]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "stack.cli",
        "scenario",
        "run",
        *args,
        "--target",
        stack.target,
        *mocks,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode or 0, output.decode()


async def test_the_cli_runs_every_pack_and_passes(stack: Stack) -> None:
    code, output = await _cli(stack, *map(str, PACKS))
    assert code == 0, output
    assert f"{sum(len(load(p, REGISTRY.names).checks) for p in PACKS)} passed, 0 failed" in output
    assert "OUTCOME_STATUS_" not in output and "VERDICT_" not in output, "enum values as words"


async def test_the_cli_fails_a_wrong_expectation(stack: Stack, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        "name: wrong\nchecks:\n  - name: expects a hit that is not there\n"
        "    request: {purpose: PURPOSE_BORDER_ENTRY, traveller: {surname: NOBODY-AT-ALL}}\n"
        "    expect: {verdict: VERDICT_HIT}\n"
    )
    code, output = await _cli(stack, str(wrong))
    assert code == 1
    assert "FAIL expects a hit that is not there" in output
    assert ".verdict: expected 'VERDICT_HIT', got 'VERDICT_CLEAR'" in output
