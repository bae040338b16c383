"""Why a bus message is refused: the reasons the dead-letter topic and the counters name."""

from __future__ import annotations

import enum


class Reason(enum.StrEnum):
    # Not an envelope: a header missing or not text, a value too short, another version.
    MALFORMED = "malformed"
    # Sealed under a channel or key id this service does not hold.
    UNKNOWN_KEY = "unknown-key"
    # The tag does not verify: the body or a routing fact (topic, correlation id, producer,
    # reply-to, deadline) was altered, or it was sealed with another channel's key.
    FORGED = "forged"
    # A query addressed to another system than the adapter's.
    WRONG_SYSTEM = "wrong-system"
    # A message id already accepted, within its deadline.
    REPLAYED = "replayed"
    # Authentic, but not the message it should be, or its body contradicts its headers.
    UNDECODABLE = "undecodable"


class Rejected(Exception):
    """A bus message that must not be used; `reason` says why, `detail` for a person."""

    def __init__(self, reason: Reason, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")
