"""A mock's search, measured from outside: CPU per call of the mock process, gRPC included.

    python -m loadtest.mock_search                        # 1,000,000 people, 10,000 seeded
    python -m loadtest.mock_search --population 100000 --calls 1000

Starts `interop serve mock sis` with `--population` people (the seeded synthetic world,
as a stack would), asks it `--calls` searches for people drawn from the same world (half
typed exactly, half with a keying slip in the surname; people SIS holds a record of, so
that each search finds one, as in the session), `--in-flight` at a time over gRPC,
and reads the mock's CPU time from /proc: milliseconds per call, its gRPC server included.
Then it seeds `--seeded` records of other people into a test session (MockControl.Seed, as
a national test team would) and asks the same number of searches for them in that session:
a session searches the population and its own records, so its cost should be the
population's. Prints both, their ratio, client-side p50/p99, and judges the targets
(population search <= 0.3 ms CPU per call; seeded session within 1.25x of it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc
import numpy as np

from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from loadtest.check_latency import percentile
from loadtest.load.travellers import exact, typo
from loadtest.processes import CLI, free_port, wait_serving
from loadtest.procstat import Group, snapshot, usage
from mocks.population import Population, generate
from mocks.world import World

TARGET_CPU_MS = 0.3
SEEDED_RATIO = 1.25
SEED_BATCH = 2500
SESSION = "mock-search-benchmark"
# The seeded people come from another world than the population's (seed 2026 by default).
SEEDED_WORLD_SEED = 7


@dataclass
class Figures:
    what: str
    calls: int
    cpu_ms_per_call: float
    p50_ms: float
    p99_ms: float
    matches_per_call: float


def travellers(
    population: Population, count: int, rng: np.random.Generator, among: np.ndarray | None = None
) -> list[pb.Traveller]:
    """`count` people of `population` (of `among` when given), half exact and half with a
    slip in the surname."""
    positions = (
        rng.choice(among, count) if among is not None else rng.integers(0, len(population), count)
    )
    return [
        (exact if n % 2 == 0 else typo)(population, int(p), rng) for n, p in enumerate(positions)
    ]


def seed_records(population: Population) -> list[mock_pb2.MockRecord]:
    return [
        mock_pb2.MockRecord(
            record_id=f"BENCH-{n}",
            identity=exact(population, n, np.random.default_rng(n)),
            sis=s.SisAlert(category=s.SIS_ALERT_CATEGORY_INQUIRY_CHECK),
        )
        for n in range(len(population))
    ]


async def ask(
    address: str,
    pid: int,
    what: str,
    queries: Sequence[pb.Traveller],
    in_flight: int,
    session: str,
) -> Figures:
    metadata = session_metadata(session)
    latencies: list[float] = []
    matches = 0
    async with grpc.aio.insecure_channel(address) as channel:
        search = channel.unary_unary(
            "/interop.mock.v1.SisMock/Search",
            request_serializer=mock_pb2.SearchRequest.SerializeToString,
            response_deserializer=mock_pb2.SearchResponse.FromString,
        )
        pending = iter(queries)

        async def caller() -> None:
            nonlocal matches
            for traveller in pending:
                request = mock_pb2.SearchRequest(
                    traveller=traveller, purpose=pb.PURPOSE_BORDER_ENTRY
                )
                sent = time.perf_counter()
                response = await search(request, metadata=metadata, timeout=30)
                latencies.append((time.perf_counter() - sent) * 1000)
                matches += len(response.matches)

        mock = [Group("mock", (pid,))]
        before = snapshot(mock)
        await asyncio.gather(*(caller() for _ in range(in_flight)))
        used = usage(before, snapshot(mock))
    latencies.sort()
    return Figures(
        what=what,
        calls=len(latencies),
        cpu_ms_per_call=used.cpu_s["mock"] * 1000 / len(latencies),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        matches_per_call=matches / len(latencies),
    )


async def seed(address: str, records: Sequence[mock_pb2.MockRecord]) -> int:
    held = 0
    async with grpc.aio.insecure_channel(address) as channel:
        control = mock_pb2_grpc.MockControlStub(channel)
        for start in range(0, len(records), SEED_BATCH):
            batch = mock_pb2.SeedRequest(records=records[start : start + SEED_BATCH])
            answer = await control.Seed(batch, metadata=session_metadata(SESSION), timeout=60)
            held = answer.session_records
    return held


def base_env(state: Path, population: int, mocks: Mapping[str, str]) -> dict[str, str]:
    """This environment, with the run's keys, audit trails, population and mocks."""
    return {
        **os.environ,
        "INTEROP_KEYS_DIR": str(state / "keys"),
        "INTEROP_AUDIT_LOG": str(state / "audit.jsonl"),
        "INTEROP_AUDIT_DIR": str(state / "audit"),
        "INTEROP_POPULATION": str(population),
        "INTEROP_LOG_LEVEL": "WARNING",
        **{f"INTEROP_MOCK_{system.upper()}": address for system, address in mocks.items()},
    }


