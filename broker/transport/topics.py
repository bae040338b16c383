"""Topic names and layout, and how each kind of topic is kept and written.

Keys are correlation ids, so one check stays on one partition.

Queries and replies are worthless after their check's deadline: kept briefly and written
fast (acks=1, given up at the deadline; a query lost with a broker is a system reported
TIMEOUT, which is what the deadline promises anyway). Audit records and dead letters are
evidence: kept (the audit topic for ever), and written so that losing one broker loses
none of them: through the bus's `durable` publish (acks=all: every in-sync replica, at
least min.insync.replicas, holds the record before the write succeeds).
Replication and min.insync.replicas are set per kind (README, Configuration).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from broker.transport.bus import TopicSpec

KEEP_FOREVER = -1


class Kind(enum.Enum):
    QUERY = "query"
    REPLY = "reply"
    AUDIT = "audit"
    DEAD_LETTER = "deadletter"

    @property
    def durable(self) -> bool:
        """Whether its records must survive the loss of a broker (see the module's text)."""
        return self in (Kind.AUDIT, Kind.DEAD_LETTER)


@dataclass(frozen=True)
class Replicas:
    """How many brokers hold each partition, and how many must have a record before an
    acks=all write of it succeeds."""

    replication: int = 1
    min_insync: int = 1


@dataclass(frozen=True)
class Topics:
    prefix: str = "interop.v1"
    partitions: int = 4
    # How long queries and replies are kept; audit records and dead letters are kept.
    retention_ms: int = 10 * 60 * 1000
    replicas: Mapping[Kind, Replicas] = field(default_factory=dict)

    def request(self, system: str) -> str:
        return f"{self.prefix}.{system}.query"

    def reply(self, gateway_id: str) -> str:
        return f"{self.prefix}.reply.{gateway_id}"

    @property
    def audit(self) -> str:
        return f"{self.prefix}.audit"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}.deadletter"

    def spec(self, name: str, kind: Kind) -> TopicSpec:
        """How `name`, a topic of `kind`, is created. The audit topic is kept for ever (it
        holds the anchors `interop audit verify` compares)."""
        replicas = self.replicas.get(kind, Replicas())
        retention = None if kind.durable else self.retention_ms
        if kind is Kind.AUDIT:
            retention = KEEP_FOREVER
        return TopicSpec(
            name, self.partitions, replicas.replication, retention, replicas.min_insync
        )
