"""A border system as the whole stack knows it, and the registry of them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from adapters.mock_client import Translate
from broker.domain.systems import SystemCatalog, SystemSpec
from mocks.spec import MockSpec


@dataclass(frozen=True)
class BorderSystem:
    """Everything one system is: its spec for the broker's rules, how its adapter reads the
    mock's answers, and its mock."""

    spec: SystemSpec
    translate: Translate
    mock: MockSpec

    @property
    def name(self) -> str:
        return self.spec.name


class Registry:
    """The systems of one stack, by name; `catalog` is what the broker sees of them."""

    def __init__(self, systems: Iterable[BorderSystem]) -> None:
        given = tuple(systems)
        self.catalog = SystemCatalog(s.spec for s in given)
        by_name = {s.name: s for s in given}
        self._systems = {name: by_name[name] for name in self.catalog.names}

    def __iter__(self) -> Iterator[BorderSystem]:
        return iter(self._systems.values())

    def __getitem__(self, name: str) -> BorderSystem:
        return self._systems[self.catalog.by_name(name).name]

    @property
    def names(self) -> tuple[str, ...]:
        return self.catalog.names

    def with_system(self, system: BorderSystem) -> Registry:
        """This registry and one more system."""
        return Registry([*self, system])
