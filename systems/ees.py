"""EES, the Entry/Exit System: the individual file, its crossings and refusals, and the
90/180-day calculation.

Implementing Decision (EU) 2019/327 Art. 2: the search starts from all the data, names
inexact and the rest exact. Names with the same date of birth, nationality and sex
return the file even when the document differs; a document number alone, or names
without nationality or sex, return nothing. Crossings are written by
`BorderCheck.RecordCrossing`.

Border authorities consult EES on entry and exit (Reg. 2017/2226 Art. 23), within the
territory (Art. 26) and visa authorities for an application (Art. 24); police reach it
only as designated authorities through a central access point (Arts. 29-32), which is
not this broker.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from adapters.translate import base_hit
from broker.domain.entry_conditions import REFUSAL_GROUNDS
from broker.domain.labels import short_name
from broker.domain.profiles import BORDER_GUARD, VISA_AUTHORITY
from broker.domain.situation import BORDER_PURPOSES
from broker.domain.systems import Criterion, Evidence, SystemSpec
from broker.matching import Match
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Rules, SearchContext
from mocks.spec import MockSpec
from mocks.stay import stay_status, stays_from_crossings
from mocks.world import EES_OVERSTAY, MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

SPEC = SystemSpec(
    name="ees",
    value=s.SYSTEM_EES,
    label="EES",
    searched_by=frozenset({Criterion.IDENTITY, Criterion.DOCUMENT}),
    readers=frozenset({BORDER_GUARD, VISA_AUTHORITY}),
    # Entries and exits are recorded by border authorities; the others only consult.
    writers=frozenset({BORDER_GUARD}),
    records_crossings=True,
    purposes=BORDER_PURPOSES | {pb.PURPOSE_VISA_APPLICATION},
    evidence=frozenset({Evidence.STAYS}),
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

_EXACT_FIELDS = ("date_of_birth", "nationality", "sex")


def _rule_2019_327(match: Match, record: mock_pb2.MockRecord) -> bool:
    """Date of birth, nationality and sex given on both sides and equal; names may differ
    as far as the matching core calls them similar."""
    how = {f.field: f.how for f in match.explanation}
    return all(how.get(name) == "exact" for name in _EXACT_FIELDS)


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


RULES = Rules(SPEC.searched_by, identity=_rule_2019_327, document_alone=False, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 3
REFUSAL_SHARE = 0.05
# The standard grounds (Annex V Part B of the Schengen Borders Code) a refusal is recorded
# with (Reg. 2017/2226 Art. 18).
REFUSAL_REASONS = tuple(f"{c}: {REFUSAL_GROUNDS[c]}" for c in ("B", "C", "E", "F", "G", "H"))


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
