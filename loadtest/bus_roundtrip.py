"""Request -> reply round trip over a bus, as the gateway and an adapter do it.

An echo service reads a request topic as a consumer group member and publishes each
request back on a reply topic; the requester reads the reply topic alone (no group), sends
one request at a time (or `--concurrency` at once) and times each until its reply arrives.

    python -m loadtest.bus_roundtrip --bus memory --n 2000
    python -m loadtest.bus_roundtrip --bus kafka --bootstrap 127.0.0.1:9092 --n 500

Prints p50/p90/p99/max in milliseconds. Traffic goes only to the given bootstrap address
(127.0.0.1 here); the run is bounded by `--n` requests and `--timeout` seconds per request.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
import uuid

from broker.transport.bus.base import Bus, Subscription, TopicSpec
from broker.transport.bus.factory import BUS_KINDS, make_bus
from broker.transport.bus.kafka import KafkaBus


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


async def _echo(bus: Bus, sub: Subscription, reply_topic: str) -> None:
    async for message in sub:
        await bus.publish(reply_topic, message.key, message.value, message.headers)


async def _collect(sub: Subscription, waiting: dict[bytes, asyncio.Future[float]]) -> None:
    async for message in sub:
        future = waiting.pop(message.key, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


async def run(args: argparse.Namespace) -> list[float]:
    run_id = uuid.uuid4().hex[:8]
    request_topic = f"rt-req-{run_id}"
    reply_topic = f"rt-reply-{run_id}"

    def new_bus(client_id: str) -> Bus:
        if args.bus == "kafka":
            return KafkaBus(
                args.bootstrap,
                client_id=client_id,
                acks=args.acks if args.acks == "all" else int(args.acks),
                fetch_max_wait_ms=args.fetch_max_wait_ms,
            )
        return make_bus("memory", None, client_id, memory_name=f"roundtrip-{run_id}")

    # Two buses, as two processes would have: the adapter's and the gateway's.
    adapter_bus = new_bus("roundtrip-echo")
    gateway_bus = new_bus("roundtrip-gateway")
    await adapter_bus.start()
    await gateway_bus.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        await gateway_bus.ensure_topics(
            [
                TopicSpec(request_topic, partitions=args.partitions, retention_ms=600_000),
                TopicSpec(reply_topic, partitions=1, retention_ms=600_000),
            ]
        )
        echo_sub = await adapter_bus.subscribe([request_topic], group=f"echo-{run_id}")
        reply_sub = await gateway_bus.subscribe([reply_topic], group=None)
        await echo_sub.ready()
        await reply_sub.ready()
        waiting: dict[bytes, asyncio.Future[float]] = {}
        tasks.append(asyncio.create_task(_echo(adapter_bus, echo_sub, reply_topic)))
        tasks.append(asyncio.create_task(_collect(reply_sub, waiting)))

        loop = asyncio.get_running_loop()
        payload = b"x" * args.size
        samples: list[float] = []

        async def one(measure: bool) -> None:
            key = uuid.uuid4().bytes
            future: asyncio.Future[float] = loop.create_future()
            waiting[key] = future
            started = time.perf_counter()
            await gateway_bus.publish(request_topic, key, payload, {"correlation-id": key})
            done = await asyncio.wait_for(future, args.timeout)
            if measure:
                samples.append((done - started) * 1000)

        async def worker(count: int, measure: bool) -> None:
            for _ in range(count):
                await one(measure)

        for _ in range(args.warmup):
            await one(False)
        per_worker, extra = divmod(args.n, args.concurrency)
        await asyncio.gather(
            *(worker(per_worker + (1 if i < extra else 0), True) for i in range(args.concurrency))
        )
        return samples
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await adapter_bus.stop()
        await gateway_bus.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--bus", choices=BUS_KINDS, default="memory", help="bus to measure (default %(default)s)"
    )
    parser.add_argument(
        "--bootstrap", default="127.0.0.1:9092", help="Kafka HOST:PORT (default %(default)s)"
    )
    parser.add_argument(
        "--n", type=int, default=500, help="measured round trips (default %(default)s)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=50,
        help="round trips first, not measured (default %(default)s)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="requests in flight (default %(default)s)"
    )
    parser.add_argument(
        "--partitions", type=int, default=4, help="request topic partitions (default %(default)s)"
    )
    parser.add_argument("--size", type=int, default=256, help="payload bytes (default %(default)s)")
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds per request (default %(default)s)"
    )
    parser.add_argument(
        "--acks",
        default="1",
        choices=["0", "1", "all"],
        help="Kafka producer acks (default %(default)s)",
    )
    parser.add_argument(
        "--fetch-max-wait-ms",
        type=int,
        default=100,
        help="how long a Kafka consumer's empty fetch waits (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.concurrency < 1:
        parser.error("--n and --concurrency must be at least 1")

    started = time.perf_counter()
    samples = sorted(asyncio.run(run(args)))
    elapsed = time.perf_counter() - started
    where = f" at {args.bootstrap}" if args.bus == "kafka" else ""
    print(
        f"bus={args.bus}{where} n={len(samples)} concurrency={args.concurrency} "
        f"size={args.size}B wall={elapsed:.1f}s"
    )
    print(
        "round trip ms: "
        f"p50={percentile(samples, 0.50):.3f} p90={percentile(samples, 0.90):.3f} "
        f"p99={percentile(samples, 0.99):.3f} max={samples[-1]:.3f} "
        f"mean={statistics.fmean(samples):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
