"""The checks of a scenario pack as requests for the load mix.

Only the `checks[].request` entries are used (crossings write to EES and are left
out); the pack's records must already be in the mocks, for example with
`interop up --scenario FILE`. Format: mocks/packs/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from google.protobuf import json_format

from interop.v1 import border_check_pb2 as pb


@dataclass(frozen=True, slots=True)
class PackShare:
    """A pack and the share of all checks drawn from it."""

    path: Path
    share: float

    @classmethod
    def parse(cls, text: str) -> PackShare:
        """'mocks/packs/sis-stolen-passport.yaml=0.05' (the share defaults to 0.1)."""
        path, sep, share = text.rpartition("=")
        if not sep:
            return cls(Path(text), 0.1)
        try:
            value = float(share.removesuffix("%")) / (100 if share.endswith("%") else 1)
        except ValueError:
            raise ValueError(f"--pack {text!r}: expected FILE=SHARE, e.g. pack.yaml=0.05") from None
        if not 0 < value <= 1:
            raise ValueError(f"--pack {text!r}: the share must be above 0 and at most 1")
        return cls(Path(path), value)


def pack_requests(path: Path) -> list[pb.CheckRequest]:
    """Every check request of the pack, parsed from its protobuf JSON form."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    requests: list[pb.CheckRequest] = []
    for i, check in enumerate(document.get("checks", [])):
        if "request" not in check:
            continue
        try:
            requests.append(json_format.ParseDict(check["request"], pb.CheckRequest()))
        except json_format.ParseError as error:
            raise ValueError(f"{path}: checks[{i}].request: {error}") from None
    if not requests:
        raise ValueError(f"{path}: no checks with a request")
    return requests
