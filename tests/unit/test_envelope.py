from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from broker.transport.envelope import (
    ChannelKeys,
    Keyring,
    KeyringError,
    open_sealed,
    query_channel,
    reply_channel,
    seal,
)
from broker.transport.rejection import Reason, Rejected

PAYLOAD = b"\x0a\x06MUSTER\x12\x05ERIKA" * 40
FACTS = (b"interop.v1.sis.query", b"3f1c9a52", b"gateway-gw1", b"interop.v1.reply.gw1", b"17")
CHANNELS = tuple(c for name in ("sis", "vis") for c in (query_channel(name), reply_channel(name)))
SIS_QUERY, SIS_REPLY = query_channel("sis"), reply_channel("sis")


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    Keyring.generate_dev(tmp_path, CHANNELS)
    return tmp_path


def _gateway(keys_dir: Path) -> Keyring:
    queries = [query_channel(n) for n in ("sis", "vis")]
    replies = [reply_channel(n) for n in ("sis", "vis")]
    return Keyring.load(keys_dir, "gateway-gw1", queries, replies)


def _adapter(keys_dir: Path, name: str) -> Keyring:
    return Keyring.load(keys_dir, f"adapter-{name}", [reply_channel(name)], [query_channel(name)])


@pytest.fixture
def gateway(keys_dir: Path) -> Keyring:
    return _gateway(keys_dir)


@pytest.fixture
def adapter(keys_dir: Path) -> Keyring:
    return _adapter(keys_dir, "sis")


def _rejected(
    keyring: Keyring,
    sealed: bytes,
    key_id: bytes,
    channel: str = SIS_QUERY,
    facts: tuple[bytes, ...] = FACTS,
) -> Reason:
    with pytest.raises(Rejected) as rejected:
        open_sealed(keyring, channel, sealed, key_id, facts)
    return rejected.value.reason


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes((data[index] ^ 1,)) + data[index + 1 :]


def test_round_trip_on_both_channels(gateway: Keyring, adapter: Keyring) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    message_id, payload = open_sealed(adapter, SIS_QUERY, sealed, key_id, FACTS)
    assert payload == PAYLOAD and message_id == sealed[1:17]
    reply, reply_key = seal(adapter, SIS_REPLY, b"", FACTS)
    assert open_sealed(gateway, SIS_REPLY, reply, reply_key, FACTS)[1] == b""


def test_layout(gateway: Keyring) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    assert sealed[0] == 2
    assert len(sealed) == 1 + 16 + 12 + len(PAYLOAD) + 16
    assert b"MUSTER" not in sealed
    assert key_id == gateway.sealing[SIS_QUERY].current_key_id.encode()
    again, _ = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    assert again[1:17] != sealed[1:17], "a message id per message"
    assert again[17:29] != sealed[17:29], "a nonce per message"


@pytest.mark.parametrize("index", [1, 17, 29, -1], ids=["message-id", "nonce", "ciphertext", "tag"])
def test_tampered_value_is_forged(gateway: Keyring, adapter: Keyring, index: int) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    assert _rejected(adapter, _flip(sealed, index % len(sealed)), key_id) is Reason.FORGED


@pytest.mark.parametrize("index", range(len(FACTS)))
def test_every_routing_fact_is_bound(gateway: Keyring, adapter: Keyring, index: int) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    altered = tuple(fact + b"x" if n == index else fact for n, fact in enumerate(FACTS))
    assert _rejected(adapter, sealed, key_id, facts=altered) is Reason.FORGED


def test_a_query_for_one_system_does_not_open_as_a_query_for_another(
    gateway: Keyring, keys_dir: Path
) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    vis = _adapter(keys_dir, "vis")
    assert _rejected(vis, sealed, key_id, channel=query_channel("vis")) is Reason.FORGED
    assert _rejected(vis, sealed, key_id, channel=SIS_QUERY) is Reason.UNKNOWN_KEY


