"""The synthetic world behind the mocks: who of the population appears in which system.

Every mock process builds the same world from the same seed, so one person is
consistent across systems: the visa applicant whose visa was revoked in VIS may be
refused entry in SIS; the overstayer in EES may have a return decision in SIS.
Membership is drawn for everyone at once with numpy; a record's detail is made only
when it is found, from a generator seeded by the person, so a million records cost
a few arrays, not a million objects. How one system's records read is declared with
that system (`WorldShare`, in the `systems` package).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from broker.domain.traveller import traveller_of
from broker.domain.visa_lists import Regime, regime
from broker.matching import Identity
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.population import COUNTRIES, Population, generate

I8 = npt.NDArray[np.int8]
I64 = npt.NDArray[np.int64]

# Codes of `World.ees`.
EES_WITHIN_RULE = 1
EES_OVERSTAY = 2

# Shares of the population in each system, and of each category within it. Who may be in
# a system follows the law: VIS holds visa nationals, ETIAS the visa-exempt (Reg. 2018/1806
# Annexes I and II), EES and Eurodac third-country nationals only (Reg. 2017/2226 Art. 2,
# Reg. 2024/1358 Art. 1); SIS alerts for refusal or return concern third-country nationals
# (Reg. 2018/1861 Art. 24, Reg. 2018/1860 Art. 3).
VIS_SHARE_OF_VISA_NATIONALS = 0.85
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
# Travellers with a file in EES: a share of third-country nationals, more of visa holders.
EES_SHARE = 0.55
EES_SHARE_OF_VISA_HOLDERS = 0.7
EES_OVERSTAY_SHARE = 0.03
ETIAS_SHARE_OF_VISA_EXEMPT = 0.85
ETIAS_STATUSES = (
    s.ETIAS_STATUS_ISSUED,
    s.ETIAS_STATUS_REFUSED,
    s.ETIAS_STATUS_REVOKED,
    s.ETIAS_STATUS_ANNULLED,
)
ETIAS_SHARES = (0.93, 0.04, 0.02, 0.01)
ETIAS_FLAG_SHARE = 0.03
SIS_PERSON_SHARE = 0.012
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
# Refused or revoked visa holders and overstayers who also have an SIS alert.
SIS_FOLLOW_UP_SHARE = 0.3
SIS_DOCUMENT_SHARE = 0.003
SIS_OBJECT = (
    s.SIS_ALERT_CATEGORY_STOLEN_DOCUMENT,
    s.SIS_ALERT_CATEGORY_LOST_DOCUMENT,
    s.SIS_ALERT_CATEGORY_INVALIDATED_DOCUMENT,
)
SIS_OBJECT_SHARES = (0.6, 0.3, 0.1)
EURODAC_SHARE = 0.025
EURODAC = (
    s.EURODAC_CATEGORY_INTERNATIONAL_PROTECTION_APPLICANT,
    s.EURODAC_CATEGORY_IRREGULAR_CROSSING,
    s.EURODAC_CATEGORY_ILLEGAL_STAY,
    s.EURODAC_CATEGORY_ADMISSION_PROCEDURE,
    s.EURODAC_CATEGORY_ADMITTED,
    s.EURODAC_CATEGORY_SEARCH_AND_RESCUE,
    s.EURODAC_CATEGORY_TEMPORARY_PROTECTION,
)
EURODAC_SHARES = (0.4, 0.2, 0.15, 0.02, 0.03, 0.05, 0.15)
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


_TCN_ALERTS = (s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY, s.SIS_ALERT_CATEGORY_RETURN)
_FREE_MOVEMENT, _VISA, _AUTHORISATION, _UNKNOWN = range(4)
_REGIME_CODES = {
    Regime.FREE_MOVEMENT: _FREE_MOVEMENT,
    Regime.VISA: _VISA,
    Regime.TRAVEL_AUTHORISATION: _AUTHORISATION,
    Regime.UNKNOWN: _UNKNOWN,
}


def _regimes() -> I8:
    """Per country of the population, what its nationals need to cross the border."""
    return np.array([_REGIME_CODES[regime(c.code)[0]] for c in COUNTRIES], dtype=np.int8)


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
    ees: I8  # EES_WITHIN_RULE or EES_OVERSTAY
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
        needs = _regimes()[population.country]
        visa_national, tcn = needs == _VISA, needs != _FREE_MOVEMENT
        rng = np.random.default_rng([seed, 99])
        u = rng.random((8, n))
        vis = np.where(
            visa_national & (u[0] < VIS_SHARE_OF_VISA_NATIONALS),
            _pick(rng, VIS_STATUSES, VIS_SHARES, n),
            0,
        )
        in_ees = tcn & ((u[1] < EES_SHARE) | ((vis > 0) & (u[1] < EES_SHARE_OF_VISA_HOLDERS)))
        overstay = u[2] < EES_OVERSTAY_SHARE
        ees = np.where(in_ees, np.where(overstay, EES_OVERSTAY, EES_WITHIN_RULE), 0)
        etias = np.where(
            (needs == _AUTHORISATION) & (u[3] < ETIAS_SHARE_OF_VISA_EXEMPT),
            _pick(rng, ETIAS_STATUSES, ETIAS_SHARES, n),
            0,
        )
        flag = (etias == s.ETIAS_STATUS_ISSUED) & (u[4] < ETIAS_FLAG_SHARE)
        sis = np.where(u[5] < SIS_PERSON_SHARE, _pick(rng, SIS_PERSON, SIS_SHARES, n), 0)
        sis[~tcn & np.isin(sis, _TCN_ALERTS)] = 0
        follow_up = u[6] < SIS_FOLLOW_UP_SHARE
        refused = np.isin(vis, (s.VIS_STATUS_REVOKED, s.VIS_STATUS_REFUSED)) & follow_up
        sis[refused] = s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY
        sis[(ees == EES_OVERSTAY) & follow_up] = s.SIS_ALERT_CATEGORY_RETURN
        document = np.where(
            u[7] < SIS_DOCUMENT_SHARE, _pick(rng, SIS_OBJECT, SIS_OBJECT_SHARES, n), 0
        )
        in_eurodac = tcn & (rng.random(n) < EURODAC_SHARE)
        eurodac = np.where(in_eurodac, _pick(rng, EURODAC, EURODAC_SHARES, n), 0)
        return cls(
            population,
            seed,
            vis.astype(np.int8),
            ees.astype(np.int8),
            etias.astype(np.int8),
            flag,
            sis.astype(np.int8),
            document.astype(np.int8),
            eurodac.astype(np.int8),
        )

    def rng(self, *keys: int) -> np.random.Generator:
        """A generator for one record, the same every time it is made."""
        return np.random.default_rng([self.seed, *keys])

    def person_record(
        self, position: int, stream: int
    ) -> tuple[mock_pb2.MockRecord, np.random.Generator]:
        """Person `position` as a record with their identity, and a generator for the rest."""
        person = self.population.identity(position)
        record = mock_pb2.MockRecord(identity=traveller_of(person))
        record.identity.document.type = pb.DOCUMENT_TYPE_PASSPORT
        record.identity.document.issuing_state = person.nationality
        record.identity.visa_sticker_number = ""
        return record, self.rng(stream, position)


@dataclass(frozen=True)
class WorldShare:
    """What one system holds of the world: who is in it, and how their records read."""

    # Each person's category code in the system (0: not in it).
    codes: Callable[[World], I8]
    # The record of a member, made the same way every time.
    record: Callable[[World, int, dt.date], mock_pb2.MockRecord]
    # A member's visa sticker number, for systems that hold one.
    sticker: Callable[[int], str] | None = None
    # Records of documents without a person (SIS object alerts): who owns the document,
    # and the record.
    objects: Callable[[World], I8] | None = None
    object_record: Callable[[World, int], mock_pb2.MockRecord] | None = None

    def members(self, world: World) -> I64:
        """Positions of the people holding a (person) record, ascending."""
        return np.flatnonzero(self.codes(world)).astype(np.int64)

    def object_owners(self, world: World) -> I64:
        if self.objects is None:
            return np.empty(0, np.int64)
        return np.flatnonzero(self.objects(world)).astype(np.int64)


EXAMPLES: tuple[tuple[str, Callable[[World], npt.NDArray[np.bool_]]], ...] = (
    ("an SIS alert for arrest", lambda w: w.sis == s.SIS_ALERT_CATEGORY_ARREST),
    ("an EES overstay", lambda w: w.ees == EES_OVERSTAY),
    ("a revoked visa", lambda w: w.vis == s.VIS_STATUS_REVOKED),
    ("a refused ETIAS", lambda w: w.etias == s.ETIAS_STATUS_REFUSED),
)


def examples(world: World) -> list[tuple[str, Identity]]:
    """A few people of the world worth checking, with what they will show."""
    found = []
    for what, chosen in EXAMPLES:
        positions = np.flatnonzero(chosen(world))
        if len(positions):
            found.append((what, world.population.identity(int(positions[0]))))
    return found
