"""Why the broker refuses a request, as values the entry points map to statuses."""

from __future__ import annotations

from dataclasses import dataclass

# An error may quote this much of a bad value: enough to recognise it, never enough to
# carry a document's worth of someone's data into logs, statuses and audit records.
EXCERPT_CHARS = 16


def excerpt(value: str) -> str:
    """A bad value as an error message may quote it: a short prefix, ASCII-escaped.

    Escaping keeps control and bidirectional characters from rewriting a log line or a
    terminal; the prefix keeps a 10 kB value from overflowing a status's metadata.
    """
    shown = ascii(value[:EXCERPT_CHARS])
    return f"{shown}... ({len(value)} characters)" if len(value) > EXCERPT_CHARS else shown


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field, named by its path in the request (e.g. `traveller.date_of_birth`)."""

    field: str
    description: str


class Refused(Exception):
    """A request the broker does not carry out; `outcome` names why in the audit trail."""

    outcome = "refused"


class InvalidRequest(Refused):
    """A request the broker will not process; carries every wrong field found."""

    outcome = "invalid-argument"

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))

    @property
    def fields(self) -> tuple[str, ...]:
        """The wrong fields' paths, each once, in the order found."""
        return tuple(dict.fromkeys(v.field for v in self.violations))


class Unauthenticated(Refused):
    """The caller presented no known identity."""

    outcome = "unauthenticated"


class PermissionDenied(Refused):
    """The caller's profile may not do this at all (a purpose, a write)."""

    outcome = "permission-denied"


class Overloaded(Exception):
    """The broker is at its bound of checks in flight: refused now rather than served late.

    Not a `Refused`: no data was asked for, so it is counted, not audited."""
