"""Eurodac (Reg. 2024/1358): applicants for international protection, persons registered
for or admitted under resettlement, irregular crossings, illegal stays, persons
disembarked after search and rescue and beneficiaries of temporary protection, found by
fingerprints and, since the 2024 recast, facial image and names.

Its purposes (Art. 1) are asylum, resettlement, the identification of illegally staying
persons and temporary protection, not routine border checks: a border guard asks it in
an asylum procedure or within the territory, never on entry or exit.
"""

from __future__ import annotations

import datetime as dt

from adapters.translate import categorised_hit
from broker.domain.profiles import ASYLUM_AUTHORITY, BORDER_GUARD
from broker.domain.systems import Action, Criterion, SystemSpec
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules, SearchContext
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

SPEC = SystemSpec(
    name="eurodac",
    value=s.SYSTEM_EURODAC,
    label="Eurodac",
    searched_by=frozenset(
        {Criterion.IDENTITY, Criterion.DOCUMENT, Criterion.FACE, Criterion.FINGERPRINTS}
    ),
    readers=frozenset({BORDER_GUARD, ASYLUM_AUTHORITY}),
    purposes=frozenset({pb.PURPOSE_ASYLUM, pb.PURPOSE_IN_TERRITORY_CHECK}),
)

# -- adapter -----------------------------------------------------------------------------------

# Arrivals outside a border crossing point call for a closer look; an application,
# resettlement or temporary protection is information for the procedure at hand.
ACTIONS: dict[int, Action] = {
    s.EURODAC_CATEGORY_IRREGULAR_CROSSING: s.ACTION_SECOND_LINE_CHECK,
    s.EURODAC_CATEGORY_ILLEGAL_STAY: s.ACTION_SECOND_LINE_CHECK,
    s.EURODAC_CATEGORY_SEARCH_AND_RESCUE: s.ACTION_SECOND_LINE_CHECK,
}


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    return categorised_hit(match, "EURODAC_", s.EurodacCategory, match.eurodac.category, ACTIONS)


# -- mock: search rules ------------------------------------------------------------------------


def _finish(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    kinds = {f.field.split("[")[0] for f in match.explanation if f.method == "cosine"}
    match.eurodac.matched_by = (
        "fingerprint" if "fingerprint" in kinds else ("face" if "face" in kinds else "")
    )


RULES = Rules(SPEC.searched_by, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 5


def eurodac_record(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    record.record_id = f"EURODAC-{world.seed}-{position:07d}"
    record.eurodac.CopyFrom(
        s.EurodacRecord(
            reference=record.record_id,
            category=int(world.eurodac[position]),  # type: ignore[arg-type]
            member_state_of_origin=str(rng.choice(MEMBER_STATES)),
            date_taken=(today - dt.timedelta(days=int(rng.integers(30, 2000)))).isoformat(),
        )
    )
    return record


WORLD = WorldShare(codes=lambda world: world.eurodac, record=eurodac_record)

EURODAC = BorderSystem(
    SPEC, translate, MockSpec("interop.mock.v1.EurodacMock", 50065, RULES, WORLD)
)
