"""The figures of a measured stretch of load: what report.json holds, as typed values.

Latencies are kept as HDR histograms of microseconds (`hdr`, the standard compressed
base64 encoding) beside the usual percentiles, so a reader can recompute any other
percentile or merge runs without losing precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hdrh.histogram import HdrHistogram

PERCENTILES = (50.0, 90.0, 99.0, 99.9)


@dataclass(frozen=True, slots=True)
class Latency:
    """Distribution of one latency, in milliseconds."""

    count: int
    min_ms: float
    mean_ms: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    hdr: str

    @classmethod
    def of(cls, histogram: HdrHistogram, total_us: int) -> Latency:
        """Summary of a histogram of microseconds and their sum (all zeros when it is empty)."""
        count = int(histogram.get_total_count())
        if count == 0:
            return cls(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, histogram.encode().decode())
        at = histogram.get_percentile_to_value_dict(list(PERCENTILES))
        return cls(
            count=count,
            min_ms=_ms(histogram.get_min_value()),
            mean_ms=round(total_us / count / 1000, 3),
            p50_ms=_ms(at[50.0]),
            p90_ms=_ms(at[90.0]),
            p99_ms=_ms(at[99.0]),
            p999_ms=_ms(at[99.9]),
            max_ms=_ms(histogram.get_max_value()),
            hdr=histogram.encode().decode(),
        )

    def at(self, percentile: float) -> float:
        """Any percentile (0-100) in ms, read back from the histogram."""
        if self.count == 0:
            return 0.0
        histogram = HdrHistogram.decode(self.hdr.encode())
        return _ms(histogram.get_value_at_percentile(percentile))


def _ms(microseconds: int) -> float:
    return round(int(microseconds) / 1000, 3)


@dataclass(frozen=True, slots=True)
class SystemFigures:
    """One system as the reports told it: its latency (as the broker measured it) and outcomes."""

    latency: Latency
    outcomes: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Hops:
    """Where the time of a check went, per hop, when the server reports it."""

    reported: bool
    source: str
    by_hop: Mapping[str, Latency]


@dataclass(frozen=True, slots=True)
class Summary:
    """Every figure of one stretch of load (a whole run or one step of it).

    `latency` runs from the intended send time to the end of the call, for every call
    that ended (answer or gRPC error); `service_time` from the actual send. In closed
    loop the two are the same.
    """

    duration_s: float
    offered: int | None
    offered_rate: float | None
    completed: int
    answered: int
    errors: int
    achieved_rate: float
    error_share: float
    latency: Latency
    service_time: Latency
    send_lag: Latency
    errors_by_status: Mapping[str, int]
    verdicts: Mapping[str, int]
    incomplete_reports: int
    incomplete_share: float
    reports_with_hits: int
    systems: Mapping[str, SystemFigures]
    hops: Hops


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One interval of the run: sends by intended time, ends by the time they ended."""

    t_s: float
    offered: int
    completed: int
    errors: int
    in_flight: int
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
