"""Round trip of a border check through the whole stack as separate processes on Kafka.

    python -m loadtest.stack_roundtrip --bootstrap 127.0.0.1:9092 --n 500

Starts five mocks, five adapters and a gateway as `interop serve ...` processes on free
loopback ports with their own topic prefix, waits until all are healthy and every system
answers, then measures `--n` checks of the ICAO specimen traveller one at a time (and
`--concurrency` at once, if given) with loadtest.check_latency, and stops everything.
A client only: it talks to the stack over gRPC and starts it as a user would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from loadtest.check_latency import run

SYSTEMS = ("sis", "vis", "ees", "etias", "eurodac")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serving(target: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                response = await stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if response.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{target} not healthy after {timeout:.0f} s")
            await asyncio.sleep(0.2)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "stack.cli", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def measure(bootstrap: str, n: int, concurrency: int, population: int) -> dict[str, object]:
    state = Path(tempfile.mkdtemp(prefix="interop-roundtrip-"))
    gateway = f"127.0.0.1:{_free_port()}"
    mocks = {s: f"127.0.0.1:{_free_port()}" for s in SYSTEMS}
    health = {s: f"127.0.0.1:{_free_port()}" for s in SYSTEMS}
    env = dict(os.environ)
    env.update(
        {
            "INTEROP_BUS": "kafka",
            "INTEROP_KAFKA_BOOTSTRAP": bootstrap,
            "INTEROP_TOPIC_PREFIX": f"rt{uuid.uuid4().hex[:8]}",
            "INTEROP_GATEWAY_LISTEN": gateway,
            "INTEROP_KEYS_DIR": str(state / "keys"),
            "INTEROP_AUDIT_LOG": str(state / "audit.jsonl"),
            "INTEROP_POPULATION": str(population),
            "INTEROP_LOG_LEVEL": "WARNING",
            **{f"INTEROP_MOCK_{s.upper()}": a for s, a in mocks.items()},
        }
    )
    processes = [_spawn(["serve", "mock", s], env, state / f"mock-{s}.log") for s in SYSTEMS]
    processes += [
        _spawn(
            ["serve", "adapter", s, f"--health-listen={health[s]}"], env, state / f"adapter-{s}.log"
        )
        for s in SYSTEMS
    ]
    processes.append(_spawn(["serve", "gateway"], env, state / "gateway.log"))
    try:
        targets = [gateway, *mocks.values(), *health.values()]
        await asyncio.gather(*(_serving(t, 120) for t in targets))
        result: dict[str, object] = {"processes": len(processes), "logs": str(state)}
        result["sequential"] = await run(gateway, n, 50, 1)
        if concurrency > 1:
            result[f"concurrency_{concurrency}"] = await run(gateway, n, 0, concurrency)
        return result
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap", default=os.environ.get("INTEROP_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    parser.add_argument("--n", type=int, default=500, help="measured checks")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="also measure with this many checks in flight (1 = skip)",
    )
    parser.add_argument("--population", type=int, default=10_000, help="synthetic people")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.bootstrap, args.n, args.concurrency, args.population))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
