"""The bridge between the API's Traveller and the matching core's Identity and explanations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from broker.matching import FieldMatch, Identity
from interop.v1 import border_check_pb2 as pb

SEX_LETTER = {pb.SEX_MALE: "M", pb.SEX_FEMALE: "F", pb.SEX_OTHER: "X"}
SEX_VALUE = {letter: value for value, letter in SEX_LETTER.items()}


def identity_of(
    traveller: pb.Traveller, aliases: Sequence[pb.Traveller] = (), nationality: str | None = None
) -> Identity:
    """The traveller as the matching core reads them; `nationality` in place of theirs
    when given (a canonical code)."""
    return Identity(
        surname=traveller.surname,
        given_names=tuple(traveller.given_names),
        date_of_birth=traveller.date_of_birth,
        sex=SEX_LETTER.get(traveller.sex, ""),
        nationality=traveller.nationality if nationality is None else nationality,
        document_number=traveller.document.number,
        visa_sticker_number=traveller.visa_sticker_number,
        aliases=tuple((a.surname, tuple(a.given_names)) for a in aliases),
    )


def traveller_of(identity: Identity) -> pb.Traveller:
    return pb.Traveller(
        surname=identity.surname,
        given_names=identity.given_names,
        date_of_birth=identity.date_of_birth,
        sex=SEX_VALUE.get(identity.sex, pb.SEX_UNSPECIFIED),
        nationality=identity.nationality,
        document=pb.Document(number=identity.document_number),
        visa_sticker_number=identity.visa_sticker_number,
    )


def explanation(fields: Iterable[FieldMatch]) -> list[pb.FieldMatch]:
    """The matching core's per-field explanation as the API carries it."""
    return [
        pb.FieldMatch(
            field=f.field,
            query_value=f.query_value,
            record_value=f.record_value,
            similarity=f.similarity,
            method=f.how,
        )
        for f in fields
    ]


def data_used(traveller: pb.Traveller) -> list[str]:
    """Which categories of data a query used, for the audit record (never the data)."""
    present = {
        "names": bool(traveller.surname or traveller.given_names),
        "date_of_birth": bool(traveller.date_of_birth),
        "nationality": bool(traveller.nationality),
        "document": bool(traveller.document.number),
        "visa_sticker": bool(traveller.visa_sticker_number),
        "mrz": bool(traveller.mrz),
        "face": bool(traveller.biometrics.face_embedding),
        "fingerprints": bool(traveller.biometrics.fingerprints),
    }
    return [name for name, used in present.items() if used]
