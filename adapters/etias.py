"""ETIAS: whether a valid travel authorisation exists for the document."""

from __future__ import annotations

import grpc

from adapters.translate import base_hit
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

SYSTEM = s.SYSTEM_ETIAS

ACTIONS: dict[int, s.Action.ValueType] = {
    s.ETIAS_STATUS_REFUSED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_ANNULLED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_REVOKED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_EXPIRED: s.ACTION_VERIFY,
    s.ETIAS_STATUS_NONE: s.ACTION_VERIFY,
}


def stub(channel: grpc.aio.Channel) -> mock_pb2_grpc.EtiasMockStub:
    return mock_pb2_grpc.EtiasMockStub(channel)


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    authorisation = match.etias
    if authorisation.status == s.ETIAS_STATUS_ISSUED and authorisation.second_line_flag:
        category, action = "ETIAS_FLAGGED", s.ACTION_SECOND_LINE_CHECK
    else:
        category = s.EtiasStatus.Name(authorisation.status).replace("ETIAS_STATUS_", "ETIAS_")
        action = ACTIONS.get(authorisation.status, s.ACTION_INFORMATION)
    hit = base_hit(match, category, action)
    hit.etias.CopyFrom(authorisation)
    return hit
