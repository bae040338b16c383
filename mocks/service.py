"""A mock system as a gRPC service: the system's own service name in front of a Store."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import grpc

from broker.serving import Service
from interop.mock.v1 import mock_pb2, mock_pb2_grpc
from mocks.store import Store

log = logging.getLogger(__name__)

_REGISTER: dict[str, tuple[str, Callable[[Any, grpc.aio.Server], None]]] = {
    "sis": ("SisMock", mock_pb2_grpc.add_SisMockServicer_to_server),
    "vis": ("VisMock", mock_pb2_grpc.add_VisMockServicer_to_server),
    "ees": ("EesMock", mock_pb2_grpc.add_EesMockServicer_to_server),
    "etias": ("EtiasMock", mock_pb2_grpc.add_EtiasMockServicer_to_server),
    "eurodac": ("EurodacMock", mock_pb2_grpc.add_EurodacMockServicer_to_server),
}


class MockSystem:
    """Serves Search for one system; the same class stands behind all five service names."""

    def __init__(self, name: str, store: Store) -> None:
        self.name = name
        self._store = store
        self.calls = 0
        # Added latency before answering; a fault for tests (see MockControl).
        self.latency_s = 0.0

    async def Search(
        self, request: mock_pb2.SearchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> mock_pb2.SearchResponse:
        self.calls += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        matches = self._store.search(request, dt.date.today())
        return mock_pb2.SearchResponse(matches=matches)

    def service(self) -> Service:
        short, add = _REGISTER[self.name]
        full_name = mock_pb2.DESCRIPTOR.services_by_name[short].full_name
        return Service(full_name, lambda server: add(self, server))
