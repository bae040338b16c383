"""Prometheus metrics of the bus side: what the dispatcher saw of each system, dead letters,
and what every part's metrics share (latency buckets, label children made once).

Families are registered in the registry they are given: one per process when served
(broker.transport.telemetry), a fresh one per test.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from broker.domain.systems import System, SystemCatalog

# Seconds, from a memory-bus hop (~0.1 ms) to a check's longest deadline.
LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
UNKNOWN = "unknown"
LATE = "late"
DUPLICATE = "duplicate"

Key = TypeVar("Key", bound=Hashable)
Family = TypeVar("Family", Counter, Gauge, Histogram)


class Children(Generic[Key, Family]):
    """A family's labelled children by key, each made once: `labels()` costs microseconds
    a call, too much to pay per message. Children of `keys` exist from the start, at 0."""

    __slots__ = ("_family", "_labels", "_made")

    def __init__(
        self, family: Family, labels: Callable[[Key], Sequence[str]], keys: Iterable[Key] = ()
    ) -> None:
        self._family: Family = family
        self._labels = labels
        self._made: dict[Key, Family] = {}
        for key in keys:
            self[key]

    def __getitem__(self, key: Key) -> Family:
        child = self._made.get(key)
        if child is None:
            child = self._made[key] = self._family.labels(*self._labels(key))
        return child


def histogram(registry: CollectorRegistry, name: str, doc: str, labels: Sequence[str]) -> Histogram:
    return Histogram(name, doc, labels, registry=registry, buckets=LATENCY_BUCKETS)


DeadLetters = Children[tuple[str, str], Counter]
_DEAD_LETTERS: weakref.WeakKeyDictionary[CollectorRegistry, DeadLetters] = (
    weakref.WeakKeyDictionary()
)


def dead_letters(registry: CollectorRegistry) -> DeadLetters:
    """`interop_bus_dead_letters_total` by (source topic, reason: forged, replayed, ...).

    One family per registry, shared by every part that refuses messages in the process (the
    gateway's dispatcher and the adapters of `interop up`)."""
    family = _DEAD_LETTERS.get(registry)
    if family is None:
        counter = Counter(
            "interop_bus_dead_letters",
            "Messages sent to the dead-letter topic: forged, replayed, for another system, ...",
            ["topic", "reason"],
            registry=registry,
        )
        family = _DEAD_LETTERS[registry] = Children(counter, lambda key: key)
    return family


class DispatchMetrics:
    """What a gateway's dispatcher saw: how long each system took, replies it dropped,
    queries the bus did not take."""

    def __init__(self, registry: CollectorRegistry, catalog: SystemCatalog) -> None:
        self._dead_letters = dead_letters(registry)

        def system(key: System) -> tuple[str]:
            return (catalog.name(key),)

        self._seconds = Children(
            histogram(
                registry,
                "interop_gateway_system_duration_seconds",
                "From fan-out to a system's answer, or to the deadline without one",
                ["system"],
            ),
            system,
            catalog.values,
        )
        dropped = Counter(
            "interop_gateway_replies_dropped",
            "Replies dropped: after their check's deadline, or a second one",
            ["system", "reason"],
            registry=registry,
        )
        self._dropped = Children(
            dropped,
            lambda key: (catalog.name(key[0]), key[1]),
            [(value, reason) for value in catalog.values for reason in (LATE, DUPLICATE)],
        )
        self._unsent = Children(
            Counter(
                "interop_gateway_queries_unsent",
                "Queries the bus had not taken by their check's deadline (system UNAVAILABLE)",
                ["system"],
                registry=registry,
            ),
            system,
            catalog.values,
        )

    def waited(self, system: System, seconds: float) -> None:
        """`system`'s part of a check ended, with its answer or at the deadline."""
        self._seconds[system].observe(seconds)

    def dropped(self, system: System, reason: str) -> None:
        self._dropped[(system, reason)].inc()

    def dead_lettered(self, topic: str, reason: str) -> None:
        """A reply refused (sent to the dead letters) for `reason`."""
        self._dead_letters[(topic, reason)].inc()

    def unsent(self, system: System) -> None:
        self._unsent[system].inc()
