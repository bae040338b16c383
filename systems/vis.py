"""VIS, the Visa Information System: visa applications and their status, found by
identity, document or visa sticker number; the fingerprints given with a query are
verified against the applicant's.

At the border VIS answers whether the visa is valid, in time and territory, and whether
the holder is its holder (Reg. (EC) No 767/2008 Art. 18): an issued visa is information
only while it is valid, for the checking State, and the fingerprints did not fail.
"""

from __future__ import annotations

import datetime as dt

from adapters.translate import base_hit, categorised_hit
from broker.domain.entry_conditions import (
    FINGERPRINT_VERIFICATION,
    NOT_VERIFIED,
    fingerprints_failed,
)
from broker.domain.labels import short_name
from broker.domain.profiles import ASYLUM_AUTHORITY, BORDER_GUARD, VISA_AUTHORITY
from broker.domain.situation import BORDER_PURPOSES, Situation
from broker.domain.systems import Action, Criterion, Evidence, SystemSpec
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import FINGERPRINT_THRESHOLD, Rules, SearchContext, unit
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

# -- adapter -----------------------------------------------------------------------------------

# A visa that was revoked or annulled no longer covers the stay: the guard must look closer.
ACTIONS: dict[int, Action] = {
    s.VIS_STATUS_REVOKED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_ANNULLED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_REFUSED: s.ACTION_VERIFY,
}
ISSUED = frozenset({s.VIS_STATUS_ISSUED, s.VIS_STATUS_EXTENDED, s.VIS_STATUS_SHORTENED})
NOT_VALID_TODAY = frozenset({s.VIS_VALIDITY_EXPIRED, s.VIS_VALIDITY_NOT_YET_VALID})


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    visa = match.vis
    if visa.status in ISSUED and fingerprints_failed(match.explanation):
        return base_hit(match, "VIS_FINGERPRINTS_NOT_VERIFIED", s.ACTION_SECOND_LINE_CHECK)
    if visa.status in ISSUED and visa.validity in NOT_VALID_TODAY:
        category = "VIS_VISA_" + short_name(s.VisValidity, visa.validity)
        return base_hit(match, category, s.ACTION_VERIFY)
    return categorised_hit(match, "VIS_VISA_", s.VisStatus, visa.status, ACTIONS)


def act(hit: pb.Hit, situation: Situation) -> Action:
    """Validity is the border's question: for a visa application an old visa is history. A
    visa of limited territorial validity does not cover entry into another State."""
    not_valid = hit.action == s.ACTION_VERIFY and hit.vis.validity in NOT_VALID_TODAY
    if situation.purpose not in BORDER_PURPOSES:
        return s.ACTION_INFORMATION if not_valid else hit.action
    if hit.action == s.ACTION_INFORMATION and not covers(hit.vis, situation.checking_state):
        return s.ACTION_VERIFY
    return hit.action


def covers(visa: s.VisApplication, state: str) -> bool:
    """Whether the visa is valid for `state`; an unlimited one is valid for every State."""
    return not visa.territory or state in visa.territory


SPEC = SystemSpec(
    name="vis",
    value=s.SYSTEM_VIS,
    label="VIS",
    searched_by=frozenset({Criterion.IDENTITY, Criterion.DOCUMENT, Criterion.VISA_STICKER}),
    readers=frozenset({BORDER_GUARD, VISA_AUTHORITY, ASYLUM_AUTHORITY}),
    # Reg. (EC) No 767/2008: visa applications (Arts. 15-17), border checks on entry and
    # exit (Art. 18), within the territory (Art. 19), asylum (Arts. 21-22); law enforcement
    # only through designated authorities' central access points, not this broker.
    purposes=BORDER_PURPOSES | {pb.PURPOSE_VISA_APPLICATION, pb.PURPOSE_ASYLUM},
    evidence=frozenset({Evidence.VISAS}),
    act=act,
)

# -- mock: search rules ------------------------------------------------------------------------


def _verify_fingerprints(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    held = {f.position: unit(f.template) for f in record.identity.biometrics.fingerprints}
    pairs = [
        (held[p], t)
        for p, t in context.probe.fingerprints.items()
        if p in held and len(held[p]) == len(t)
    ]
    if not pairs:
        return
    similarity = min(float(a @ b) for a, b in pairs)
    verified = similarity >= FINGERPRINT_THRESHOLD
    match.explanation.append(
        pb.FieldMatch(
            field=FINGERPRINT_VERIFICATION,
            query_value=f"{len(pairs)} finger(s)",
            record_value="enrolled",
            similarity=round(similarity, 4),
            method="verified" if verified else NOT_VERIFIED,
        )
    )


def _validity(visa: s.VisApplication, today: dt.date) -> s.VisValidity.ValueType:
    if visa.status not in ISSUED or not (visa.valid_from and visa.valid_until):
        return s.VIS_VALIDITY_UNSPECIFIED
    if today < dt.date.fromisoformat(visa.valid_from):
        return s.VIS_VALIDITY_NOT_YET_VALID
    if today > dt.date.fromisoformat(visa.valid_until):
        return s.VIS_VALIDITY_EXPIRED
    return s.VIS_VALIDITY_VALID


def _finish(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    _verify_fingerprints(match, record, context)
    match.vis.validity = _validity(match.vis, context.today)


RULES = Rules(SPEC.searched_by, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 2
# Share of visas with limited territorial validity (valid for one State only).
LIMITED_TERRITORY_SHARE = 0.05


def visa_sticker(position: int) -> tuple[str, str]:
    """(issuing state, sticker number) of person `position`'s visa: derived, never stored."""
    state = MEMBER_STATES[position % len(MEMBER_STATES)]
    return state, f"{state}{position:09d}"


def application(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    state, sticker = visa_sticker(position)
    start = today - dt.timedelta(days=int(rng.integers(0, 300)))
    record.record_id = f"VIS-{state}-{world.seed}-{position:07d}"
    record.identity.visa_sticker_number = sticker
    record.vis.CopyFrom(
        s.VisApplication(
            application_number=record.record_id,
            status=int(world.vis[position]),  # type: ignore[arg-type]
            visa_sticker_number=sticker,
            visa_type="C",
            valid_from=start.isoformat(),
            valid_until=(start + dt.timedelta(days=int(rng.choice([90, 180, 365])))).isoformat(),
            duration_of_stay_days=int(rng.choice([15, 30, 90])),
            issuing_state=state,
            territory=[state] if rng.random() < LIMITED_TERRITORY_SHARE else [],
        )
    )
    return record


WORLD = WorldShare(
    codes=lambda world: world.vis,
    record=application,
    sticker=lambda position: visa_sticker(position)[1],
)

VIS = BorderSystem(SPEC, translate, MockSpec("interop.mock.v1.VisMock", 50062, RULES, WORLD))
