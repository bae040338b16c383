from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from broker.transport.envelope import (
    KEY_ID,
    SIGNATURE,
    SIGNER,
    EnvelopeError,
    Keyring,
    KeyringError,
    Reason,
    open_sealed,
    seal,
)

PAYLOAD = b"\x0a\x06MUSTER\x12\x05ERIKA" * 40
CORRELATION = b"3f1c9a52-7d0e-4b8e-9a57-0c1d2e3f4a5b"
SIGNERS = ("gateway", "adapter-sis")


@pytest.fixture
def keys_dir(tmp_path: Path) -> Path:
    Keyring.generate_dev(tmp_path, SIGNERS)
    return tmp_path


@pytest.fixture
def gateway(keys_dir: Path) -> Keyring:
    return Keyring.load(keys_dir, "gateway")


@pytest.fixture
def adapter(keys_dir: Path) -> Keyring:
    return Keyring.load(keys_dir, "adapter-sis")


def _rejected(
    keyring: Keyring, sealed: bytes, headers: dict[str, bytes], associated: bytes = CORRELATION
) -> Reason:
    with pytest.raises(EnvelopeError) as rejected:
        open_sealed(keyring, sealed, headers, associated)
    return rejected.value.reason


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes((data[index] ^ 1,)) + data[index + 1 :]


def test_round_trip_between_services(gateway: Keyring, adapter: Keyring) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    assert open_sealed(adapter, sealed, headers, CORRELATION) == PAYLOAD
    reply, reply_headers = seal(adapter, b"", CORRELATION)
    assert open_sealed(gateway, reply, reply_headers, CORRELATION) == b""


def test_layout_and_headers(gateway: Keyring) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    assert sealed[0] == 1
    assert len(sealed) == 1 + 12 + len(PAYLOAD) + 16
    assert b"MUSTER" not in sealed
    assert headers[KEY_ID] == gateway.current_key_id.encode()
    assert headers[SIGNER] == b"gateway"
    assert len(headers[SIGNATURE]) == 64
    again, _ = seal(gateway, PAYLOAD, CORRELATION)
    assert again[1:13] != sealed[1:13]


@pytest.mark.parametrize("index", [1, 13, -1], ids=["nonce", "ciphertext", "tag"])
def test_tampered_body_is_rejected(gateway: Keyring, adapter: Keyring, index: int) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    tampered = _flip(sealed, index % len(sealed))
    assert _rejected(adapter, tampered, headers) is Reason.TAMPERED_CIPHERTEXT


def test_body_replayed_under_another_correlation_id_is_rejected(
    gateway: Keyring, adapter: Keyring
) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    assert _rejected(adapter, sealed, headers, b"another-correlation-id") is (
        Reason.TAMPERED_CIPHERTEXT
    )


def test_unknown_key_id_is_rejected(gateway: Keyring, adapter: Keyring) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    stranger = dataclasses.replace(adapter, keys={"other": bytes(32)}, current_key_id="other")
    assert _rejected(stranger, sealed, headers) is Reason.UNKNOWN_KEY_ID
    assert _rejected(adapter, sealed, {**headers, KEY_ID: b"no-such-key"}) is (
        Reason.UNKNOWN_KEY_ID
    )


def test_untrusted_signer_is_rejected(gateway: Keyring, adapter: Keyring) -> None:
    rogue = dataclasses.replace(gateway, signer="rogue", signing_key=Ed25519PrivateKey.generate())
    sealed, headers = seal(rogue, PAYLOAD, CORRELATION)
    assert _rejected(adapter, sealed, headers) is Reason.UNTRUSTED_SIGNER


def test_a_trusted_name_with_a_foreign_key_is_rejected(gateway: Keyring, adapter: Keyring) -> None:
    """Holding the shared AES key is not enough to speak for the gateway."""
    impostor = dataclasses.replace(adapter, signer="gateway")
    sealed, headers = seal(impostor, PAYLOAD, CORRELATION)
    assert _rejected(gateway, sealed, headers) is Reason.BAD_SIGNATURE


