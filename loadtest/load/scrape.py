"""Prometheus scrapes of the stack's processes, before and after a run.

Each `--metrics-url` is read in the text exposition format; every sample is kept,
and for counters, histograms and summaries the difference after minus before is
worked out, which is what the run itself caused. A URL that cannot be read is
recorded with its error; the run goes on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

TIMEOUT_S = 5.0
_CUMULATIVE = frozenset({"counter", "histogram", "summary"})


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    labels: Mapping[str, str]
    value: float
    cumulative: bool

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.name, tuple(sorted(self.labels.items()))


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: str
    samples: tuple[Sample, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Scrape:
    url: str
    before: Snapshot
    after: Snapshot
    deltas: tuple[Sample, ...]


def parse(text: str) -> tuple[Sample, ...]:
    samples: list[Sample] = []
    for family in text_string_to_metric_families(text):
        cumulative = family.type in _CUMULATIVE
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            samples.append(Sample(sample.name, dict(sample.labels), sample.value, cumulative))
    return tuple(samples)


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        body: bytes = response.read()
    return body.decode("utf-8")


async def snapshot(url: str) -> Snapshot:
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    try:
        text = await asyncio.to_thread(_fetch, url)
        return Snapshot(at, parse(text))
    except (OSError, urllib.error.URLError, ValueError) as error:
        return Snapshot(at, (), f"{type(error).__name__}: {error}")


async def snapshots(urls: tuple[str, ...]) -> tuple[Snapshot, ...]:
    return tuple(await asyncio.gather(*(snapshot(url) for url in urls)))


def deltas(before: Snapshot, after: Snapshot) -> tuple[Sample, ...]:
    """after - before for every cumulative sample present after (absent before counts as 0)."""
    earlier = {s.key: s.value for s in before.samples}
    return tuple(
        Sample(s.name, s.labels, s.value - earlier.get(s.key, 0.0), True)
        for s in after.samples
        if s.cumulative
    )


def scrapes(
    urls: tuple[str, ...], before: tuple[Snapshot, ...], after: tuple[Snapshot, ...]
) -> tuple[Scrape, ...]:
    return tuple(
        Scrape(url, b, a, deltas(b, a)) for url, b, a in zip(urls, before, after, strict=True)
    )
