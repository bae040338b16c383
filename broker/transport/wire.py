"""How queries and replies travel on the bus: body, key and headers.

Both directions go through here, so sealing (broker.transport.envelope: AES-256-GCM with a
key per channel) is applied in exactly one place for the gateway and for every adapter.
Routing facts stay in clear headers so a message can be routed, or dropped as late,
without opening it; the seal binds every one of them, with the topic the message is on:

    correlation-id    the check; also the record key, so one check stays on one partition
    system            whose channel: a query to, or a reply from, that system
    producer          the service that sealed it
    reply-to          (queries) the gateway's reply topic
    deadline-unix-ms  when the gateway stops waiting; nothing is used after it
    key-id            the channel key it is sealed with

The purpose, the traveller and the caller travel inside the sealed body (authenticated by
the same tag); the body's correlation id, system and deadline must equal the headers'.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from google.protobuf.message import DecodeError

from broker.domain.systems import SystemCatalog, SystemSpec
from broker.transport.bus import Message
from broker.transport.envelope import (
    KEY_ID,
    Keyring,
    open_sealed,
    query_channel,
    reply_channel,
    seal,
)
from broker.transport.rejection import Reason, Rejected
from interop.v1 import bus_pb2

CORRELATION_ID = "correlation-id"
REPLY_TO = "reply-to"
DEADLINE = "deadline-unix-ms"
SYSTEM = "system"
PRODUCER = "producer"

Body = TypeVar("Body", bus_pb2.SystemQuery, bus_pb2.SystemReply)


@dataclass(frozen=True)
class Outgoing:
    key: bytes
    value: bytes
    headers: dict[str, bytes]


@dataclass(frozen=True)
class Received(Generic[Body]):
    """An opened message: its body and the routing facts the seal vouched for."""

    body: Body
    message_id: bytes
    deadline_unix_ms: int
    reply_to: str


def pack_query(
    keyring: Keyring, query: bus_pb2.SystemQuery, system: SystemSpec, topic: str, reply_to: str
) -> Outgoing:
    return _sealed(keyring, query_channel(system.name), topic, query, system, reply_to)


def unpack_query(
    keyring: Keyring, message: Message, system: SystemSpec
) -> Received[bus_pb2.SystemQuery]:
    """The query, if it is sealed for `system` on the topic it was read from."""
    named = _header(message, SYSTEM)
    if named != system.name:
        raise Rejected(Reason.WRONG_SYSTEM, f"a query for {named!r} on {system.name}'s topic")
    return _opened(keyring, query_channel(system.name), message, system, bus_pb2.SystemQuery())


def pack_reply(
    keyring: Keyring, reply: bus_pb2.SystemReply, system: SystemSpec, topic: str
) -> Outgoing:
    """`reply` carries its query's deadline: the replay window of the reply too."""
    return _sealed(keyring, reply_channel(system.name), topic, reply, system, "")


def unpack_reply(
    keyring: Keyring, message: Message, catalog: SystemCatalog
) -> Received[bus_pb2.SystemReply]:
    """The reply, if it is sealed on the channel of the system it names."""
    named = _header(message, SYSTEM)
    try:
        system = catalog.by_name(named)
    except ValueError:
        raise Rejected(Reason.UNKNOWN_KEY, f"a reply from unknown system {named!r}") from None
    return _opened(keyring, reply_channel(system.name), message, system, bus_pb2.SystemReply())


def deadline_of(message: Message) -> int | None:
    """The absolute deadline from the headers, without opening the body (not yet vouched for)."""
    raw = message.headers.get(DEADLINE)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _sealed(
    keyring: Keyring,
    channel: str,
    topic: str,
    body: bus_pb2.SystemQuery | bus_pb2.SystemReply,
    system: SystemSpec,
    reply_to: str,
) -> Outgoing:
    headers = {
        CORRELATION_ID: body.correlation_id.encode(),
        SYSTEM: system.name.encode(),
        PRODUCER: keyring.service.encode(),
        REPLY_TO: reply_to.encode(),
        DEADLINE: str(body.deadline_unix_ms).encode(),
    }
    value, key_id = seal(keyring, channel, body.SerializeToString(), _facts(topic, headers))
    return Outgoing(headers[CORRELATION_ID], value, {**headers, KEY_ID: key_id})


def _opened(
    keyring: Keyring, channel: str, message: Message, system: SystemSpec, body: Body
) -> Received[Body]:
    headers = message.headers
    if message.key != headers.get(CORRELATION_ID):
        raise Rejected(Reason.MALFORMED, "record key and correlation-id header differ")
    facts = _facts(message.topic, headers)
    message_id, payload = open_sealed(keyring, channel, message.value, _raw(headers, KEY_ID), facts)
    try:
        body.ParseFromString(payload)
    except DecodeError as error:
        raise Rejected(Reason.UNDECODABLE, f"not a {body.DESCRIPTOR.name}: {error}") from None
    deadline = deadline_of(message)
    if (
        body.correlation_id.encode() != message.key
        or body.system != system.value
        or body.deadline_unix_ms != deadline
    ):
        raise Rejected(Reason.UNDECODABLE, "body and routing headers disagree")
    return Received(body, message_id, body.deadline_unix_ms, _header(message, REPLY_TO))


def _facts(topic: str, headers: Mapping[str, bytes]) -> tuple[bytes, ...]:
    """What the seal binds besides the channel: the topic and every routing header."""
    return (
        topic.encode(),
        _raw(headers, CORRELATION_ID),
        _raw(headers, PRODUCER),
        _raw(headers, REPLY_TO),
        _raw(headers, DEADLINE),
    )


def _raw(headers: Mapping[str, bytes], name: str) -> bytes:
    value = headers.get(name)
    if value is None:
        raise Rejected(Reason.MALFORMED, f"header {name} missing")
    return value


def _header(message: Message, name: str) -> str:
    try:
        return _raw(message.headers, name).decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(Reason.MALFORMED, f"header {name} is not text") from None
