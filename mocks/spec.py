"""What a system's mock is: its gRPC service, its search rules, its share of the world."""

from __future__ import annotations

from dataclasses import dataclass

from mocks.engine import Rules
from mocks.world import WorldShare


@dataclass(frozen=True)
class MockSpec:
    # Full gRPC service name, e.g. "interop.mock.v1.SisMock".
    service: str
    # Default loopback port of the mock.
    port: int
    rules: Rules
    # Its records in the synthetic world; None for a system that holds only seeded records.
    world: WorldShare | None = None
