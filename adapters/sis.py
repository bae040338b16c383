"""SIS: person alerts with the action to take, object alerts on documents."""

from __future__ import annotations

import grpc

from adapters.translate import base_hit
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s

SYSTEM = s.SYSTEM_SIS

ACTIONS: dict[int, s.Action.ValueType] = {
    s.SIS_ALERT_CATEGORY_ARREST: s.ACTION_ARREST,
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: s.ACTION_PROTECT_PERSON,
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: s.ACTION_REPORT_WHEREABOUTS,
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: s.ACTION_DISCREET_CHECK,
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: s.ACTION_INQUIRY_CHECK,
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: s.ACTION_SPECIFIC_CHECK,
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: s.ACTION_REFUSE_ENTRY,
    s.SIS_ALERT_CATEGORY_RETURN: s.ACTION_ENFORCE_RETURN,
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: s.ACTION_SEIZE_DOCUMENT,
}


def stub(channel: grpc.aio.Channel) -> mock_pb2_grpc.SisMockStub:
    return mock_pb2_grpc.SisMockStub(channel)


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    alert = match.sis
    category = s.SisAlertCategory.Name(alert.category).replace("SIS_ALERT_CATEGORY_", "SIS_")
    hit = base_hit(match, category, ACTIONS.get(alert.category, s.ACTION_INFORMATION))
    hit.sis.CopyFrom(alert)
    return hit