def test_altered_signature_is_rejected(gateway: Keyring, adapter: Keyring) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    forged = {**headers, SIGNATURE: _flip(headers[SIGNATURE], 10)}
    assert _rejected(adapter, sealed, forged) is Reason.BAD_SIGNATURE
    relabelled = {**headers, SIGNER: b"adapter-sis"}
    assert _rejected(adapter, sealed, relabelled) is Reason.BAD_SIGNATURE


def test_malformed_envelopes_are_rejected(gateway: Keyring, adapter: Keyring) -> None:
    sealed, headers = seal(gateway, PAYLOAD, CORRELATION)
    without_signature = {KEY_ID: headers[KEY_ID], SIGNER: headers[SIGNER]}
    assert _rejected(adapter, sealed, without_signature) is Reason.MALFORMED
    assert _rejected(adapter, sealed[:20], headers) is Reason.MALFORMED
    assert _rejected(adapter, b"\x02" + sealed[1:], headers) is Reason.MALFORMED
    assert _rejected(adapter, sealed, {**headers, SIGNER: b"\xff"}) is Reason.MALFORMED


def test_rotation_seals_with_the_new_key_and_still_opens_the_old(keys_dir: Path) -> None:
    before = Keyring.load(keys_dir, "gateway")
    old_sealed, old_headers = seal(before, PAYLOAD, CORRELATION)

    new_id = Keyring.rotate(keys_dir)
    after = Keyring.load(keys_dir, "gateway")
    adapter = Keyring.load(keys_dir, "adapter-sis")
    new_sealed, new_headers = seal(after, PAYLOAD, CORRELATION)

    assert new_id != before.current_key_id
    assert new_headers[KEY_ID] == new_id.encode()
    assert open_sealed(adapter, old_sealed, old_headers, CORRELATION) == PAYLOAD
    assert open_sealed(adapter, new_sealed, new_headers, CORRELATION) == PAYLOAD
    assert _rejected(before, new_sealed, new_headers) is Reason.UNKNOWN_KEY_ID


def test_key_directory_is_private_and_generation_idempotent(keys_dir: Path) -> None:
    files = {p: p.read_bytes() for p in keys_dir.rglob("*") if p.is_file()}
    assert {p.relative_to(keys_dir).as_posix() for p in files if p.suffix == ".pub"} == {
        "signers/gateway.pub",
        "signers/adapter-sis.pub",
    }
    for path in files:
        if path.suffix == ".key":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Keyring.generate_dev(keys_dir, SIGNERS)
    assert {p: p.read_bytes() for p in keys_dir.rglob("*") if p.is_file()} == files


def test_a_service_trusts_every_published_signer(gateway: Keyring) -> None:
    assert set(gateway.trusted) == set(SIGNERS)
    assert gateway.signer == "gateway"


def test_repr_shows_no_key_material(gateway: Keyring) -> None:
    text = repr(gateway)
    assert all(key.hex() not in text and repr(key) not in text for key in gateway.keys.values())
    assert "signing_key" not in text


def test_loading_fails_clearly(keys_dir: Path) -> None:
    with pytest.raises(KeyringError, match="cannot read"):
        Keyring.load(keys_dir, "adapter-vis")
    with pytest.raises(KeyringError, match="must match"):
        Keyring.load(keys_dir, "../gateway")
    (keys_dir / "aead" / "broken.key").write_text("not base64!")
    with pytest.raises(KeyringError, match="not base64"):
        Keyring.load(keys_dir, "gateway")


def test_keyring_refuses_short_keys_and_a_missing_current_key(gateway: Keyring) -> None:
    with pytest.raises(KeyringError, match="not 32"):
        dataclasses.replace(gateway, keys={"k": bytes(16)}, current_key_id="k")
    with pytest.raises(KeyringError, match="has no key"):
        dataclasses.replace(gateway, current_key_id="missing")
