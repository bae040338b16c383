"""Prometheus metrics of the mocks: calls by method and status (OK, or the gRPC status of
the fault injected), how long they took, and calls shed because their caller's deadline
passed while they waited.

The families exist once per registry (`MockFamilies`); each mock has its own children
(`MockMetrics`), and `@metered(method)` counts and times one of its calls.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram

from broker.transport.metrics import Children, histogram
from mocks.faults import MockFault

OK = "OK"


class MockFamilies:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.calls = Counter(
            "interop_mock_calls",
            "Calls by method and status: OK, or the gRPC status of the fault injected",
            ["system", "method", "status"],
            registry=registry,
        )
        self.seconds = histogram(
            registry,
            "interop_mock_call_duration_seconds",
            "A call from its start to its answer (injected latency included)",
            ["system", "method"],
        )
        self.shed = Counter(
            "interop_mock_shed_calls",
            "Calls refused unanswered: their deadline passed while they waited (overload)",
            ["system"],
            registry=registry,
        )


class MockMetrics:
    """One mock's children of the families."""

    def __init__(self, families: MockFamilies, system: str) -> None:
        self._calls: Children[tuple[str, str], Counter] = Children(
            families.calls, lambda key: (system, *key)
        )
        self._seconds: Children[str, Histogram] = Children(
            families.seconds, lambda method: (system, method)
        )
        self.shed = families.shed.labels(system)

    @classmethod
    def alone(cls, system: str) -> MockMetrics:
        """In a registry of its own, for a mock whose metrics are not served."""
        return cls(MockFamilies(CollectorRegistry()), system)

    def ended(self, method: str, status: str, seconds: float) -> None:
        self._calls[(method, status)].inc()
        self._seconds[method].observe(seconds)


class Metered(Protocol):
    metrics: MockMetrics


Mock = TypeVar("Mock", bound=Metered)
Args = ParamSpec("Args")
Result = TypeVar("Result")
Call = Callable[Concatenate[Mock, Args], Awaitable[Result]]


def metered(method: str) -> Callable[[Call[Mock, Args, Result]], Call[Mock, Args, Result]]:
    """Count and time every call of the decorated mock method as `method`."""

    def decorate(call: Call[Mock, Args, Result]) -> Call[Mock, Args, Result]:
        @functools.wraps(call)
        async def measured(mock: Mock, /, *args: Args.args, **kwargs: Args.kwargs) -> Result:
            started = time.perf_counter()
            status = OK
            try:
                return await call(mock, *args, **kwargs)
            except BaseException as error:
                status = _status(error)
                raise
            finally:
                mock.metrics.ended(method, status, time.perf_counter() - started)

        return measured

    return decorate


def _status(error: BaseException) -> str:
    if isinstance(error, MockFault):
        return str(error.code.name)
    if isinstance(error, asyncio.CancelledError):
        return "CANCELLED"
    return "UNKNOWN"
