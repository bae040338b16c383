"""How a mock system finds records: by identity, document, visa sticker and biometrics.

Records come from sources (the session's seeded records, the synthetic population)
behind one small port; the system's rules (mocks/systems/) say which ways of finding a
record count for that system and fill in the system-specific detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from broker.domain.systems import Criterion
from broker.domain.traveller import explanation, identity_of
from broker.matching import Identity, Match, MatchClass
from broker.matching.vectors import as_unit_float32
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from mocks.session import Session

# Cosine similarity from which a biometric comparison is a hit: a second capture of the
# synthetic population scores 0.65-0.85 against its enrolment, strangers below 0.3.
FACE_THRESHOLD = 0.5
FINGERPRINT_THRESHOLD = 0.5
MIN_IDENTITY_SCORE = 0.5

_CLASS = {
    MatchClass.SAME: pb.MATCH_CLASS_SAME,
    MatchClass.SIMILAR: pb.MATCH_CLASS_SIMILAR,
    MatchClass.DIFFERENT: pb.MATCH_CLASS_DIFFERENT,
}


@dataclass(frozen=True)
class Probe:
    """The query as the sources need it."""

    identity: Identity
    document_number: str
    visa_sticker_number: str
    face: npt.NDArray[np.float32] | None
    fingerprints: dict[int, npt.NDArray[np.float32]]

    @classmethod
    def of(cls, traveller: pb.Traveller) -> Probe:
        face = (
            unit(traveller.biometrics.face_embedding)
            if traveller.biometrics.face_embedding
            else None
        )
        prints = {f.position: unit(f.template) for f in traveller.biometrics.fingerprints}
        return cls(
            identity_of(traveller),
            traveller.document.number,
            traveller.visa_sticker_number,
            face,
            prints,
        )


def unit(values: Sequence[float]) -> npt.NDArray[np.float32]:
    vector: npt.NDArray[np.float32] = as_unit_float32(values)[0]
    return vector


@dataclass
class Found:
    """One record and every way it was found."""

    key: tuple[str, int]
    identity: Match | None = None
    document: bool = False
    sticker: bool = False
    biometrics: list[pb.FieldMatch] = field(default_factory=list)


class RecordSource(Protocol):
    name: str

    def by_identity(self, probe: Probe, min_score: float) -> list[tuple[int, Match]]: ...
    def by_document(self, number: str) -> list[int]: ...
    def by_sticker(self, number: str) -> list[int]: ...
    def by_face(
        self, face: npt.NDArray[np.float32], threshold: float
    ) -> list[tuple[int, float]]: ...
    def by_fingerprint(
        self, position: int, template: npt.NDArray[np.float32], threshold: float
    ) -> list[tuple[int, float]]: ...
    def record(self, i: int, today: dt.date) -> mock_pb2.MockRecord: ...


def accept_any(match: Match, record: mock_pb2.MockRecord) -> bool:
    return True


@dataclass(frozen=True)
class Rules:
    """What finds a record in one system, and how its detail is completed."""

    searched_by: frozenset[Criterion]
    # Whether an identity match (same or similar) counts for this record.
    identity: Callable[[Match, mock_pb2.MockRecord], bool] = accept_any
    # A last check on a record found any way (ETIAS: the nationality must agree).
    confirm: Callable[[mock_pb2.MockRecord, Probe], bool] = lambda record, probe: True
    # Records that only a document number finds (SIS object alerts).
    document_only: Callable[[mock_pb2.MockRecord], bool] = lambda record: False
    # Completes the record's detail for the search (EES days left, ...).
    finish: Callable[[mock_pb2.RecordMatch, mock_pb2.MockRecord, SearchContext], None] = (
        lambda match, record, context: None
    )


@dataclass(frozen=True)
class SearchContext:
    probe: Probe
    today: dt.date
    session: Session


def search(
    rules: Rules, sources: Sequence[RecordSource], context: SearchContext, limit: int = 20
) -> list[mock_pb2.RecordMatch]:
    probe, today = context.probe, context.today
    found: dict[tuple[str, int], Found] = {}
    records: dict[tuple[str, int], mock_pb2.MockRecord] = {}

    def get(source: RecordSource, i: int) -> Found:
        key = (source.name, i)
        if key not in found:
            found[key] = Found(key)
            records[key] = source.record(i, today)
        return found[key]

    by = rules.searched_by
    for source in sources:
        if Criterion.IDENTITY in by and (probe.identity.surname or probe.identity.given_names):
            for i, match in source.by_identity(probe, MIN_IDENTITY_SCORE):
                if match.match_class != MatchClass.DIFFERENT:
                    get(source, i).identity = match
        if Criterion.DOCUMENT in by and probe.document_number:
            for i in source.by_document(probe.document_number):
                get(source, i).document = True
        if Criterion.VISA_STICKER in by and probe.visa_sticker_number:
            for i in source.by_sticker(probe.visa_sticker_number):
                get(source, i).sticker = True
        if Criterion.FACE in by and probe.face is not None:
            for i, similarity in source.by_face(probe.face, FACE_THRESHOLD):
                get(source, i).biometrics.append(_bio("face", similarity))
        if Criterion.FINGERPRINTS in by:
            for position, template in probe.fingerprints.items():
                for i, similarity in source.by_fingerprint(
                    position, template, FINGERPRINT_THRESHOLD
                ):
                    get(source, i).biometrics.append(_bio(f"fingerprint[{position}]", similarity))
    results: list[mock_pb2.RecordMatch] = []
    for key, hit in found.items():
        record = records[key]
        result = _accept(rules, hit, record, probe) if rules.confirm(record, probe) else None
        if result is not None:
            rules.finish(result, record, context)
            results.append(result)
    return sorted(results, key=lambda m: -m.score)[:limit]


def _bio(what: str, similarity: float) -> pb.FieldMatch:
    return pb.FieldMatch(
        field=what,
        query_value="(template)",
        record_value="(template)",
        similarity=round(similarity, 4),
        method="cosine",
    )


def _accept(
    rules: Rules, hit: Found, record: mock_pb2.MockRecord, probe: Probe
) -> mock_pb2.RecordMatch | None:
    if rules.document_only(record):
        if not hit.document:
            return None
        return _record_match(
            record,
            1.0,
            pb.MATCH_CLASS_SAME,
            [_exact("document_number", probe.document_number, record.identity.document.number)],
        )
    identity = hit.identity if hit.identity and rules.identity(hit.identity, record) else None
    if identity is None and not (hit.document or hit.sticker or hit.biometrics):
        return None
    fields_matched = explanation(identity.explanation) if identity else []
    fields = {f.field for f in fields_matched}
    if hit.document and "document_number" not in fields:
        fields_matched.append(
            _exact("document_number", probe.document_number, record.identity.document.number)
        )
    if hit.sticker and "visa_sticker_number" not in fields:
        fields_matched.append(
            _exact(
                "visa_sticker_number",
                probe.visa_sticker_number,
                record.identity.visa_sticker_number,
            )
        )
    fields_matched.extend(hit.biometrics)
    scores = [identity.score] if identity else []
    scores += [1.0] * (hit.document + hit.sticker) + [f.similarity for f in hit.biometrics]
    match_class = _CLASS[identity.match_class] if identity else pb.MATCH_CLASS_SIMILAR
    if identity is None and (hit.document or hit.sticker):
        match_class = pb.MATCH_CLASS_SAME
    return _record_match(record, max(scores), match_class, fields_matched)


def _record_match(
    record: mock_pb2.MockRecord,
    score: float,
    match_class: pb.MatchClass.ValueType,
    fields: list[pb.FieldMatch],
) -> mock_pb2.RecordMatch:
    match = mock_pb2.RecordMatch(
        record_id=record.record_id,
        score=round(min(1.0, score), 4),
        match_class=match_class,
        explanation=fields,
        identity=record.identity,
    )
    detail = record.WhichOneof("detail")
    if detail:
        getattr(match, detail).CopyFrom(getattr(record, detail))
    del match.identity.biometrics.face_embedding[:]
    del match.identity.biometrics.fingerprints[:]
    return match


def _exact(name: str, query: str, record: str) -> pb.FieldMatch:
    return pb.FieldMatch(
        field=name, query_value=query, record_value=record, similarity=1.0, method="exact"
    )
