"""Sends checks: open loop on a fixed schedule, or closed loop with N callers.

Open loop: a dispatcher sleeps until each intended send time and starts the call as
its own task, whatever is still in flight (up to `max_in_flight`, far above what a
healthy stack holds). Latency is measured from the intended time, so when the
dispatcher or the server falls behind, the wait counts. The gap between the intended
and the actual send is the generator's own lag, recorded with every check.

Closed loop: each of N callers sends its next check when the previous one ended, as
a terminal does; a stalled server then simply receives fewer checks, and the stall
is mostly hidden from the percentiles (coordinated omission). Use it to compare.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

import grpc

from interop.v1 import border_check_pb2 as pb
from loadtest.load.arrivals import Arrivals, Phase, offsets
from loadtest.load.channels import Channels, Tls
from loadtest.load.observation import Observation, answers, server_timing, verdict_name
from loadtest.load.recorder import Sink
from loadtest.load.workload import Pool


@dataclass(frozen=True, slots=True)
class Transport:
    """How checks reach the gateway."""

    target: str
    channels: int
    tls: Tls | None
    timeout_s: float
    max_in_flight: int
    connect_timeout_s: float = 10.0


class Runner:
    """Sends the pool's requests to one gateway; times are seconds from `restart_clock`."""

    def __init__(
        self,
        transport: Transport,
        pool: Pool,
        arrivals: Arrivals,
        seed: int,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.transport = transport
        self.pool = pool
        self.arrivals = arrivals
        self.in_flight = 0
        # Set: no new check is sent; `stopped_s` says when that began.
        self._stop = stop or asyncio.Event()
        self.stopped_s: float | None = None
        self._rng = random.Random(seed)
        self._channels = Channels(transport.target, transport.channels, transport.tls)
        self._next_request = 0
        self._origin = time.perf_counter()
        self._failures: list[BaseException] = []

    async def __aenter__(self) -> Runner:
        await self._channels.ready(self.transport.connect_timeout_s)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._channels.close()

    def restart_clock(self) -> None:
        self._origin = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._origin

    async def open_phase(self, phase: Phase, sinks: Sequence[Sink]) -> None:
        """Send at `phase.rate` for `phase.duration_s`, then wait for every call to end."""
        slots = asyncio.Semaphore(self.transport.max_in_flight)
        tasks: set[asyncio.Task[None]] = set()
        start = self.now()
        for offset in offsets(phase, self.arrivals, self._rng):
            if self._stopped():
                break
            intended = start + offset
            for sink in sinks:
                sink.scheduled(intended)
            await asyncio.sleep(max(0.0, intended - self.now()))
            await slots.acquire()
            task = asyncio.create_task(self._released(intended, sinks, slots))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        if self._failures:
            raise self._failures[0]

    async def closed_phase(
        self, concurrency: int, duration_s: float, sinks: Sequence[Sink]
    ) -> None:
        """`concurrency` callers, each sending its next check when the last one ended."""
        end = self.now() + duration_s

        async def caller() -> None:
            while (now := self.now()) < end and not self._stopped():
                await self._one(now, sinks)

        await asyncio.gather(*(caller() for _ in range(concurrency)))

    def _stopped(self) -> bool:
        if self._stop.is_set() and self.stopped_s is None:
            self.stopped_s = self.now()
        return self._stop.is_set()

    async def _released(
        self, intended: float, sinks: Sequence[Sink], slots: asyncio.Semaphore
    ) -> None:
        try:
            await self._one(intended, sinks)
        except Exception as error:
            # Not a gRPC status (those are observations): a fault of the generator itself,
            # raised when the phase ends rather than lost with its task.
            self._failures.append(error)
        finally:
            slots.release()

    async def _one(self, intended: float, sinks: Sequence[Sink]) -> None:
        request = self.pool[self._next_request]
        self._next_request += 1
        self.in_flight += 1
        sent = self.now()
        for sink in sinks:
            sink.sent(sent)
        try:
            observation = await self._call(request, intended, sent)
        finally:
            self.in_flight -= 1
        for sink in sinks:
            sink.add(observation)

    async def _call(self, request: pb.CheckRequest, intended: float, sent: float) -> Observation:
        call = self._channels.stub().Check(
            request, timeout=self.transport.timeout_s, metadata=_traceparent()
        )
        try:
            report = await call
        except grpc.aio.AioRpcError as error:
            return Observation(intended, sent, self.now(), error=error.code().name)
        ended = self.now()
        trailers = await call.trailing_metadata()
        return Observation(
            intended,
            sent,
            ended,
            verdict=verdict_name(report),
            hits=len(report.hits),
            systems=answers(report),
            hops=server_timing(tuple(trailers or ())),
            correlation_id=report.correlation_id,
        )


def _traceparent() -> tuple[tuple[str, str]]:
    """A W3C trace context per check, so server-side spans can be tied to the load run."""
    return (("traceparent", f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"),)
