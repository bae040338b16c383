"""The traveller mix: drawn from the mocks' world, by weight, reproducibly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2
from loadtest.load.packs import PackShare
from loadtest.load.travellers import VARIANTS
from loadtest.load.workload import Mix, draw_pool, parse_subsets, parse_weights
from mocks.world import World

PACKS = Path(__file__).resolve().parents[2] / "mocks" / "packs"
POPULATION, SEED = 2000, 2026


def mix(**changes: object) -> Mix:
    defaults: dict[str, object] = {
        "population": POPULATION,
        "population_seed": SEED,
        "seed": 1,
        "distinct": 400,
        "variants": (("exact", 1.0),),
        "purposes": (("border-entry", 1.0),),
        "subsets": (("all", 1.0),),
        "hit_ratio": None,
        "packs": (),
    }
    return Mix(**(defaults | changes))  # type: ignore[arg-type]


def test_weights_and_their_errors() -> None:
    assert parse_weights("exact=5,typo", VARIANTS, "variant") == (("exact", 5.0), ("typo", 1.0))
    with pytest.raises(ValueError, match="choose from"):
        parse_weights("exact=5,psychic=1", VARIANTS, "variant")
    with pytest.raises(ValueError, match="above 0"):
        parse_weights("exact=0", VARIANTS, "variant")
    assert parse_subsets("all=8,sis+vis=1") == (("all", 8.0), ("sis+vis", 1.0))
    with pytest.raises(ValueError, match="system subset"):
        parse_subsets("sis+ecris")


def test_the_pool_is_reproducible_and_follows_the_weights() -> None:
    weighted = mix(
        variants=(("exact", 3.0), ("mrz", 1.0)),
        purposes=(("border-entry", 1.0), ("border-exit", 1.0)),
        subsets=(("all", 1.0), ("sis+vis", 1.0)),
    )
    pool = draw_pool(weighted, deadline_ms=900)
    assert pool.requests == draw_pool(weighted, deadline_ms=900).requests
    assert len(pool.requests) == 400
    variants = pool.composition["variant"]
    assert sum(variants.values()) == 400
    assert 0.65 < variants["exact"] / 400 < 0.85
    subset = [r for r in pool.requests if r.systems]
    assert 150 < len(subset) < 250
    assert all(list(r.systems) == [systems_pb2.SYSTEM_SIS, systems_pb2.SYSTEM_VIS] for r in subset)
    assert {r.purpose for r in pool.requests} == {pb.PURPOSE_BORDER_ENTRY, pb.PURPOSE_BORDER_EXIT}
    assert all(r.deadline_ms == 900 for r in pool.requests)
    assert pool[400] == pool[0]


@pytest.mark.parametrize("ratio", [0.0, 0.5, 1.0])
def test_hit_ratio_draws_people_on_record_in_an_asked_system(ratio: float) -> None:
    pool = draw_pool(mix(hit_ratio=ratio, subsets=(("eurodac", 1.0),)), deadline_ms=None)
    on_record = pool.composition["source"].get("world, on record", 0) / 400
    assert on_record == pytest.approx(ratio, abs=0.08)
    world = World.build(POPULATION, SEED)
    documents = {
        world.population.document_number[p].decode(): bool(world.eurodac[p])
        for p in range(POPULATION)
    }
    held = [documents[r.traveller.document.number] for r in pool.requests]
    assert np.mean(held) == pytest.approx(on_record)


def test_each_variant_gives_a_searchable_traveller() -> None:
    world = World.build(POPULATION, SEED)
    rng = np.random.default_rng(1)
    person = world.population.identity(7)
    exact = VARIANTS["exact"](world.population, 7, rng)
    assert (exact.surname, exact.document.number) == (person.surname, person.document_number)
    typo = VARIANTS["typo"](world.population, 7, rng)
    assert typo.surname != person.surname and not typo.document.number
    lines = VARIANTS["mrz"](world.population, 7, rng).mrz.split("\n")
    assert [len(line) for line in lines] == [44, 44]
    assert VARIANTS["document"](world.population, 7, rng).document.number == person.document_number
    scan = VARIANTS["biometrics"](world.population, 7, rng).biometrics
    assert len(scan.face_embedding) == 512
    assert scan.fingerprints[0].position == 2 and len(scan.fingerprints[0].template) > 0


def test_scenario_packs_are_mixed_in_by_share() -> None:
    pack = PackShare.parse(f"{PACKS / 'sis-stolen-passport.yaml'}=0.25")
    pool = draw_pool(mix(packs=(pack,)), deadline_ms=None)
    drawn = pool.composition["source"]["sis-stolen-passport.yaml"]
    assert 0.18 < drawn / 400 < 0.32
    numbers = {r.traveller.document.number for r in pool.requests}
    assert {"EM4410927", "EM4410928"} <= numbers
    with pytest.raises(ValueError, match="more than 1"):
        draw_pool(mix(packs=(pack, pack, pack, pack, pack)), deadline_ms=None)


def test_pack_shares_parse() -> None:
    assert PackShare.parse("a.yaml").share == 0.1
    assert PackShare.parse("a.yaml=5%").share == pytest.approx(0.05)
    with pytest.raises(ValueError, match="FILE=SHARE"):
        PackShare.parse("a.yaml=lots")
