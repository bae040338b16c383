"""The synthetic world: reproducible, consistent across systems, searchable every way."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from broker.domain.traveller import identity_of, traveller_of
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from mocks.engine import Probe, SearchContext, search
from mocks.population import FINGERPRINT, labelled_queries
from mocks.population_source import FINGERPRINT_POSITION, PopulationSource
from mocks.seeded import SeededSource
from mocks.session import Session
from mocks.world import EES_OVERSTAY, World
from systems import REGISTRY, ees, sis, vis

TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def world() -> World:
    return World.build(4000, seed=11)


def _source(world: World, system: str) -> PopulationSource:
    mock = REGISTRY[system].mock
    assert mock.world is not None
    return PopulationSource(world, mock.world, mock.rules)


def _members(world: World, system: str) -> np.ndarray:
    share = REGISTRY[system].mock.world
    assert share is not None
    return share.members(world)


def _search(world: World, system: str, traveller: pb.Traveller) -> list[str]:
    source = _source(world, system)
    found = search(
        REGISTRY[system].mock.rules, [source], SearchContext(Probe.of(traveller), TODAY, Session())
    )
    return [m.record_id for m in found]


def test_the_same_seed_builds_the_same_world(world: World) -> None:
    again = World.build(4000, seed=11)
    for system in REGISTRY.names:
        assert np.array_equal(_members(world, system), _members(again, system))
    position = int(_members(world, "vis")[0])
    assert vis.application(world, position, TODAY) == vis.application(again, position, TODAY)


def test_one_person_is_consistent_across_systems(world: World) -> None:
    both = np.intersect1d(_members(world, "vis"), _members(world, "ees"))
    position = int(both[0])
    visa = vis.application(world, position, TODAY)
    file = ees.individual_file(world, position, TODAY)
    for field in ("surname", "given_names", "date_of_birth", "nationality"):
        assert getattr(visa.identity, field) == getattr(file.identity, field)
    assert visa.identity.document.number == file.identity.document.number
    # Refused or revoked visa holders are among those refused entry in SIS.
    revoked = np.isin(world.vis, (s.VIS_STATUS_REVOKED, s.VIS_STATUS_REFUSED))
    refused = world.sis == s.SIS_ALERT_CATEGORY_REFUSAL_OF_ENTRY
    assert (revoked & refused).sum() > 0


def test_a_member_is_found_by_identity_document_and_sticker(world: World) -> None:
    position = int(_members(world, "vis")[3])
    record = vis.application(world, position, TODAY)
    person = record.identity
    by_names = pb.Traveller(
        surname=person.surname,
        given_names=person.given_names,
        date_of_birth=person.date_of_birth,
        nationality=person.nationality,
    )
    assert record.record_id in _search(world, "vis", by_names)
    assert record.record_id in _search(world, "vis", pb.Traveller(document=person.document))
    sticker = pb.Traveller(visa_sticker_number=vis.visa_sticker(position)[1])
    assert _search(world, "vis", sticker) == [record.record_id]


def test_a_non_member_is_not_found(world: World) -> None:
    outside = int(np.flatnonzero(world.eurodac == 0)[0])
    person = world.population.identity(outside)
    query = pb.Traveller(
        surname=person.surname,
        given_names=person.given_names,
        date_of_birth=person.date_of_birth,
        nationality=person.nationality,
    )
    assert f"EURODAC-11-{outside:07d}" not in _search(world, "eurodac", query)


def test_a_second_capture_of_face_or_fingerprint_finds_the_person(world: World) -> None:
    position = int(_members(world, "eurodac")[0])
    rng = np.random.default_rng(5)
    face = world.population.second_capture(position, rng)
    found = _search(
        world, "eurodac", pb.Traveller(biometrics=pb.Biometrics(face_embedding=face.tolist()))
    )
    assert found[:1] == [f"EURODAC-11-{position:07d}"]
    finger = world.population.second_capture(position, rng, FINGERPRINT)
    prints = pb.Biometrics(
        fingerprints=[pb.Fingerprint(position=FINGERPRINT_POSITION, template=finger.tolist())]
    )
    assert _search(world, "eurodac", pb.Traveller(biometrics=prints))[:1] == [
        f"EURODAC-11-{position:07d}"
    ]


def test_sis_document_alerts_hit_on_the_number(world: World) -> None:
    position = int(sis.WORLD.object_owners(world)[0])
    number = world.population.document_number[position].decode()
    found = _search(world, "sis", pb.Traveller(document=pb.Document(number=number)))
    assert f"SIS-D-11-{position:07d}" in found


def test_ees_files_of_overstayers_show_the_overstay(world: World) -> None:
    position = int(np.flatnonzero(world.ees == EES_OVERSTAY)[0])
    person = world.population.identity(position)
    # Impl. Decision 2019/327: all the identity data, not the document number alone.
    query = traveller_of(person)
    rules = REGISTRY["ees"].mock.rules
    [found] = search(
        rules, [_source(world, "ees")], SearchContext(Probe.of(query), TODAY, Session())
    )
    assert found.ees.overstay_days > 0
    assert identity_of(found.identity).surname == person.surname


def test_a_seeded_session_scores_a_traveller_as_the_population_does(world: World) -> None:
    source = _source(world, "ees")
    share = REGISTRY["ees"].mock.world
    assert share is not None
    members = _members(world, "ees")
    chosen = list(range(0, len(members), 11))
    session = Session(source.name_weights())
    session.seed(share.record(world, int(members[i]), TODAY) for i in chosen)
    seeded = SeededSource(session)
    compared = 0
    for labelled in labelled_queries(world.population, 40, seed=4):
        probe = Probe.of(traveller_of(labelled.query))
        there = dict(source.by_identity(probe, 0.0, 1000))
        for slot, match in seeded.by_identity(probe, 0.0, 1000):
            if chosen[slot] in there:
                assert match.score == there[chosen[slot]].score
                assert match.explanation == there[chosen[slot]].explanation
                compared += 1
    assert compared > 40
