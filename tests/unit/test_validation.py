"""Validation names every wrong field and normalises what is right."""

from __future__ import annotations

import datetime as dt

import pytest

from broker.domain.errors import FieldViolation, InvalidRequest
from broker.domain.validation import Limits, normalise_traveller, validate_check, validate_crossing
from interop.v1 import border_check_pb2 as pb
from systems import REGISTRY

TODAY = dt.date(2026, 11, 28)
MRZ = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def _validate(traveller: pb.Traveller, **kwargs: object) -> pb.Traveller:
    request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=traveller, **kwargs)  # type: ignore[arg-type]
    return validate_check(request, Limits(), REGISTRY.catalog, TODAY).traveller


def _fields(traveller: pb.Traveller, **kwargs: object) -> list[str]:
    with pytest.raises(InvalidRequest) as caught:
        _validate(traveller, **kwargs)
    return [v.field for v in caught.value.violations]


def test_names_and_codes_are_normalised() -> None:
    t = _validate(
        pb.Traveller(
            surname=" Müller ",
            given_names=["hans  peter"],
            nationality="deu",
            document=pb.Document(number="c01x 00t47"),
        )
    )
    assert (t.surname, list(t.given_names), t.nationality) == ("MUELLER", ["HANS", "PETER"], "DEU")
    assert t.document.number == "C01X00T47"


def test_a_persian_non_joiner_is_accepted_between_arabic_letters_only() -> None:
    joined = "\u062d\u0633\u06cc\u0646\u200c\u0632\u0627\u062f\u0647"
    assert _validate(pb.Traveller(surname=joined)).surname == joined
    assert _validate(pb.Traveller(surname="X", given_names=[joined])).given_names == [joined]
    for bad in ("ANNA\u200cMARIA", "\u200c\u062d\u0633\u06cc\u0646", "\u062d\u200c1"):
        assert _fields(pb.Traveller(surname=bad)) == ["traveller.surname"]
    assert _fields(pb.Traveller(surname="X", document=pb.Document(number=joined))) == [
        "traveller.document.number"
    ]


@pytest.mark.parametrize(
    ("written", "passed"),
    [
        (" Сірко ", "СІРКО"),
        ("السيد", "السيد"),
        ("عبد  الرحمن", "عبد الرحمن"),
        ("Παπαδόπουλος", "ΠΑΠΑΔΌΠΟΥΛΟΣ"),
        ("O'Brien-Nguyễn", "O'BRIEN-NGUYEN"),
    ],
)
def test_a_name_in_another_script_is_passed_on_as_written(written: str, passed: str) -> None:
    assert _validate(pb.Traveller(surname=written)).surname == passed


@pytest.mark.parametrize(
    ("written", "held"),
    [("XKX", "XKX"), ("RKS", "XKX"), ("D", "DEU"), ("XXB", "XXB"), ("GBN", "GBN"), ("EUE", "EUE")],
)
def test_codes_as_documents_write_them_are_accepted(written: str, held: str) -> None:
    document = pb.Document(number="A1", issuing_state=written)
    t = _validate(pb.Traveller(surname="X", nationality=written, document=document))
    assert (t.nationality, t.document.issuing_state) == (held, held)


def test_mrz_fills_the_traveller() -> None:
    t = _validate(pb.Traveller(mrz=MRZ))
    assert (t.surname, t.date_of_birth, t.sex, t.document.number, t.document.type) == (
        "ERIKSSON",
        "1974-08-12",
        pb.SEX_FEMALE,
        "L898902C3",
        pb.DOCUMENT_TYPE_PASSPORT,
    )


def test_a_field_contradicting_the_mrz_is_named() -> None:
    assert _fields(pb.Traveller(mrz=MRZ, surname="SMITH")) == ["traveller.surname"]


@pytest.mark.parametrize("dob", ["1974-08-00", "1974-00-00", "1974-08-12"])
def test_partial_dates_are_accepted(dob: str) -> None:
    assert _validate(pb.Traveller(surname="X", date_of_birth=dob)).date_of_birth == dob


@pytest.mark.parametrize(
    "dob",
    [
        "1974-8-12",
        "12.08.1974",
        "1974-13-01",
        "1974-00-12",
        "2027-01-01",
        "1850-01-01",
        "1974-02-30",
    ],
)
def test_bad_dates_are_named(dob: str) -> None:
    assert _fields(pb.Traveller(surname="X", date_of_birth=dob)) == ["traveller.date_of_birth"]


def test_every_problem_is_reported_at_once() -> None:
    fields = _fields(
        pb.Traveller(
            surname="X1",
            nationality="ZZZ",
            date_of_birth="x",
            document=pb.Document(issuing_state="QQQ", number="A-1"),
        ),
        deadline_ms=0,
    )
    assert set(fields) == {
        "traveller.surname",
        "traveller.nationality",
        "traveller.date_of_birth",
        "traveller.document.issuing_state",
        "traveller.document.number",
        "deadline_ms",
    }


