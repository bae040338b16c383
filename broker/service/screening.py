"""Letting a request in: who is asking, and whether they may; every refusal is audited.

A use case gives `admit` the checks to make once the caller is known (validation,
routing, rights). A refusal at any step, a failed authentication included, leaves an
audit record (who, what, when, why) before it reaches the caller as a status.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from broker.domain.audit import refusal_record, timestamp
from broker.domain.errors import Refused
from broker.domain.profiles import Caller
from broker.service.ports import Peer, Ports
from interop.v1 import border_check_pb2 as pb

Admitted = TypeVar("Admitted")


async def screen(
    action: str,
    request_id: str,
    purpose: pb.Purpose.ValueType,
    peer: Peer,
    ports: Ports,
    rules: Callable[[Caller], Admitted],
) -> tuple[Caller, Admitted]:
    """The caller and what `rules` make of the request; a refusal is audited, then raised."""
    caller: Caller | None = None
    try:
        caller = ports.policy.authenticate(peer.common_name, peer.secure)
        return caller, rules(caller)
    except Refused as error:
        who = caller.authority if caller else peer.common_name or "anonymous"
        profile = caller.profile.name if caller else ""
        at = timestamp(ports.clock.time())
        await ports.audit(refusal_record(action, who, profile, error, at, request_id, purpose))
        raise
