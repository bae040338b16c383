"""A session's seeded records as a record source: few records, searched directly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from broker.matching import Match
from interop.mock.v1 import mock_pb2
from mocks.engine import Probe, unit
from mocks.session import Session


class SeededSource:
    name = "seeded"

    def __init__(self, session: Session) -> None:
        self._session = session
        self._records = session.records

    def by_identity(self, probe: Probe, min_score: float) -> list[tuple[int, Match]]:
        index = self._session.index
        if index is None:
            return []
        return [(m.position, m) for m in index.score_all(probe.identity) if m.score >= min_score]

    def by_document(self, number: str) -> list[int]:
        return [i for i, r in enumerate(self._records) if r.identity.document.number == number]

    def by_sticker(self, number: str) -> list[int]:
        return [i for i, r in enumerate(self._records) if r.identity.visa_sticker_number == number]

    def by_face(self, face: npt.NDArray[np.float32], threshold: float) -> list[tuple[int, float]]:
        out = []
        for i, record in enumerate(self._records):
            held = record.identity.biometrics.face_embedding
            if len(held) == len(face):
                similarity = float(unit(held) @ face)
                if similarity >= threshold:
                    out.append((i, similarity))
        return out

    def by_fingerprint(
        self, position: int, template: npt.NDArray[np.float32], threshold: float
    ) -> list[tuple[int, float]]:
        out = []
        for i, record in enumerate(self._records):
            for finger in record.identity.biometrics.fingerprints:
                if finger.position == position and len(finger.template) == len(template):
                    similarity = float(unit(finger.template) @ template)
                    if similarity >= threshold:
                        out.append((i, similarity))
        return out

    def record(self, i: int, today: dt.date) -> mock_pb2.MockRecord:
        return self._records[i]
