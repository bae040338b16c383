"""What a gateway tells about its calls: a `server-timing` trailer with each call's hop
times, and Prometheus metrics (calls by method and status, their duration and hops, each
system's outcome, checks in flight, open circuits).

Checks in flight and circuits are read from the service layer's own state when scraped,
not counted a second time; admission refusals are the calls that ended RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

import grpc
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from broker.domain.labels import short_name
from broker.domain.systems import System
from broker.domain.trace import CheckTrace
from broker.service.breaker import Breaker
from broker.service.ports import Ports
from broker.transport.metadata import traceparent
from broker.transport.metrics import Children, histogram
from broker.transport.timing import SERVER_TIMING, server_timing
from interop.v1 import border_check_pb2 as pb

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]
METHODS = ("Check", "CheckStream", "RecordCrossing")
Outcome: TypeAlias = tuple[System, pb.OutcomeStatus.ValueType]
_STATUSES = [status for status in pb.OutcomeStatus.values() if status]


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry, ports: Ports) -> None:
        catalog = ports.catalog
        self._calls = Children(
            Counter(
                "interop_gateway_checks",
                "Calls by method and gRPC status (RESOURCE_EXHAUSTED: refused by admission)",
                ["method", "code"],
                registry=registry,
            ),
            lambda key: (key[0], key[1].name),
            [(method, grpc.StatusCode.OK) for method in METHODS],
        )
        self._seconds = Children(
            histogram(
                registry,
                "interop_gateway_check_duration_seconds",
                "From the call's arrival to its answer",
                ["method"],
            ),
            lambda method: (method,),
            METHODS,
        )
        self._hops: Children[str, Histogram] = Children(
            histogram(
                registry,
                "interop_hop_duration_seconds",
                "Where the time of a call went, by hop (as in its server-timing trailer)",
                ["hop"],
            ),
            lambda hop: (hop,),
        )
        self._outcomes: Children[Outcome, Counter] = Children(
            Counter(
                "interop_gateway_outcomes",
                "Each asked system's outcome in the reports",
                ["system", "status"],
                registry=registry,
            ),
            lambda key: (catalog.name(key[0]), short_name(pb.OutcomeStatus, key[1]).lower()),
            [(system, status) for system in catalog.values for status in _STATUSES],
        )
        Gauge(
            "interop_gateway_checks_in_flight", "Calls being served now", registry=registry
        ).set_function(lambda: ports.admission.in_flight)
        circuit = Gauge(
            "interop_gateway_circuit_open",
            "1 while a system's circuit is open (reported UNAVAILABLE without being asked)",
            ["system"],
            registry=registry,
        )
        for spec in catalog:
            circuit.labels(spec.name).set_function(_is_open(ports.breaker, spec.value))

    @contextlib.contextmanager
    def call(self, context: Context, method: str) -> Iterator[CheckTrace]:
        """The trace of a call, continuing the caller's; when the call ends it is counted
        and timed, its hops observed, and on success sent back in the trailer."""
        trace = CheckTrace.continuing(traceparent(context.invocation_metadata()))
        started = time.monotonic()
        ended: BaseException | None = None
        try:
            yield trace
            context.set_trailing_metadata(((SERVER_TIMING, server_timing(trace.hops)),))
        except BaseException as error:
            ended = error
            raise
        finally:
            self._calls[(method, _code(context, ended))].inc()
            self._seconds[method].observe(time.monotonic() - started)
            for hop, seconds in trace.hops:
                self._hops[hop].observe(seconds)

    def outcomes(self, outcomes: Iterable[pb.SystemOutcome]) -> None:
        for outcome in outcomes:
            self._outcomes[(outcome.system, outcome.status)].inc()


def _is_open(breaker: Breaker, system: System) -> Callable[[], float]:
    return lambda: float(breaker.is_open(system))


def _code(context: Context, ended: BaseException | None) -> grpc.StatusCode:
    """The status the call ended with: as aborted, else as the way its handler ended."""
    code = context.code()
    if code is not None:
        return code
    if ended is None:
        return grpc.StatusCode.OK
    if isinstance(ended, asyncio.CancelledError | GeneratorExit):
        return grpc.StatusCode.CANCELLED
    return grpc.StatusCode.UNKNOWN
