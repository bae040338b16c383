"""The message bus: one small interface, a Kafka and an in-memory implementation."""

from broker.transport.bus.base import (
    Bus,
    BusError,
    BusUnavailable,
    Message,
    Subscription,
    TopicSpec,
)

__all__ = ["Bus", "BusError", "BusUnavailable", "Message", "Subscription", "TopicSpec"]
