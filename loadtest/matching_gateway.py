"""Matching quality through the stack: labelled records in a mock, labelled checks at the gateway.

    python -m loadtest.matching_quality --through-gateway 127.0.0.1:50051 --mock 127.0.0.1:50061

The labelled records are a population of their own, seeded into a new test session
of the SIS mock (which finds people by identity) through its MockControl, as
alerts for a discreet check; each labelled query is a `BorderCheck/Check` of SIS
alone, in that session (the `x-test-session` header). The answer is the report's hits on the
seeded records, best score first: hits on the mock's own synthetic world are not
labelled and are left out. The gateway validates the query first (names in their
ICAO form, codes canonical), which is part of what is measured; a refused query
answers nothing. The mock answers from a score of 0.5 on, so lower thresholds read
as 0.5 here.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import grpc

from broker.matching import Identity
from broker.transport.links import dial
from broker.transport.metadata import session_metadata
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from interop.v1 import border_check_pb2 as pb
from interop.v1 import border_check_pb2_grpc
from interop.v1 import systems_pb2 as s
from mocks.population import LabelledQuery, Population

_RECORD_PREFIX = "LQ-"
_SEXES = {"M": pb.SEX_MALE, "F": pb.SEX_FEMALE, "X": pb.SEX_OTHER}
_DEADLINE_MS = 10_000


class Answer(NamedTuple):
    """A record found for a query: its population position and score."""

    position: int
    score: float


class Asked(NamedTuple):
    """What the gateway answered for each query, and how many it refused."""

    answers: list[list[Answer]]
    refused: int


def traveller(identity: Identity) -> pb.Traveller:
    """An identity as a terminal sends it; the document issued by the nationality's State."""
    document = (
        pb.Document(
            number=identity.document_number,
            issuing_state=identity.nationality,
            type=pb.DOCUMENT_TYPE_PASSPORT,
        )
        if identity.document_number
        else None
    )
    return pb.Traveller(
        surname=identity.surname,
        given_names=list(identity.given_names),
        date_of_birth=identity.date_of_birth,
        sex=_SEXES.get(identity.sex, pb.SEX_UNSPECIFIED),
        nationality=identity.nationality,
        document=document,
    )


def alert(population: Population, position: int) -> mock_pb2.MockRecord:
    """The person at `position` as a SIS alert for a discreet check (aliases included)."""
    person = population.identity(position)
    record_id = f"{_RECORD_PREFIX}{position:07d}"
    return mock_pb2.MockRecord(
        record_id=record_id,
        identity=traveller(person),
        aliases=[pb.Traveller(surname=a, given_names=list(g)) for a, g in person.aliases],
        sis=s.SisAlert(alert_id=record_id, category=s.SIS_ALERT_CATEGORY_DISCREET_CHECK),
    )


async def ask(
    target: str, mock: str, population: Population, queries: Sequence[LabelledQuery], in_flight: int
) -> Asked:
    """Seed the population into a new session of the SIS `mock`, check every query at the
    gateway `target`, drop the session."""
    session = f"quality-{uuid.uuid4().hex[:12]}"
    metadata = session_metadata(session)
    async with dial(mock, None) as channel:
        control = mock_pb2_grpc.MockControlStub(channel)
        records = [alert(population, p) for p in range(len(population))]
        await control.Seed(mock_pb2.SeedRequest(records=records), metadata=metadata, timeout=120)
        try:
            async with dial(target, None) as gateway:
                stub = border_check_pb2_grpc.BorderCheckStub(gateway)
                return await _check_all(stub, queries, metadata, in_flight)
        finally:
            await control.Reset(mock_pb2.ResetRequest(), metadata=metadata, timeout=30)


async def _check_all(
    stub: border_check_pb2_grpc.BorderCheckStub,
    queries: Sequence[LabelledQuery],
    metadata: tuple[tuple[str, str], ...],
    in_flight: int,
) -> Asked:
    slots = asyncio.Semaphore(in_flight)

    async def one(query: Identity) -> list[Answer] | None:
        request = pb.CheckRequest(
            purpose=pb.PURPOSE_BORDER_ENTRY,
            traveller=traveller(query),
            systems=[s.SYSTEM_SIS],
            deadline_ms=_DEADLINE_MS,
        )
        async with slots:
            try:
                report = await stub.Check(request, metadata=metadata, timeout=_DEADLINE_MS / 500)
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.INVALID_ARGUMENT:
                    raise
                return None
        return _answers(report)

    found = await asyncio.gather(*(one(q.query) for q in queries))
    return Asked([f or [] for f in found], sum(f is None for f in found))


def _answers(report: pb.HitReport) -> list[Answer]:
    seeded = [h for h in report.hits if h.record_id.startswith(_RECORD_PREFIX)]
    answers = [Answer(int(h.record_id.removeprefix(_RECORD_PREFIX)), h.score) for h in seeded]
    return sorted(answers, key=lambda a: -a.score)
