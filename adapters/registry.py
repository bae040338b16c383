"""The adapter of each system: how to reach it and how to read its answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import grpc

from adapters import ees, etias, eurodac, sis, vis
from interop.mock.v1 import mock_pb2
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2


@dataclass(frozen=True)
class AdapterSpec:
    name: str
    system: systems_pb2.System.ValueType
    stub: Callable[[grpc.aio.Channel], Any]
    translate: Callable[[mock_pb2.RecordMatch], pb.Hit]


def _spec(name: str, module: ModuleType) -> AdapterSpec:
    return AdapterSpec(name, module.SYSTEM, module.stub, module.translate)


ADAPTERS: dict[str, AdapterSpec] = {
    name: _spec(name, module)
    for name, module in (
        ("sis", sis),
        ("vis", vis),
        ("ees", ees),
        ("etias", etias),
        ("eurodac", eurodac),
    )
}
