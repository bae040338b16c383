"""The audit trail: a keyed chain in the file, anchored on the audit topic, so that an edit,
a deletion, a reordering or a cut tail is found without trusting the file (issue 10, 2)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import stat
from pathlib import Path

import pytest

from broker.audit import trail as audit
from broker.audit.anchor import publish_anchor, read_anchors
from broker.audit.sink import AuditSink
from broker.audit.trail import GENESIS, Anchors, AuditError, AuditTrail, VerifyResult
from broker.transport.bus import TopicSpec
from broker.transport.bus.memory import MemoryBroker, MemoryBus
from broker.transport.envelope import ChannelKeys, Keyring, audit_channel
from interop.v1 import border_check_pb2, bus_pb2, systems_pb2

TRAIL = "gw1"


def _record(n: int) -> bus_pb2.AuditRecord:
    return bus_pb2.AuditRecord(
        action="check",
        outcome="ok",
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
def keys_dir(tmp_path: Path) -> Path:
    Keyring.generate_dev(tmp_path / "keys", [audit_channel(TRAIL)])
    return tmp_path / "keys"


@pytest.fixture
def keys(keys_dir: Path) -> ChannelKeys:
    return ChannelKeys.load(keys_dir, audit_channel(TRAIL))


def _links(path: Path) -> Anchors:
    """The anchors the sink would have published: each line's seq and MAC."""
    entries = [json.loads(line) for line in _lines(path)]
    return Anchors({e["seq"]: e["mac"] for e in entries})


@pytest.fixture
def trail_file(tmp_path: Path, keys: ChannelKeys) -> Path:
    path = tmp_path / "audit" / "audit.jsonl"
    with AuditTrail(path, keys, TRAIL) as trail:
        for n in range(1, 7):
            trail.append(_record(n))
    return path


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def _assert_bad(result: VerifyResult, line: int, reason: str) -> None:
    assert not result.ok
    assert result.first_bad_line == line
    assert result.records == line - 1
    assert result.reason is not None and reason in result.reason, result.reason


def test_lines_chain_from_genesis_and_hold_the_record_as_json(
    trail_file: Path, keys: ChannelKeys
) -> None:
    entries = [json.loads(line) for line in _lines(trail_file)]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0]["prev"] == GENESIS
    assert all(e["prev"] == before["mac"] for before, e in itertools.pairwise(entries))
    assert {e["key"] for e in entries} == {keys.current_key_id}
    record = entries[1]["record"]
    assert (record["action"], record["outcome"]) == ("check", "ok")
    assert record["purpose"] == "PURPOSE_BORDER_ENTRY"
    assert record["outcomes"][1] == {
        "system": "SYSTEM_VIS",
        "status": "OUTCOME_STATUS_TIMEOUT",
        "latency_ms": 0,
        "hit_count": 0,
        "detail": "",
    }
    assert stat.S_IMODE(trail_file.stat().st_mode) == 0o600


def test_each_line_is_the_canonical_json_of_its_entry(trail_file: Path) -> None:
    # Keys sorted, no spaces, ASCII only: what `verify` recomputes the MAC over.
    for line in _lines(trail_file):
        canonical = json.dumps(
            json.loads(line), sort_keys=True, separators=(",", ":"), ensure_ascii=True
        )
        assert line == canonical.encode("ascii") + b"\n"


def test_intact_trail_verifies_against_its_anchors(trail_file: Path, keys: ChannelKeys) -> None:
    result = audit.verify(trail_file, keys, TRAIL, _links(trail_file))
    assert result.ok and result.records == 6 and result.anchored == 6
    assert result.first_bad_line is None and result.reason is None
    assert result.last_mac == json.loads(_lines(trail_file)[-1])["mac"]


def test_empty_trail_verifies(tmp_path: Path, keys: ChannelKeys) -> None:
    AuditTrail(tmp_path / "a.jsonl", keys, TRAIL).close()
    assert audit.verify(tmp_path / "a.jsonl", keys, TRAIL) == VerifyResult(ok=True, records=0)


