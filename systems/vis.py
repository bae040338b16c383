"""VIS, the Visa Information System: visa applications and their status, found by
identity, document or visa sticker number; the fingerprints given with a query are
verified against the applicant's."""

from __future__ import annotations

import datetime as dt

from adapters.translate import categorised_hit
from broker.domain.profiles import ASYLUM_AUTHORITY, BORDER_GUARD, VISA_AUTHORITY
from broker.domain.systems import Criterion, SystemSpec
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import FINGERPRINT_THRESHOLD, Rules, SearchContext, unit
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

SPEC = SystemSpec(
    name="vis",
    value=s.SYSTEM_VIS,
    label="VIS",
    searched_by=frozenset({Criterion.IDENTITY, Criterion.DOCUMENT, Criterion.VISA_STICKER}),
    readers=frozenset({BORDER_GUARD, VISA_AUTHORITY, ASYLUM_AUTHORITY}),
)

# -- adapter -----------------------------------------------------------------------------------

# A visa that was revoked or annulled no longer covers the stay: the guard must look closer.
ACTIONS: dict[int, s.Action.ValueType] = {
    s.VIS_STATUS_REVOKED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_ANNULLED: s.ACTION_SECOND_LINE_CHECK,
    s.VIS_STATUS_REFUSED: s.ACTION_VERIFY,
}


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    return categorised_hit(match, "VIS_VISA_", s.VisStatus, match.vis.status, ACTIONS)


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
            field="fingerprint_verification",
            query_value=f"{len(pairs)} finger(s)",
            record_value="enrolled",
            similarity=round(similarity, 4),
            method="verified" if verified else "not_verified",
        )
    )


RULES = Rules(SPEC.searched_by, finish=_verify_fingerprints)

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
