"""The load of the fault, overload and soak runs: the load tool, open loop, sending the
check of the issue's tries: the ICAO specimen within the territory (all five systems
asked), a 2 s deadline, and a client timeout well above it to catch a hung call."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import json_format

from loadtest.faults.checks import Promise
from loadtest.load.cli import build_parser, plan_of, pool_of
from loadtest.load.plan import Plan
from loadtest.load.workload import Pool
from loadtest.processes import EVERY_SYSTEM

DEADLINE_S = 2.0
CLIENT_TIMEOUT_S = 5.0
# An answer may come this much after the deadline and still be in time: the gateway
# merges, audits and sends it once the deadline has passed.
PROMISE = Promise(DEADLINE_S, slack_s=0.5)
# The generator's lag on a busy shared machine is not what these runs measure.
MAX_LAG = "250ms"


def specimen_load(target: str, out: Path, *shape: str) -> tuple[Plan, Pool]:
    """The load tool's plan and pool for `interop loadtest run SHAPE...` with the specimen."""
    out.mkdir(parents=True, exist_ok=True)
    request = out / "request.json"
    request.write_text(json_format.MessageToJson(EVERY_SYSTEM))
    args = [
        "run",
        f"--target={target}",
        f"--timeout={CLIENT_TIMEOUT_S:g}s",
        f"--deadline-ms={DEADLINE_S * 1000:.0f}",
        f"--max-lag={MAX_LAG}",
        f"--request={request}",
        *shape,
    ]
    plan = plan_of(build_parser().parse_args(args))
    return plan, pool_of(plan)
