"""ETIAS: searched with the MRZ data of the travel document (Reg. 2018/1240 Art. 47):
the document number finds the application; a different nationality does not match."""

from __future__ import annotations

import datetime as dt

from broker.matching import Match
from interop.mock.v1 import mock_pb2
from interop.v1 import systems_pb2 as s
from mocks.engine import Context, Probe, Rules

EXPIRY_WARNING_DAYS = 90


def _never_by_names(match: Match, record: mock_pb2.MockRecord) -> bool:
    return False


def _same_nationality(record: mock_pb2.MockRecord, probe: Probe) -> bool:
    wanted = probe.identity.nationality
    return not wanted or not record.identity.nationality or wanted == record.identity.nationality


def _finish(match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: Context) -> None:
    authorisation = match.etias
    if not authorisation.valid_until:
        return
    left = (dt.date.fromisoformat(authorisation.valid_until) - context.today).days
    if left < 0 and authorisation.status == s.ETIAS_STATUS_ISSUED:
        authorisation.status = s.ETIAS_STATUS_EXPIRED
    authorisation.expires_within_90_days = 0 <= left <= EXPIRY_WARNING_DAYS


RULES = Rules(name="etias", identity=_never_by_names, confirm=_same_nationality, finish=_finish)
