"""The synthetic world's records of one system as a record source for the search engine.

Identity search runs on the matching core's index over the system's members only;
documents and visa stickers are found by binary search in sorted arrays; faces and
fingerprints through the matching core's vector index. Records are made on demand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from broker.domain.systems import Criterion
from broker.matching import IdentityColumns, IdentityIndex, Match, NameWeights, VectorIndex
from interop.mock.v1 import mock_pb2
from mocks.engine import Probe, Rules
from mocks.world import World, WorldShare

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
_CHUNK = 65_536
FINGERPRINT_POSITION = 2  # the population's template is the right index finger


def subset(
    columns: IdentityColumns, rows: I64, stickers: npt.NDArray[np.object_]
) -> IdentityColumns:
    """The identities at `rows` (aliases follow their person), with the given sticker numbers."""
    new_index = np.full(len(columns), -1, dtype=np.int64)
    new_index[rows] = np.arange(len(rows))
    alias_keep = new_index[columns.alias_record] >= 0
    return IdentityColumns(
        surname=columns.surname[rows],
        given_names=columns.given_names[rows],
        birth_year=columns.birth_year[rows],
        birth_month=columns.birth_month[rows],
        birth_day=columns.birth_day[rows],
        sex=columns.sex[rows],
        nationality=columns.nationality[rows],
        document_number=columns.document_number[rows],
        visa_sticker_number=stickers,
        alias_record=new_index[columns.alias_record[alias_keep]].astype(np.int32),
        alias_surname=columns.alias_surname[alias_keep],
        alias_given_names=columns.alias_given_names[alias_keep],
    )


class _Lookup:
    """Exact string lookup over an array by binary search."""

    def __init__(self, values: npt.NDArray[np.bytes_]) -> None:
        self._order = np.argsort(values, kind="stable")
        self._sorted = values[self._order]

    def find(self, value: str) -> list[int]:
        key = np.bytes_(value.encode())
        lo, hi = (
            np.searchsorted(self._sorted, [key, key], side="left")[0],
            np.searchsorted(self._sorted, key, side="right"),
        )
        return [int(i) for i in self._order[lo:hi]]


class PopulationSource:
    name = "population"

    def __init__(self, world: World, share: WorldShare, rules: Rules) -> None:
        self._world = world
        self._share = share
        self._people = share.members(world)
        self._objects = share.object_owners(world)
        population = world.population
        sticker = share.sticker
        stickers = np.array(
            [sticker(int(p)) if sticker else "" for p in self._people], dtype=object
        )
        self._index = IdentityIndex.build(subset(population.columns(), self._people, stickers))
        documents = np.concatenate(
            [population.document_number[self._people], population.document_number[self._objects]]
        )
        self._documents = _Lookup(documents)
        self._stickers = _Lookup(stickers.astype(np.bytes_)) if sticker else None
        by = rules.searched_by
        self._faces = self._vectors(population.faces) if Criterion.FACE in by else None
        self._prints = (
            self._vectors(population.fingerprints) if Criterion.FINGERPRINTS in by else None
        )

    def __len__(self) -> int:
        return len(self._people) + len(self._objects)

    def _vectors(self, make: Callable[[int, int], F32]) -> tuple[VectorIndex, int] | None:
        if not len(self._people):
            return None
        rows = []
        for lo in range(0, len(self._world.population), _CHUNK):
            hi = min(lo + _CHUNK, len(self._world.population))
            inside = self._people[(self._people >= lo) & (self._people < hi)]
            if len(inside):
                rows.append(make(lo, hi)[inside - lo])
        vectors = np.concatenate(rows)
        return VectorIndex.build(vectors), int(vectors.shape[1])

    def name_weights(self) -> NameWeights:
        return self._index.name_weights()

    def by_identity(self, probe: Probe, min_score: float, limit: int) -> list[tuple[int, Match]]:
        return [(m.position, m) for m in self._index.search(probe.identity, limit, min_score)]

    def by_document(self, number: str) -> list[int]:
        return self._documents.find(number)

    def by_sticker(self, number: str) -> list[int]:
        return self._stickers.find(number) if self._stickers is not None else []

    def by_face(self, face: F32, threshold: float) -> list[tuple[int, float]]:
        return _above(self._faces, face, threshold)

    def by_fingerprint(
        self, position: int, template: F32, threshold: float
    ) -> list[tuple[int, float]]:
        if position != FINGERPRINT_POSITION:
            return []
        return _above(self._prints, template, threshold)

    def record(self, i: int, today: dt.date) -> mock_pb2.MockRecord:
        if i < len(self._people):
            return self._share.record(self._world, int(self._people[i]), today)
        assert self._share.object_record is not None, "objects come with their records"
        return self._share.object_record(self._world, int(self._objects[i - len(self._people)]))


def _above(
    index: tuple[VectorIndex, int] | None, vector: F32, threshold: float
) -> list[tuple[int, float]]:
    if index is None or vector.shape[0] != index[1]:
        return []
    found = index[0].search(vector, 5)
    return [(i, similarity) for i, similarity in found if similarity >= threshold]
