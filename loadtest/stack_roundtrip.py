"""Round trip of a border check through the whole stack as separate processes on Kafka.

    python -m loadtest.stack_roundtrip --bootstrap 127.0.0.1:9092 --n 500

Starts five mocks, five adapters and a gateway as `interop serve ...` processes on free
loopback ports with their own topic prefix (loadtest.launch), waits until all are healthy,
then measures `--n` checks of the ICAO specimen traveller one at a time (and
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
from loadtest.launch import on_kafka


def measure(bootstrap: str, n: int, concurrency: int, population: int) -> dict[str, object]:
    with on_kafka(bootstrap, population) as stack:
        result: dict[str, object] = {"processes": 11}
        result["sequential"] = asyncio.run(run(stack.gateway, n, 50, 1))
        if concurrency > 1:
            result[f"concurrency_{concurrency}"] = asyncio.run(
                run(stack.gateway, n, 0, concurrency)
            )
        return result


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
    result = measure(args.bootstrap, args.n, args.concurrency, args.population)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
