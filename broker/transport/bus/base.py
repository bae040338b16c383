"""The bus port: what the gateway and the adapters need from a message transport.

Kept deliberately small (publish, subscribe as a group or alone, create topics) so
that the in-memory bus can honour the same contract as Kafka and one conformance
suite can run against both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol


class BusError(Exception):
    """A bus operation failed."""


class BusUnavailable(BusError):
    """The bus cannot be reached (for Kafka: no broker answered at the bootstrap address)."""


@dataclass(frozen=True)
class TopicSpec:
    """A topic the service needs; created at start-up when missing."""

    name: str
    partitions: int = 1
    replication: int = 1
    retention_ms: int | None = None
    # Replicas that must hold a record before an acks=all write of it succeeds.
    min_insync: int = 1

    def configs(self) -> dict[str, str]:
        """The topic's settings as Kafka names them, for its creation."""
        configs = {"min.insync.replicas": str(self.min_insync)}
        if self.retention_ms is not None:
            configs["retention.ms"] = str(self.retention_ms)
        return configs


@dataclass(frozen=True)
class Message:
    """One record as delivered to a subscriber."""

    topic: str
    key: bytes
    value: bytes
    headers: Mapping[str, bytes] = field(default_factory=dict)
    partition: int = 0
    offset: int = 0


class Subscription(Protocol):
    """A running consumer. Iterate to receive; `close()` to leave the group."""

    def __aiter__(self) -> AsyncIterator[Message]: ...

    async def ready(self) -> None:
        """Wait until partitions are assigned and positioned, so no later message is missed."""

    def assigned_partitions(self) -> frozenset[tuple[str, int]]:
        """The (topic, partition) pairs this member currently owns."""

    async def lag(self) -> int:
        """Records on this member's partitions not handed out yet (0 when unknown)."""

    async def partition_lag(self) -> dict[tuple[str, int], int]:
        """The same per (topic, partition) this member owns."""

    async def close(self) -> None: ...


class Bus(Protocol):
    """A message transport with topics, partitions by key, consumer groups and headers."""

    async def start(self) -> None:
        """Connect. Raises BusUnavailable with a clear message when the bus cannot be reached."""

    async def stop(self) -> None: ...

    async def reachable(self, timeout_s: float) -> bool:
        """Whether the bus answers within `timeout_s` now (for Kafka: a metadata request)."""

    async def ensure_topics(self, topics: Sequence[TopicSpec]) -> None:
        """Create the topics that do not exist yet; existing ones are left as they are."""

    async def publish(
        self,
        topic: str,
        key: bytes,
        value: bytes,
        headers: Mapping[str, bytes] | None = None,
        *,
        durable: bool = False,
    ) -> None:
        """Send one record; returns once the bus has accepted it.

        `durable`: only once every in-sync replica holds it (Kafka `acks=all`), for
        records that must not be lost with one broker (the audit trail's anchors).
        """

    async def subscribe(self, topics: Sequence[str], group: str | None) -> Subscription:
        """Consume `topics`.

        With a `group`, members of the same group share the partitions (each record goes
        to one member) and a new group starts from the earliest retained record. Without
        a group the subscriber reads every partition alone, from the end of the topic at
        the time it is ready (used for a gateway's own reply topic).
        """
