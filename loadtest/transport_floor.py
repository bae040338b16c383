"""The transport floor: what a check costs with nothing but gRPC and Kafka, as a yardstick.

    python -m loadtest.transport_floor front --bootstrap 127.0.0.1:9092 --listen 127.0.0.1:50151
    python -m loadtest.transport_floor echo --bootstrap 127.0.0.1:9092 --system sis   # x5

`front` serves interop.v1.BorderCheck: its Check publishes the request to five topics (one
per system, `<prefix>.<system>.query`) and answers once five replies came back on
`<prefix>.reply`, or fails with DEADLINE_EXCEEDED. Each `echo` process consumes one
system's topic in a consumer group and sends every message back to the reply topic. That
is the traffic of a check in the stack (one gRPC call, five messages out, five back, 11
processes' worth of Kafka clients) without validation, sealing, routing, mocks, matching,
merging or audit. Producers and consumers are set up like the broker's Kafka bus (acks=1,
fetch_min_bytes=1, fetch_max_wait_ms=100, the same group timings); `--linger-ms` lets the
producers batch. `front` creates the topics and should start before the echoes.

loadtest.cpu_budget starts these processes and drives them with the same load as the stack.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from interop.v1 import border_check_pb2 as pb
from systems import REGISTRY

DEFAULT_DEADLINE_MS = 2000
FETCH_WAIT_MS = 100
REPORT = pb.HitReport(
    verdict=pb.VERDICT_CLEAR,
    outcomes=[
        pb.SystemOutcome(system=spec.value, status=pb.OUTCOME_STATUS_ANSWERED)
        for spec in REGISTRY.catalog
    ],
)


@dataclass(frozen=True)
class FloorTopics:
    queries: tuple[str, ...]
    reply: str

    @classmethod
    def named(cls, prefix: str) -> FloorTopics:
        return cls(tuple(query_topic(prefix, s) for s in REGISTRY.names), f"{prefix}.reply")


def query_topic(prefix: str, system: str) -> str:
    return f"{prefix}.{system}.query"


@dataclass(frozen=True)
class KafkaTuning:
    bootstrap: str
    linger_ms: int

    def producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self.bootstrap, acks=1, linger_ms=self.linger_ms, retry_backoff_ms=20
        )

    def consumer(self, *topics: str, group: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            *topics,
            bootstrap_servers=self.bootstrap,
            group_id=group,
            auto_offset_reset="earliest" if group else "latest",
            enable_auto_commit=group is not None,
            auto_commit_interval_ms=1000,
            fetch_min_bytes=1,
            fetch_max_wait_ms=FETCH_WAIT_MS,
            session_timeout_ms=6000,
            heartbeat_interval_ms=300,
            retry_backoff_ms=20,
        )


async def create_topics(
    bootstrap: str, topics: FloorTopics, partitions: int, replication: int
) -> dict[str, int]:
    """Create the floor's topics (existing ones are kept), wait until each has leaders, and
    return how many partitions each has."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    names = [*topics.queries, topics.reply]
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(
                [NewTopic(name, partitions, replication) for name in names], timeout_ms=15_000
            )
        for _ in range(500):
            described = await admin.describe_topics(names)
            if all(
                t["error_code"] == 0
                and t["partitions"]
                and all(p["leader"] >= 0 for p in t["partitions"])
                for t in described
            ):
                return {t["topic"]: len(t["partitions"]) for t in described}
            await asyncio.sleep(0.02)
        raise RuntimeError(f"topics {names} have no leaders after 10 s")
    finally:
        await admin.close()


class _Awaited:
    """One check's replies still to come."""

    def __init__(self, count: int) -> None:
        self.remaining = count
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()


class _Replies:
    """Checks waiting for their replies, by correlation key."""

    def __init__(self) -> None:
        self._waiting: dict[bytes, _Awaited] = {}

    def expect(self, key: bytes, count: int) -> asyncio.Future[None]:
        awaited = self._waiting[key] = _Awaited(count)
        return awaited.done

    def arrived(self, key: bytes) -> None:
        awaited = self._waiting.get(key)
        if awaited is None:
            return  # late: its check has given up
        awaited.remaining -= 1
        if awaited.remaining == 0 and not awaited.done.done():
            awaited.done.set_result(None)

    def forget(self, key: bytes) -> None:
        self._waiting.pop(key, None)


class FloorFront:
    """Check = five publishes and five replies; the answer is a fixed report."""

    def __init__(self, producer: AIOKafkaProducer, topics: FloorTopics, replies: _Replies) -> None:
        self._producer = producer
        self._topics = topics
        self._replies = replies

    async def check(
        self,
        request: pb.CheckRequest,
        context: grpc.aio.ServicerContext[pb.CheckRequest, pb.HitReport],
    ) -> pb.HitReport:
        key = uuid.uuid4().bytes
        value = request.SerializeToString()
        answered = self._replies.expect(key, len(self._topics.queries))
        deadline_s = (request.deadline_ms or DEFAULT_DEADLINE_MS) / 1000
        try:
            await asyncio.gather(
                *(self._producer.send_and_wait(t, value, key=key) for t in self._topics.queries)
            )
            await asyncio.wait_for(answered, deadline_s)
        except TimeoutError:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "not every echo answered")
        finally:
            self._replies.forget(key)
        return REPORT


