"""The audit trail: one JSON line per check, each line chained to the one before it.

Art. 10 of Regulation (EU) 2019/817 requires a log of every query (who, when, why, which
systems, what came back), and `AuditRecord` holds exactly that and no biometric data.
Each line is

    {"seq": n, "record": {...}, "prev": <hash of line n-1, or 64 zeros>, "hash": h}
    h = sha256(prev + canonical JSON of {"seq", "record"})

so that altering, removing or reordering a line breaks the chain where it happened,
and `verify` names that line. Removing the *last* lines leaves a shorter chain that is
still whole: only comparing `VerifyResult.last_hash` with a head kept elsewhere (for
example the audit topic) catches that, which is why `append` returns the hash.

The hash covers the record as it is stored (parsed JSON), not as protobuf would
re-serialise it, so a trail stays verifiable across protobuf versions.

One writer per file: two processes appending to one file would fork the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from google.protobuf import json_format

from interop.v1 import bus_pb2

GENESIS = "0" * 64
_FIELDS = frozenset({"seq", "record", "prev", "hash"})
_HEX = frozenset("0123456789abcdef")
_TAIL_BLOCK = 4096


class AuditError(Exception):
    """The trail cannot be continued safely; nothing was appended."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of `verify`: `records` whole records before `first_bad_line` (1-based)."""

    ok: bool
    records: int
    first_bad_line: int | None = None
    reason: str | None = None
    # Hash of the last good line, to compare with an externally kept head.
    last_hash: str = GENESIS


@dataclass(frozen=True)
class _Entry:
    seq: int
    prev: str
    hash: str


class _BadLine(Exception):
    pass


class AuditTrail:
    """Appends `AuditRecord`s to a chained JSON-lines file, continuing an existing chain.

    `append` is synchronous and thread-safe. Without `fsync` it costs a few microseconds
    and may be called on the event loop; with `fsync`, call it through
    `asyncio.to_thread` so a slow disk does not stall other checks.
    """

    def __init__(self, path: Path, *, fsync: bool = False) -> None:
        self._path = path
        self._fsync = fsync
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Art. 10 logs name officers and authorities: owner-only, like a key.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            self._size = os.fstat(self._fd).st_size
            self._seq, self._prev = _resume(path)
        except BaseException:
            os.close(self._fd)
            raise
        self._broken: str | None = None

    def append(self, record: bus_pb2.AuditRecord) -> str:
        """Write one record and return its chain hash."""
        payload = json_format.MessageToDict(
            record, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        with self._lock:
            if self._broken is not None:
                raise AuditError(self._broken)
            seq = self._seq + 1
            digest = _chain_hash(self._prev, seq, payload)
            entry = {"seq": seq, "record": payload, "prev": self._prev, "hash": digest}
            self._write((_dumps(entry) + "\n").encode("ascii"))
            self._seq, self._prev = seq, digest
        return digest

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


def verify(path: Path) -> VerifyResult:
    """Check the whole chain; stop at the first line that is malformed, altered or out of place."""
    prev, expected = GENESIS, 1
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                entry = _read_entry(line)
                _check_link(entry, expected, prev)
            except _BadLine as bad:
                return VerifyResult(False, expected - 1, number, str(bad), prev)
            prev, expected = entry.hash, expected + 1
    return VerifyResult(True, expected - 1, last_hash=prev)


def _dumps(value: object) -> str:
    # ASCII only: a U+2028 inside a name can then never be taken for a line break.
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _chain_hash(prev: str, seq: int, record: dict[str, Any]) -> str:
    body = _dumps({"seq": seq, "record": record})
    return hashlib.sha256(prev.encode("ascii") + body.encode("ascii")).hexdigest()


def _is_hash(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _read_entry(line: bytes) -> _Entry:
    if not line.endswith(b"\n"):
        raise _BadLine("truncated line: no line end (interrupted write or cut file)")
    try:
        data = json.loads(line)
    except ValueError as error:
        raise _BadLine(f"not JSON: {error}") from None
    if not isinstance(data, dict) or set(data) != _FIELDS:
        raise _BadLine(f"not an audit entry: expected the fields {sorted(_FIELDS)}")
    seq, record, prev, digest = data["seq"], data["record"], data["prev"], data["hash"]
    if type(seq) is not int or not isinstance(record, dict):
        raise _BadLine("not an audit entry: seq must be an integer and record an object")
    if not (_is_hash(prev) and _is_hash(digest)):
        raise _BadLine("not an audit entry: prev and hash must be 64 hex digits")
    if _chain_hash(prev, seq, record) != digest:
        raise _BadLine("record altered: its hash does not match its content")
    return _Entry(seq, prev, digest)


def _check_link(entry: _Entry, expected: int, prev: str) -> None:
    if entry.seq != expected:
        raise _BadLine(
            f"seq {entry.seq} where {expected} was expected: a record was removed or reordered"
        )
    if entry.prev != prev:
        raise _BadLine("chain broken: prev is not the hash of the line before")


def _resume(path: Path) -> tuple[int, str]:
    """Sequence number and hash of the last line; only that line is checked, not the chain."""
    last = _last_line(path)
    if not last:
        return 0, GENESIS
    try:
        entry = _read_entry(last)
    except _BadLine as bad:
        raise AuditError(
            f"{path}: cannot continue the chain, its last line is bad ({bad}); "
            "run `interop audit verify` and keep the file as evidence"
        ) from None
    return entry.seq, entry.hash


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
