"""What every system's record match has in common, turned into a broker Hit."""

from __future__ import annotations

from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2


def base_hit(
    match: mock_pb2.RecordMatch, category: str, action: systems_pb2.Action.ValueType
) -> pb.Hit:
    return pb.Hit(
        record_id=match.record_id,
        score=match.score,
        match_class=match.match_class,
        category=category,
        action=action,
        explanation=match.explanation,
        identity=match.identity,
    )
