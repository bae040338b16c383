"""How a mock system finds records: by identity, document, visa sticker and biometrics.

Records come from sources (the session's seeded records, the synthetic population)
behind one small port; the system's rules (systems/) say which ways of finding a record
count for that system and fill in the system-specific detail.

A travel document is its number, issuing State and type together (SIS holds all three,
Reg. 2018/1862 Art. 20(3)): the same number from another State, or of another type, is
another document. A number whose State one side does not give, or a number without
identity data, is a candidate to verify, never the same person.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from broker.domain.countries import canonical_country
from broker.domain.systems import Criterion
from broker.domain.traveller import explanation, identity_of
from broker.matching import Identity, Match, MatchClass, NameWeights
from broker.matching.vectors import as_unit_float32
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from mocks.session import Session

# Cosine similarity from which a biometric comparison is a hit: a second capture of the
# synthetic population scores 0.65-0.85 against its enrolment, strangers below 0.3.
FACE_THRESHOLD = 0.5
FINGERPRINT_THRESHOLD = 0.5
MIN_IDENTITY_SCORE = 0.5
# A document number without identity data is worth reporting, and no more.
CANDIDATE_SCORE = MIN_IDENTITY_SCORE

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
    document_issuing_state: str
    document_type: pb.DocumentType.ValueType
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
            identity_of(traveller, nationality=canonical_country(traveller.nationality)),
            traveller.document.number,
            canonical_country(traveller.document.issuing_state),
            traveller.document.type,
            traveller.visa_sticker_number,
            face,
            prints,
        )


class DocumentMatch(enum.Enum):
    """How a record's travel document compares with the query's, once the numbers agree."""

    NONE = "none"
    # Same number; the issuing State is missing on one side.
    CANDIDATE = "candidate"
    # Same number, issuing State and (where both give it) type.
    SAME = "same"


def document_match(held: pb.Document, probe: Probe) -> DocumentMatch:
    if not probe.document_number or held.number != probe.document_number:
        return DocumentMatch.NONE
    types = {held.type, probe.document_type} - {pb.DOCUMENT_TYPE_UNSPECIFIED}
    if len(types) > 1:
        return DocumentMatch.NONE
    states = (canonical_country(held.issuing_state), probe.document_issuing_state)
    if not all(states):
        return DocumentMatch.CANDIDATE
    return DocumentMatch.SAME if states[0] == states[1] else DocumentMatch.NONE


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

    def name_weights(self) -> NameWeights | None:
        """The name frequencies of the people this source holds; None if it is no population."""
        ...

    def by_identity(
        self, probe: Probe, min_score: float, limit: int
    ) -> list[tuple[int, Match]]: ...
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
    # Records that only their travel document finds and that the document identifies:
    # SIS object alerts, ETIAS authorisations.
    document_only: Callable[[mock_pb2.MockRecord], bool] = lambda record: False
    # Whether a document number without an identity match finds a person's record at
    # all (as a candidate); EES starts from the identity data (Impl. Decision 2019/327).
    document_alone: bool = True
    # Completes the record's detail for the search (EES days left, ...).
    finish: Callable[[mock_pb2.RecordMatch, mock_pb2.MockRecord, SearchContext], None] = (
        lambda match, record, context: None
    )
    # What the system answers when it holds nothing for the query (ETIAS: that no
    # authorisation exists for the document); None: no answer but the empty list.
    absent: Callable[[SearchContext], mock_pb2.RecordMatch | None] = lambda context: None


@dataclass(frozen=True)
class SearchContext:
    probe: Probe
    today: dt.date
    session: Session


def population_weights(sources: Sequence[RecordSource]) -> NameWeights | None:
    """The name frequencies seeded records are scored with: the first population's."""
    return next((w for w in (s.name_weights() for s in sources) if w is not None), None)


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
            for i, match in source.by_identity(probe, MIN_IDENTITY_SCORE, limit):
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
    if not results:
        none = rules.absent(context)
        results = [none] if none is not None else []
    return sorted(results, key=lambda m: -m.score)[:limit]


def describe(
    rules: Rules, record: mock_pb2.MockRecord, context: SearchContext
) -> mock_pb2.RecordMatch:
    """`record` as a search result that compared nothing: its detail completed."""
    match = _record_match(record, 1.0, pb.MATCH_CLASS_SAME, [])
    rules.finish(match, record, context)
    return match


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
    held = record.identity.document
    document = document_match(held, probe) if hit.document else DocumentMatch.NONE
    if rules.document_only(record):
        return None if document is DocumentMatch.NONE else _document_record(record, document, probe)
    identity = hit.identity if hit.identity and rules.identity(hit.identity, record) else None
    by_document = document is not DocumentMatch.NONE and (
        identity is not None or rules.document_alone
    )
    if identity is None and not (by_document or hit.sticker or hit.biometrics):
        return None
    fields_matched = explanation(identity.explanation) if identity else []
    if hit.document:
        # The number alone is not the document: say how its issuing State compared.
        fields_matched = [f for f in fields_matched if f.field != "document_number"]
        fields_matched += document_fields(held, probe)
    if hit.sticker:
        fields_matched.append(
            _exact(
                "visa_sticker_number",
                probe.visa_sticker_number,
                record.identity.visa_sticker_number,
            )
        )
    fields_matched.extend(hit.biometrics)
    scores = [identity.score] if identity else []
    scores += [CANDIDATE_SCORE] * bool(by_document) + [1.0] * hit.sticker
    scores += [f.similarity for f in hit.biometrics]
    return _record_match(record, max(scores), _match_class(identity, hit), fields_matched)


def _match_class(identity: Match | None, hit: Found) -> pb.MatchClass.ValueType:
    """The identity data decide; a visa sticker number names one visa; anything else found
    without identity data (a document number, a biometric) is a candidate."""
    if identity is not None:
        return _CLASS[identity.match_class]
    return pb.MATCH_CLASS_SAME if hit.sticker else pb.MATCH_CLASS_SIMILAR


def _document_record(
    record: mock_pb2.MockRecord, document: DocumentMatch, probe: Probe
) -> mock_pb2.RecordMatch:
    """A record its document identifies: the same document, or a candidate to verify."""
    same = document is DocumentMatch.SAME
    return _record_match(
        record,
        1.0 if same else CANDIDATE_SCORE,
        pb.MATCH_CLASS_SAME if same else pb.MATCH_CLASS_SIMILAR,
        document_fields(record.identity.document, probe),
    )


def document_fields(held: pb.Document, probe: Probe) -> list[pb.FieldMatch]:
    """The number matched; whether the issuing State did too, differs, or is missing."""
    state = canonical_country(held.issuing_state)
    if not (state and probe.document_issuing_state):
        similarity, method = 0.0, "missing"
    elif state == probe.document_issuing_state:
        similarity, method = 1.0, "exact"
    else:
        similarity, method = 0.0, "different"
    return [
        _exact("document_number", probe.document_number, held.number),
        pb.FieldMatch(
            field="document_issuing_state",
            query_value=probe.document_issuing_state,
            record_value=state,
            similarity=similarity,
            method=method,
        ),
    ]


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
