"""The audit trail: one JSON line per action, each chained to the one before under a key.

Art. 10 of Regulation (EU) 2019/817 requires a log of every query (who, when, why, which
systems, what came back); `AuditRecord` holds that, for refusals and MockControl calls
too, and no biometric data. Each line is

    {"seq": n, "key": <key id>, "record": {...}, "prev": <mac of line n-1, or 64 zeros>,
     "mac": m}
    m = HMAC-SHA256(key, "interop.v1.audit" 0x00 | trail 0x00 | prev
                         | canonical JSON of {"seq", "record"})

The key (channel `audit.<trail>` of the key directory, broker.transport.envelope) is held
by the trail's writer and its auditors, not by whoever can edit the file: without it no
line can be altered and the chain recomputed after it. Altering, removing or reordering
a line breaks the chain where it happened, and `verify` names that line.

Cutting the tail (or everything after the first line) leaves a shorter chain that is
still whole, and a writer's key in the wrong hands could rewrite the whole file; so every
line's seq and mac is also published to the audit topic (broker.audit.anchor), and
`verify` compares the file with those anchors: a line that differs from its anchor, or a
file that ends before the last anchor, is reported.

The MAC covers the record as it is stored (parsed JSON), not as protobuf would
re-serialise it, so a trail stays verifiable across protobuf versions.

One writer per file: two processes appending to one file would fork the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from google.protobuf import json_format

from broker.transport.envelope import ChannelKeys
from interop.v1 import bus_pb2

GENESIS = "0" * 64
_FIELDS = frozenset({"seq", "key", "record", "prev", "mac"})
_HEX = frozenset("0123456789abcdef")
_TAIL_BLOCK = 4096
_DOMAIN = b"interop.v1.audit\x00"


class AuditError(Exception):
    """The trail cannot be continued safely; nothing was appended."""


@dataclass(frozen=True)
class Link:
    """Where a line stands in the chain: what its anchor on the audit topic holds."""

    seq: int
    mac: str


@dataclass(frozen=True)
class Anchors:
    """A trail's anchors read from the audit topic: the first MAC seen per seq, and the
    seqs that also came with another MAC (someone wrote to the topic)."""

    macs: Mapping[int, str]
    conflicting: frozenset[int] = frozenset()


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify`: `records` whole records before `first_bad_line` (1-based)."""

    ok: bool
    records: int
    first_bad_line: int | None = None
    reason: str | None = None
    last_mac: str = GENESIS
    # The highest seq anchored on the audit topic (0: no anchor was given or found).
    anchored: int = 0


@dataclass(frozen=True)
class _Entry:
    seq: int
    prev: str
    mac: str


class _BadLine(Exception):
    pass


class _Macs:
    """The chain's MAC under each key of the trail's channel, keyed by the trail's name."""

    def __init__(self, keys: ChannelKeys, trail: str) -> None:
        prefix = _DOMAIN + trail.encode("ascii") + b"\x00"
        self.current = keys.current_key_id
        self._base = {
            key_id: hmac.new(key, prefix, hashlib.sha256) for key_id, key in keys.keys.items()
        }

    def mac(self, key_id: str, prev: str, seq: int, record: dict[str, Any]) -> str:
        return self.mac_of_json(key_id, prev, seq, _dumps(record))

    def mac_of_json(self, key_id: str, prev: str, seq: int, record_json: str) -> str:
        """`mac` of a record given as its canonical JSON (`_dumps` of the record)."""
        base = self._base.get(key_id)
        if base is None:
            raise _BadLine(f"MAC under key {key_id!r}, which this trail's keys do not hold")
        keyed = base.copy()
        keyed.update(prev.encode("ascii"))
        # _dumps({"seq": seq, "record": record}), with the record serialised only once.
        keyed.update(f'{{"record":{record_json},"seq":{seq}}}'.encode("ascii"))
        return keyed.hexdigest()


