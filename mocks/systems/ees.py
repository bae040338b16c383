"""EES: the individual file and the 90/180-day calculation.

Implementing Decision (EU) 2019/327: names are compared inexactly; date of birth,
nationality and sex exactly. Names with those data return the file even when the
document differs; the document number alone also finds it.
"""

from __future__ import annotations

import datetime as dt

from broker.matching import Match
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Context, Rules
from mocks.stay import stay_status, stays_from_crossings

_EXACT_OR_ABSENT = {"exact", "missing"}


def _rule_2019_327(match: Match, record: mock_pb2.MockRecord) -> bool:
    how = {f.field: f.how for f in match.explanation}
    return (
        how.get("date_of_birth") == "exact"
        and how.get("nationality") in _EXACT_OR_ABSENT
        and how.get("sex") in _EXACT_OR_ABSENT
    )


def crossings(record: mock_pb2.MockRecord, context: Context) -> list[s.EesCrossing]:
    """The file's crossings plus those recorded in this session, in date order."""
    extra = [
        s.EesCrossing(
            direction=pb.CrossingDirection.Name(c.direction).rsplit("_", 1)[-1],
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


def _finish(match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: Context) -> None:
    calculate(match.ees, crossings(record, context), context.today)


RULES = Rules(name="ees", identity=_rule_2019_327, finish=_finish)