def _check_only(floor: FloorFront) -> grpc.GenericRpcHandler:
    """BorderCheck with Check alone: the other methods answer UNIMPLEMENTED."""
    check = grpc.unary_unary_rpc_method_handler(
        floor.check,
        request_deserializer=pb.CheckRequest.FromString,
        response_serializer=pb.HitReport.SerializeToString,
    )
    service = pb.DESCRIPTOR.services_by_name["BorderCheck"].full_name
    return grpc.method_handlers_generic_handler(service, {"Check": check})


async def _read_replies(consumer: AIOKafkaConsumer, replies: _Replies) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=1000)
        for records in batches.values():
            for record in records:
                if record.key is not None:
                    replies.arrived(record.key)


async def _follow_from_end(consumer: AIOKafkaConsumer, topic: str, partitions: int) -> None:
    """Assign every partition of topic (no group) and start at its end."""
    assigned = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(assigned)
    await consumer.seek_to_end(*assigned)


async def front(
    tuning: KafkaTuning, listen: str, prefix: str, partitions: int, replication: int
) -> None:
    """Serve the floor's BorderCheck until SIGTERM or SIGINT."""
    topics = FloorTopics.named(prefix)
    created = await create_topics(tuning.bootstrap, topics, partitions, replication)
    producer = tuning.producer()
    consumer = tuning.consumer(group=None)
    await producer.start()
    await consumer.start()
    replies = _Replies()
    server = grpc.aio.server()
    reader: asyncio.Task[None] | None = None
    try:
        await _follow_from_end(consumer, topics.reply, created[topics.reply])
        reader = asyncio.create_task(_read_replies(consumer, replies))
        server.add_generic_rpc_handlers([_check_only(FloorFront(producer, topics, replies))])
        server.add_insecure_port(listen)
        await server.start()
        print(f"transport floor: front on {listen}, topics {prefix}.*", flush=True)
        await _until_stopped(lambda: server.stop(1))
    finally:
        if reader is not None:
            reader.cancel()
        await consumer.stop()
        await producer.stop()


async def echo(tuning: KafkaTuning, prefix: str, system: str) -> None:
    """Send every message of one system's topic back to the reply topic, until stopped."""
    topics = FloorTopics.named(prefix)
    consumer = tuning.consumer(query_topic(prefix, system), group=f"{prefix}.echo.{system}")
    producer = tuning.producer()
    await producer.start()
    await consumer.start()
    loop_task = asyncio.create_task(_echo_loop(consumer, producer, topics.reply))
    try:
        await _until_stopped(lambda: _cancelled(loop_task))
    finally:
        await consumer.stop()
        await producer.stop()


async def _echo_loop(consumer: AIOKafkaConsumer, producer: AIOKafkaProducer, reply: str) -> None:
    while True:
        batches = await consumer.getmany(timeout_ms=1000)
        # Queue every reply of the batch before waiting for any, so that a linger can batch them.
        sent = [
            await producer.send(reply, record.value, key=record.key)
            for records in batches.values()
            for record in records
        ]
        await asyncio.gather(*sent)


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _until_stopped(stop: Callable[[], Awaitable[object]]) -> None:
    """Wait for SIGTERM or SIGINT, then run stop."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stopping.set)
    await stopping.wait()
    await stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.transport_floor",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bootstrap", default="127.0.0.1:9092", help="Kafka [%(default)s]")
    parser.add_argument("--prefix", default="floor", help="topic prefix [%(default)s]")
    parser.add_argument(
        "--linger-ms", type=int, default=0, help="producer linger, 0 sends at once [%(default)s]"
    )
    parser.add_argument(
        "--uvloop", action="store_true", help="run on uvloop (fair only if the stack does too)"
    )
    parts = parser.add_subparsers(dest="part", required=True, metavar="PART")
    fr = parts.add_parser("front", help="the gRPC BorderCheck that publishes and waits")
    fr.add_argument("--listen", default="127.0.0.1:50151", help="[%(default)s]")
    fr.add_argument("--partitions", type=int, default=4, help="of created topics [%(default)s]")
    fr.add_argument("--replication", type=int, default=1, help="of created topics [%(default)s]")
    ec = parts.add_parser("echo", help="the echo consumer of one system's topic")
    ec.add_argument("--system", choices=REGISTRY.names, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    tuning = KafkaTuning(args.bootstrap, args.linger_ms)
    if args.part == "front":
        part = front(tuning, args.listen, args.prefix, args.partitions, args.replication)
    else:
        part = echo(tuning, args.prefix, args.system)
    if args.uvloop:
        import uvloop

        uvloop.run(part)
    else:
        asyncio.run(part)
    return 0


if __name__ == "__main__":
    sys.exit(main())
