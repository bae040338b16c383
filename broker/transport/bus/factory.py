"""Choosing a bus by name: `memory` (in-process) or `kafka` (against a broker, through
aiokafka or librdkafka)."""

from __future__ import annotations

from broker.transport.bus.base import Bus, BusError
from broker.transport.bus.memory import MemoryBroker, MemoryBus

BUS_KINDS = ("memory", "kafka")
KAFKA_CLIENTS = ("aiokafka", "librdkafka")


def make_bus(
    kind: str,
    bootstrap: str | None,
    client_id: str,
    *,
    memory_name: str = "default",
    linger_ms: int = 1,
    kafka_client: str = "aiokafka",
) -> Bus:
    """A new, not yet started bus of `kind`.

    For `memory`, every bus made with the same `memory_name` is a handle on one
    process-wide `MemoryBroker`, so the all-in-one launcher's gateway and adapters, each
    with its own bus, reach each other; `bootstrap` is ignored. For `kafka`, `bootstrap`
    is the broker list (`host:port[,host:port...]`) and is required; `linger_ms` is how long
    its producer gathers messages into one request, and `kafka_client` the client library:
    `aiokafka` (pure Python) or `librdkafka` (confluent-kafka, the protocol in C).
    """
    if kind == "memory":
        return MemoryBus(MemoryBroker.shared(memory_name), client_id=client_id)
    if kind == "kafka":
        if not bootstrap:
            raise BusError("the kafka bus needs a bootstrap address (host:port)")
        if kafka_client == "librdkafka":
            from broker.transport.bus.rdkafka import RdKafkaBus

            return RdKafkaBus(bootstrap, client_id=client_id, linger_ms=linger_ms)
        if kafka_client == "aiokafka":
            from broker.transport.bus.kafka import KafkaBus

            return KafkaBus(bootstrap, client_id=client_id, linger_ms=linger_ms)
        raise BusError(
            f"unknown Kafka client {kafka_client!r}; expected one of: {', '.join(KAFKA_CLIENTS)}"
        )
    raise BusError(f"unknown bus kind {kind!r}; expected one of: {', '.join(BUS_KINDS)}")
