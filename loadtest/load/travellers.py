"""Ways a terminal presents a person of the synthetic world: one function per query variant.

Each variant takes the population, a person's position and a random generator, and
gives the `Traveller` a terminal would send: full data as read from the passport, the
same with a keying slip, the MRZ alone, the document number alone, or biometrics alone
(a fresh capture of the face and the right index finger, as a live scan gives).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from interop.v1 import border_check_pb2 as pb
from mocks.population import FACE, FINGERPRINT, Population

Variant = Callable[[Population, int, np.random.Generator], pb.Traveller]

SEXES = {"M": pb.SEX_MALE, "F": pb.SEX_FEMALE, "X": pb.SEX_OTHER}
# The population's fingerprint template is the right index finger (ISO/IEC 19794 position 2).
FINGER_POSITION = 2
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def exact(population: Population, position: int, rng: np.random.Generator) -> pb.Traveller:
    person = population.identity(position)
    return pb.Traveller(
        surname=person.surname,
        given_names=list(person.given_names),
        date_of_birth=person.date_of_birth,
        sex=SEXES.get(person.sex, pb.SEX_UNSPECIFIED),
        nationality=person.nationality,
        document=pb.Document(
            type=pb.DOCUMENT_TYPE_PASSPORT,
            number=person.document_number,
            issuing_state=person.nationality,
        ),
    )


def typo(population: Population, position: int, rng: np.random.Generator) -> pb.Traveller:
    """Full data with one keying slip in the surname (the document number is left out)."""
    traveller = exact(population, position, rng)
    traveller.surname = _slip(traveller.surname, rng)
    traveller.ClearField("document")
    return traveller


def mrz(population: Population, position: int, rng: np.random.Generator) -> pb.Traveller:
    return pb.Traveller(mrz="\n".join(population.mrz(position)))


def document(population: Population, position: int, rng: np.random.Generator) -> pb.Traveller:
    number = population.document_number[position].decode()
    return pb.Traveller(document=pb.Document(number=number))


def biometrics(population: Population, position: int, rng: np.random.Generator) -> pb.Traveller:
    face = population.second_capture(position, rng, FACE)
    finger = population.second_capture(position, rng, FINGERPRINT)
    return pb.Traveller(
        biometrics=pb.Biometrics(
            face_embedding=face.ravel().tolist(),
            fingerprints=[
                pb.Fingerprint(position=FINGER_POSITION, template=finger.ravel().tolist())
            ],
        )
    )


VARIANTS: dict[str, Variant] = {
    "exact": exact,
    "typo": typo,
    "mrz": mrz,
    "document": document,
    "biometrics": biometrics,
}


def _slip(word: str, rng: np.random.Generator) -> str:
    """One substitution, deletion or insertion after the first letter."""
    if len(word) < 3:
        return word + _LETTERS[int(rng.integers(26))]
    at = int(rng.integers(1, len(word)))
    letter = _LETTERS[int(rng.integers(26))]
    kind = int(rng.integers(3))
    if kind == 0:
        return word[:at] + letter + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    return word[:at] + letter + word[at:]
