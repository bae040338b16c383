from __future__ import annotations

import asyncio
import itertools
import json
import os
import stat
from pathlib import Path

import pytest

from broker.audit import trail as audit
from broker.audit.sink import AuditSink
from broker.audit.trail import GENESIS, AuditError, AuditTrail, verify
from broker.transport.bus import TopicSpec
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from interop.v1 import border_check_pb2, bus_pb2, systems_pb2


def _record(n: int) -> bus_pb2.AuditRecord:
    return bus_pb2.AuditRecord(
        correlation_id=f"corr-{n}",
        request_id=f"req-{n}",
        authority="terminal-fra-1",
        profile="border-guard",
        purpose=border_check_pb2.PURPOSE_BORDER_ENTRY,
        checked_at="2025-11-28T14:00:00Z",
        data_used=["names", "document"],
        outcomes=[
            border_check_pb2.SystemOutcome(
                system=systems_pb2.SYSTEM_SIS,
                status=border_check_pb2.OUTCOME_STATUS_ANSWERED,
                latency_ms=12,
                hit_count=n % 2,
            ),
            border_check_pb2.SystemOutcome(
                system=systems_pb2.SYSTEM_VIS, status=border_check_pb2.OUTCOME_STATUS_TIMEOUT
            ),
        ],
        hit_count=n % 2,
    )


@pytest.fixture
def trail_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit" / "audit.jsonl"
    with AuditTrail(path) as trail:
        for n in range(1, 5):
            trail.append(_record(n))
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def _assert_bad(path: Path, line: int, reason: str) -> None:
    result = verify(path)
    assert not result.ok
    assert result.first_bad_line == line
    assert result.records == line - 1
    assert result.reason is not None and reason in result.reason


