"""Topic names and layout. Keys are correlation ids, so one check stays on one partition."""

from __future__ import annotations

from dataclasses import dataclass

from broker.transport.bus import TopicSpec

KEEP_FOREVER = -1


@dataclass(frozen=True)
class Topics:
    prefix: str = "interop.v1"
    partitions: int = 4
    replication: int = 1
    # Requests and replies are worthless after their deadline; keep them briefly.
    retention_ms: int = 10 * 60 * 1000

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

    def spec(self, name: str, short_lived: bool = True) -> TopicSpec:
        """How `name` is created; request and reply topics keep records only briefly, the
        audit topic for ever (it holds the anchors `interop audit verify` compares)."""
        retention = self.retention_ms if short_lived else None
        if name == self.audit:
            retention = KEEP_FOREVER
        return TopicSpec(name, self.partitions, self.replication, retention)
