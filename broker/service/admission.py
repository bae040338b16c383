"""Admission control: a bound on checks in flight, for the gateway and for each caller.

Beyond the bound a check is refused at once (RESOURCE_EXHAUSTED at the edge) instead of
queueing behind work that would make it miss its deadline: above capacity the broker
keeps serving the checks it accepted on time, rather than serving every check late.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from broker.domain.errors import Overloaded


@dataclass
class Admission:
    max_in_flight: int = 64
    max_per_client: int = 64
    in_flight: int = 0
    per_client: Counter[str] = field(default_factory=Counter)

    @contextlib.contextmanager
    def admit(self, client: str) -> Iterator[None]:
        """Hold a place for one check of `client`; Overloaded when there is none."""
        if self.in_flight >= self.max_in_flight:
            raise Overloaded(f"{self.in_flight} checks in flight, the bound of this gateway")
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
