"""What the use cases need from the outside world, each as a small interface.

The gateway wires the real parts (the bus dispatcher, the audit file and topic, the
system clock, the matching core's linker); unit tests wire fakes.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from broker.domain.answers import Answer
from broker.domain.links import Linker
from broker.domain.profiles import AccessPolicy
from broker.domain.systems import SystemCatalog
from broker.domain.trace import CheckTrace
from broker.domain.validation import Limits
from broker.service.admission import Admission
from broker.service.breaker import Breaker
from interop.v1 import bus_pb2


class Dispatcher(Protocol):
    def ask(
        self,
        correlation_id: str,
        queries: Sequence[bus_pb2.SystemQuery],
        deadline: float,
        trace: CheckTrace,
    ) -> AsyncIterator[Answer]:
        """Send `queries`; yield one Answer per system as it comes, all by `deadline`.

        `deadline` is on the clock's `monotonic()` scale; every asked system gets an
        Answer (a TIMEOUT or UNAVAILABLE one when it did not reply). The queries continue
        `trace`, and the hops they take are added to it.
        """
        ...


class AuditSink(Protocol):
    async def __call__(self, record: bus_pb2.AuditRecord) -> None:
        """Keep `record`; return once it is kept where it cannot be lost."""


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


@dataclass(frozen=True)
class Ports:
    """Everything a use case is given: the systems, the rules' settings and the ports."""

    catalog: SystemCatalog
    policy: AccessPolicy
    limits: Limits
    dispatcher: Dispatcher
    audit: AuditSink
    linker: Linker
    clock: Clock
    admission: Admission = field(default_factory=Admission)
    breaker: Breaker = field(default_factory=Breaker)


@dataclass(frozen=True)
class Peer:
    """What the transport knows of a call: who presents which identity, and its time."""

    common_name: str | None
    secure: bool
    # Seconds until the caller gives up (its gRPC deadline); None when it set none.
    time_remaining_s: float | None = None
    test_session: str = ""
