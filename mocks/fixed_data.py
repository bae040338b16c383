"""The small fixed data set: the ICAO 9303 specimen traveller and a few others.

Dates are relative to the day of the search so the data never goes stale.
"""

from __future__ import annotations

import datetime as dt

from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.stay import Stay, stay_status
from mocks.store import FixedStore, Record

SPECIMEN = pb.Traveller(
    surname="ERIKSSON",
    given_names=["ANNA", "MARIA"],
    date_of_birth="1974-08-12",
    sex=pb.SEX_FEMALE,
    nationality="UTO",
    document=pb.Document(type=pb.DOCUMENT_TYPE_PASSPORT, number="L898902C3", issuing_state="UTO"),
)
FUGITIVE = pb.Traveller(
    surname="VOLKOV",
    given_names=["SERGEI"],
    date_of_birth="1980-02-29",
    sex=pb.SEX_MALE,
    nationality="RUS",
    document=pb.Document(type=pb.DOCUMENT_TYPE_PASSPORT, number="751234567", issuing_state="RUS"),
)
STOLEN_PASSPORT = pb.Traveller(
    document=pb.Document(type=pb.DOCUMENT_TYPE_PASSPORT, number="X4K7P2Q91", issuing_state="FRA"),
)
APPLICANT = pb.Traveller(
    surname="AHMADI",
    given_names=["FARID"],
    date_of_birth="1995-00-00",
    sex=pb.SEX_MALE,
    nationality="AFG",
)


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _specimen_refusal(today: dt.date) -> s.SisAlert:
    return s.SisAlert(
        alert_id="SIS-DE-2024-0001",
        category=s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY,
        legal_basis="Regulation (EU) 2018/1861 Art. 24",
        issuing_state="DEU",
    )


def _fugitive_arrest(today: dt.date) -> s.SisAlert:
    return s.SisAlert(
        alert_id="SIS-FR-2025-0042",
        category=s.SIS_ALERT_CATEGORY_ARREST,
        legal_basis="Regulation (EU) 2018/1862 Art. 26",
        warning_flags=[s.WARNING_FLAG_ARMED, s.WARNING_FLAG_VIOLENT],
        issuing_state="FRA",
    )


def _stolen(today: dt.date) -> s.SisAlert:
    return s.SisAlert(
        alert_id="SIS-FR-2026-0815",
        category=s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT,
        legal_basis="Regulation (EU) 2018/1862 Art. 38",
        issuing_state="FRA",
        document_number="X4K7P2Q91",
    )


def _specimen_visa(today: dt.date) -> s.VisApplication:
    return s.VisApplication(
        application_number="VIS-SE-2026-117",
        status=s.VIS_STATUS_ISSUED,
        visa_sticker_number="SWE001234567",
        visa_type="C",
        valid_from=_iso(today - dt.timedelta(days=30)),
        valid_until=_iso(today + dt.timedelta(days=150)),
        duration_of_stay_days=90,
        issuing_state="SWE",
    )


def _specimen_file(today: dt.date) -> s.EesFile:
    stays = [
        Stay(today - dt.timedelta(days=120), today - dt.timedelta(days=100)),
        Stay(today - dt.timedelta(days=10)),
    ]
    status = stay_status(stays, today)
    crossings = [
        s.EesCrossing(
            direction="ENTRY", date=_iso(stays[0].entry), border_crossing_point="DEU-FRA-AIRPORT"
        )
    ]
    crossings.append(
        s.EesCrossing(
            direction="EXIT",
            date=_iso(today - dt.timedelta(days=100)),
            border_crossing_point="DEU-FRA-AIRPORT",
        )
    )
    crossings.append(
        s.EesCrossing(
            direction="ENTRY", date=_iso(stays[1].entry), border_crossing_point="SWE-ARN-AIRPORT"
        )
    )
    return s.EesFile(
        file_id="EES-000000001",
        crossings=crossings,
        days_remaining=status.days_remaining,
        overstay_days=status.overstay_days,
        calculated_for=_iso(today),
    )


def _specimen_authorisation(today: dt.date) -> s.EtiasAuthorisation:
    valid_until = today + dt.timedelta(days=400)
    return s.EtiasAuthorisation(
        application_number="ETIAS-000000001",
        status=s.ETIAS_STATUS_ISSUED,
        valid_until=_iso(valid_until),
        expires_within_90_days=(valid_until - today).days <= 90,
    )


def _applicant(today: dt.date) -> s.EurodacRecord:
    return s.EurodacRecord(
        reference="EURODAC-IT-0001",
        category=s.EURODAC_CATEGORY_INTERNATIONAL_PROTECTION_APPLICANT,
        member_state_of_origin="ITA",
        date_taken=_iso(today - dt.timedelta(days=400)),
    )


def fixed_stores() -> dict[str, FixedStore]:
    """One store per system, each holding its part of the fixed data set."""
    return {
        "sis": FixedStore(
            [
                Record("SIS-DE-2024-0001", SPECIMEN, _specimen_refusal),
                Record("SIS-FR-2025-0042", FUGITIVE, _fugitive_arrest),
                Record("SIS-FR-2026-0815", STOLEN_PASSPORT, _stolen, document_only=True),
            ]
        ),
        "vis": FixedStore([Record("VIS-SE-2026-117", SPECIMEN, _specimen_visa)]),
        "ees": FixedStore([Record("EES-000000001", SPECIMEN, _specimen_file)]),
        "etias": FixedStore([Record("ETIAS-000000001", SPECIMEN, _specimen_authorisation)]),
        "eurodac": FixedStore([Record("EURODAC-IT-0001", APPLICANT, _applicant)]),
    }
