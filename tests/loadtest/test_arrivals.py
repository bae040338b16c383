"""Arrival schedules: counts, order and bounds, for both kinds."""

from __future__ import annotations

import itertools
import random

import pytest

from loadtest.load.arrivals import Arrivals, Phase, offsets


def test_constant_arrivals_are_evenly_spaced_and_exact_in_count() -> None:
    times = list(offsets(Phase(rate=200, duration_s=2.5), Arrivals.CONSTANT, random.Random(1)))
    assert len(times) == 500
    assert times[0] == 0.0
    assert times[1] == pytest.approx(0.005)
    assert times[-1] == pytest.approx(2.495)


def test_poisson_arrivals_hold_the_mean_rate_and_stay_in_the_phase() -> None:
    times = list(offsets(Phase(rate=1000, duration_s=10), Arrivals.POISSON, random.Random(7)))
    assert times == sorted(times)
    assert 0 < times[0] and times[-1] < 10
    # 10 000 expected; a Poisson count has a standard deviation of 100.
    assert 9_500 < len(times) < 10_500
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Exponential gaps: about e^-1 of them are longer than the mean gap.
    assert 0.33 < sum(g > 0.001 for g in gaps) / len(gaps) < 0.40


def test_poisson_arrivals_are_reproducible_from_the_seed() -> None:
    phase = Phase(rate=50, duration_s=3)
    first = list(offsets(phase, Arrivals.POISSON, random.Random(3)))
    assert first == list(offsets(phase, Arrivals.POISSON, random.Random(3)))
    assert first != list(offsets(phase, Arrivals.POISSON, random.Random(4)))