def test_reopening_continues_the_chain(trail_file: Path, keys: ChannelKeys) -> None:
    with AuditTrail(trail_file, keys, TRAIL) as trail:
        link = trail.append(_record(7))
    result = audit.verify(trail_file, keys, TRAIL)
    assert result.ok and result.records == 7 and (link.seq, link.mac) == (7, result.last_mac)


# -- what `interop audit verify` must find ---------------------------------------------------


def test_one_byte_changed_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = _links(trail_file)
    data = bytearray(trail_file.read_bytes())
    data[data.index(b"terminal-fra-1", len(_lines(trail_file)[0])) + 9] ^= 0x01  # fra -> gra
    trail_file.write_bytes(bytes(data))
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 2, "record altered")


def test_a_deleted_record_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = _links(trail_file)
    lines = _lines(trail_file)
    del lines[2]
    _write_lines(trail_file, lines)
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 3, "seq 4 where 3 was expected")


def test_two_swapped_records_are_detected(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = _links(trail_file)
    lines = _lines(trail_file)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(trail_file, lines)
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 2, "removed or reordered")


def test_a_cut_tail_is_detected_by_the_anchors(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = _links(trail_file)
    _write_lines(trail_file, _lines(trail_file)[:4])
    assert audit.verify(trail_file, keys, TRAIL).ok, "the file alone cannot tell"
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 5, "removed from the end")


def test_all_but_the_first_removed_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = _links(trail_file)
    _write_lines(trail_file, _lines(trail_file)[:1])
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 2, "anchors seq 6")


def test_a_rewrite_with_recomputed_hashes_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    """Record 3 edited and every hash after it recomputed, as the old unkeyed chain allowed:
    without the trail's key the MACs cannot be recomputed."""
    anchors = _links(trail_file)
    lines = [json.loads(line) for line in _lines(trail_file)]
    lines[2]["record"]["hit_count"] = 7
    for before, entry in zip([None, *lines], lines, strict=False):
        entry["prev"] = before["mac"] if before else GENESIS
        body = audit._dumps({"seq": entry["seq"], "record": entry["record"]})
        entry["mac"] = hashlib.sha256((entry["prev"] + body).encode()).hexdigest()
    _write_lines(trail_file, [(json.dumps(e) + "\n").encode() for e in lines])
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 1, "record altered")


def test_a_rewrite_with_the_key_is_detected_by_the_anchors(
    trail_file: Path, keys: ChannelKeys, tmp_path: Path
) -> None:
    """Even a writer's key in the wrong hands cannot make the file agree with the topic."""
    anchors = _links(trail_file)
    forged = tmp_path / "forged.jsonl"
    with AuditTrail(forged, keys, TRAIL) as trail:
        for n in range(1, 7):
            trail.append(_record(n) if n != 3 else bus_pb2.AuditRecord(action="check"))
    assert audit.verify(forged, keys, TRAIL).ok
    _assert_bad(audit.verify(forged, keys, TRAIL, anchors), 3, "differs from its anchor")


def test_a_second_anchor_for_a_seq_is_reported(trail_file: Path, keys: ChannelKeys) -> None:
    anchors = Anchors(_links(trail_file).macs, frozenset({2}))
    _assert_bad(audit.verify(trail_file, keys, TRAIL, anchors), 2, "two different anchors")


def test_another_trails_key_does_not_verify(trail_file: Path, keys_dir: Path) -> None:
    Keyring.generate_dev(keys_dir, [audit_channel("gw2")])
    other = ChannelKeys.load(keys_dir, audit_channel("gw2"))
    _assert_bad(audit.verify(trail_file, other, "gw2"), 1, "which this trail's keys do not hold")


# -- the file as the writer keeps it ---------------------------------------------------------


def test_truncated_last_line_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    trail_file.write_bytes(trail_file.read_bytes()[:-20])
    _assert_bad(audit.verify(trail_file, keys, TRAIL), 6, "truncated")


def test_garbage_line_is_detected(trail_file: Path, keys: ChannelKeys) -> None:
    lines = _lines(trail_file)
    lines.insert(2, b"\n")
    _write_lines(trail_file, lines)
    _assert_bad(audit.verify(trail_file, keys, TRAIL), 3, "not JSON")


