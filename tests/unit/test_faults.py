"""Fault plans decide each call's fate without a server or a clock."""

from __future__ import annotations

import random
import statistics

import grpc
import pytest

from interop.mock.v1 import mock_pb2
from mocks.faults import FaultError, FaultPlan


def test_lognormal_latency_has_the_asked_median_and_spread() -> None:
    plan = FaultPlan.from_message(mock_pb2.Faults(latency_median_ms=40, latency_sigma=0.5), 0.0)
    rng = random.Random(1)
    delays = [plan.decide(n, 0.0, rng).delay_s for n in range(1, 4001)]
    assert 0.036 < statistics.median(delays) < 0.044
    assert max(delays) > 2 * statistics.median(delays), "a long tail"


def test_fixed_latency_adds_to_every_call() -> None:
    plan = FaultPlan.from_message(mock_pb2.Faults(latency_ms=250), 0.0)
    assert {plan.decide(n, 0.0, random.Random(n)).delay_s for n in range(1, 20)} == {0.25}


def test_outage_lasts_its_seconds() -> None:
    plan = FaultPlan.from_message(mock_pb2.Faults(outage_seconds=30), now=1000.0)
    assert plan.decide(1, 1029.0, random.Random()).error == grpc.StatusCode.UNAVAILABLE
    assert plan.decide(2, 1030.5, random.Random()).error is None


def test_chosen_status_and_message() -> None:
    plan = FaultPlan.from_message(
        mock_pb2.Faults(error_every_nth=2, error_code="permission_denied", error_message="no"), 0
    )
    fates = [plan.decide(n, 0.0, random.Random()) for n in (1, 2)]
    assert [f.error for f in fates] == [None, grpc.StatusCode.PERMISSION_DENIED]
    assert fates[1].message == "no"


@pytest.mark.parametrize(
    ("faults", "field"),
    [
        (mock_pb2.Faults(error_probability=-0.1), "faults.error_probability"),
        (mock_pb2.Faults(latency_sigma=float("inf")), "faults.latency_sigma"),
        (mock_pb2.Faults(error_code="OK"), "faults.error_code"),
        (mock_pb2.Faults(error_code="TEAPOT"), "faults.error_code"),
    ],
)
def test_bad_faults_name_the_field(faults: mock_pb2.Faults, field: str) -> None:
    with pytest.raises(FaultError) as caught:
        FaultPlan.from_message(faults, 0.0)
    assert caught.value.field == field
