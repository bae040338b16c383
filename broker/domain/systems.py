"""What a border system is to the broker's rules: one typed spec per system, in a catalog.

The specs are declared together with the rest of each system (its adapter, its mock) in the
`systems` package; the composition root hands the catalog to the broker, so no rule here
names a system itself and a sixth system needs no change to the domain.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from broker.domain.situation import Purpose, Situation
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

System: TypeAlias = systems_pb2.System.ValueType
Action: TypeAlias = systems_pb2.Action.ValueType
# What the guard must do about a hit where and why the check is made (the adapter gives
# the action the record calls for anywhere).
ActionRule = Callable[[pb.Hit, Situation], Action]
ALL_PURPOSES: frozenset[Purpose] = frozenset(pb.Purpose.values()) - {pb.PURPOSE_UNSPECIFIED}


class Criterion(enum.StrEnum):
    """A way a system can be searched."""

    IDENTITY = "identity"
    DOCUMENT = "document"
    # Records found by the document number alone, with no identity (SIS object alerts).
    DOCUMENT_ONLY = "document_only"
    VISA_STICKER = "visa_sticker"
    FACE = "face"
    FINGERPRINTS = "fingerprints"


class Evidence(enum.StrEnum):
    """What a system's answer tells about the entry conditions (Reg. (EU) 2016/399 Art. 6)."""

    # Alerts for refusal of entry and others bearing on entry; alerts on documents.
    ALERTS = "alerts"
    VISAS = "visas"
    TRAVEL_AUTHORISATIONS = "travel_authorisations"
    # Entries, exits and the 90/180-day rule.
    STAYS = "stays"


def action_as_given(hit: pb.Hit, situation: Situation) -> Action:
    return hit.action


@dataclass(frozen=True)
class SystemSpec:
    """One system: how it is named, searched, who may read or write it and for what."""

    name: str
    value: System
    label: str
    searched_by: frozenset[Criterion]
    # Profiles that may ask the system, and those that may write to it (EES crossings).
    readers: frozenset[str]
    writers: frozenset[str] = field(default_factory=frozenset)
    records_crossings: bool = False
    # The purposes the system's legal basis lets it be asked for, whoever asks.
    purposes: frozenset[Purpose] = ALL_PURPOSES
    evidence: frozenset[Evidence] = field(default_factory=frozenset)
    act: ActionRule = action_as_given


class SystemCatalog:
    """The systems the broker knows, in `System` value order."""

    def __init__(self, specs: Iterable[SystemSpec]) -> None:
        ordered = sorted(specs, key=lambda s: s.value)
        self._by_value = {s.value: s for s in ordered}
        self._by_name = {s.name: s for s in ordered}
        if len(self._by_value) != len(ordered) or len(self._by_name) != len(ordered):
            raise ValueError("two systems share a name or a value")
        self.values: tuple[System, ...] = tuple(self._by_value)
        self.names: tuple[str, ...] = tuple(self._by_name)

    def __iter__(self) -> Iterator[SystemSpec]:
        return iter(self._by_value.values())

    def __len__(self) -> int:
        return len(self._by_value)

    def __contains__(self, value: object) -> bool:
        return value in self._by_value

    def spec(self, value: System) -> SystemSpec:
        return self._by_value[value]

    def giving(self, evidence: Evidence) -> tuple[SystemSpec, ...]:
        """The systems whose answers are evidence of that kind."""
        return tuple(s for s in self if evidence in s.evidence)

    def name(self, value: System) -> str:
        """`SYSTEM_SIS` -> "sis"; an unknown value is shown as its number."""
        spec = self._by_value.get(value)
        return spec.name if spec else str(int(value))

    def by_name(self, name: str) -> SystemSpec:
        """ "sis" (any case) -> its spec; ValueError naming the choices otherwise."""
        try:
            return self._by_name[name.strip().lower()]
        except KeyError:
            raise ValueError(
                f"unknown system {name!r}; choose from {', '.join(self.names)}"
            ) from None
