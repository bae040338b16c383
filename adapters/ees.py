"""EES: the individual file, its crossings, and the 90/180-day calculation."""

from __future__ import annotations

import grpc

from adapters.translate import base_hit
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

SYSTEM = s.SYSTEM_EES


def stub(channel: grpc.aio.Channel) -> mock_pb2_grpc.EesMockStub:
    return mock_pb2_grpc.EesMockStub(channel)


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    file = match.ees
    if file.overstay_days > 0:
        category, action = "EES_OVERSTAY", s.ACTION_SECOND_LINE_CHECK
    elif file.refusals:
        category, action = "EES_PREVIOUS_REFUSAL", s.ACTION_VERIFY
    else:
        category, action = "EES_FILE", s.ACTION_INFORMATION
    hit = base_hit(match, category, action)
    hit.ees.CopyFrom(file)
    return hit