def test_lines_chain_from_genesis_and_hold_the_record_as_json(trail_file: Path) -> None:
    entries = [json.loads(line) for line in _lines(trail_file)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev"] == GENESIS
    assert all(e["prev"] == before["hash"] for before, e in itertools.pairwise(entries))
    record = entries[1]["record"]
    assert record["purpose"] == "PURPOSE_BORDER_ENTRY"
    assert record["outcomes"][1] == {
        "system": "SYSTEM_VIS",
        "status": "OUTCOME_STATUS_TIMEOUT",
        "latency_ms": 0,
        "hit_count": 0,
        "detail": "",
    }
    assert stat.S_IMODE(trail_file.stat().st_mode) == 0o600


def test_intact_trail_verifies_and_reports_its_head(trail_file: Path) -> None:
    result = verify(trail_file)
    assert result.ok and result.records == 4
    assert result.first_bad_line is None and result.reason is None
    assert result.last_hash == json.loads(_lines(trail_file)[-1])["hash"]


def test_empty_trail_verifies(tmp_path: Path) -> None:
    AuditTrail(tmp_path / "a.jsonl").close()
    assert verify(tmp_path / "a.jsonl") == audit.VerifyResult(ok=True, records=0)


def test_reopening_continues_the_chain(trail_file: Path) -> None:
    with AuditTrail(trail_file) as trail:
        head = trail.append(_record(5))
    result = verify(trail_file)
    assert result.ok and result.records == 5 and result.last_hash == head


def test_altered_record_is_detected(trail_file: Path) -> None:
    lines = _lines(trail_file)
    lines[1] = lines[1].replace(b'"authority":"terminal-fra-1"', b'"authority":"terminal-xxx-9"')
    _write_lines(trail_file, lines)
    _assert_bad(trail_file, 2, "record altered")


def test_altered_and_rehashed_record_breaks_the_next_link(trail_file: Path) -> None:
    lines = _lines(trail_file)
    entry = json.loads(lines[1])
    entry["record"]["hit_count"] = 7
    entry["hash"] = audit._chain_hash(entry["prev"], entry["seq"], entry["record"])
    lines[1] = (json.dumps(entry) + "\n").encode()
    _write_lines(trail_file, lines)
    _assert_bad(trail_file, 3, "chain broken")


def test_removed_record_is_detected(trail_file: Path) -> None:
    lines = _lines(trail_file)
    del lines[1]
    _write_lines(trail_file, lines)
    _assert_bad(trail_file, 2, "seq 3 where 2 was expected")


def test_removed_first_record_is_detected(trail_file: Path) -> None:
    _write_lines(trail_file, _lines(trail_file)[1:])
    _assert_bad(trail_file, 1, "seq 2 where 1 was expected")


def test_reordered_records_are_detected(trail_file: Path) -> None:
    lines = _lines(trail_file)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(trail_file, lines)
    _assert_bad(trail_file, 2, "removed or reordered")


def test_renumbered_record_breaks_the_chain(trail_file: Path) -> None:
    """Removing a record and renumbering the rest (without the chain) is still caught."""
    lines = _lines(trail_file)
    entry = json.loads(lines[2])
    entry["seq"] = 2
    entry["hash"] = audit._chain_hash(entry["prev"], entry["seq"], entry["record"])
    _write_lines(trail_file, [lines[0], (json.dumps(entry) + "\n").encode()])
    _assert_bad(trail_file, 2, "chain broken")


def test_truncated_last_line_is_detected(trail_file: Path) -> None:
    trail_file.write_bytes(trail_file.read_bytes()[:-20])
    _assert_bad(trail_file, 4, "truncated")


def test_garbage_line_is_detected(trail_file: Path) -> None:
    lines = _lines(trail_file)
    lines.insert(2, b"\n")
    _write_lines(trail_file, lines)
    _assert_bad(trail_file, 3, "not JSON")


def test_a_trail_with_a_torn_last_line_is_not_continued(trail_file: Path) -> None:
    trail_file.write_bytes(trail_file.read_bytes()[:-1])
    with pytest.raises(AuditError, match="last line is bad"):
        AuditTrail(trail_file)


def test_failed_write_leaves_no_partial_line(
    trail_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def half_then_full_disk(fd: int, data: bytes) -> int:
        monkeypatch.setattr(os, "write", _disk_full)
        return real_write(fd, data[: len(data) // 2])

    with AuditTrail(trail_file) as trail:
        monkeypatch.setattr(os, "write", half_then_full_disk)
        with pytest.raises(AuditError, match="No space left"):
            trail.append(_record(5))
        monkeypatch.setattr(os, "write", real_write)
        trail.append(_record(6))
    result = verify(trail_file)
    assert result.ok and result.records == 5


def _disk_full(fd: int, data: bytes) -> int:
    raise OSError(28, "No space left on device")


def test_closed_trail_refuses_appends(tmp_path: Path) -> None:
    trail = AuditTrail(tmp_path / "a.jsonl")
    trail.close()
    trail.close()
    with pytest.raises(AuditError, match="closed"):
        trail.append(_record(1))


async def test_concurrent_appends_from_threads_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    with AuditTrail(path, fsync=True) as trail:
        hashes = await asyncio.gather(
            *(asyncio.to_thread(trail.append, _record(n)) for n in range(40))
        )
    result = verify(path)
    assert result.ok and result.records == 40
    assert len(set(hashes)) == 40 and result.last_hash in hashes


def test_resume_reads_a_last_line_longer_than_one_block(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    big = _record(1)
    big.data_used.extend(f"category-{i}" for i in range(2000))
    with AuditTrail(path) as trail:
        trail.append(_record(0))
        trail.append(big)
    with AuditTrail(path) as trail:
        trail.append(_record(2))
    assert verify(path).records == 3


async def test_sink_writes_the_file_then_copies_to_the_audit_topic(tmp_path: Path) -> None:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TopicSpec("audit")])
    reader = await bus.subscribe(["audit"], group="ops")
    await reader.ready()
    sink = AuditSink(tmp_path / "a" / "audit.jsonl", bus, "audit")
    await sink(bus_pb2.AuditRecord(correlation_id="c-1", hit_count=2))
    await sink.close()
    assert verify(tmp_path / "a" / "audit.jsonl").records == 1
    message = await anext(aiter(reader))
    assert message.key == b"c-1" and message.headers["chain-hash"]
    assert bus_pb2.AuditRecord.FromString(message.value).hit_count == 2
    await bus.stop()
