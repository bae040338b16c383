"""Test sessions: each holds its own seeded records, faults and call log.

A call names its session in the `x-test-session` metadata header (the gateway passes a
check's test session through the bus to the adapters and on to the mocks); calls
without it share the default session, which also holds what `interop up --scenario`
loads.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from broker.domain.traveller import identity_of
from broker.matching import IdentityIndex
from interop.mock.v1 import mock_pb2
from interop.v1 import bus_pb2
from mocks.faults import FaultPlan

DEFAULT_SESSION = ""
MAX_CALLS_KEPT = 10_000


@dataclass
class Session:
    records: list[mock_pb2.MockRecord] = field(default_factory=list)
    index: IdentityIndex | None = None
    faults: FaultPlan = field(default_factory=FaultPlan)
    calls: deque[mock_pb2.RecordedCall] = field(
        default_factory=lambda: deque(maxlen=MAX_CALLS_KEPT)
    )
    call_count: int = 0
    # EES crossings recorded through the API, by record id, on top of the record's own.
    crossings: dict[str, list[bus_pb2.Crossing]] = field(default_factory=dict)
    # The file each crossing's idempotency key was recorded on.
    recorded: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    def seed(self, records: Iterable[mock_pb2.MockRecord]) -> int:
        """Add (or replace, by record id) records; rebuilds the session's small index."""
        added = {r.record_id: r for r in records}
        self.records = [r for r in self.records if r.record_id not in added] + list(added.values())
        self.index = (
            IdentityIndex.build(
                [identity_of(r.identity, r.aliases) for r in self.records], population_weights=False
            )
            if self.records
            else None
        )
        return len(added)

    def recorded_file(self, crossing: bus_pb2.Crossing) -> str | None:
        """The file that already holds `crossing` (same idempotency key), or None."""
        return self.recorded.get(crossing.idempotency_key) if crossing.idempotency_key else None

    def add_crossing(self, record_id: str, crossing: bus_pb2.Crossing) -> None:
        """Record `crossing` on file `record_id`; a retry (see `recorded_file`) is not added."""
        if crossing.idempotency_key:
            self.recorded[crossing.idempotency_key] = record_id
        self.crossings.setdefault(record_id, []).append(crossing)

    def record_call(
        self, method: str, request: mock_pb2.SearchRequest, status: str, matches: int, trace: str
    ) -> None:
        self.calls.append(
            mock_pb2.RecordedCall(
                method=method,
                at=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                traveller=request.traveller,
                purpose=request.purpose,
                status=status,
                match_count=matches,
                trace_id=trace,
            )
        )

    def recent_calls(self, limit: int) -> Sequence[mock_pb2.RecordedCall]:
        calls = list(self.calls)
        return calls[-limit:] if limit else calls


class Sessions:
    """Every session a mock knows, made on first use."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        # What a session is reset to: records, and faults made anew at each reset.
        self._starts: dict[str, tuple[list[mock_pb2.MockRecord], mock_pb2.Faults | None]] = {}

    def get(self, name: str) -> Session:
        session = self._sessions.get(name)
        if session is None:
            session = self._sessions[name] = Session()
        return session

    def keep_start(
        self, name: str, records: Sequence[mock_pb2.MockRecord], faults: mock_pb2.Faults | None
    ) -> None:
        """Make `records` and `faults` what session `name` holds after a reset (the default
        session: the packs the mock loaded at start)."""
        self._starts[name] = (list(records), faults)

    def reset(self, name: str) -> None:
        """Drop the session's records, faults, calls and crossings, back to its start."""
        self._sessions.pop(name, None)
        start = self._starts.get(name)
        if start is None:
            return
        records, faults = start
        session = self.get(name)
        session.seed(records)
        if faults is not None:
            session.faults = FaultPlan.from_message(faults, time.time())

    def next_call(self, name: str) -> tuple[Session, int, float]:
        session = self.get(name)
        session.call_count += 1
        return session, session.call_count, time.time()
