"""Validation failures as values: which field is wrong and why."""

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
