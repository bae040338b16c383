"""What every system's record match has in common, turned into a broker Hit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from broker.domain.labels import EnumType, short_name
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

Action: TypeAlias = systems_pb2.Action.ValueType


def base_hit(match: mock_pb2.RecordMatch, category: str, action: Action) -> pb.Hit:
    """The hit for `match`, with the system's detail (alert, visa, file...) as it came."""
    hit = pb.Hit(
        record_id=match.record_id,
        score=match.score,
        match_class=match.match_class,
        category=category,
        action=action,
        explanation=match.explanation,
        identity=match.identity,
    )
    kind = match.WhichOneof("detail")
    if kind is not None:
        # The two messages share the oneof's field names and types.
        getattr(hit, kind).CopyFrom(getattr(match, kind))
    return hit


def categorised_hit(
    match: mock_pb2.RecordMatch,
    prefix: str,
    enum: EnumType,
    value: int,
    actions: Mapping[int, Action],
) -> pb.Hit:
    """A hit named by the record's category (`SIS_` + `ARREST`), with its action; a category
    without one is information."""
    action = actions.get(value, systems_pb2.ACTION_INFORMATION)
    return base_hit(match, prefix + short_name(enum, value), action)
