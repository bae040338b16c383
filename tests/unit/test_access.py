"""Profiles decide which systems a caller may ask."""

from __future__ import annotations

import pytest

from broker.domain.errors import PermissionDenied, Unauthenticated
from broker.domain.profiles import (
    AccessPolicy,
    may_control_mocks,
    may_write,
    parse_profile_map,
    route,
)
from interop.v1 import border_check_pb2 as pb
from interop.v1 import systems_pb2 as s
from systems import REGISTRY

CATALOG = REGISTRY.catalog


def test_unknown_certificate_is_unauthenticated() -> None:
    policy = AccessPolicy(parse_profile_map(["terminal-1=border-guard"]))
    assert policy.authenticate("terminal-1", tls=True).profile.name == "border-guard"
    with pytest.raises(Unauthenticated):
        policy.authenticate("stranger", tls=True)
    with pytest.raises(Unauthenticated):
        policy.authenticate(None, tls=True)


def test_requested_systems_outside_the_profile_are_not_permitted() -> None:
    caller = AccessPolicy({}, insecure_profile="visa-authority").authenticate(None, tls=False)
    plan = route(caller, pb.PURPOSE_VISA_APPLICATION, [s.SYSTEM_VIS, s.SYSTEM_EURODAC], CATALOG)
    assert plan.asked == (s.SYSTEM_VIS,)
    assert plan.not_permitted == (s.SYSTEM_EURODAC,)
    everything = route(caller, pb.PURPOSE_VISA_APPLICATION, [], CATALOG)
    assert everything.asked == (s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES)
    assert everything.not_permitted == ()


def test_purpose_outside_the_profile_is_refused() -> None:
    caller = AccessPolicy({}, insecure_profile="visa-authority").authenticate(None, tls=False)
    with pytest.raises(PermissionDenied):
        route(caller, pb.PURPOSE_BORDER_ENTRY, [], CATALOG)


def test_profile_map_is_checked() -> None:
    with pytest.raises(ValueError, match="COMMON_NAME=PROFILE"):
        parse_profile_map(["terminal-1=janitor"])


def _asked(profile: str, purpose: pb.Purpose.ValueType) -> tuple[int, ...]:
    caller = AccessPolicy({}, insecure_profile=profile).authenticate(None, tls=False)
    return route(caller, purpose, [], CATALOG).asked


def test_each_system_is_asked_only_for_the_purposes_of_its_regulation() -> None:
    # Eurodac is for asylum and illegal stays, not routine border checks (2024/1358 Art. 1);
    # ETIAS is consulted on entry (2018/1240 Art. 47), not on exit.
    guard = "border-guard"
    on_entry = (s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES, s.SYSTEM_ETIAS)
    assert _asked(guard, pb.PURPOSE_BORDER_ENTRY) == on_entry
    assert _asked(guard, pb.PURPOSE_BORDER_EXIT) == (s.SYSTEM_SIS, s.SYSTEM_VIS, s.SYSTEM_EES)
    assert s.SYSTEM_EURODAC in _asked(guard, pb.PURPOSE_ASYLUM)
    # Police reach EES only through a central access point (2017/2226 Arts. 29-32).
    assert _asked("police", pb.PURPOSE_IN_TERRITORY_CHECK) == (s.SYSTEM_SIS,)
    assert _asked("police", pb.PURPOSE_LAW_ENFORCEMENT) == (s.SYSTEM_SIS,)


@pytest.mark.parametrize(
    ("profile", "writes"),
    [("border-guard", True), ("visa-authority", False), ("police", False), ("test-team", False)],
)
def test_only_border_guards_write_ees(profile: str, writes: bool) -> None:
    caller = AccessPolicy({}, insecure_profile=profile).authenticate(None, tls=False)
    assert may_write(caller, s.SYSTEM_EES, CATALOG) is writes
    assert may_control_mocks(caller) is (profile == "test-team")
