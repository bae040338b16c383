"""The five systems by name, and the names the bus uses for them."""

from __future__ import annotations

from interop.v1 import systems_pb2

SYSTEMS: dict[str, systems_pb2.System.ValueType] = {
    "sis": systems_pb2.SYSTEM_SIS,
    "vis": systems_pb2.SYSTEM_VIS,
    "ees": systems_pb2.SYSTEM_EES,
    "etias": systems_pb2.SYSTEM_ETIAS,
    "eurodac": systems_pb2.SYSTEM_EURODAC,
}
ALL_SYSTEMS: tuple[systems_pb2.System.ValueType, ...] = tuple(SYSTEMS.values())
_NAMES = {value: name for name, value in SYSTEMS.items()}


def system_name(system: systems_pb2.System.ValueType) -> str:
    """`SYSTEM_SIS` -> "sis"."""
    return _NAMES[system]


def system_from_name(name: str) -> systems_pb2.System.ValueType:
    """ "sis" (any case) -> `SYSTEM_SIS`; ValueError naming the choices otherwise."""
    try:
        return SYSTEMS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown system {name!r}; choose from {', '.join(SYSTEMS)}") from None