def test_biometrics_only_is_a_valid_query() -> None:
    t = _validate(pb.Traveller(biometrics=pb.Biometrics(face_embedding=[0.0] * 512)))
    assert len(t.biometrics.face_embedding) == 512


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_face_embedding_with_nan_or_infinity_is_refused(value: float) -> None:
    face = [0.1] * 511 + [value]
    fields = _fields(pb.Traveller(surname="X", biometrics=pb.Biometrics(face_embedding=face)))
    assert fields == ["traveller.biometrics.face_embedding"]


# The largest float32, and infinities of both signs together (whose sum is NaN, not inf).
FLOAT32_MAX = 3.4028234663852886e38


@pytest.mark.parametrize(
    ("face", "refused"),
    [
        ([FLOAT32_MAX] * 512, False),
        ([-FLOAT32_MAX] * 256 + [FLOAT32_MAX] * 256, False),
        ([float("inf")] + [0.0] * 510 + [float("-inf")], True),
        ([FLOAT32_MAX] * 511 + [float("nan")], True),
    ],
    ids=["largest-finite", "largest-both-signs", "both-infinities", "nan-among-largest"],
)
def test_finite_extremes_pass_and_any_nan_or_infinity_is_refused(
    face: list[float], refused: bool
) -> None:
    traveller = pb.Traveller(surname="X", biometrics=pb.Biometrics(face_embedding=face))
    if refused:
        assert _fields(traveller) == ["traveller.biometrics.face_embedding"]
    else:
        assert len(_validate(traveller).biometrics.face_embedding) == 512
    finger = pb.Fingerprint(position=1, template=[FLOAT32_MAX] * 2048)
    assert _validate(pb.Traveller(surname="X", biometrics=pb.Biometrics(fingerprints=[finger])))


def test_fingerprints_are_checked() -> None:
    finger = pb.Fingerprint(position=11, template=[float("nan")])
    fields = _fields(pb.Traveller(biometrics=pb.Biometrics(fingerprints=[finger])))
    assert fields == [
        "traveller.biometrics.fingerprints[0].position",
        "traveller.biometrics.fingerprints[0].template",
    ]


def test_oversized_request_names_the_largest_field() -> None:
    big = pb.Traveller(surname="X", given_names=["A" * 100] * 3000)
    assert _fields(big) == ["traveller.given_names"]


def test_names_in_decomposed_form_are_read_as_the_precomposed_ones() -> None:
    decomposed = _validate(pb.Traveller(surname="Mu\u0308ller"))
    assert decomposed.surname == _validate(pb.Traveller(surname="Müller")).surname == "MUELLER"


@pytest.mark.parametrize(
    "number", ["L898902C3\n", "L898902C3\r", "L898902C3\x00", "L898902C3\u200b", "Ｌ898902C3"]
)
def test_a_document_number_with_anything_but_a_z_and_0_9_is_refused(number: str) -> None:
    traveller = pb.Traveller(document=pb.Document(number=number))
    assert _fields(traveller) == ["traveller.document.number"]


@pytest.mark.parametrize("dob", ["١٩٧٤-٠٨-١٢", "１９７４-０８-１２", "1974-08-12\n", "۱۹۷۴-08-12"])
def test_a_date_in_other_digits_or_with_a_newline_is_refused(dob: str) -> None:
    assert _fields(pb.Traveller(surname="X", date_of_birth=dob)) == ["traveller.date_of_birth"]


def test_mrz_lines_are_separated_by_newline_only() -> None:
    assert _fields(pb.Traveller(mrz=MRZ.replace("\n", "\r\n"))) == ["traveller.mrz"]
    assert _fields(pb.Traveller(mrz=MRZ + "\x1b[2J")) == ["traveller.mrz"]


def test_a_bad_value_is_quoted_short_and_escaped() -> None:
    with pytest.raises(InvalidRequest) as caught:
        _validate(pb.Traveller(surname="X", nationality="\u202e" + "Q" * 1000))
    [violation] = caught.value.violations
    assert violation.field == "traveller.nationality"
    assert "\u202e" not in violation.description and "Q" * 17 not in violation.description


def test_request_id_is_checked_in_a_crossing_too() -> None:
    request = pb.RecordCrossingRequest(
        request_id="r" * 129,
        traveller=pb.Traveller(document=pb.Document(number="L898902C3")),
        direction=pb.CROSSING_DIRECTION_ENTRY,
        border_crossing_point="DEU-FRA\tAIRPORT",
    )
    with pytest.raises(InvalidRequest) as caught:
        validate_crossing(request, Limits(), TODAY)
    assert set(caught.value.fields) == {"request_id", "border_crossing_point"}


