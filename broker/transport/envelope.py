"""Sealing personal data on the bus: AES-256-GCM under a key id, signed with Ed25519.

Every service shares the symmetric keys (the gateway seals queries, adapters seal
replies, both open), so AES-GCM alone would let any service forge a message that seems
to come from another. The Ed25519 signature names the producing service; an opener
accepts only signers it trusts.

Wire format (the record value), version 1:

    offset 0   1 byte    version (1)
    offset 1   12 bytes  nonce (random)
    offset 13  n+16      AES-256-GCM ciphertext of the payload, then its 16-byte tag

Headers: "key-id" (ASCII), "signer" (UTF-8), "signature" (64 bytes raw Ed25519).

Both the GCM associated data and the signed message start with the same context:

    "interop.v1.envelope" 0x00 | version | u16 len(key id) | key id | u32 len(ad) | ad

where `ad` is the correlation id, so a sealed body cannot be replayed under another
correlation id or key id. The signature covers context + the whole sealed value.

Random 96-bit nonces are safe for about 2**32 messages per key; at thousands of
messages a second that is days, so rotate keys (`Keyring.rotate`) well before.

Key directory (`INTEROP_KEYS_DIR`), shared by processes started with the same one:

    aead/<key-id>.key   base64 of 32 random bytes (0600)
    aead/current        the key id new messages are sealed with
    signers/<name>.key  base64 of a raw Ed25519 private key (0600)
    signers/<name>.pub  base64 of its raw public key; every .pub here is trusted

In production a service's directory holds its own `.key` and the others' `.pub` only.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import enum
import fcntl
import os
import re
import secrets
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.transport.tls import write_file

VERSION = 1
NONCE_SIZE = 12
TAG_SIZE = 16
KEY_SIZE = 32
KEY_ID = "key-id"
SIGNER = "signer"
SIGNATURE = "signature"

_DOMAIN = b"interop.v1.envelope\x00"
_HEADER = 1 + NONCE_SIZE
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CURRENT = "current"


class Reason(enum.Enum):
    """Why a sealed message was rejected (for the dead-letter topic and the metrics)."""

    MALFORMED = "malformed envelope"
    UNTRUSTED_SIGNER = "untrusted signer"
    UNKNOWN_KEY_ID = "unknown key id"
    TAMPERED_CIPHERTEXT = "tampered ciphertext"
    BAD_SIGNATURE = "bad signature"


class EnvelopeError(Exception):
    """A sealed message that must not be used; `reason` says why."""

    def __init__(self, reason: Reason, detail: str) -> None:
        self.reason = reason
        super().__init__(f"{reason.value}: {detail}")


class KeyringError(Exception):
    """The key directory is missing a file or holds a malformed one."""


@dataclass(frozen=True)
class Keyring:
    """The keys one service seals and opens with. Key material never shows in `repr`."""

    keys: Mapping[str, bytes] = field(repr=False)
    current_key_id: str
    signer: str
    signing_key: Ed25519PrivateKey = field(repr=False)
    trusted: Mapping[str, Ed25519PublicKey]
    # One AESGCM per key, built once: building one costs about as much as encrypting 1 KiB.
    _ciphers: Mapping[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key_id, key in self.keys.items():
            _check_name("key id", key_id)
            if len(key) != KEY_SIZE:
                raise KeyringError(f"key {key_id!r} has {len(key)} bytes, not {KEY_SIZE}")
        if self.current_key_id not in self.keys:
            raise KeyringError(f"current key id {self.current_key_id!r} has no key")
        _check_name("signer", self.signer)
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        object.__setattr__(self, "trusted", MappingProxyType(dict(self.trusted)))
        ciphers = {key_id: AESGCM(key) for key_id, key in self.keys.items()}
        object.__setattr__(self, "_ciphers", MappingProxyType(ciphers))

    @classmethod
    def generate_dev(cls, directory: Path, signers: Sequence[str]) -> None:
        """Create a key directory for a development stack; existing keys are kept.

        Several services started at once may all call this: a file lock makes one of
        them create the keys and the others find them.
        """
        for name in signers:
            _check_name("signer", name)
        (directory / "aead").mkdir(parents=True, exist_ok=True)
        (directory / "signers").mkdir(exist_ok=True)
        with open(directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (directory / "aead" / _CURRENT).is_file():
                cls.rotate(directory)
            for name in signers:
                if not (directory / "signers" / f"{name}.key").is_file():
                    _write_signer(directory, name, Ed25519PrivateKey.generate())

    @classmethod
    def rotate(cls, directory: Path) -> str:
        """Add a new symmetric key and make it current; returns its id.

        Old keys stay, so messages in flight still open. Running services pick the new
        key up when they reload; start those that only open before those that seal.
        """
        now = datetime.datetime.now(datetime.UTC)
        key_id = f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        encoded = base64.b64encode(AESGCM.generate_key(bit_length=8 * KEY_SIZE))
        write_file(directory / "aead" / f"{key_id}.key", encoded + b"\n", private=True)
        write_file(directory / "aead" / _CURRENT, key_id.encode("ascii") + b"\n", private=False)
        return key_id

    @classmethod
    def load(cls, directory: Path, signer: str) -> Keyring:
        """The keyring of service `signer`, trusting every `signers/*.pub` in `directory`."""
        _check_name("signer", signer)
        aead, signers = directory / "aead", directory / "signers"
        keys = {path.stem: _read_key(path, KEY_SIZE) for path in sorted(aead.glob("*.key"))}
        current = _read_text(aead / _CURRENT)
        private = Ed25519PrivateKey.from_private_bytes(_read_key(signers / f"{signer}.key", 32))
        trusted = {
            path.stem: Ed25519PublicKey.from_public_bytes(_read_key(path, 32))
            for path in sorted(signers.glob("*.pub"))
        }
        return cls(keys, current, signer, private, trusted)


def seal(keyring: Keyring, payload: bytes, associated: bytes) -> tuple[bytes, dict[str, bytes]]:
    """Encrypt `payload` under the current key and sign it; `associated` is the correlation id."""
    key_id = keyring.current_key_id.encode("ascii")
    nonce = os.urandom(NONCE_SIZE)
    context = _context(key_id, associated)
    ciphertext = keyring._ciphers[keyring.current_key_id].encrypt(nonce, payload, context)
    sealed = b"".join((bytes((VERSION,)), nonce, ciphertext))
    headers = {
        KEY_ID: key_id,
        SIGNER: keyring.signer.encode("utf-8"),
        SIGNATURE: keyring.signing_key.sign(context + sealed),
    }
    return sealed, headers


def open_sealed(
    keyring: Keyring, sealed: bytes, headers: Mapping[str, bytes], associated: bytes
) -> bytes:
    """The payload of a sealed message, or EnvelopeError.

    The cheap checks (names, layout) run first, then GCM (it names the more precise
    cause and rejects garbage faster than Ed25519), then the signature; nothing is
    returned unless all pass.
    """
    key_id, signer, signature = _read_headers(headers)
    verify_key = keyring.trusted.get(signer)
    if verify_key is None:
        raise EnvelopeError(Reason.UNTRUSTED_SIGNER, f"signer {signer!r} is not trusted")
    cipher = keyring._ciphers.get(key_id)
    if cipher is None:
        raise EnvelopeError(Reason.UNKNOWN_KEY_ID, f"no key {key_id!r}")
    if len(sealed) < _HEADER + TAG_SIZE or sealed[0] != VERSION:
        raise EnvelopeError(Reason.MALFORMED, f"not a version {VERSION} envelope")
    context = _context(key_id.encode("ascii"), associated)
    try:
        payload = cipher.decrypt(sealed[1:_HEADER], sealed[_HEADER:], context)
    except InvalidTag:
        raise EnvelopeError(
            Reason.TAMPERED_CIPHERTEXT, "ciphertext, nonce, key id or correlation id altered"
        ) from None
    try:
        verify_key.verify(signature, context + sealed)
    except InvalidSignature:
        raise EnvelopeError(Reason.BAD_SIGNATURE, f"not signed by {signer!r}") from None
    return payload


def _context(key_id: bytes, associated: bytes) -> bytes:
    return b"".join(
        (
            _DOMAIN,
            struct.pack(">BH", VERSION, len(key_id)),
            key_id,
            struct.pack(">I", len(associated)),
            associated,
        )
    )


def _read_headers(headers: Mapping[str, bytes]) -> tuple[str, str, bytes]:
    try:
        return (
            headers[KEY_ID].decode("ascii"),
            headers[SIGNER].decode("utf-8"),
            headers[SIGNATURE],
        )
    except KeyError as missing:
        raise EnvelopeError(Reason.MALFORMED, f"header {missing} missing") from None
    except UnicodeDecodeError:
        raise EnvelopeError(Reason.MALFORMED, "key id or signer header not text") from None


def _check_name(what: str, name: str) -> None:
    # Names become file names and bus headers.
    if not _NAME.fullmatch(name):
        raise KeyringError(f"{what} {name!r} must match {_NAME.pattern}")


def _write_signer(directory: Path, name: str, key: Ed25519PrivateKey) -> None:
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    signers = directory / "signers"
    write_file(signers / f"{name}.key", base64.b64encode(raw) + b"\n", private=True)
    write_file(signers / f"{name}.pub", base64.b64encode(public) + b"\n", private=False)


def _read_text(path: Path) -> str:
    try:
        return path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise KeyringError(f"cannot read {path}: {error}") from None


def _read_key(path: Path, size: int) -> bytes:
    try:
        key = base64.b64decode(_read_text(path), validate=True)
    except binascii.Error as error:
        raise KeyringError(f"{path} is not base64: {error}") from None
    if len(key) != size:
        raise KeyringError(f"{path} holds {len(key)} bytes, not {size}")
    return key
