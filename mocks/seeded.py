"""A session's seeded records as a record source, through what the session built at seed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from broker.matching import Match, NameWeights
from interop.mock.v1 import mock_pb2
from mocks.engine import Probe
from mocks.session import Session, Vectors


class SeededSource:
    name = "seeded"

    def __init__(self, session: Session) -> None:
        self._seeded = session.seeded

    def name_weights(self) -> NameWeights | None:
        return None

    def by_identity(self, probe: Probe, min_score: float, limit: int) -> list[tuple[int, Match]]:
        index = self._seeded.index
        if index is None:
            return []
        return [(m.position, m) for m in index.search(probe.identity, limit, min_score)]

    def by_document(self, number: str) -> list[int]:
        return list(self._seeded.documents.get(number, ()))

    def by_sticker(self, number: str) -> list[int]:
        return list(self._seeded.stickers.get(number, ()))

    def by_face(self, face: npt.NDArray[np.float32], threshold: float) -> list[tuple[int, float]]:
        return _above(self._seeded.faces.get(len(face)), face, threshold)

    def by_fingerprint(
        self, position: int, template: npt.NDArray[np.float32], threshold: float
    ) -> list[tuple[int, float]]:
        return _above(self._seeded.fingerprints.get((position, len(template))), template, threshold)

    def record(self, i: int, today: dt.date) -> mock_pb2.MockRecord:
        return self._seeded.records[i]


def _above(
    vectors: Vectors | None, probe: npt.NDArray[np.float32], threshold: float
) -> list[tuple[int, float]]:
    if vectors is None:
        return []
    similarity = vectors.rows @ probe
    return [
        (vectors.records[i], float(similarity[i])) for i in np.flatnonzero(similarity >= threshold)
    ]
