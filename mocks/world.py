"""The synthetic world behind the mocks: who of the population appears in which system.

Every mock process builds the same world from the same seed, so one person is
consistent across systems: the visa applicant whose visa was revoked in VIS may be
refused entry in SIS; the overstayer in EES may have a return decision in SIS.
Membership is drawn for everyone at once with numpy; a record's detail is made only
when it is found, from a generator seeded by the person, so a million records cost
a few arrays, not a million objects.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from broker.identities import traveller_of
from broker.matching import Identity
from interop.mock.v1 import mock_pb2
from interop.v1 import systems_pb2 as s
from mocks.population import Population, generate

I8 = npt.NDArray[np.int8]
I64 = npt.NDArray[np.int64]
_STREAM = {"sis": 1, "vis": 2, "ees": 3, "etias": 4, "eurodac": 5}

VIS_STATUSES = (
    s.VIS_STATUS_ISSUED,
    s.VIS_STATUS_REFUSED,
    s.VIS_STATUS_REVOKED,
    s.VIS_STATUS_ANNULLED,
    s.VIS_STATUS_EXTENDED,
    s.VIS_STATUS_SHORTENED,
    s.VIS_STATUS_LODGED,
)
VIS_SHARES = (0.70, 0.10, 0.05, 0.03, 0.04, 0.03, 0.05)
ETIAS_STATUSES = (
    s.ETIAS_STATUS_ISSUED,
    s.ETIAS_STATUS_REFUSED,
    s.ETIAS_STATUS_REVOKED,
    s.ETIAS_STATUS_ANNULLED,
)
ETIAS_SHARES = (0.93, 0.04, 0.02, 0.01)
SIS_PERSON = (
    s.SIS_ALERT_CATEGORY_ARREST,
    s.SIS_ALERT_CATEGORY_MISSING_PERSON,
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON,
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE,
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK,
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK,
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK,
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY,
    s.SIS_ALERT_CATEGORY_RETURN,
)
SIS_SHARES = (0.08, 0.06, 0.04, 0.10, 0.12, 0.05, 0.05, 0.35, 0.15)
SIS_OBJECT = (
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT,
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT,
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT,
)
EURODAC = (
    s.EURODAC_CATEGORY_INTERNATIONAL_PROTECTION_APPLICANT,
    s.EURODAC_CATEGORY_IRREGULAR_CROSSING,
    s.EURODAC_CATEGORY_ILLEGAL_STAY,
)
LEGAL_BASIS: dict[int, str] = {
    s.SIS_ALERT_CATEGORY_ARREST: "Regulation (EU) 2018/1862 Art. 26",
    s.SIS_ALERT_CATEGORY_MISSING_PERSON: "Regulation (EU) 2018/1862 Art. 32",
    s.SIS_ALERT_CATEGORY_VULNERABLE_PERSON: "Regulation (EU) 2018/1862 Art. 32",
    s.SIS_ALERT_CATEGORY_JUDICIAL_PROCEDURE: "Regulation (EU) 2018/1862 Art. 34",
    s.SIS_ALERT_CATEGORY_DISCREET_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_INQUIRY_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_SPECIFIC_CHECK: "Regulation (EU) 2018/1862 Art. 36",
    s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY: "Regulation (EU) 2018/1861 Art. 24",
    s.SIS_ALERT_CATEGORY_RETURN: "Regulation (EU) 2018/1860 Art. 3",
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT: "Regulation (EU) 2018/1862 Art. 38",
}
MEMBER_STATES = (
    "AUT",
    "BEL",
    "CZE",
    "DEU",
    "ESP",
    "FRA",
    "GRC",
    "HRV",
    "HUN",
    "ITA",
    "NLD",
    "POL",
    "PRT",
    "SWE",
)
WARNINGS = (
    s.WARNING_FLAG_ARMED,
    s.WARNING_FLAG_VIOLENT,
    s.WARNING_FLAG_ESCAPED,
    s.WARNING_FLAG_SUICIDE_RISK,
    s.WARNING_FLAG_PUBLIC_HEALTH_RISK,
    s.WARNING_FLAG_TERRORISM,
)


# Annex V, Part B of the Schengen Borders Code: the standard reasons for refusing entry.
REFUSAL_REASONS = (
    "B: false, counterfeit or forged travel document",
    "C: no valid visa or residence permit",
    "E: no documents justifying the purpose and conditions of stay",
    "F: has already stayed 90 days during the 180-day period",
    "G: insufficient means of subsistence",
    "H: alert for refusal of entry in SIS",
)


def visa_sticker(position: int) -> tuple[str, str]:
    """(issuing state, sticker number) of person `position`'s visa: derived, never stored."""
    state = MEMBER_STATES[position % len(MEMBER_STATES)]
    return state, f"{state}{position:09d}"


