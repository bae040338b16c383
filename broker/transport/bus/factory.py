"""Choosing a bus by name: `memory` (in-process) or `kafka` (aiokafka against a broker)."""

from __future__ import annotations

from broker.transport.bus.base import Bus, BusError
from broker.transport.bus.memory import MemoryBroker, MemoryBus

BUS_KINDS = ("memory", "kafka")


def make_bus(
    kind: str,
    bootstrap: str | None,
    client_id: str,
    *,
    memory_name: str = "default",
    linger_ms: int = 1,
) -> Bus:
    """A new, not yet started bus of `kind`.

    For `memory`, every bus made with the same `memory_name` is a handle on one
    process-wide `MemoryBroker`, so the all-in-one launcher's gateway and adapters, each
    with its own bus, reach each other; `bootstrap` is ignored. For `kafka`, `bootstrap`
    is the broker list (`host:port[,host:port...]`) and is required; `linger_ms` is how long
    its producer gathers messages into one request.
    """
    if kind == "memory":
        return MemoryBus(MemoryBroker.shared(memory_name), client_id=client_id)
    if kind == "kafka":
        if not bootstrap:
            raise BusError("the kafka bus needs a bootstrap address (host:port)")
        from broker.transport.bus.kafka import KafkaBus

        return KafkaBus(bootstrap, client_id=client_id, linger_ms=linger_ms)
    raise BusError(f"unknown bus kind {kind!r}; expected one of: {', '.join(BUS_KINDS)}")
