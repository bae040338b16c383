"""Eurodac: fingerprints and, since the 2024 recast, facial image and names."""

from __future__ import annotations

from broker.matching import Match
from interop.mock.v1 import mock_pb2
from mocks.engine import Context, Rules


def _any_person_match(match: Match, record: mock_pb2.MockRecord) -> bool:
    return True


def _finish(match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: Context) -> None:
    kinds = {f.field.split("[")[0] for f in match.explanation if f.method == "cosine"}
    match.eurodac.matched_by = (
        "fingerprint" if "fingerprint" in kinds else ("face" if "face" in kinds else "")
    )


RULES = Rules(
    name="eurodac", identity=_any_person_match, face=True, fingerprints=True, finish=_finish
)
