"""Why the broker refuses a request, as values the entry points map to statuses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One wrong field, named by its path in the request (e.g. `traveller.date_of_birth`)."""

    field: str
    description: str


class InvalidRequest(Exception):
    """A request the broker will not process; carries every wrong field found."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = tuple(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


class Unauthenticated(Exception):
    """The caller presented no known identity."""


class PermissionDenied(Exception):
    """The caller's profile may not do this at all (a purpose, a write)."""


class Overloaded(Exception):
    """The broker is at its bound of checks in flight: refused now rather than served late."""