def test_an_adapter_cannot_speak_for_the_gateway_or_another_system(
    adapter: Keyring, gateway: Keyring
) -> None:
    with pytest.raises(KeyringError, match=r"no key to seal on query\.vis"):
        seal(adapter, query_channel("vis"), PAYLOAD, FACTS)
    with pytest.raises(KeyringError, match=r"no key to seal on query\.sis"):
        seal(adapter, SIS_QUERY, PAYLOAD, FACTS)
    reply, key_id = seal(adapter, SIS_REPLY, PAYLOAD, FACTS)
    assert _rejected(gateway, reply, key_id, channel=reply_channel("vis")) is Reason.FORGED


def test_unknown_keys_and_malformed_envelopes(gateway: Keyring, adapter: Keyring) -> None:
    sealed, key_id = seal(gateway, SIS_QUERY, PAYLOAD, FACTS)
    assert _rejected(adapter, sealed, b"no-such-key") is Reason.UNKNOWN_KEY
    assert _rejected(adapter, sealed, b"\xff") is Reason.MALFORMED
    assert _rejected(adapter, sealed[:40], key_id) is Reason.MALFORMED
    assert _rejected(adapter, b"\x01" + sealed[1:], key_id) is Reason.MALFORMED


def test_rotation_seals_with_the_new_key_and_still_opens_the_old(keys_dir: Path) -> None:
    before = _gateway(keys_dir)
    old_sealed, old_key = seal(before, SIS_QUERY, PAYLOAD, FACTS)

    new_id = Keyring.rotate(keys_dir)
    after, adapter = _gateway(keys_dir), _adapter(keys_dir, "sis")
    new_sealed, new_key = seal(after, SIS_QUERY, PAYLOAD, FACTS)

    assert new_key == new_id.encode() != old_key
    assert all(after.sealing[c].current_key_id == new_id for c in after.sealing)
    assert open_sealed(adapter, SIS_QUERY, old_sealed, old_key, FACTS)[1] == PAYLOAD
    assert open_sealed(adapter, SIS_QUERY, new_sealed, new_key, FACTS)[1] == PAYLOAD
    stale = Keyring.load(keys_dir, "adapter-sis", [], [])
    assert stale.opening == {}
    assert _rejected(before, new_sealed, new_key, channel=SIS_REPLY) is Reason.UNKNOWN_KEY


def test_key_directory_is_private_and_generation_idempotent(keys_dir: Path) -> None:
    files = {p: p.read_bytes() for p in keys_dir.rglob("*") if p.is_file()}
    assert {p.parent.name for p in files if p.suffix == ".key"} == set(CHANNELS)
    for path in files:
        if path.suffix == ".key":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Keyring.generate_dev(keys_dir, CHANNELS)
    assert {p: p.read_bytes() for p in keys_dir.rglob("*") if p.is_file()} == files
    Keyring.generate_dev(keys_dir, (*CHANNELS, query_channel("ees")))
    assert (keys_dir / "query.ees" / "current").is_file()


def test_repr_shows_no_key_material(gateway: Keyring) -> None:
    text = repr(gateway)
    keys = [key for channel in gateway.sealing.values() for key in channel.keys.values()]
    assert keys and all(key.hex() not in text and repr(key) not in text for key in keys)


def test_loading_fails_clearly(keys_dir: Path) -> None:
    with pytest.raises(KeyringError, match="cannot read"):
        Keyring.load(keys_dir, "adapter-ees", [], [query_channel("ees")])
    with pytest.raises(KeyringError, match="must match"):
        Keyring.load(keys_dir, "gateway", [], ["../query.sis"])
    (keys_dir / SIS_QUERY / "broken.key").write_text("not base64!")
    with pytest.raises(KeyringError, match="not base64"):
        ChannelKeys.load(keys_dir, SIS_QUERY)
    with pytest.raises(KeyringError, match="no channel keys"):
        Keyring.rotate(keys_dir / "empty")


def test_channel_keys_refuse_short_keys_and_a_missing_current_key(gateway: Keyring) -> None:
    keys = gateway.sealing[SIS_QUERY]
    with pytest.raises(KeyringError, match="not 32"):
        dataclasses.replace(keys, keys={"k": bytes(16)}, current_key_id="k")
    with pytest.raises(KeyringError, match="has no key"):
        dataclasses.replace(keys, current_key_id="missing")
