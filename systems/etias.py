"""ETIAS, the European Travel Information and Authorisation System: whether a valid
travel authorisation exists (Reg. 2018/1240 Art. 47(2)(a)). Searched with the MRZ data
of the travel document (Art. 47(1)): the document (number, issuing State) finds the
authorisation it was issued for, a different nationality does not match, names alone
never do. For a visa-exempt traveller's document without one, ETIAS answers that none
exists: no answer is never read as "authorised". Consulted on entry (Art. 47) and within
the territory (Art. 49), not on exit.
"""

from __future__ import annotations

import datetime as dt

from adapters.translate import base_hit, categorised_hit
from broker.domain.profiles import BORDER_GUARD
from broker.domain.situation import Situation
from broker.domain.systems import Action, Criterion, Evidence, SystemSpec
from broker.domain.visa_lists import Regime, regime
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Probe, Rules, SearchContext, document_fields
from mocks.spec import MockSpec
from mocks.world import MEMBER_STATES, World, WorldShare
from systems.registry import BorderSystem

# -- adapter -----------------------------------------------------------------------------------

ACTIONS: dict[int, Action] = {
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
    hit = categorised_hit(match, "ETIAS_", s.EtiasStatus, authorisation.status, ACTIONS)
    if match.match_class != pb.MATCH_CLASS_SAME and hit.action != s.ACTION_INFORMATION:
        # The number matched but its issuing State was not compared: another document's
        # authorisation must not refuse this traveller.
        hit.action = s.ACTION_VERIFY
    return hit


def act(hit: pb.Hit, situation: Situation) -> Action:
    """Refusal is for the entry; an authorisation limited to other States (Art. 44) does not
    cover entry into this one."""
    if situation.purpose != pb.PURPOSE_BORDER_ENTRY:
        return s.ACTION_VERIFY if hit.action == s.ACTION_REFUSE_ENTRY else hit.action
    limits = hit.etias.territorial_limits
    if hit.action == s.ACTION_INFORMATION and limits and situation.checking_state not in limits:
        return s.ACTION_VERIFY
    return hit.action


SPEC = SystemSpec(
    name="etias",
    value=s.SYSTEM_ETIAS,
    label="ETIAS",
    searched_by=frozenset({Criterion.DOCUMENT}),
    readers=frozenset({BORDER_GUARD}),
    purposes=frozenset({pb.PURPOSE_BORDER_ENTRY, pb.PURPOSE_IN_TERRITORY_CHECK}),
    evidence=frozenset({Evidence.TRAVEL_AUTHORISATIONS}),
    act=act,
)

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


def _none_exists(context: SearchContext) -> mock_pb2.RecordMatch | None:
    """The answer for a visa-exempt traveller's document no authorisation was issued for."""
    probe = context.probe
    visa_exempt = regime(probe.identity.nationality)[0] is Regime.TRAVEL_AUTHORISATION
    if not (probe.document_number and visa_exempt):
        return None
    document = pb.Document(
        type=probe.document_type,
        number=probe.document_number,
        issuing_state=probe.document_issuing_state,
    )
    return mock_pb2.RecordMatch(
        record_id=f"ETIAS-NONE-{probe.document_issuing_state}-{probe.document_number}",
        score=1.0,
        match_class=pb.MATCH_CLASS_SAME,
        explanation=document_fields(document, probe),
        identity=pb.Traveller(nationality=probe.identity.nationality, document=document),
        etias=s.EtiasAuthorisation(status=s.ETIAS_STATUS_NONE),
    )


RULES = Rules(
    SPEC.searched_by,
    confirm=_same_nationality,
    # An authorisation is tied to the travel document it was issued for (Art. 38(1)(c)).
    document_only=lambda record: True,
    finish=_finish,
    absent=_none_exists,
)

# -- mock: records of the synthetic world ------------------------------------------------------

STREAM = 4
LIMITED_TERRITORY_SHARE = 0.02
FLAG_REASON = (
    "Reg. (EU) 2018/1240 Art. 36(2): second-line check recommended, mandatory at the border "
    "under Art. 47(4)"
)


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
            flag_reason=FLAG_REASON if flagged else "",
            territorial_limits=[str(rng.choice(MEMBER_STATES))] if limited else [],
        )
    )
    return record


WORLD = WorldShare(codes=lambda world: world.etias, record=authorisation)

ETIAS = BorderSystem(SPEC, translate, MockSpec("interop.mock.v1.EtiasMock", 50064, RULES, WORLD))
