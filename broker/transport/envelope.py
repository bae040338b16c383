"""Sealing personal data on the bus: AES-256-GCM, one key per channel, bound to the
message's routing facts.

A channel is one direction of the link between the gateways and one system, with a key
of its own held only by the two ends:

    channel          sealed by                   opened by
    query.<system>   the gateways                the adapters of <system>
    reply.<system>   the adapters of <system>    the gateways

So an adapter cannot forge a query to another system, nor a reply from another system:
it does not hold those keys. Authenticity is per channel, not per process (every gateway
holds every query key), which is what routing needs; an asymmetric signature per message
would cost ten times the encryption and add nothing the channel keys do not give.

Wire format (the record value), version 2:

    offset 0   1 byte    version (2)
    offset 1   16 bytes  message id (random; the replay cache remembers it)
    offset 17  12 bytes  nonce (random)
    offset 29  n+16      AES-256-GCM ciphertext of the payload, then its 16-byte tag

Header "key-id" names the key within the channel. The GCM associated data binds the
message id and every routing fact the transport reads in clear, so none of them can be
altered or moved to another message:

    "interop.v1.envelope" 0x00 | version | message id
    | for each of key id, channel, then the caller's facts: u16 length | bytes

The caller (broker.transport.wire) gives the facts: topic, correlation id, producer,
reply-to and deadline. The opener passes the facts as *it* sees them (its own channel,
the topic it read from, the headers), so a message copied to another topic or system,
or with a rewritten header, fails the tag.

Random 96-bit nonces are safe for about 2**32 messages per key; at thousands of messages
a second that is days, so rotate keys (`Keyring.rotate`) well before.

Key directory (`INTEROP_KEYS_DIR`):

    <channel>/<key-id>.key   base64 of 32 random bytes (0600)
    <channel>/current        the key id new messages are sealed with

Channels are `query.<system>` and `reply.<system>` per system, and `audit.<trail>` for the
keyed audit chain of each trail (broker.audit). A development stack shares one directory;
in production each service's directory holds only its channels: a gateway `query.*`,
`reply.*` and `audit.<its id>`; the adapters of a system `query.<system>` and
`reply.<system>`; a mock process `audit.mock-<system>`; an auditor the `audit.*` it checks.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import fcntl
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from broker.transport.rejection import Reason, Rejected
from broker.transport.tls import write_file

VERSION = 2
MESSAGE_ID_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
KEY_SIZE = 32
KEY_ID = "key-id"

_DOMAIN = b"interop.v1.envelope\x00" + bytes((VERSION,))
_NONCE_AT = 1 + MESSAGE_ID_SIZE
_BODY_AT = _NONCE_AT + NONCE_SIZE
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CURRENT = "current"


class KeyringError(Exception):
    """The key directory is missing a file or holds a malformed one."""


def query_channel(system: str) -> str:
    return f"query.{system}"


def reply_channel(system: str) -> str:
    return f"reply.{system}"


def audit_channel(trail: str) -> str:
    return f"audit.{trail}"


@dataclass(frozen=True)
class ChannelKeys:
    """The keys of one channel. Key material never shows in `repr`."""

    channel: str
    keys: Mapping[str, bytes] = field(repr=False)
    current_key_id: str
    # One AESGCM per key, built once: building one costs about as much as sealing 1 KiB.
    _ciphers: Mapping[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_name("channel", self.channel)
        for key_id, key in self.keys.items():
            _check_name("key id", key_id)
            if len(key) != KEY_SIZE:
                raise KeyringError(f"key {key_id!r} has {len(key)} bytes, not {KEY_SIZE}")
        if self.current_key_id not in self.keys:
            raise KeyringError(f"{self.channel}: current key id {self.current_key_id!r} has no key")
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))
        ciphers = {key_id: AESGCM(key) for key_id, key in self.keys.items()}
        object.__setattr__(self, "_ciphers", MappingProxyType(ciphers))

    @classmethod
    def load(cls, directory: Path, channel: str) -> ChannelKeys:
        _check_name("channel", channel)
        folder = directory / channel
        keys = {path.stem: _read_key(path) for path in sorted(folder.glob("*.key"))}
        return cls(channel, keys, _read_text(folder / _CURRENT))


@dataclass(frozen=True)
class Keyring:
    """The channels one service seals on and opens, and the name it produces under."""

    service: str
    sealing: Mapping[str, ChannelKeys]
    opening: Mapping[str, ChannelKeys]

    def __post_init__(self) -> None:
        _check_name("service", self.service)
        object.__setattr__(self, "sealing", MappingProxyType(dict(self.sealing)))
        object.__setattr__(self, "opening", MappingProxyType(dict(self.opening)))

    @classmethod
    def load(
        cls, directory: Path, service: str, seals: Iterable[str], opens: Iterable[str]
    ) -> Keyring:
        """The keyring of `service`: the channels it `seals` on and those it `opens`."""
        return cls(
            service,
            {channel: ChannelKeys.load(directory, channel) for channel in seals},
            {channel: ChannelKeys.load(directory, channel) for channel in opens},
        )

    @classmethod
    def generate_dev(cls, directory: Path, channels: Sequence[str]) -> None:
        """Give every channel in `channels` a key if it has none; existing keys are kept.

        Several services started at once may all call this: a file lock makes one of
        them create the keys and the others find them.
        """
        for channel in channels:
            _check_name("channel", channel)
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            missing = [c for c in channels if not (directory / c / _CURRENT).is_file()]
            if missing:
                _add_key(directory, missing, _new_key_id())

    @classmethod
    def rotate(cls, directory: Path) -> str:
        """Add a new key to every channel in `directory` and make it current; returns its id.

        Old keys stay, so messages in flight still open. Running services pick the new
        key up when they restart; restart those that only open before those that seal.
        """
        channels = sorted(p.parent.name for p in directory.glob(f"*/{_CURRENT}"))
        if not channels:
            raise KeyringError(f"no channel keys in {directory}: run `interop keys init` first")
        key_id = _new_key_id()
        with open(directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            _add_key(directory, channels, key_id)
        return key_id


def seal(
    keyring: Keyring, channel: str, payload: bytes, facts: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Encrypt `payload` on `channel`, bound to `facts`; returns the value and its key id."""
    keys = keyring.sealing.get(channel)
    if keys is None:
        raise KeyringError(f"{keyring.service} holds no key to seal on {channel}")
    key_id = keys.current_key_id.encode("ascii")
    message_id = os.urandom(MESSAGE_ID_SIZE)
    nonce = os.urandom(NONCE_SIZE)
    associated = _associated(message_id, key_id, channel.encode("ascii"), facts)
    ciphertext = keys._ciphers[keys.current_key_id].encrypt(nonce, payload, associated)
    return b"".join((bytes((VERSION,)), message_id, nonce, ciphertext)), key_id


