"""Who is asking, and what their profile lets them do (ESP Arts. 8 and 9).

Rights are per action:
- check: the profile's purposes, and per system the profiles in its spec's `readers` and
  the purposes its own regulation allows a query for; a system is asked only when both
  agree. Systems a caller requests but may not ask are NOT_PERMITTED for that system, and
  data the profile may not see never leaves the broker;
- write (record an EES crossing): the profiles in that system's spec's `writers`;
- control the mock systems (MockControl): profiles with `Right.CONTROL_MOCKS`.

The stack's own services have identities too: the adapters of a system present the
client certificate `adapter_identity(system)` to that system, and to nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from broker.domain.errors import PermissionDenied, Unauthenticated, excerpt
from broker.domain.labels import short_name
from broker.domain.situation import BORDER_PURPOSES, Purpose
from broker.domain.systems import System, SystemCatalog
from interop.v1 import border_check_pb2 as pb

BORDER_GUARD = "border-guard"
VISA_AUTHORITY = "visa-authority"
ASYLUM_AUTHORITY = "asylum-authority"
POLICE = "police"
TEST_TEAM = "test-team"


class Right(enum.StrEnum):
    """A right that is not about one system's data."""

    CONTROL_MOCKS = "control-mocks"


@dataclass(frozen=True)
class Profile:
    name: str
    purposes: frozenset[Purpose]
    rights: frozenset[Right] = frozenset()


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(BORDER_GUARD, BORDER_PURPOSES | {pb.PURPOSE_ASYLUM}),
        Profile(VISA_AUTHORITY, frozenset({pb.PURPOSE_VISA_APPLICATION})),
        Profile(ASYLUM_AUTHORITY, frozenset({pb.PURPOSE_ASYLUM})),
        Profile(POLICE, frozenset({pb.PURPOSE_IN_TERRITORY_CHECK, pb.PURPOSE_LAW_ENFORCEMENT})),
        # Seeds records, sets faults and reads call logs of the mocks; checks nothing.
        Profile(TEST_TEAM, frozenset(), frozenset({Right.CONTROL_MOCKS})),
    )
}


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the authority (certificate common name) and its profile."""

    authority: str
    profile: Profile


def parse_profile_map(entries: Iterable[str]) -> dict[str, str]:
    """`["gw-terminal-1=border-guard", ...]` -> {common name: profile name}, checked."""
    mapping: dict[str, str] = {}
    for entry in entries:
        name, sep, profile = entry.partition("=")
        if not sep or profile.strip() not in PROFILES:
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
    insecure_profile: str = BORDER_GUARD

    def authenticate(self, common_name: str | None, tls: bool) -> Caller:
        if not tls:
            return Caller("local-insecure", PROFILES[self.insecure_profile])
        if common_name is None or common_name not in self.by_common_name:
            raise Unauthenticated(
                f"client certificate {excerpt(common_name or '')} is not registered"
            )
        return Caller(common_name, PROFILES[self.by_common_name[common_name]])


@dataclass(frozen=True)
class Route:
    """Which systems are asked, and which requested ones the profile forbids."""

    asked: tuple[System, ...]
    not_permitted: tuple[System, ...]


def readable(caller: Caller, catalog: SystemCatalog, purpose: Purpose) -> tuple[System, ...]:
    """The systems the caller's profile may ask for `purpose`."""
    return tuple(
        s.value for s in catalog if caller.profile.name in s.readers and purpose in s.purposes
    )


def route(
    caller: Caller, purpose: Purpose, requested: Sequence[System], catalog: SystemCatalog
) -> Route:
    if purpose not in caller.profile.purposes:
        raise PermissionDenied(
            f"profile {caller.profile.name} may not check for {short_name(pb.Purpose, purpose)}"
        )
    allowed = readable(caller, catalog, purpose)
    wanted = requested or allowed
    asked = tuple(s for s in wanted if s in allowed)
    return Route(asked, tuple(s for s in wanted if s not in allowed))


def may_write(caller: Caller, system: System, catalog: SystemCatalog) -> bool:
    return caller.profile.name in catalog.spec(system).writers


def may_control_mocks(caller: Caller) -> bool:
    return Right.CONTROL_MOCKS in caller.profile.rights


def adapter_identity(system: str) -> str:
    """The name an adapter of `system` goes by: its client certificate and its bus producer."""
    return f"adapter-{system}"