def _pick(
    rng: np.random.Generator, values: tuple[int, ...], shares: tuple[float, ...], n: int
) -> I8:
    p = np.asarray(shares) / sum(shares)
    return np.asarray(values, dtype=np.int8)[rng.choice(len(values), size=n, p=p)]


@dataclass(frozen=True)
class World:
    """Per person: a category code in each system (0 = not in it)."""

    population: Population
    seed: int
    vis: I8
    ees: I8  # 1 = file within the rule, 2 = overstay
    etias: I8
    etias_flag: npt.NDArray[np.bool_]
    sis: I8
    sis_document: I8
    eurodac: I8

    @classmethod
    @functools.cache
    def build(cls, n: int, seed: int) -> World:
        """The world of `n` people from `seed`; built once per process (mocks share it)."""
        population = generate(n, seed)
        rng = np.random.default_rng([seed, 99])
        u = rng.random((8, n))
        vis = np.where(u[0] < 0.35, _pick(rng, VIS_STATUSES, VIS_SHARES, n), 0).astype(np.int8)
        in_ees = (u[1] < 0.45) | ((vis > 0) & (u[1] < 0.7))
        ees = np.where(in_ees, np.where(u[2] < 0.03, 2, 1), 0).astype(np.int8)
        etias = np.where(
            (vis == 0) & (u[3] < 0.5), _pick(rng, ETIAS_STATUSES, ETIAS_SHARES, n), 0
        ).astype(np.int8)
        flag = (etias == s.ETIAS_STATUS_ISSUED) & (u[4] < 0.03)
        sis = np.where(u[5] < 0.012, _pick(rng, SIS_PERSON, SIS_SHARES, n), 0).astype(np.int8)
        refused = np.isin(vis, (s.VIS_STATUS_REVOKED, s.VIS_STATUS_REFUSED)) & (u[6] < 0.3)
        sis[refused] = s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY
        sis[(ees == 2) & (u[6] < 0.3)] = s.SIS_ALERT_CATEGORY_RETURN
        document = np.where(u[7] < 0.003, _pick(rng, SIS_OBJECT, (0.6, 0.3, 0.1), n), 0)
        eurodac = np.where(rng.random(n) < 0.02, _pick(rng, EURODAC, (0.5, 0.3, 0.2), n), 0)
        return cls(
            population,
            seed,
            vis,
            ees,
            etias,
            flag,
            sis,
            document.astype(np.int8),
            eurodac.astype(np.int8),
        )

    def members(self, system: str) -> I64:
        """Positions of the people holding a (person) record in `system`, ascending."""
        codes: I8 = getattr(self, system)
        return np.flatnonzero(codes).astype(np.int64)

    def document_alerts(self) -> I64:
        return np.flatnonzero(self.sis_document).astype(np.int64)

    def record(self, system: str, position: int, today: dt.date) -> mock_pb2.MockRecord:
        """The record of person `position` in `system`, made the same way every time."""
        rng = np.random.default_rng([self.seed, _STREAM[system], position])
        person = self.population.identity(position)
        record = mock_pb2.MockRecord(identity=traveller_of(person))
        record.identity.document.issuing_state = person.nationality
        record.identity.visa_sticker_number = ""
        fill = getattr(self, f"_{system}")
        fill(record, position, rng, today)
        return record

    def document_record(self, position: int) -> mock_pb2.MockRecord:
        """A SIS object alert on person `position`'s passport: the document, no person."""
        rng = np.random.default_rng([self.seed, _STREAM["sis"], position, 1])
        number = self.population.document_number[position].decode()
        category = int(self.sis_document[position])
        record = mock_pb2.MockRecord(record_id=f"SIS-D-{self.seed}-{position:07d}")
        record.identity.document.number = number
        record.sis.CopyFrom(
            s.SisAlert(
                alert_id=record.record_id,
                category=category,  # type: ignore[arg-type]
                legal_basis=LEGAL_BASIS[category],
                document_number=number,
                issuing_state=str(rng.choice(MEMBER_STATES)),
            )
        )
        return record

    def _sis(
        self, record: mock_pb2.MockRecord, position: int, rng: np.random.Generator, today: dt.date
    ) -> None:
        category = int(self.sis[position])
        record.record_id = f"SIS-P-{self.seed}-{position:07d}"
        person = self.population.identity(position)
        record.aliases.extend(
            traveller_of(Identity(surname=a, given_names=g)) for a, g in person.aliases
        )
        flags = (
            [int(f) for f in WARNINGS if rng.random() < 0.08]
            if category == s.SIS_ALERT_CATEGORY_ARREST
            else []
        )
        record.sis.CopyFrom(
            s.SisAlert(
                alert_id=record.record_id,
                category=category,  # type: ignore[arg-type]
                legal_basis=LEGAL_BASIS[category],
                warning_flags=flags,  # type: ignore[arg-type]
                issuing_state=str(rng.choice(MEMBER_STATES)),
            )
        )

    def _vis(
        self, record: mock_pb2.MockRecord, position: int, rng: np.random.Generator, today: dt.date
    ) -> None:
        state, sticker = visa_sticker(position)
        start = today - dt.timedelta(days=int(rng.integers(0, 300)))
        record.record_id = f"VIS-{state}-{self.seed}-{position:07d}"
        record.identity.visa_sticker_number = sticker
        record.vis.CopyFrom(
            s.VisApplication(
                application_number=record.record_id,
                status=int(self.vis[position]),  # type: ignore[arg-type]
                visa_sticker_number=sticker,
                visa_type="C",
                valid_from=start.isoformat(),
                valid_until=(
                    start + dt.timedelta(days=int(rng.choice([90, 180, 365])))
                ).isoformat(),
                duration_of_stay_days=int(rng.choice([15, 30, 90])),
                issuing_state=state,
                # Some visas have limited territorial validity (LTV): one State only.
                territory=[state] if rng.random() < 0.05 else [],
            )
        )

    def _ees(
        self, record: mock_pb2.MockRecord, position: int, rng: np.random.Generator, today: dt.date
    ) -> None:
        record.record_id = f"EES-{self.seed}-{position:07d}"
        crossings = []
        if self.ees[position] == 2:
            entry = today - dt.timedelta(days=int(rng.integers(95, 160)))
            crossings.append(s.EesCrossing(direction="ENTRY", date=entry.isoformat()))
        else:
            day = today - dt.timedelta(days=int(rng.integers(200, 400)))
            for _ in range(int(rng.integers(1, 4))):
                exit_day = day + dt.timedelta(days=int(rng.integers(2, 25)))
                if exit_day >= today:
                    break
                crossings.append(s.EesCrossing(direction="ENTRY", date=day.isoformat()))
                crossings.append(s.EesCrossing(direction="EXIT", date=exit_day.isoformat()))
                day = exit_day + dt.timedelta(days=int(rng.integers(20, 120)))
        point = f"{rng.choice(MEMBER_STATES)}-BCP-{int(rng.integers(1, 40)):02d}"
        for crossing in crossings:
            crossing.border_crossing_point = point
        refusals = []
        if rng.random() < 0.05:
            day = today - dt.timedelta(days=int(rng.integers(30, 700)))
            refusals.append(f"{day.isoformat()} at {point}: {rng.choice(REFUSAL_REASONS)}")
        record.ees.CopyFrom(
            s.EesFile(file_id=record.record_id, crossings=crossings, refusals=refusals)
        )

    def _etias(
        self, record: mock_pb2.MockRecord, position: int, rng: np.random.Generator, today: dt.date
    ) -> None:
        record.record_id = f"ETIAS-{self.seed}-{position:07d}"
        until = today + dt.timedelta(days=int(rng.integers(-60, 3 * 365)))
        flagged = bool(self.etias_flag[position])
        record.etias.CopyFrom(
            s.EtiasAuthorisation(
                application_number=record.record_id,
                status=int(self.etias[position]),  # type: ignore[arg-type]
                valid_until=until.isoformat(),
                second_line_flag=flagged,
                flag_reason="Art. 36(4) of Regulation (EU) 2018/1240" if flagged else "",
                territorial_limits=[str(rng.choice(MEMBER_STATES))] if rng.random() < 0.02 else [],
            )
        )

    def _eurodac(
        self, record: mock_pb2.MockRecord, position: int, rng: np.random.Generator, today: dt.date
    ) -> None:
        record.record_id = f"EURODAC-{self.seed}-{position:07d}"
        record.eurodac.CopyFrom(
            s.EurodacRecord(
                reference=record.record_id,
                category=int(self.eurodac[position]),  # type: ignore[arg-type]
                member_state_of_origin=str(rng.choice(MEMBER_STATES)),
                date_taken=(today - dt.timedelta(days=int(rng.integers(30, 2000)))).isoformat(),
            )
        )


EXAMPLES = (
    ("an SIS alert for arrest", "sis", s.SIS_ALERT_CATEGORY_ARREST),
    ("an EES overstay", "ees", 2),
    ("a revoked visa", "vis", s.VIS_STATUS_REVOKED),
    ("a refused ETIAS", "etias", s.ETIAS_STATUS_REFUSED),
)


def examples(world: World) -> list[tuple[str, Identity]]:
    """A few people of the world worth checking, with what they will show."""
    found = []
    for what, system, code in EXAMPLES:
        codes: I8 = getattr(world, system)
        positions = np.flatnonzero(codes == code)
        if len(positions):
            found.append((what, world.population.identity(int(positions[0]))))
    return found
