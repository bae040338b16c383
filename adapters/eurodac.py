"""Eurodac: protection applicants, irregular crossings, illegal stays."""

from __future__ import annotations

import grpc

from adapters.translate import base_hit
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

SYSTEM = s.SYSTEM_EURODAC

ACTIONS: dict[int, s.Action.ValueType] = {
    s.EURODAC_CATEGORY_IRREGULAR_CROSSING: s.ACTION_SECOND_LINE_CHECK,
    s.EURODAC_CATEGORY_ILLEGAL_STAY: s.ACTION_SECOND_LINE_CHECK,
}


def stub(channel: grpc.aio.Channel) -> mock_pb2_grpc.EurodacMockStub:
    return mock_pb2_grpc.EurodacMockStub(channel)


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    record = match.eurodac
    category = s.EurodacCategory.Name(record.category).replace("EURODAC_CATEGORY_", "EURODAC_")
    hit = base_hit(match, category, ACTIONS.get(record.category, s.ACTION_INFORMATION))
    hit.eurodac.CopyFrom(record)
    return hit
