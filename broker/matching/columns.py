"""Identity data column-wise: the bulk input of `IdentityIndex.build`.

One numpy array per field instead of one object per person: a million
identities are a few dozen arrays, and a generator can produce them without ever
creating an `Identity`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from broker.matching.identity import Identity
from broker.matching.normalise import parse_date

Objects = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class IdentityColumns:
    """n identities plus m aliases; strings as object arrays, dates as integers (0 unknown).

    `given_names` holds all given names of a person separated by spaces.
    An alias row `i` belongs to identity `alias_record[i]`.
    """

    surname: Objects
    given_names: Objects
    birth_year: npt.NDArray[np.int16]
    birth_month: npt.NDArray[np.int8]
    birth_day: npt.NDArray[np.int8]
    sex: Objects
    nationality: Objects
    document_number: Objects
    visa_sticker_number: Objects
    alias_record: npt.NDArray[np.int32]
    alias_surname: Objects
    alias_given_names: Objects

    def __len__(self) -> int:
        return len(self.surname)

    @classmethod
    def from_identities(cls, identities: Iterable[Identity]) -> IdentityColumns:
        people = list(identities)
        dates = np.array([parse_date(p.date_of_birth) for p in people], dtype=np.int16).reshape(
            -1, 3
        )
        alias_rows = [(i, s, g) for i, p in enumerate(people) for s, g in p.aliases]

        def objects(values: Iterable[str]) -> Objects:
            out: Objects = np.array(list(values), dtype=object)
            return out

        return cls(
            surname=objects(p.surname for p in people),
            given_names=objects(" ".join(p.given_names) for p in people),
            birth_year=dates[:, 0].astype(np.int16),
            birth_month=dates[:, 1].astype(np.int8),
            birth_day=dates[:, 2].astype(np.int8),
            sex=objects(p.sex for p in people),
            nationality=objects(p.nationality for p in people),
            document_number=objects(p.document_number for p in people),
            visa_sticker_number=objects(p.visa_sticker_number for p in people),
            alias_record=np.array([r[0] for r in alias_rows], dtype=np.int32),
            alias_surname=objects(r[1] for r in alias_rows),
            alias_given_names=objects(" ".join(r[2]) for r in alias_rows),
        )
