"""Every action leaves an audit record (who, what, when, outcome; no personal data), and
`interop audit verify` compares the trail with its anchors on the audit topic (issue 10,
point 2)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path

import grpc
import pytest

from broker.audit.anchor import read_anchors
from broker.audit.trail import Anchors, verify
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from tests.e2e.stacks import ROOT, SPECIMEN, ProcessStack, Stack, tap, trail_file, trail_keys

PERSONAL = ("ERIKSSON", "L898902C3", "1974-08-12", "١٩٧٤")


def _records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line)["record"] for line in path.read_text().splitlines()]


async def _refused(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call  # type: ignore[misc]
    return caught.value.code()


async def test_every_action_leaves_a_record_without_personal_data(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub
) -> None:
    session = f"audit-{uuid.uuid4().hex[:8]}"
    metadata = session_metadata(session)
    gateway, mock = trail_file(stack, "gw1"), trail_file(stack, "mock-sis")
    before, mock_before = len(_records(gateway)), len(_records(mock))

    check = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=SPECIMEN, request_id="c")
    await client.Check(check, metadata=metadata, timeout=10)
    crossing = pb.RecordCrossingRequest(
        request_id="x", traveller=SPECIMEN, direction=pb.CROSSING_DIRECTION_ENTRY
    )
    await client.RecordCrossing(crossing, metadata=metadata, timeout=10)
    invalid = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, request_id="i")
    invalid.traveller.CopyFrom(SPECIMEN)
    invalid.traveller.date_of_birth = "١٩٧٤-٠٨-١٢"
    assert await _refused(client.Check(invalid, timeout=10)) == grpc.StatusCode.INVALID_ARGUMENT
    denied = pb.CheckRequest(
        purpose=pb.PURPOSE_VISA_APPLICATION, traveller=SPECIMEN, request_id="d"
    )
    assert await _refused(client.Check(denied, timeout=10)) == grpc.StatusCode.PERMISSION_DENIED
    async with grpc.aio.insecure_channel(stack.mock_addresses["sis"]) as channel:
        control = mock_pb2_grpc.MockControlStub(channel)
        faults = mock_pb2.SetFaultsRequest(faults=mock_pb2.Faults(latency_ms=1))
        await control.SetFaults(faults, metadata=metadata, timeout=10)
        await control.Reset(mock_pb2.ResetRequest(), metadata=metadata, timeout=10)

    records = _records(gateway)[before:]
    assert [(r["action"], r["outcome"], r["request_id"]) for r in records] == [
        ("check", "ok", "c"),
        ("record-crossing", "ok", "x"),
        ("check", "invalid-argument", "i"),
        ("check", "permission-denied", "d"),
    ]
    assert {r["authority"] for r in records} == {"local-insecure"}
    assert records[1]["purpose"] == "PURPOSE_BORDER_ENTRY" and records[1]["hit_count"] == 1
    assert records[2]["detail"] == "traveller.date_of_birth"
    assert "may not check for VISA_APPLICATION" in str(records[3]["detail"])
    controls = _records(mock)[mock_before:]
    assert [(r["action"], r["outcome"], r["test_session"]) for r in controls] == [
        ("MockControl/SetFaults", "ok", session),
        ("MockControl/Reset", "ok", session),
    ]
    text = gateway.read_text() + mock.read_text()
    assert not [value for value in PERSONAL if value in text]
    for trail in ("gw1", "mock-sis"):
        result = verify(trail_file(stack, trail), trail_keys(stack, trail), trail)
        assert result.ok, result.reason


async def _verify_cli(stack: Stack, path: Path) -> tuple[int, str]:
    args = ["audit", "verify", str(path), "--trail", "gw1", "--keys-dir", str(stack.state / "keys")]
    env = dict(os.environ)
    if isinstance(stack, ProcessStack):
        args += ["--bus", "kafka", "--bootstrap", stack.bootstrap]
        env["INTEROP_TOPIC_PREFIX"] = stack.prefix
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stack.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, output.decode()


async def _anchored(stack: Stack, lines: int, within_s: float = 30.0) -> Anchors:
    """The gateway trail's anchors once they cover its first `lines` lines (they are
    published in the background, after the line is written)."""
    bus, topics = tap(stack)
    await bus.start()
    deadline = time.monotonic() + within_s
    try:
        while True:
            anchors = await read_anchors(bus, topics.audit, "gw1", timeout_s=10)
            if set(range(1, lines + 1)) <= anchors.macs.keys():
                return anchors
            assert time.monotonic() < deadline, f"{len(anchors.macs)} of {lines} lines anchored"
            await asyncio.sleep(0.1)
    finally:
        await bus.stop()


async def test_audit_verify_compares_the_file_with_its_anchors(
    stack: Stack, client: border_check_pb2_grpc.BorderCheckStub, tmp_path: Path
) -> None:
    request = pb.CheckRequest(purpose=pb.PURPOSE_BORDER_ENTRY, traveller=SPECIMEN)
    for _ in range(3):
        await client.Check(request, timeout=10)
    intact, cut = tmp_path / "intact.jsonl", tmp_path / "cut.jsonl"
    shutil.copy(stack.audit_log, intact)
    lines = intact.read_text().splitlines(keepends=True)
    cut.write_text("".join(lines[:-2]))
    anchors = await _anchored(stack, len(lines))

    code, output = await _verify_cli(stack, intact)
    if isinstance(stack, ProcessStack):
        assert code == 0 and "chain intact" in output and "anchored on" in output, output
        code, output = await _verify_cli(stack, cut)
        assert code == 1 and "records were removed from the end" in output, output
        return
    # The in-memory bus lives in the stack's process: the command says it cannot see the
    # anchors, and the same check runs here, in that process.
    assert code == 2 and "chain intact" in output and "no anchors" in output, output
    keys = trail_keys(stack)
    assert verify(intact, keys, "gw1", anchors).ok
    result = verify(cut, keys, "gw1", anchors)
    assert not result.ok and "removed from the end" in (result.reason or "")