def test_a_trail_with_a_bad_last_line_is_not_continued(trail_file: Path, keys: ChannelKeys) -> None:
    trail_file.write_bytes(trail_file.read_bytes()[:-1])
    with pytest.raises(AuditError, match="last line is bad"):
        AuditTrail(trail_file, keys, TRAIL)


def test_failed_write_leaves_no_partial_line(
    trail_file: Path, keys: ChannelKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def half_then_full_disk(fd: int, data: bytes) -> int:
        monkeypatch.setattr(os, "write", _disk_full)
        return real_write(fd, data[: len(data) // 2])

    with AuditTrail(trail_file, keys, TRAIL) as trail:
        monkeypatch.setattr(os, "write", half_then_full_disk)
        with pytest.raises(AuditError, match="No space left"):
            trail.append(_record(7))
        monkeypatch.setattr(os, "write", real_write)
        trail.append(_record(8))
    result = audit.verify(trail_file, keys, TRAIL)
    assert result.ok and result.records == 7


def _disk_full(fd: int, data: bytes) -> int:
    raise OSError(28, "No space left on device")


def test_closed_trail_refuses_appends(tmp_path: Path, keys: ChannelKeys) -> None:
    trail = AuditTrail(tmp_path / "a.jsonl", keys, TRAIL)
    trail.close()
    trail.close()
    with pytest.raises(AuditError, match="closed"):
        trail.append(_record(1))


async def test_concurrent_appends_from_threads_keep_one_chain(
    tmp_path: Path, keys: ChannelKeys
) -> None:
    path = tmp_path / "a.jsonl"
    with AuditTrail(path, keys, TRAIL, fsync=True) as trail:
        links = await asyncio.gather(
            *(asyncio.to_thread(trail.append, _record(n)) for n in range(40))
        )
    result = audit.verify(path, keys, TRAIL)
    assert result.ok and result.records == 40
    assert sorted(link.seq for link in links) == list(range(1, 41))


def test_resume_reads_a_last_line_longer_than_one_block(tmp_path: Path, keys: ChannelKeys) -> None:
    path = tmp_path / "a.jsonl"
    big = _record(1)
    big.data_used.extend(f"category-{i}" for i in range(2000))
    with AuditTrail(path, keys, TRAIL) as trail:
        trail.append(_record(0))
        trail.append(big)
    with AuditTrail(path, keys, TRAIL) as trail:
        trail.append(_record(2))
    assert audit.verify(path, keys, TRAIL).records == 3


# -- anchors on the audit topic --------------------------------------------------------------


async def test_the_sink_writes_the_file_then_anchors_it_on_the_topic(
    tmp_path: Path, keys: ChannelKeys
) -> None:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TopicSpec("audit")])
    sink = AuditSink(tmp_path / "a" / "audit.jsonl", bus, "audit", keys, TRAIL)
    await sink(bus_pb2.AuditRecord(correlation_id="c-1", hit_count=2))
    await sink(bus_pb2.AuditRecord(correlation_id="c-2", hit_count=0))
    await sink.close()
    anchors = await read_anchors(bus, "audit", TRAIL, timeout_s=5)
    result = audit.verify(tmp_path / "a" / "audit.jsonl", keys, TRAIL, anchors)
    assert result.ok and result.records == 2 and result.anchored == 2
    assert await read_anchors(bus, "audit", "gw2", timeout_s=5) == Anchors({})
    await bus.stop()


async def test_anchors_written_by_someone_else_do_not_replace_the_first(
    trail_file: Path, keys: ChannelKeys
) -> None:
    bus = MemoryBus(MemoryBroker())
    await bus.start()
    await bus.ensure_topics([TopicSpec("audit")])
    genuine = _links(trail_file)
    for seq, mac in genuine.macs.items():
        await publish_anchor(bus, "audit", TRAIL, _record(seq), audit.Link(seq, mac))
    await publish_anchor(bus, "audit", TRAIL, _record(2), audit.Link(2, "0" * 64))
    await bus.publish("audit", TRAIL.encode(), b"", {"trail": b"gw1", "kind": b"anchor"})
    anchors = await read_anchors(bus, "audit", TRAIL, timeout_s=5)
    assert anchors == Anchors(genuine.macs, frozenset({2}))
    await bus.stop()
