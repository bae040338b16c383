"""Micro benchmark of envelope sealing: `python -m loadtest.envelope`.

Sealing sits on every bus message (one query per system, one reply each), so its cost
is measured here and re-measured after any change to `broker.envelope`. Prints the
best of several timeit runs in microseconds per message.
"""

from __future__ import annotations

import os
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path

from broker.transport.envelope import Keyring, open_sealed, seal

SIZES = (1024, 16 * 1024)
REPEAT = 7
CORRELATION = b"3f1c9a52-7d0e-4b8e-9a57-0c1d2e3f4a5b"


def best_microseconds(action: Callable[[], object]) -> float:
    """Best per-call time over REPEAT runs, each long enough (timeit.autorange) to be stable."""
    timer = timeit.Timer(action)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=REPEAT, number=number)) / number * 1e6


def measure(producer: Keyring, consumer: Keyring, size: int) -> tuple[float, float, float]:
    """Seal, open, and seal+open of one random payload of `size` bytes, in µs."""
    payload = os.urandom(size)
    sealed, headers = seal(producer, payload, CORRELATION)
    return (
        best_microseconds(lambda: seal(producer, payload, CORRELATION)),
        best_microseconds(lambda: open_sealed(consumer, sealed, headers, CORRELATION)),
        best_microseconds(
            lambda: open_sealed(consumer, *seal(producer, payload, CORRELATION), CORRELATION)
        ),
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        Keyring.generate_dev(Path(directory), ("gateway", "adapter-sis"))
        producer = Keyring.load(Path(directory), "gateway")
        consumer = Keyring.load(Path(directory), "adapter-sis")
    print(f"{'payload':>8} {'seal µs':>9} {'open µs':>9} {'seal+open µs':>13}")
    for size in SIZES:
        sealing, opening, both = measure(producer, consumer, size)
        print(f"{size // 1024:>4} KiB {sealing:>9.1f} {opening:>9.1f} {both:>13.1f}")


if __name__ == "__main__":
    main()
