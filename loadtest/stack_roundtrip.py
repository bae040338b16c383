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
import sys

from loadtest.check_latency import run
from loadtest.processes import ProcessStack


async def measure(bootstrap: str, n: int, concurrency: int, population: int) -> dict[str, object]:
    stack = ProcessStack(
        bootstrap, population=population, env_extra={"INTEROP_LOG_LEVEL": "WARNING"}
    )
    try:
        await stack.start()
        result: dict[str, object] = {"processes": len(stack.processes)}
        result["sequential"] = await run(stack.target, n, 50, 1)
        if concurrency > 1:
            result[f"concurrency_{concurrency}"] = await run(stack.target, n, 0, concurrency)
        return result
    finally:
        await stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("INTEROP_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
        help="Kafka HOST:PORT (default %(default)s, from $INTEROP_KAFKA_BOOTSTRAP when set)",
    )
    parser.add_argument("--n", type=int, default=500, help="measured checks (default %(default)s)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=8,
        help="also measure with this many checks in flight, 1 to skip (default %(default)s)",
    )
    parser.add_argument(
        "--population",
        type=int,
        default=10_000,
        help="synthetic people in each mock (default %(default)s)",
    )
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.bootstrap, args.n, args.concurrency, args.population))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
