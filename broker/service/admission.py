"""Admission control: a bound on checks in flight, for the gateway and for each caller.

Beyond the bound a check is refused at once (RESOURCE_EXHAUSTED at the edge) instead of
queueing behind work that would make it miss its deadline: above capacity the broker
keeps serving the checks it accepted on time, rather than serving every check late. The
gateway's bound adapts to how fast the systems answer (broker.service.limit), up to
`max_in_flight`; without `limit` it is `max_in_flight` itself.
"""

from __future__ import annotations

import contextlib
import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from broker.domain.answers import Answer
from broker.domain.errors import Overloaded
from broker.service.limit import AdaptiveLimit
from interop.v1 import border_check_pb2 as pb


@dataclass
class Admission:
    max_in_flight: int = 64
    max_per_client: int = 64
    limit: AdaptiveLimit | None = None
    in_flight: int = 0
    per_client: Counter[str] = field(default_factory=Counter)

    @property
    def bound(self) -> int:
        """Checks this gateway takes at once now."""
        if self.limit is None:
            return self.max_in_flight
        return min(self.max_in_flight, self.limit.bound)

    @contextlib.contextmanager
    def admit(self, client: str, now: float | None = None) -> Iterator[None]:
        """Hold a place for one check of `client`; Overloaded when there is none. `now`
        (the monotonic clock) moves the adaptive bound's windows on."""
        if self.limit is not None and now is not None:
            self.limit.held(self.in_flight + 1, now)
        bound = self.bound
        if self.in_flight >= bound:
            raise Overloaded(f"{self.in_flight} checks in flight, the bound of this gateway now")
        if self.per_client[client] >= self.max_per_client:
            raise Overloaded(f"{client} has {self.max_per_client} checks in flight, its bound")
        self.in_flight += 1
        self.per_client[client] += 1
        try:
            yield
        finally:
            self.in_flight -= 1
            self.per_client[client] -= 1
            if not self.per_client[client]:
                del self.per_client[client]

    def observe(self, answers: Sequence[Answer], now: float) -> None:
        """A check's answers, for the adaptive bound: how long the systems that answered
        took, the median of them (`now` on the monotonic clock). Queueing on the cores
        slows every system down; one system that is slow (a backlog after its adapter
        moved) does not move the median, and must not make the gateway refuse checks."""
        answered = [a.latency_ms for a in answers if a.status == pb.OUTCOME_STATUS_ANSWERED]
        if self.limit is not None:
            self.limit.observe(statistics.median(answered) if answered else None, now)
