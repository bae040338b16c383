"""Prometheus metrics of the adapters: how long queries waited and their system took, how
each query ended, how far behind each consumer is, and what went to the dead letters.

The families exist once per registry (`AdapterFamilies`); each adapter has the children of
its system (`AdapterMetrics`).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge

from broker.transport.metrics import dead_letters, histogram

ANSWERED = "answered"
FAILED = "failed"
EXPIRED = "expired"
DEAD_LETTERED = "dead_lettered"
OUTCOMES = (ANSWERED, FAILED, EXPIRED, DEAD_LETTERED)


class AdapterFamilies:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.queue_wait = histogram(
            registry,
            "interop_adapter_queue_wait_seconds",
            "From the gateway handing a query to the bus to the adapter calling its system",
            ["system"],
        )
        self.system_call = histogram(
            registry,
            "interop_adapter_system_call_seconds",
            "The call to the system (or its mock), answered or not",
            ["system"],
        )
        self.queries = Counter(
            "interop_adapter_queries",
            "Queries by how they ended: answered, failed (no answer from the system), "
            "expired (dropped at its deadline), dead_lettered (unreadable)",
            ["system", "outcome"],
            registry=registry,
        )
        self.lag = Gauge(
            "interop_adapter_consumer_lag",
            "Queries on the bus not yet taken, per partition the adapter owns (when scraped)",
            ["system", "topic", "partition"],
            registry=registry,
        )
        self.dead_letters = dead_letters(registry)


class AdapterMetrics:
    """One adapter's children of the families."""

    def __init__(self, families: AdapterFamilies, system: str) -> None:
        self._families = families
        self._system = system
        self.queue_wait = families.queue_wait.labels(system)
        self.system_call = families.system_call.labels(system)
        self.answered, self.failed, self.expired, self._dead_lettered = (
            families.queries.labels(system, outcome) for outcome in OUTCOMES
        )
        self._partitions: set[tuple[str, int]] = set()

    @classmethod
    def alone(cls, system: str) -> AdapterMetrics:
        """In a registry of its own, for an adapter whose metrics are not served."""
        return cls(AdapterFamilies(CollectorRegistry()), system)

    def ended(self) -> dict[str, int]:
        """How many of this adapter's queries ended each way so far, by outcome."""
        registry = self._families.registry
        return {
            outcome: int(
                registry.get_sample_value(
                    "interop_adapter_queries_total", {"system": self._system, "outcome": outcome}
                )
                or 0
            )
            for outcome in OUTCOMES
        }

    def dead_lettered(self, topic: str, reason: str) -> None:
        self._dead_lettered.inc()
        self._families.dead_letters[(topic, reason)].inc()

    def lag(self, waiting: Mapping[tuple[str, int], int]) -> None:
        """Set the lag of the partitions owned now; forget those given away since."""
        for topic, partition in self._partitions - waiting.keys():
            self._families.lag.remove(self._system, topic, str(partition))
        for (topic, partition), records in waiting.items():
            self._families.lag.labels(self._system, topic, str(partition)).set(records)
        self._partitions = set(waiting)
