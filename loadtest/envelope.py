"""Micro benchmark of envelope sealing: `python -m loadtest.envelope`.

Sealing sits on every bus message (one query per system, one reply each), so its cost
is measured here and re-measured after any change to `broker.transport.envelope`. Prints
the best of several timeit runs in microseconds per message: sealing a query on its
channel (AES-256-GCM, routing facts bound), opening it as the system's adapter would, and
both; the sizes are the payloads' (a query with names is about 1 KiB, with a face
embedding about 2 KiB, with ten fingerprints more).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

from broker.transport.envelope import Keyring, open_sealed, query_channel, reply_channel, seal

SIZES = (1024, 16 * 1024)
CHANNEL = query_channel("sis")
FACTS = (
    b"interop.v1.sis.query",
    b"3f1c9a527d0e4b8e9a570c1d2e3f4a5b",
    b"gateway-gw1",
    b"interop.v1.reply.gw1",
    b"1796000000000",
)


def best_microseconds(action: Callable[[], object], repeat: int) -> float:
    """Best per-call time over `repeat` runs, each long enough (timeit.autorange) to be stable."""
    timer = timeit.Timer(action)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number * 1e6


def measure(
    producer: Keyring, consumer: Keyring, size: int, repeat: int
) -> tuple[float, float, float]:
    """Seal, open, and seal+open of one random payload of `size` bytes, in µs."""
    payload = os.urandom(size)
    sealed, key_id = seal(producer, CHANNEL, payload, FACTS)

    def round_trip() -> object:
        value, key = seal(producer, CHANNEL, payload, FACTS)
        return open_sealed(consumer, CHANNEL, value, key, FACTS)

    return (
        best_microseconds(lambda: seal(producer, CHANNEL, payload, FACTS), repeat),
        best_microseconds(lambda: open_sealed(consumer, CHANNEL, sealed, key_id, FACTS), repeat),
        best_microseconds(round_trip, repeat),
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.envelope",
        description="Time sealing and opening one bus message (AES-256-GCM on a channel key, "
        "routing facts bound), in microseconds per message, for 1 KiB and 16 KiB payloads.",
    )
    parser.add_argument(
        "--repeat", type=int, default=7, metavar="N", help="timeit runs; the best is shown (7)"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        keys = Path(directory)
        Keyring.generate_dev(keys, (CHANNEL, reply_channel("sis")))
        producer = Keyring.load(keys, "gateway-gw1", [CHANNEL], [reply_channel("sis")])
        consumer = Keyring.load(keys, "adapter-sis", [reply_channel("sis")], [CHANNEL])
    print(f"{'payload':>8} {'seal µs':>9} {'open µs':>9} {'seal+open µs':>13}")
    for size in SIZES:
        sealing, opening, both = measure(producer, consumer, size, args.repeat)
        print(f"{size // 1024:>4} KiB {sealing:>9.1f} {opening:>9.1f} {both:>13.1f}")


if __name__ == "__main__":
    main()
