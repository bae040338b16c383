"""Who may import whom: the layers of README's "Where things live", checked on the source."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("broker", "adapters", "mocks", "systems", "stack", "loadtest")
STUBS = "interop"

# Each part may import itself, the generated stubs and the parts listed here.
ALLOWED: dict[str, frozenset[str]] = {
    "broker.matching": frozenset(),
    "broker.domain": frozenset({"broker.matching"}),
    "broker.service": frozenset({"broker.domain", "broker.matching"}),
    "broker.transport": frozenset({"broker.domain", "broker.matching"}),
    "broker.audit": frozenset({"broker.transport"}),
    "broker.gateway": frozenset({"broker.service", "broker.domain", "broker.transport"}),
    "adapters": frozenset({"broker.domain", "broker.transport"}),
    "mocks": frozenset({"broker.domain", "broker.matching", "broker.transport"}),
    "systems": frozenset({"broker.domain", "broker.matching", "adapters", "mocks"}),
    "stack": frozenset(
        {
            "broker.domain",
            "broker.service",
            "broker.transport",
            "broker.audit",
            "broker.gateway",
            "adapters",
            "mocks",
            "systems",
            # `interop loadtest` is the load tool's command.
            "loadtest",
        }
    ),
    # A client of the stack: stubs, the synthetic world, the registry's names, and the
    # matching core and transport for their component benchmarks.
    "loadtest": frozenset(
        {"mocks.population", "mocks.world", "broker.matching", "broker.transport", "systems"}
    ),
}
# Third-party modules a pure layer must not touch: no gRPC server, no Kafka client.
IMPURE = ("grpc", "grpc_health", "grpc_reflection", "grpc_status", "aiokafka")
PURE_PARTS = ("broker.matching", "broker.domain", "broker.service")


def part_of(module: str) -> str | None:
    """`broker.domain.merge` -> `broker.domain`; `mocks.engine` -> `mocks`."""
    top = module.split(".")[0]
    if top not in PACKAGES:
        return None
    if top == "broker":
        return ".".join(module.split(".")[:2])
    return top


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports, with the line, including imports inside functions."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def sources() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            yield module.removesuffix(".__init__"), path


def violations() -> list[str]:
    found = []
    for module, path in sources():
        mine = part_of(module)
        if mine is None or mine == "broker.__init__" or mine not in ALLOWED:
            continue
        for line, target in imports(path):
            found += _check(module, mine, path, line, target)
    return sorted(set(found))


def _check(module: str, mine: str, path: Path, line: int, target: str) -> list[str]:
    where = f"{path.relative_to(ROOT)}:{line}"
    if mine in PURE_PARTS and target.split(".")[0] in IMPURE:
        return [f"{where}: {module} ({mine}) imports {target}"]
    theirs = part_of(target)
    if theirs is None or theirs == mine or target.split(".")[0] == STUBS:
        return []
    if any(target == a or target.startswith(a + ".") or theirs == a for a in ALLOWED[mine]):
        return []
    return [f"{where}: {module} ({mine}) may not import {target} ({theirs})"]


def test_no_part_imports_what_its_layer_may_not() -> None:
    assert violations() == []


def test_top_level_packages_import_each_other_without_cycles() -> None:
    edges: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, path in sources():
        for _, target in imports(path):
            top, theirs = module.split(".")[0], target.split(".")[0]
            if theirs in PACKAGES and theirs != top:
                edges[top].add(theirs)
    assert _cycle(edges) is None


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle among the packages, or None."""
    state: dict[str, str] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                return [*trail, node, nxt]
            if nxt not in state and (found := visit(nxt, [*trail, node])):
                return found
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node, [])):
            return found
    return None


@pytest.mark.parametrize(
    ("module", "target", "expected"),
    [
        ("broker.domain.merge", "broker.transport.dispatcher", True),
        ("broker.domain.merge", "mocks.engine", True),
        ("broker.matching.index", "broker.domain.names", True),
        ("broker.service.check", "grpc", True),
        ("broker.domain.merge", "aiokafka", True),
        ("adapters.runtime", "mocks.world", True),
        ("mocks.engine", "adapters.port", True),
        ("loadtest.run", "broker.service.check", True),
        ("broker.domain.merge", "broker.matching", False),
        ("systems.sis", "mocks.engine", False),
        ("stack.cli", "systems", False),
    ],
)
def test_the_rule_catches_a_forbidden_import(module: str, target: str, expected: bool) -> None:
    mine = part_of(module)
    assert mine is not None
    assert bool(_check(module, mine, ROOT / "x.py", 1, target)) is expected


def test_a_cycle_is_found() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set(), "c": {"a"}}) is None
