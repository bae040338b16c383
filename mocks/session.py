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
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from broker.domain.countries import canonical_country
from broker.domain.traveller import identity_of
from broker.matching import IdentityIndex, NameWeights
from broker.matching.vectors import as_unit_float32
from interop.mock.v1 import mock_pb2
from interop.v1 import bus_pb2
from mocks.faults import FaultPlan

DEFAULT_SESSION = ""
MAX_CALLS_KEPT = 10_000


@dataclass(frozen=True)
class Vectors:
    """Biometric templates of one kind and length: unit rows, and the record of each row."""

    rows: npt.NDArray[np.float32]
    records: tuple[int, ...]


@dataclass(frozen=True)
class Seeded:
    """A session's seeded records and what finds them, built once per seed.

    The identity index scores with the population's name frequencies when the
    mock has a population (see `IdentityIndex.build_with_weights`): a seeded
    traveller scores as the same traveller would in the population.
    """

    records: tuple[mock_pb2.MockRecord, ...] = ()
    index: IdentityIndex | None = None
    documents: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    stickers: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    faces: Mapping[int, Vectors] = field(default_factory=dict)
    # By finger position, then template length.
    fingerprints: Mapping[tuple[int, int], Vectors] = field(default_factory=dict)

    @classmethod
    def of(cls, records: Sequence[mock_pb2.MockRecord], weights: NameWeights | None) -> Seeded:
        if not records:
            return cls()
        identities = [identity_of(r.identity, r.aliases) for r in records]
        index = (
            IdentityIndex.build_with_weights(identities, weights)
            if weights is not None
            else IdentityIndex.build(identities, population_weights=False)
        )
        faces: dict[int, list[tuple[int, Sequence[float]]]] = defaultdict(list)
        prints: dict[tuple[int, int], list[tuple[int, Sequence[float]]]] = defaultdict(list)
        for i, record in enumerate(records):
            biometrics = record.identity.biometrics
            if biometrics.face_embedding:
                faces[len(biometrics.face_embedding)].append((i, biometrics.face_embedding))
            for finger in biometrics.fingerprints:
                prints[finger.position, len(finger.template)].append((i, finger.template))
        return cls(
            records=tuple(records),
            index=index,
            documents=_positions(r.identity.document.number for r in records),
            stickers=_positions(r.identity.visa_sticker_number for r in records),
            faces={k: _vectors(v) for k, v in faces.items()},
            fingerprints={k: _vectors(v) for k, v in prints.items()},
        )


def _positions(keys: Iterable[str]) -> dict[str, tuple[int, ...]]:
    """The positions of each non-empty key."""
    found: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        if key:
            found[key].append(i)
    return {k: tuple(v) for k, v in found.items()}


def _vectors(templates: list[tuple[int, Sequence[float]]]) -> Vectors:
    return Vectors(as_unit_float32([t for _, t in templates]), tuple(i for i, _ in templates))


def _held(record: mock_pb2.MockRecord) -> mock_pb2.MockRecord:
    """A copy of `record` with its country codes canonical."""
    held = mock_pb2.MockRecord()
    held.CopyFrom(record)
    for identity in (held.identity, *held.aliases):
        # Assigned only when it changes: setting a field would make an absent document present.
        if identity.nationality != canonical_country(identity.nationality):
            identity.nationality = canonical_country(identity.nationality)
        state = identity.document.issuing_state
        if state != canonical_country(state):
            identity.document.issuing_state = canonical_country(state)
    return held


class _Call(NamedTuple):
    method: str
    at: float
    request: mock_pb2.SearchRequest
    status: str
    matches: int
    trace: str

    def message(self) -> mock_pb2.RecordedCall:
        return mock_pb2.RecordedCall(
            method=self.method,
            at=dt.datetime.fromtimestamp(self.at, dt.UTC).isoformat(timespec="milliseconds"),
            traveller=self.request.traveller,
            purpose=self.request.purpose,
            status=self.status,
            match_count=self.matches,
            trace_id=self.trace,
        )


@dataclass
class Session:
    # The population's name frequencies the seeded records are scored with, if any.
    weights: NameWeights | None = None
    seeded: Seeded = field(default_factory=Seeded)
    faults: FaultPlan = field(default_factory=FaultPlan)
    # What `recent_calls` is made from: the call's message is built only when asked for.
    calls: deque[_Call] = field(default_factory=lambda: deque(maxlen=MAX_CALLS_KEPT))
    call_count: int = 0
    # EES crossings recorded through the API, by record id, on top of the record's own.
    crossings: dict[str, list[bus_pb2.Crossing]] = field(default_factory=dict)
    # The file each crossing's idempotency key was recorded on.
    recorded: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=random.Random)

    @property
    def records(self) -> Sequence[mock_pb2.MockRecord]:
        return self.seeded.records

    def seed(self, records: Iterable[mock_pb2.MockRecord]) -> int:
        """Add (or replace, by record id) records; indexes the session's records again.

        Country codes are held as the systems write them (see `canonical_country`):
        a record seeded with ``D`` or ``RKS`` is found by ``DEU`` or ``XKX``.
        """
        added = {r.record_id: _held(r) for r in records}
        kept = [r for r in self.seeded.records if r.record_id not in added]
        self.seeded = Seeded.of([*kept, *added.values()], self.weights)
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
        # The request is the call's own (made for it, never changed after), so holding it
        # is as good as a copy of its traveller.
        self.calls.append(_Call(method, time.time(), request, status, matches, trace))

    def recent_calls(self, limit: int) -> Sequence[mock_pb2.RecordedCall]:
        calls = list(self.calls)
        return [call.message() for call in (calls[-limit:] if limit else calls)]


class Sessions:
    """Every session a mock knows, made on first use; `weights` as in `Session`."""

    def __init__(self, weights: NameWeights | None = None) -> None:
        self._sessions: dict[str, Session] = {}
        self._weights = weights
        # What a session is reset to: records, and faults made anew at each reset.
        self._starts: dict[str, tuple[list[mock_pb2.MockRecord], mock_pb2.Faults | None]] = {}

    def get(self, name: str) -> Session:
        session = self._sessions.get(name)
        if session is None:
            session = self._sessions[name] = Session(self._weights)
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