def _spawn(address: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The SIS mock at `address`, its output in `log`."""
    with open(log, "wb") as output:
        return subprocess.Popen(
            [*CLI, "serve", "mock", "sis", "--insecure", "--listen", address],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


async def run(args: argparse.Namespace, state: Path) -> list[Figures]:
    address = f"127.0.0.1:{free_port()}"
    rng = np.random.default_rng(args.seed)
    world = World.build(args.population, args.population_seed)
    population = world.population
    # People SIS holds a record of: each search finds its record, as in the session.
    on_record = np.flatnonzero(world.sis)
    seeded_people = generate(args.seeded, SEEDED_WORLD_SEED)
    env = base_env(state, args.population, {"sis": address})
    env["INTEROP_POPULATION_SEED"] = str(args.population_seed)
    mock = _spawn(address, env, state / "mock.log")
    try:
        print(f"starting the SIS mock with {args.population:,} people", file=sys.stderr)
        await wait_serving(address, args.start_timeout_s)
        await ask(address, mock.pid, "warm-up", travellers(population, 200, rng, on_record), 4, "")
        print(f"{args.calls} searches in the population", file=sys.stderr)
        base = await ask(
            address,
            mock.pid,
            f"population of {args.population:,} (people on record)",
            travellers(population, args.calls, rng, on_record),
            args.in_flight,
            "",
        )
        print(f"seeding {args.seeded:,} records into a session", file=sys.stderr)
        started = time.perf_counter()
        held = await seed(address, seed_records(seeded_people))
        print(f"  {held:,} held, in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        await ask(address, mock.pid, "warm-up", travellers(seeded_people, 200, rng), 4, SESSION)
        seeded = await ask(
            address,
            mock.pid,
            f"session with {held:,} seeded records (+ the population)",
            travellers(seeded_people, args.calls, rng),
            args.in_flight,
            SESSION,
        )
    finally:
        mock.terminate()
        mock.wait(10)
    return [base, seeded]


def render(figures: Sequence[Figures]) -> str:
    base, seeded = figures
    lines = [
        f"{'what':58} {'CPU ms/call':>11} {'p50 ms':>8} {'p99 ms':>8} {'matches/call':>12}",
    ]
    for f in figures:
        lines.append(
            f"{f.what:58} {f.cpu_ms_per_call:>11.3f} {f.p50_ms:>8.2f} {f.p99_ms:>8.2f} "
            f"{f.matches_per_call:>12.2f}"
        )
    ratio = seeded.cpu_ms_per_call / base.cpu_ms_per_call
    ok_cpu = base.cpu_ms_per_call <= TARGET_CPU_MS
    ok_ratio = ratio <= SEEDED_RATIO
    lines.append(
        f"population search: {base.cpu_ms_per_call:.3f} ms CPU per call "
        f"(target <= {TARGET_CPU_MS} ms): {'PASS' if ok_cpu else 'MISS'}"
    )
    lines.append(
        f"seeded session / population: {ratio:.2f}x (target <= {SEEDED_RATIO}x): "
        f"{'PASS' if ok_ratio else 'MISS'}"
    )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.mock_search",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--population", type=int, default=1_000_000, metavar="N", help="people [1000000]")
    add("--population-seed", type=int, default=2026, metavar="N", help="world seed [2026]")
    add("--seeded", type=int, default=10_000, metavar="N", help="records seeded [10000]")
    add("--calls", type=int, default=2000, metavar="N", help="searches per measurement [2000]")
    add("--in-flight", type=int, default=4, metavar="N", help="searches at a time [4]")
    add("--seed", type=int, default=1, metavar="N", help="of the query draw [1]")
    add("--start-timeout-s", type=float, default=600, metavar="S", help="mock start [600]")
    add("--json", type=Path, default=None, metavar="FILE", help="also write the figures here")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="interop-mock-search-") as state:
        figures = asyncio.run(run(args, Path(state)))
    print(render(figures))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
