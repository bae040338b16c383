"""Which checks the gateways' audit files record, to count answered checks without one."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path


def audited(paths: Iterable[Path]) -> set[str]:
    """The correlation ids of every record in the audit files (a missing file holds none)."""
    found: set[str] = set()
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                entry = json.loads(line)
                found.add(entry["record"].get("correlation_id", ""))
    found.discard("")
    return found
