"""The port an adapter calls: one border system, in the broker's own terms.

A client takes the query as the broker sends it and returns hits as the report carries
them; the gRPC client of the mock systems is one implementation, a national system's
client would be another. A call that fails raises `SystemCallFailed` with the outcome the
report should show. `trace` is the adapter's span of the check's trace: a client passes
`trace.traceparent` on (the gRPC client sends it as `traceparent` metadata).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from broker.domain.trace import TraceContext
from interop.v1 import border_check_pb2 as pb
from interop.v1 import bus_pb2


class SystemCallFailed(Exception):
    """The system did not give an answer; `status` is what the report says of it."""

    def __init__(self, status: pb.OutcomeStatus.ValueType, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class BorderSystemClient(Protocol):
    async def search(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> Sequence[pb.Hit]:
        """The system's records that match `query.traveller`, as hits."""
        ...

    async def record_crossing(
        self, query: bus_pb2.SystemQuery, timeout: float, trace: TraceContext
    ) -> pb.Hit:
        """Write `query.crossing` and return the traveller's file after it."""
        ...

    async def close(self) -> None: ...
