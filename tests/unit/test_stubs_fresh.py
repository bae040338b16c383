"""The committed stubs under interop/ must be what protos/ generates today."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(importlib.util.find_spec("grpc_tools") is None, reason="needs grpcio-tools")
def test_generated_stubs_are_up_to_date(tmp_path: Path) -> None:
    from scripts.gen_protos import generate, missing_plugins

    if missing_plugins():
        pytest.skip(f"needs mypy-protobuf ({', '.join(missing_plugins())})")
    generate(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(ROOT)
        for p in (ROOT / "interop").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    assert fresh == committed, "run: python scripts/gen_protos.py"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / p, shallow=False)]
    assert not stale, f"stale stubs {stale}; run: python scripts/gen_protos.py"