DOCUMENT_ONLY = pb.Traveller(document=pb.Document(number="L898902C3"))
ENTRY = pb.CROSSING_DIRECTION_ENTRY


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.RecordCrossingRequest(traveller=DOCUMENT_ONLY), "direction"),
        (
            pb.RecordCrossingRequest(traveller=DOCUMENT_ONLY, direction=ENTRY, date="28.11.2026"),
            "date",
        ),
        (
            pb.RecordCrossingRequest(traveller=DOCUMENT_ONLY, direction=ENTRY, deadline_ms=-1),
            "deadline_ms",
        ),
        (pb.RecordCrossingRequest(direction=ENTRY), "traveller"),
        (
            pb.RecordCrossingRequest(traveller=pb.Traveller(surname="X"), direction=ENTRY),
            "traveller",
        ),
        (
            pb.RecordCrossingRequest(
                traveller=pb.Traveller(surname="X", given_names=["A" * 100] * 3000), direction=ENTRY
            ),
            "traveller",
        ),
    ],
    ids=["no-direction", "bad-date", "bad-deadline", "no-traveller", "surname-only", "oversized"],
)
def test_a_crossing_that_cannot_be_recorded_names_the_field(
    request_: pb.RecordCrossingRequest, field: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate_crossing(request_, Limits(), TODAY)
    assert caught.value.fields == (field,)


def test_a_crossing_without_a_date_is_recorded_today() -> None:
    request = pb.RecordCrossingRequest(traveller=DOCUMENT_ONLY, direction=ENTRY)
    assert validate_crossing(request, Limits(), TODAY).crossing.date == TODAY.isoformat()


@pytest.mark.parametrize(
    ("traveller", "field"),
    [
        (pb.Traveller(document=pb.Document(number="L898902C3\n")), "traveller.document.number"),
        (pb.Traveller(surname="X", date_of_birth="1974-08-12\n"), "traveller.date_of_birth"),
    ],
)
def test_patterns_match_the_whole_value_even_without_the_text_check(
    traveller: pb.Traveller, field: str
) -> None:
    problems: list[FieldViolation] = []
    normalise_traveller(traveller, problems, TODAY)
    assert [p.field for p in problems] == [field]


@pytest.mark.parametrize(
    ("field", "traveller", "says"),
    [
        ("traveller.nationality", pb.Traveller(surname="K", nationality="KOS"), "Kosovo is XKX"),
        (
            "traveller.document.issuing_state",
            pb.Traveller(document=pb.Document(number="P01234567", issuing_state="GER")),
            "Germany is DEU",
        ),
        ("traveller.nationality", pb.Traveller(surname="K", nationality="fr"), "three-letter"),
        ("traveller.nationality", pb.Traveller(surname="K", nationality="ZZZ"), "ICAO 9303"),
    ],
)
def test_an_unknown_country_code_is_refused_with_the_code_meant(
    field: str, traveller: pb.Traveller, says: str
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _validate(traveller)
    [violation] = caught.value.violations
    assert violation.field == field
    assert "is not an ISO 3166-1 alpha-3 or ICAO 9303 country code" in violation.description
    assert says in violation.description


@pytest.mark.parametrize(
    ("surname", "named"),
    [
        ("ERIK\U0001f600SSON", "U+1F600 GRINNING FACE"),
        ("ERIK\u00a7SSON", "U+00A7 SECTION SIGN"),
        ("M\u00dcLLER\u2605", "U+2605 BLACK STAR"),
        ("\u20acURO", "U+20AC EURO SIGN"),
        ("X\u00b2", "U+00B2 SUPERSCRIPT TWO"),
    ],
)
def test_a_symbol_in_a_name_is_refused_by_its_unicode_name(surname: str, named: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        _validate(pb.Traveller(surname=surname, given_names=["ANNA", f"B{surname}"]))
    described = {v.field: v.description for v in caught.value.violations}
    assert set(described) == {"traveller.surname", "traveller.given_names[1]"}
    assert described["traveller.surname"].startswith(f"{named} is not a letter: letters, ")
    assert described["traveller.given_names[1]"].startswith(f"{named} is not a letter")


@pytest.mark.parametrize(
    "surname",
    [
        "O'BRIEN-SMITH",
        "D\u2019ANGELO",
        "GIL\u00b7LA",
        "ST. JOHN",
        "\u0412\u041e\u041b\u041a\u041e\u0412",
        "\u03a0\u0391\u03a0\u0391\u0394\u039f\u03a0\u039f\u03a5\u039b\u039f\u03a3",
        "\u0645\u062d\u0645\u062f",
        "\u674e",
        "NGUY\u1ec4N",
        "KA\u02bbANA",
        "O\u00b4NEILL",
        "\u05d2\u05f3\u05d5\u05e8\u05d2\u05f3",
    ],
)
def test_names_in_every_script_with_their_punctuation_are_accepted(surname: str) -> None:
    assert _validate(pb.Traveller(surname=surname)).surname
