"""A reset brings a mock's session back to how the mock started."""

from __future__ import annotations

from broker.matching import IdentityIndex
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from mocks.session import DEFAULT_SESSION, Sessions
from stack.bootstrap import BASE_PACK, load_packs, mock_system
from systems import REGISTRY

SPECIMEN = "SIS-DE-2024-0001"  # base.yaml's refusal of entry for the ICAO specimen


def _ids(sessions: Sessions, name: str) -> set[str]:
    return {record.record_id for record in sessions.get(name).records}


def _record(record_id: str) -> mock_pb2.MockRecord:
    return mock_pb2.MockRecord(
        record_id=record_id, identity=pb.Traveller(surname="EXTRA", date_of_birth="1990-01-01")
    )


def test_a_reset_of_the_default_session_keeps_the_packs_loaded_at_start() -> None:
    mock = mock_system(REGISTRY["sis"])
    load_packs(mock, [BASE_PACK], REGISTRY)
    loaded = _ids(mock.sessions, DEFAULT_SESSION)
    assert SPECIMEN in loaded
    mock.sessions.get(DEFAULT_SESSION).seed([_record("EXTRA-1")])
    mock.sessions.get(DEFAULT_SESSION).call_count = 7
    mock.sessions.reset(DEFAULT_SESSION)
    after = mock.sessions.get(DEFAULT_SESSION)
    assert _ids(mock.sessions, DEFAULT_SESSION) == loaded
    assert after.call_count == 0
    assert isinstance(after.seeded.index, IdentityIndex)


def test_a_reset_of_another_session_empties_it() -> None:
    mock = mock_system(REGISTRY["sis"])
    load_packs(mock, [BASE_PACK], REGISTRY)
    mock.sessions.get("mine").seed([_record("EXTRA-1")])
    mock.sessions.reset("mine")
    assert _ids(mock.sessions, "mine") == set()
    assert SPECIMEN in _ids(mock.sessions, DEFAULT_SESSION)
