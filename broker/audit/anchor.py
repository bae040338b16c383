"""The audit trail's anchors on the audit topic: what the file cannot take back.

Each line's record is published to the audit topic with `acks=all` (for consumers such
as a SIEM, and as the anchor), keyed by the trail so that a trail's records stay in order
on one partition, with headers naming the trail, the line's seq and its MAC. Someone who
can rewrite the file cannot rewrite the topic; `interop audit verify` reads the anchors
back and compares (broker.audit.trail.verify).

Reading back needs to know when every anchor has been seen. A fresh consumer group reads
the topic from its start while a probe is published with the trail's key: it lands on
the same partition, after every anchor published before it, so the read stops when the
probe comes back. Consumers of the topic skip records whose kind is "probe".

Anyone who can write to the topic can add records that look like anchors. The first anchor
of a seq is the one kept (the genuine one was published when the line was written, and the
topic keeps records for ever); a second one with another MAC is reported as a conflict,
and records that are not well-formed anchors are ignored.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping

from broker.audit.trail import Anchors, Link
from broker.transport.bus import Bus
from interop.v1 import bus_pb2

TRAIL = "trail"
SEQ = "seq"
MAC = "mac"
KIND = "kind"
ANCHOR = b"anchor"
PROBE = b"probe"
PROBE_ID = "probe-id"


class AnchorsUnavailable(Exception):
    """The audit topic could not be read to its end."""


async def publish_anchor(
    bus: Bus, topic: str, trail: str, record: bus_pb2.AuditRecord, link: Link
) -> None:
    """Put one line's record and place in the chain on the audit topic, durably."""
    headers = {
        TRAIL: trail.encode(),
        SEQ: str(link.seq).encode(),
        MAC: link.mac.encode(),
        KIND: ANCHOR,
    }
    await bus.publish(topic, trail.encode(), record.SerializeToString(), headers, durable=True)


async def read_anchors(bus: Bus, topic: str, trail: str, timeout_s: float = 30.0) -> Anchors:
    """Every anchor of `trail` on the audit topic."""
    subscription = await bus.subscribe([topic], group=f"interop.audit-verify.{uuid.uuid4().hex}")
    macs: dict[int, str] = {}
    conflicting: set[int] = set()
    try:
        await subscription.ready()
        probe = uuid.uuid4().hex.encode()
        headers = {TRAIL: trail.encode(), KIND: PROBE, PROBE_ID: probe}
        await bus.publish(topic, trail.encode(), b"", headers, durable=True)
        async with asyncio.timeout(timeout_s):
            async for message in subscription:
                fields = message.headers
                if fields.get(TRAIL) != trail.encode():
                    continue
                if fields.get(KIND) == PROBE and fields.get(PROBE_ID) == probe:
                    return Anchors(macs, frozenset(conflicting))
                anchor = _anchor(message.headers)
                if anchor is None:
                    continue
                seq, mac = anchor
                if macs.setdefault(seq, mac) != mac:
                    conflicting.add(seq)
    except TimeoutError:
        raise AnchorsUnavailable(
            f"the audit topic {topic} was not read to its end within {timeout_s:g} s"
        ) from None
    finally:
        await subscription.close()
    raise AnchorsUnavailable(f"the subscription to {topic} ended before the probe came back")


def _anchor(headers: Mapping[str, bytes]) -> tuple[int, str] | None:
    """(seq, MAC) of a well-formed anchor record, else None."""
    if headers.get(KIND) != ANCHOR:
        return None
    try:
        seq, mac = int(headers[SEQ]), headers[MAC].decode("ascii")
    except (KeyError, ValueError):
        return None
    return (seq, mac) if seq > 0 and len(mac) == 64 else None
