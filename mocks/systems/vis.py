"""VIS: visa applications found by identity, document or visa sticker number; the
fingerprints given with a query are verified against the applicant's."""

from __future__ import annotations

from broker.matching import Match
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from mocks.engine import FINGERPRINT_THRESHOLD, Context, Rules, unit


def _any_person_match(match: Match, record: mock_pb2.MockRecord) -> bool:
    return True


def _verify_fingerprints(
    match: mock_pb2.RecordMatch, record: mock_pb2.MockRecord, context: Context
) -> None:
    held = {f.position: unit(f.template) for f in record.identity.biometrics.fingerprints}
    pairs = [
        (held[p], t)
        for p, t in context.probe.fingerprints.items()
        if p in held and len(held[p]) == len(t)
    ]
    if not pairs:
        return
    similarity = min(float(a @ b) for a, b in pairs)
    verified = similarity >= FINGERPRINT_THRESHOLD
    match.explanation.append(
        pb.FieldMatch(
            field="fingerprint_verification",
            query_value=f"{len(pairs)} finger(s)",
            record_value="enrolled",
            similarity=round(similarity, 4),
            method="verified" if verified else "not_verified",
        )
    )


RULES = Rules(
    name="vis",
    identity=_any_person_match,
    sticker=True,
    finish=_verify_fingerprints,
)
