"""The port between a mock service and its data: answer a search with record matches.

The fixed store below answers from a handful of records by exact rules; stores backed
by the matching core and the synthetic population plug in behind the same method.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from google.protobuf.message import Message

from broker.names import canonical_name
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb


class Store(Protocol):
    def search(self, request: mock_pb2.SearchRequest, today: dt.date) -> list[mock_pb2.RecordMatch]:
        """Every record that matches the query, best first."""


@dataclass(frozen=True)
class Record:
    """A record of a system: the identity it holds and its system-specific detail.

    The detail is made on the day of the search, so relative dates never go stale.
    """

    record_id: str
    identity: pb.Traveller
    detail: Callable[[dt.date], Message]
    # Object alerts (a stolen document) match on the document number alone.
    document_only: bool = False


class FixedStore:
    """Exact rules: the document number, or the same surname and date of birth."""

    def __init__(self, records: Sequence[Record]) -> None:
        self._records = list(records)

    def search(self, request: mock_pb2.SearchRequest, today: dt.date) -> list[mock_pb2.RecordMatch]:
        query = request.traveller
        matches = []
        for record in self._records:
            explanation = _explain(query, record)
            if explanation is None:
                continue
            match = mock_pb2.RecordMatch(
                record_id=record.record_id,
                score=min(1.0, sum(f.similarity for f in explanation) / max(2, len(explanation))),
                match_class=pb.MATCH_CLASS_SAME,
                explanation=explanation,
                identity=record.identity,
            )
            set_detail(match, record.detail(today))
            matches.append(match)
        return sorted(matches, key=lambda m: -m.score)


def _field(name: str, query: str, record: str) -> pb.FieldMatch:
    return pb.FieldMatch(
        field=name, query_value=query, record_value=record, similarity=1.0, method="exact"
    )


def _explain(query: pb.Traveller, record: Record) -> list[pb.FieldMatch] | None:
    held = record.identity
    fields: list[pb.FieldMatch] = []
    number = query.document.number
    if number and number == held.document.number:
        fields.append(_field("document.number", number, held.document.number))
        if record.document_only:
            return fields
    elif record.document_only:
        return None
    sticker = query.visa_sticker_number
    if sticker and sticker == held.visa_sticker_number:
        fields.append(_field("visa_sticker_number", sticker, held.visa_sticker_number))
    surname = canonical_name(query.surname)
    if surname and surname == canonical_name(held.surname):
        if query.date_of_birth and query.date_of_birth == held.date_of_birth:
            fields.append(_field("surname", query.surname, held.surname))
            fields.append(_field("date_of_birth", query.date_of_birth, held.date_of_birth))
    if query.nationality and fields and query.nationality == held.nationality:
        fields.append(_field("nationality", query.nationality, held.nationality))
    return fields or None


_DETAIL_FIELD = {
    field.message_type.full_name: field.name  # type: ignore[union-attr]
    for field in mock_pb2.RecordMatch.DESCRIPTOR.oneofs_by_name["detail"].fields
}


def set_detail(match: mock_pb2.RecordMatch, detail: Message) -> None:
    """Put a SisAlert, VisApplication, ... into the matching branch of the detail oneof."""
    getattr(match, _DETAIL_FIELD[detail.DESCRIPTOR.full_name]).CopyFrom(detail)
