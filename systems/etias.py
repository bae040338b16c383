"""ETIAS, the European Travel Information and Authorisation System: whether a valid
travel authorisation exists. Searched with the MRZ data of the travel document
(Reg. 2018/1240 Art. 47): the document number finds the application, a different
nationality does not match, names alone never do."""

from __future__ import annotations

import datetime as dt

from adapters.translate import base_hit, categorised_hit
from broker.domain.profiles import BORDER_GUARD
from broker.domain.systems import Criterion, SystemSpec
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Probe, Rules, SearchContext
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

SPEC = SystemSpec(
    name="etias",
    value=s.SYSTEM_ETIAS,
    label="ETIAS",
    searched_by=frozenset({Criterion.DOCUMENT}),
    readers=frozenset({BORDER_GUARD}),
)

# -- adapter -----------------------------------------------------------------------------------

ACTIONS: dict[int, s.Action.ValueType] = {
    s.ETIAS_STATUS_REFUSED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_ANNULLED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_REVOKED: s.ACTION_REFUSE_ENTRY,
    s.ETIAS_STATUS_EXPIRED: s.ACTION_VERIFY,
    s.ETIAS_STATUS_NONE: s.ACTION_VERIFY,
}


def translate(match: mock_pb2.RecordMatch) -> pb.Hit:
    authorisation = match.etias
    if authorisation.status == s.ETIAS_STATUS_ISSUED and authorisation.second_line_flag:
        return base_hit(match, "ETIAS_FLAGGED", s.ACTION_SECOND_LINE_CHECK)
    return categorised_hit(match, "ETIAS_", s.EtiasStatus, authorisation.status, ACTIONS)


# -- mock: search rules ------------------------------------------------------------------------

EXPIRY_WARNING_DAYS = 90


def _same_nationality(record: mock_pb2.MockRecord, probe: Probe) -> bool:
    wanted = probe.identity.nationality
    return not wanted or not record.identity.nationality or wanted == record.identity.nationality


def _finish(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: SearchContext
) -> None:
    authorisation = match.etias
    if not authorisation.valid_until:
        return
    left = (dt.date.fromisoformat(authorisation.valid_until) - context.today).days
    if left < 0 and authorisation.status == s.ETIAS_STATUS_ISSUED:
        authorisation.status = s.ETIAS_STATUS_EXPIRED
    authorisation.expires_within_90_days = 0 <= left <= EXPIRY_WARNING_DAYS


RULES = Rules(SPEC.searched_by, confirm=_same_nationality, finish=_finish)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 4
LIMITED_TERRITORY_SHARE = 0.02


def authorisation(world: World, position: int, today: dt.date) -> mock_pb2.MockRecord:
    record, rng = world.person_record(position, STREAM)
    record.record_id = f"ETIAS-{world.seed}-{position:07d}"
    until = today + dt.timedelta(days=int(rng.integers(-60, 3 * 365)))
    flagged = bool(world.etias_flag[position])
    limited = rng.random() < LIMITED_TERRITORY_SHARE
    record.etias.CopyFrom(
        s.EtiasAuthorisation(
            application_number=record.record_id,
            status=int(world.etias[position]),  # type: ignore[arg-type]
            valid_until=until.isoformat(),
            second_line_flag=flagged,
            flag_reason="Art. 36(4) of Regulation (EU) 2018/1240" if flagged else "",
            territorial_limits=[str(rng.choice(MEMBER_STATES))] if limited else [],
        )
    )
    return record


WORLD = WorldShare(codes=lambda world: world.etias, record=authorisation)

ETIAS = BorderSystem(SPEC, translate, MockSpec("interop.mock.v1.EtiasMock", 50064, RULES, WORLD))
