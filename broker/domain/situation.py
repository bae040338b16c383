"""Where, when and why a check is made: what the actions on hits and the entry conditions
depend on besides the answers themselves."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

from interop.v1 import border_check_pb2 as pb

Purpose: TypeAlias = pb.Purpose.ValueType

# The checks made at or for the border (Reg. (EU) 2016/399 Art. 8), as opposed to a visa
# application, an asylum procedure or a police enquiry.
BORDER_PURPOSES: frozenset[Purpose] = frozenset(
    {pb.PURPOSE_BORDER_ENTRY, pb.PURPOSE_BORDER_EXIT, pb.PURPOSE_IN_TERRITORY_CHECK}
)


@dataclass(frozen=True)
class Situation:
    purpose: Purpose
    today: dt.date
    # ISO 3166-1 alpha-3 of the Member State making the check; "" when not given.
    checking_state: str = ""
    border_crossing_point: str = ""
    # The last day of the intended stay, when the traveller says it.
    intended_exit: dt.date | None = None
