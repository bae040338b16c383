"""EES, the Entry/Exit System: the individual file, its crossings and refusals, and the
90/180-day calculation.

Implementing Decision (EU) 2019/327: names are compared inexactly; date of birth,
nationality and sex exactly. Names with those data return the file even when the
document differs; the document number alone also finds it. Crossings are written by
`BorderCheck.RecordCrossing`.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from adapters.translate import base_hit
from broker.domain.labels import short_name
from broker.domain.profiles import BORDER_GUARD, POLICE, VISA_AUTHORITY
from broker.domain.systems import Criterion, SystemSpec
from broker.matching import Match
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules, SearchContext
from mocks.spec import MockSpec
from mocks.stay import stay_status, stays_from_crossings
from mocks.world import EES_OVERSTAY, MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

_ACCESS = frozenset({BORDER_GUARD, VISA_AUTHORITY, POLICE})
SPEC = SystemSpec(
    name="ees",
    value=s.SYSTEM_EES,
    label="EES",
    searched_by=frozenset({Criterion.IDENTITY, Criterion.DOCUMENT}),
    readers=_ACCESS,
    # Entries and exits are recorded by border authorities; the others only consult.
    writers=frozenset({BORDER_GUARD}),
    records_crossings=True,
)

# -- adapter -----------------------------------------------------------------------------------


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    file = match.ees
    if file.overstay_days > 0:
        category, action = "EES_OVERSTAY", s.ACTION_SECOND_LINE_CHECK
    elif file.refusals:
        category, action = "EES_PREVIOUS_REFUSAL", s.ACTION_VERIFY
    else:
        category, action = "EES_FILE", s.ACTION_INFORMATION
    return base_hit(match, category, action)


# -- mock: search rules ------------------------------------------------------------------------

_EXACT_OR_ABSENT = {"exact", "missing"}


def _rule_2019_327(match: Match, record: mock_pb2.MockRecord) -> bool:
    how = {f.field: f.how for f in match.explanation}
    return (
        how.get("date_of_birth") == "exact"
        and how.get("nationality") in _EXACT_OR_ABSENT
        and how.get("sex") in _EXACT_OR_ABSENT
    )


def crossings(record: mock_pb2.MockRecord, context: SearchContext) -> list[s.EesCrossing]:
    """The file's crossings plus those recorded in this session, in date order."""
    extra = [
        s.EesCrossing(
            direction=short_name(pb.CrossingDirection, c.direction),
            date=c.date,
            border_crossing_point=c.border_crossing_point,
        )
        for c in context.session.crossings.get(record.record_id, [])
    ]
    return sorted([*record.ees.crossings, *extra], key=lambda c: c.date)


def calculate(file: s.EesFile, all_crossings: list[s.EesCrossing], today: dt.date) -> None:
    stays = stays_from_crossings(
        [(c.direction, dt.date.fromisoformat(c.date)) for c in all_crossings]
    )
    status = stay_status(stays, today)
    del file.crossings[:]
    file.crossings.extend(all_crossings)
    file.days_remaining = status.days_remaining
    file.overstay_days = status.overstay_days
    file.stay_allowed_days = status.stay_allowed
    file.calculated_for = today.isoformat()


def _finish(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    calculate(match.ees, crossings(record, context), context.today)


RULES = Rules(SPEC.searched_by, identity=_rule_2019_327, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 3
REFUSAL_SHARE = 0.05
# Annex V, Part B of the Schengen Borders Code: the standard reasons for refusing entry.
REFUSAL_REASONS = (
    "B: false, counterfeit or forged travel document",
    "C: no valid visa or residence permit",
    "E: no documents justifying the purpose and conditions of stay",
    "F: has already stayed 90 days during the 180-day period",
    "G: insufficient means of subsistence",
    "H: alert for refusal of entry in SIS",
)


def _stays(
    world: World, position: int, rng: np.random.Generator, today: dt.date
) -> list[s.EesCrossing]:
    if world.ees[position] == EES_OVERSTAY:
        entry = today - dt.timedelta(days=int(rng.integers(95, 160)))
        return [s.EesCrossing(direction="ENTRY", date=entry.isoformat())]
    crossings = []
    day = today - dt.timedelta(days=int(rng.integers(200, 400)))
    for _ in range(int(rng.integers(1, 4))):
        exit_day = day + dt.timedelta(days=int(rng.integers(2, 25)))
        if exit_day >= today:
            break
        crossings.append(s.EesCrossing(direction="ENTRY", date=day.isoformat()))
        crossings.append(s.EesCrossing(direction="EXIT", date=exit_day.isoformat()))
        day = exit_day + dt.timedelta(days=int(rng.integers(20, 120)))
    return crossings


def individual_file(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    record.record_id = f"EES-{world.seed}-{position:07d}"
    crossings = _stays(world, position, rng, today)
    point = f"{rng.choice(MEMBER_STATES)}-BCP-{int(rng.integers(1, 40)):02d}"
    for crossing in crossings:
        crossing.border_crossing_point = point
    refusals = []
    if rng.random() < REFUSAL_SHARE:
        day = today - dt.timedelta(days=int(rng.integers(30, 700)))
        refusals.append(f"{day.isoformat()} at {point}: {rng.choice(REFUSAL_REASONS)}")
    record.ees.CopyFrom(s.EesFile(file_id=record.record_id, crossings=crossings, refusals=refusals))
    return record


WORLD = WorldShare(codes=lambda world: world.ees, record=individual_file)

EES = BorderSystem(SPEC, translate, MockSpec("interop.mock.v1.EesMock", 50063, RULES, WORLD))
