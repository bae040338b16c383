"""How queries and replies travel on the bus: body, key and headers.

Both directions go through here, so sealing the body (see broker.envelope) is applied
in exactly one place for the gateway and for every adapter.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError

from broker.bus import Message
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


def pack_query(query: bus_pb2.SystemQuery, reply_to: str, system: str) -> Outgoing:
    headers = {
        CORRELATION_ID: query.correlation_id.encode(),
        REPLY_TO: reply_to.encode(),
        DEADLINE: str(query.deadline_unix_ms).encode(),
        SYSTEM: system.encode(),
    }
    return Outgoing(query.correlation_id.encode(), query.SerializeToString(), headers)


def unpack_query(message: Message) -> tuple[bus_pb2.SystemQuery, str]:
    """The query and the topic to reply to."""
    reply_to = message.headers.get(REPLY_TO)
    if not reply_to:
        raise UnreadableMessage("no reply-to header")
    query = bus_pb2.SystemQuery()
    try:
        query.ParseFromString(message.value)
    except DecodeError as error:
        raise UnreadableMessage(f"not a SystemQuery: {error}") from error
    if not query.correlation_id:
        raise UnreadableMessage("no correlation id")
    return query, reply_to.decode()


def deadline_of(message: Message) -> int | None:
    """The absolute deadline from the headers, without decoding the body."""
    raw = message.headers.get(DEADLINE)
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def pack_reply(reply: bus_pb2.SystemReply) -> Outgoing:
    headers = {CORRELATION_ID: reply.correlation_id.encode()}
    return Outgoing(reply.correlation_id.encode(), reply.SerializeToString(), headers)


def unpack_reply(message: Message) -> bus_pb2.SystemReply:
    reply = bus_pb2.SystemReply()
    try:
        reply.ParseFromString(message.value)
    except DecodeError as error:
        raise UnreadableMessage(f"not a SystemReply: {error}") from error
    return reply
