"""The traveller mix: which requests a run sends, drawn once from the mocks' synthetic world.

The world is built from the same population size and seed as the mocks', so a drawn
person is really in (or really absent from) the systems asked. Each request picks a
purpose, a subset of systems and a query variant by weight, then a person: with
`hit_ratio` set, someone who holds a record in at least one asked system with that
probability and someone who holds none otherwise; unset, anyone (the world's own
share, about four in five). Scenario pack checks are mixed in by share. The pool is
drawn once before the run; sends cycle through it, so drawing costs nothing while
the clock runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from interop.v1 import border_check_pb2 as pb
from loadtest.load.packs import PackShare, pack_requests
from loadtest.load.travellers import VARIANTS
from mocks.world import World, WorldShare
from systems import REGISTRY

Weights = tuple[tuple[str, float], ...]
Members = npt.NDArray[np.bool_]

PURPOSES = {
    name.removeprefix("PURPOSE_").lower().replace("_", "-"): value
    for name, value in pb.Purpose.items()
    if value
}
ALL_SYSTEMS = "all"


@dataclass(frozen=True, slots=True)
class Mix:
    """Everything that decides the requests of a run (recorded in report.json)."""

    population: int
    population_seed: int
    seed: int
    distinct: int
    variants: Weights
    purposes: Weights
    subsets: Weights
    hit_ratio: float | None
    packs: tuple[PackShare, ...]


@dataclass(frozen=True, slots=True)
class Pool:
    """The requests a run cycles through, and what they are made of (counts per kind)."""

    requests: tuple[pb.CheckRequest, ...]
    composition: Mapping[str, Mapping[str, int]]

    def __getitem__(self, index: int) -> pb.CheckRequest:
        return self.requests[index % len(self.requests)]


def parse_weights(text: str, allowed: Collection[str], what: str) -> Weights:
    """'exact=5,typo=2' -> (('exact', 5.0), ('typo', 2.0)); a bare name weighs 1."""
    weights: list[tuple[str, float]] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, sep, weight = part.partition("=")
        if name not in allowed:
            raise ValueError(f"{what} {name!r}: choose from {', '.join(sorted(allowed))}")
        try:
            value = float(weight) if sep else 1.0
        except ValueError:
            raise ValueError(f"{what} {part!r}: the weight must be a number") from None
        if value < 0:
            raise ValueError(f"{what} {part!r}: the weight must not be negative")
        weights.append((name, value))
    if not weights or sum(w for _, w in weights) <= 0:
        raise ValueError(f"{what}: give at least one name with a weight above 0")
    return tuple(weights)


def parse_subsets(text: str) -> Weights:
    """'all=8,sis+vis=1': system subsets joined by '+', or 'all' (the profile's systems)."""
    names = {part.partition("=")[0].strip() for part in text.split(",")}
    allowed = {n for n in names if n == ALL_SYSTEMS or set(n.split("+")) <= set(REGISTRY.names)}
    return parse_weights(text, allowed | {ALL_SYSTEMS, *REGISTRY.names}, "system subset")


def fixed_pool(request: pb.CheckRequest, deadline_ms: int | None) -> Pool:
    """A pool of one request sent every time (the payload given with --request)."""
    if deadline_ms is not None:
        request.deadline_ms = deadline_ms
    return Pool((request,), {"source": {"fixed request": 1}})


def draw_pool(mix: Mix, deadline_ms: int | None) -> Pool:
    """`mix.distinct` requests drawn from the world and the packs, reproducibly from `seed`."""
    world = World.build(mix.population, mix.population_seed)
    members = _members(world)
    rng = np.random.default_rng(mix.seed)
    packs = [(share, pack_requests(share.path)) for share in mix.packs]
    if sum(share.share for share, _ in packs) > 1:
        raise ValueError("the pack shares add up to more than 1")
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("variant", "purpose", "systems")}
    counts["source"] = Counter()
    requests = []
    for i in range(mix.distinct):
        request = _from_pack(packs, rng, counts) or _from_world(world, members, mix, rng, counts)
        request.request_id = request.request_id or f"lt-{i}"
        if deadline_ms is not None:
            request.deadline_ms = deadline_ms
        requests.append(request)
    composition = {kind: dict(sorted(c.items())) for kind, c in counts.items() if c}
    return Pool(tuple(requests), composition)


def _members(world: World) -> dict[str, Members]:
    """Per system: who holds a record there (SIS also finds a stolen passport's holder)."""
    return {system.name: _on_record(system.mock.world, world) for system in REGISTRY}


def _on_record(share: WorldShare | None, world: World) -> Members:
    held: Members = np.zeros(len(world.population), np.bool_)
    if share is not None:
        held |= share.codes(world) > 0
    if share is not None and share.objects is not None:
        held |= share.objects(world) > 0
    return held


def _choose(weights: Weights, rng: np.random.Generator) -> str:
    total = sum(w for _, w in weights)
    pick = rng.random() * total
    for name, weight in weights:
        pick -= weight
        if pick < 0:
            return name
    return weights[-1][0]


def _from_pack(
    packs: list[tuple[PackShare, list[pb.CheckRequest]]],
    rng: np.random.Generator,
    counts: dict[str, Counter[str]],
) -> pb.CheckRequest | None:
    pick = rng.random()
    for share, requests in packs:
        pick -= share.share
        if pick < 0:
            counts["source"][share.path.name] += 1
            request = pb.CheckRequest()
            request.CopyFrom(requests[int(rng.integers(len(requests)))])
            return request
    return None


def _from_world(
    world: World,
    members: dict[str, Members],
    mix: Mix,
    rng: np.random.Generator,
    counts: dict[str, Counter[str]],
) -> pb.CheckRequest:
    purpose, subset, variant = (
        _choose(weights, rng) for weights in (mix.purposes, mix.subsets, mix.variants)
    )
    asked = list(REGISTRY.names) if subset == ALL_SYSTEMS else subset.split("+")
    position, source = _person(members, asked, mix.hit_ratio, rng)
    for kind, name in (("purpose", purpose), ("systems", subset), ("variant", variant)):
        counts[kind][name] += 1
    counts["source"][source] += 1
    request = pb.CheckRequest(
        purpose=PURPOSES[purpose],
        traveller=VARIANTS[variant](world.population, position, rng),
    )
    if subset != ALL_SYSTEMS:
        request.systems.extend(REGISTRY.catalog.by_name(name).value for name in asked)
    return request


def _person(
    members: dict[str, Members], asked: list[str], hit_ratio: float | None, rng: np.random.Generator
) -> tuple[int, str]:
    """A position in the population, and whether it holds a record in an asked system."""
    known: Members = np.logical_or.reduce([members[name] for name in asked])
    if hit_ratio is None:
        position = int(rng.integers(len(known)))
    else:
        wanted = rng.random() < hit_ratio
        candidates = np.flatnonzero(known == wanted)
        if not len(candidates):
            held = "holds" if wanted else "holds no"
            raise ValueError(f"nobody in the population {held} a record in {'+'.join(asked)}")
        position = int(candidates[rng.integers(len(candidates))])
    return position, "world, on record" if known[position] else "world, not on record"
