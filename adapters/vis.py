"""VIS: visa applications and their status."""

from __future__ import annotations

import grpc

from adapters.translate import base_hit
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

SYSTEM = s.SYSTEM_VIS

# A visa that was revoked or annulled no longer covers the stay: the guard must look closer.
ACTIONS: dict[int, s.Action.ValueType] = {
    s.VIS_STATUS_REVOKED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_ANNULLED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_REFUSED: s.ACTION_VERIFY,
}


def stub(channel: grpc.aio.Channel) -> mock_pb2_grpc.VisMockStub:
    return mock_pb2_grpc.VisMockStub(channel)


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    application = match.vis
    category = s.VisStatus.Name(application.status).replace("VIS_STATUS_", "VIS_VISA_")
    hit = base_hit(match, category, ACTIONS.get(application.status, s.ACTION_INFORMATION))
    hit.vis.CopyFrom(application)
    return hit
