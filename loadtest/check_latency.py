"""Round trip of one border check through a running gateway: p50/p90/p99 in ms.

    python -m loadtest.check_latency --target 127.0.0.1:50051 --n 500

Sends the ICAO specimen traveller (checked within the territory: all five systems are
asked) `--n` times (after `--warmup` unmeasured checks), with `--concurrency` checks in
flight, and counts reports in which a system did not answer.
A client only: it needs nothing but the stubs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

import grpc

from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from loadtest.processes import EVERY_SYSTEM


def percentile(sorted_ms: list[float], p: float) -> float:
    index = min(len(sorted_ms) - 1, max(0, round(p / 100 * len(sorted_ms)) - 1))
    return sorted_ms[index]


async def run(target: str, n: int, warmup: int, concurrency: int) -> dict[str, float]:
    request = EVERY_SYSTEM
    latencies: list[float] = []
    incomplete = 0
    async with grpc.aio.insecure_channel(target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        for _ in range(warmup):
            await stub.Check(request, timeout=10)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(i)

        async def worker() -> None:
            nonlocal incomplete
            while not queue.empty():
                queue.get_nowait()
                started = time.perf_counter()
                report = await stub.Check(request, timeout=10)
                latencies.append((time.perf_counter() - started) * 1000)
                if any(o.status != pb.OUTCOME_STATUS_ANSWERED for o in report.outcomes):
                    incomplete += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "checks": n,
        "concurrency": concurrency,
        "p50_ms": round(percentile(latencies, 50), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "checks_per_s": round(n / elapsed, 1),
        "incomplete_reports": incomplete,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--target", default="127.0.0.1:50051", help="gateway HOST:PORT (default %(default)s)"
    )
    parser.add_argument("--n", type=int, default=500, help="measured checks (default %(default)s)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="checks first, not measured (default %(default)s)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="checks in flight at once (default %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    result = asyncio.run(run(args.target, args.n, args.warmup, args.concurrency))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>20}: {value}")
    return 0 if result["incomplete_reports"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