class AuditTrail:
    """Appends `AuditRecord`s to a chained JSON-lines file, continuing an existing chain.

    `append` is synchronous and thread-safe. Without `fsync` it costs a few microseconds
    and may be called on the event loop; with `fsync`, call it through
    `asyncio.to_thread` so a slow disk does not stall other checks.
    """

    def __init__(self, path: Path, keys: ChannelKeys, trail: str, *, fsync: bool = False) -> None:
        self._path = path
        self._macs = _Macs(keys, trail)
        self._fsync = fsync
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Art. 10 logs name officers and authorities: owner-only, like a key.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            self._size = os.fstat(self._fd).st_size
            self._seq, self._prev = _resume(path, self._macs)
        except BaseException:
            os.close(self._fd)
            raise
        self._broken: str | None = None

    def append(self, record: bus_pb2.AuditRecord) -> Link:
        """Write one record and return its place in the chain."""
        payload = json_format.MessageToDict(
            record, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        key_id = self._macs.current
        record_json = _dumps(payload)
        with self._lock:
            if self._broken is not None:
                raise AuditError(self._broken)
            seq = self._seq + 1
            mac = self._macs.mac_of_json(key_id, self._prev, seq, record_json)
            # _dumps of {"seq", "key", "record", "prev", "mac"}: keys sorted, compact.
            line = (
                f'{{"key":{_dumps(key_id)},"mac":"{mac}","prev":"{self._prev}",'
                f'"record":{record_json},"seq":{seq}}}\n'
            )
            self._write(line.encode("ascii"))
            self._seq, self._prev = seq, mac
        return Link(seq, mac)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
                self._broken = self._broken or f"{self._path} is closed"

    def __enter__(self) -> AuditTrail:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _write(self, line: bytes) -> None:
        written = 0
        try:
            while written < len(line):
                written += os.write(self._fd, line[written:])
            if self._fsync:
                os.fsync(self._fd)
        except OSError as error:
            self._take_back(error)
            raise AuditError(f"could not append to {self._path}: {error}") from error
        self._size += len(line)

    def _take_back(self, error: OSError) -> None:
        # A torn line would break the chain for every later record: cut it off, or, if
        # even that fails, refuse further appends rather than write after it.
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as second:
            self._broken = (
                f"{self._path} has a partial line after {error}; truncate failed: {second}"
            )


def verify(
    path: Path, keys: ChannelKeys, trail: str, anchors: Anchors | None = None
) -> VerifyResult:
    """Check the whole chain, and each line against its anchor when `anchors` are given;
    stop at the first line that is malformed, altered, out of place or missing."""
    macs, anchors = _Macs(keys, trail), anchors or Anchors({})
    anchored = max(anchors.macs, default=0)
    prev, expected, number = GENESIS, 1, 0
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = _read_entry(line, macs)
                _check_link(entry, expected, prev)
                _check_anchor(entry, anchors)
            except _BadLine as bad:
                return VerifyResult(False, expected - 1, number, str(bad), prev, anchored)
            prev, expected = entry.mac, expected + 1
    if anchored >= expected:
        reason = (
            f"the file ends at seq {expected - 1}, the audit topic anchors seq {anchored}: "
            "records were removed from the end"
        )
        return VerifyResult(False, expected - 1, number + 1, reason, prev, anchored)
    return VerifyResult(True, expected - 1, last_mac=prev, anchored=anchored)


def _dumps(value: object) -> str:
    # ASCII only: a U+2028 inside a name can then never be taken for a line break.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _is_mac(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _read_entry(line: bytes, macs: _Macs) -> _Entry:
    if not line.endswith(b"\n"):
        raise _BadLine("truncated line: no line end (interrupted write or cut file)")
    try:
        data = json.loads(line)
    except ValueError as error:
        raise _BadLine(f"not JSON: {error}") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise _BadLine(f"not an audit entry: expected the fields {sorted(_FIELDS)}")
    seq, key_id, record, prev, mac = (data[f] for f in ("seq", "key", "record", "prev", "mac"))
    if type(seq) is not int or not isinstance(record, dict) or not isinstance(key_id, str):
        raise _BadLine("not an audit entry: seq must be an integer, key a name, record an object")
    if not (_is_mac(prev) and _is_mac(mac)):
        raise _BadLine("not an audit entry: prev and mac must be 64 hex digits")
    if not hmac.compare_digest(macs.mac(key_id, prev, seq, record), mac):
        raise _BadLine("record altered: its MAC does not match its content under the trail's key")
    return _Entry(seq, prev, mac)


def _check_link(entry: _Entry, expected: int, prev: str) -> None:
    if entry.seq != expected:
        raise _BadLine(
            f"seq {entry.seq} where {expected} was expected: a record was removed or reordered"
        )
    if entry.prev != prev:
        raise _BadLine("chain broken: prev is not the MAC of the line before")


def _check_anchor(entry: _Entry, anchors: Anchors) -> None:
    if entry.seq in anchors.conflicting:
        raise _BadLine(f"seq {entry.seq} has two different anchors on the audit topic")
    anchor = anchors.macs.get(entry.seq)
    if anchor is not None and anchor != entry.mac:
        raise _BadLine(f"seq {entry.seq} differs from its anchor on the audit topic: rewritten")


def _resume(path: Path, macs: _Macs) -> tuple[int, str]:
    """Sequence number and MAC of the last line; only that line is checked, not the chain."""
    last = _last_line(path)
    if not last:
        return 0, GENESIS
    try:
        entry = _read_entry(last, macs)
    except _BadLine as bad:
        raise AuditError(
            f"{path}: cannot continue the chain, its last line is bad ({bad}); "
            "run `interop audit verify` and keep the file as evidence"
        ) from None
    return entry.seq, entry.mac


def _last_line(path: Path) -> bytes:
    with path.open("rb") as file:
        end = file.seek(0, os.SEEK_END)
        block = _TAIL_BLOCK
        while True:
            start = max(0, end - block)
            file.seek(start)
            tail = file.read(end - start)
            # Skip the newline that ends the last line itself.
            cut = tail.rfind(b"\n", 0, len(tail) - 1)
            if cut != -1 or start == 0:
                return tail[cut + 1 :]
            block *= 2
