"""Who is asking, and what their profile lets them ask (ESP Arts. 8 and 9).

A profile lists the purposes it may check for and the systems it may ask. Systems a
caller requests but may not ask are reported as NOT_PERMITTED for that system; data
the profile may not see never leaves the broker.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from broker.systems import ALL_SYSTEMS
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2

System: TypeAlias = systems_pb2.System.ValueType
Purpose: TypeAlias = pb.Purpose.ValueType

_BORDER = frozenset(
    {pb.PURPOSE_BORDER_ENTRY, pb.PURPOSE_BORDER_EXIT, pb.PURPOSE_IN_TERRITORY_CHECK}
)


@dataclass(frozen=True)
class Profile:
    name: str
    purposes: frozenset[Purpose]
    systems: frozenset[System]


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile("border-guard", _BORDER | {pb.PURPOSE_ASYLUM}, frozenset(ALL_SYSTEMS)),
        Profile(
            "visa-authority",
            frozenset({pb.PURPOSE_VISA_APPLICATION}),
            frozenset({systems_pb2.SYSTEM_SIS, systems_pb2.SYSTEM_VIS, systems_pb2.SYSTEM_EES}),
        ),
        Profile(
            "asylum-authority",
            frozenset({pb.PURPOSE_ASYLUM}),
            frozenset({systems_pb2.SYSTEM_SIS, systems_pb2.SYSTEM_VIS, systems_pb2.SYSTEM_EURODAC}),
        ),
        Profile(
            "police",
            frozenset({pb.PURPOSE_IN_TERRITORY_CHECK, pb.PURPOSE_LAW_ENFORCEMENT}),
            frozenset({systems_pb2.SYSTEM_SIS, systems_pb2.SYSTEM_EES}),
        ),
    )
}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the authority (certificate common name) and its profile."""

    authority: str
    profile: Profile


class Unauthenticated(Exception):
    """The caller presented no known identity."""


class PurposeNotAllowed(Exception):
    """The caller's profile may not check for this purpose at all."""


def parse_profile_map(entries: Iterable[str]) -> dict[str, str]:
    """`["gw-terminal-1=border-guard", ...]` -> {common name: profile name}, checked."""
    mapping: dict[str, str] = {}
    for entry in entries:
        name, sep, profile = entry.partition("=")
        if not sep or profile not in PROFILES:
            raise ValueError(
                f"{entry!r}: expected COMMON_NAME=PROFILE with PROFILE in {', '.join(PROFILES)}"
            )
        mapping[name.strip()] = profile.strip()
    return mapping


@dataclass(frozen=True)
class AccessPolicy:
    """Maps a peer's certificate common name to a profile.

    Without TLS there is no identity to check, so every caller gets `insecure_profile`;
    that mode is for one laptop only and the gateway logs a warning when it starts in it.
    """

    by_common_name: dict[str, str]
    insecure_profile: str = "border-guard"

    def authenticate(self, common_name: str | None, tls: bool) -> Caller:
        if not tls:
            return Caller("local-insecure", PROFILES[self.insecure_profile])
        if common_name is None or common_name not in self.by_common_name:
            raise Unauthenticated(f"client certificate {common_name!r} is not registered")
        return Caller(common_name, PROFILES[self.by_common_name[common_name]])


@dataclass(frozen=True)
class Route:
    """Which systems are asked, and which requested ones the profile forbids."""

    asked: tuple[System, ...]
    not_permitted: tuple[System, ...]


def route(caller: Caller, purpose: Purpose, requested: Sequence[System]) -> Route:
    if purpose not in caller.profile.purposes:
        raise PurposeNotAllowed(
            f"profile {caller.profile.name} may not check for {pb.Purpose.Name(purpose)}"
        )
    wanted = requested or sorted(caller.profile.systems)
    asked = tuple(s for s in wanted if s in caller.profile.systems)
    return Route(asked, tuple(s for s in wanted if s not in caller.profile.systems))
