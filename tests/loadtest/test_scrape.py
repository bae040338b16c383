"""Prometheus scrapes: parsed samples, deltas of cumulative ones, a URL that fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

from loadtest.load.scrape import scrapes, snapshot, snapshots
from loadtest.processes import free_port


@pytest.fixture
def endpoint() -> Iterator[tuple[str, CollectorRegistry]]:
    registry = CollectorRegistry()
    port = free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{port}/metrics", registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


async def test_deltas_cover_counters_and_histograms_not_gauges(
    endpoint: tuple[str, CollectorRegistry],
) -> None:
    url, registry = endpoint
    checks = Counter("interop_gateway_checks", "checks", ["outcome"], registry=registry)
    in_flight = Gauge("interop_gateway_in_flight_checks", "in flight", registry=registry)
    seconds = Histogram("interop_gateway_check_seconds", "latency", registry=registry)
    checks.labels("answered").inc(5)
    in_flight.set(3)
    (before,) = await snapshots((url,))
    checks.labels("answered").inc(7)
    checks.labels("timeout").inc(2)
    seconds.observe(0.02)
    in_flight.set(9)
    (after,) = await snapshots((url,))
    (scrape,) = scrapes((url,), (before,), (after,))
    moved = {(d.name, tuple(d.labels.values())): d.value for d in scrape.deltas}
    assert moved[("interop_gateway_checks_total", ("answered",))] == 7
    assert moved[("interop_gateway_checks_total", ("timeout",))] == 2
    assert moved[("interop_gateway_check_seconds_count", ())] == 1
    assert moved[("interop_gateway_check_seconds_bucket", ("0.025",))] == 1
    assert not any(name.startswith("interop_gateway_in_flight") for name, _ in moved)
    assert not any(name.endswith("_created") for name, _ in moved)
    gauge = [s for s in after.samples if s.name == "interop_gateway_in_flight_checks"]
    assert gauge[0].value == 9 and not gauge[0].cumulative


async def test_an_endpoint_that_cannot_be_read_is_recorded_not_fatal() -> None:
    failed = await snapshot(f"http://127.0.0.1:{free_port()}/metrics")
    assert failed.samples == ()
    assert failed.error is not None and "refused" in failed.error.lower()
