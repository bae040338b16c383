"""INVALID_ARGUMENT with a google.rpc.BadRequest that always fits in the trailers.

The status details travel as gRPC trailing metadata, which peers cap at 8 KiB: a status
that grows with the request (many wrong fields, a long value quoted back) would turn into
RESOURCE_EXHAUSTED and lose the field names. So the details name at most
`MAX_VIOLATIONS` fields, each described in at most `MAX_DESCRIPTION_CHARS` characters.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from broker.domain.errors import FieldViolation

MAX_VIOLATIONS = 16
MAX_DESCRIPTION_CHARS = 160


def bad_request_status(violations: Sequence[FieldViolation]) -> grpc.Status:
    """The status that names the wrong fields (the first MAX_VIOLATIONS of them)."""
    shown = violations[:MAX_VIOLATIONS]
    bad_request = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(
                field=v.field, description=_shortened(v.description)
            )
            for v in shown
        ]
    )
    detail = any_pb2.Any()
    detail.Pack(bad_request)
    more = len(violations) - len(shown)
    message = "invalid request: " + ", ".join(v.field for v in shown)
    if more:
        message += f" and {more} more"
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])
    return rpc_status.to_status(status)


def _shortened(description: str) -> str:
    if len(description) <= MAX_DESCRIPTION_CHARS:
        return description
    return description[: MAX_DESCRIPTION_CHARS - 3] + "..."
