"""A circuit breaker per system: stop asking a system that failed every recent query.

After `failures` answers in a row that were TIMEOUT or UNAVAILABLE, a system's circuit
opens: checks report it UNAVAILABLE at once instead of waiting out their deadline, and
one check every `probe_interval_s` still asks it. The first answer closes the circuit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from broker.domain.answers import Answer
from broker.domain.systems import System
from interop.v1 import border_check_pb2 as pb

_FAILED = frozenset({pb.OUTCOME_STATUS_TIMEOUT, pb.OUTCOME_STATUS_UNAVAILABLE})


@dataclass
class _Circuit:
    failures: int = 0
    last_probe: float = float("-inf")


@dataclass
class Breaker:
    failures: int = 10
    probe_interval_s: float = 1.0
    _circuits: dict[System, _Circuit] = field(default_factory=dict)

    def is_open(self, system: System) -> bool:
        circuit = self._circuits.get(system)
        return circuit is not None and circuit.failures >= self.failures

    def allow(self, system: System, now: float) -> bool:
        """Whether a check may ask `system` now (while open: one probe per interval)."""
        if not self.is_open(system):
            return True
        circuit = self._circuits[system]
        if now - circuit.last_probe < self.probe_interval_s:
            return False
        circuit.last_probe = now
        return True

    def record(self, answer: Answer) -> None:
        if answer.status in _FAILED:
            self._circuits.setdefault(answer.system, _Circuit()).failures += 1
        elif answer.status != pb.OUTCOME_STATUS_NOT_PERMITTED:
            self._circuits.pop(answer.system, None)

    def refusal(self, system: System) -> Answer:
        """The answer of a system whose circuit is open and that this check does not ask."""
        return Answer(
            system,
            pb.OUTCOME_STATUS_UNAVAILABLE,
            0,
            detail=f"not asked: its last {self.failures} or more queries failed "
            f"(circuit open; probed every {self.probe_interval_s:g} s)",
        )
