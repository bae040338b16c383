"""How queries and replies travel on the bus: body, key and headers.

Both directions go through here, so sealing (broker.transport.envelope: AES-256-GCM,
signed with Ed25519, bound to the correlation id) is applied in exactly one place for the
gateway and for every adapter. Routing data (correlation id, reply-to, deadline) stays in clear
headers so a message can be routed or dropped as late without opening it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from google.protobuf.message import DecodeError

from broker.transport.bus import Message
from broker.transport.envelope import EnvelopeError, Keyring, open_sealed, seal
from interop.v1 import bus_pb2

CORRELATION_ID = "correlation-id"
REPLY_TO = "reply-to"
DEADLINE = "deadline-unix-ms"
SYSTEM = "system"


class UnreadableMessage(Exception):
    """A bus message that cannot be opened; it goes to the dead-letter topic."""


@dataclass(frozen=True)
class Outgoing:
    key: bytes
    value: bytes
    headers: dict[str, bytes]


def _sealed(
    keyring: Keyring, correlation_id: str, body: bytes, headers: dict[str, bytes]
) -> Outgoing:
    key = correlation_id.encode()
    value, envelope_headers = seal(keyring, body, key)
    return Outgoing(key, value, {CORRELATION_ID: key, **headers, **envelope_headers})


Body = TypeVar("Body", bus_pb2.SystemQuery, bus_pb2.SystemReply)


def _opened(keyring: Keyring, message: Message, body: Body) -> Body:
    """`body` filled from the sealed message, its correlation id checked against the header."""
    correlation_id = message.headers.get(CORRELATION_ID)
    if not correlation_id:
        raise UnreadableMessage("no correlation-id header")
    try:
        body.ParseFromString(open_sealed(keyring, message.value, message.headers, correlation_id))
    except EnvelopeError as error:
        raise UnreadableMessage(f"cannot open envelope: {error}") from error
    except DecodeError as error:
        raise UnreadableMessage(f"not a {body.DESCRIPTOR.name}: {error}") from error
    if body.correlation_id.encode() != correlation_id:
        raise UnreadableMessage("correlation id of body and header differ")
    return body


def pack_query(
    keyring: Keyring, query: bus_pb2.SystemQuery, reply_to: str, system: str
) -> Outgoing:
    headers = {
        REPLY_TO: reply_to.encode(),
        DEADLINE: str(query.deadline_unix_ms).encode(),
        SYSTEM: system.encode(),
    }
    return _sealed(keyring, query.correlation_id, query.SerializeToString(), headers)


def unpack_query(keyring: Keyring, message: Message) -> tuple[bus_pb2.SystemQuery, str]:
    """The query and the topic to reply to."""
    reply_to = message.headers.get(REPLY_TO)
    if not reply_to:
        raise UnreadableMessage("no reply-to header")
    return _opened(keyring, message, bus_pb2.SystemQuery()), reply_to.decode()


def deadline_of(message: Message) -> int | None:
    """The absolute deadline from the headers, without decoding the body."""
    raw = message.headers.get(DEADLINE)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def pack_reply(keyring: Keyring, reply: bus_pb2.SystemReply) -> Outgoing:
    return _sealed(keyring, reply.correlation_id, reply.SerializeToString(), {})


def unpack_reply(keyring: Keyring, message: Message) -> bus_pb2.SystemReply:
    return _opened(keyring, message, bus_pb2.SystemReply())