def open_sealed(
    keyring: Keyring, channel: str, sealed: bytes, key_id: bytes, facts: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """The message id and payload of a sealed message, or `Rejected` saying why not.

    `channel` and `facts` are what the opener expects; any difference from what the
    producer sealed with fails the tag.
    """
    keys = keyring.opening.get(channel)
    if keys is None:
        raise Rejected(Reason.UNKNOWN_KEY, f"{keyring.service} does not open {channel}")
    try:
        cipher = keys._ciphers.get(key_id.decode("ascii"))
    except UnicodeDecodeError:
        raise Rejected(Reason.MALFORMED, "key id is not ASCII") from None
    if cipher is None:
        raise Rejected(Reason.UNKNOWN_KEY, f"no key {key_id!r} on {channel}")
    if len(sealed) < _BODY_AT + TAG_SIZE or sealed[0] != VERSION:
        raise Rejected(Reason.MALFORMED, f"not a version {VERSION} envelope")
    message_id = sealed[1:_NONCE_AT]
    associated = _associated(message_id, key_id, channel.encode("ascii"), facts)
    try:
        payload = cipher.decrypt(sealed[_NONCE_AT:_BODY_AT], sealed[_BODY_AT:], associated)
    except InvalidTag:
        raise Rejected(
            Reason.FORGED, f"does not verify on {channel}: body or routing headers altered"
        ) from None
    return message_id, payload


def _associated(message_id: bytes, key_id: bytes, channel: bytes, facts: Sequence[bytes]) -> bytes:
    parts = [_DOMAIN, message_id]
    for item in (key_id, channel, *facts):
        parts.append(len(item).to_bytes(2, "big"))
        parts.append(item)
    return b"".join(parts)


def _new_key_id() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def _add_key(directory: Path, channels: Iterable[str], key_id: str) -> None:
    for channel in channels:
        folder = directory / channel
        folder.mkdir(exist_ok=True)
        encoded = base64.b64encode(AESGCM.generate_key(bit_length=8 * KEY_SIZE))
        write_file(folder / f"{key_id}.key", encoded + b"\n", private=True)
        write_file(folder / _CURRENT, key_id.encode("ascii") + b"\n", private=False)


def _check_name(what: str, name: str) -> None:
    # Names become file names and bus headers.
    if not _NAME.fullmatch(name):
        raise KeyringError(f"{what} {name!r} must match {_NAME.pattern}")


def _read_text(path: Path) -> str:
    try:
        return path.read_text("ascii").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise KeyringError(f"cannot read {path}: {error}") from None


def _read_key(path: Path) -> bytes:
    try:
        key = base64.b64decode(_read_text(path), validate=True)
    except binascii.Error as error:
        raise KeyringError(f"{path} is not base64: {error}") from None
    if len(key) != KEY_SIZE:
        raise KeyringError(f"{path} holds {len(key)} bytes, not {KEY_SIZE}")
    return key
