"""The long fuzz run: `python -m tests.fuzz --examples 100000`.

Sends the inputs of every target (check, crossing, raw, mrz; tests/fuzz/targets.py) to a
gateway served in this process, prints the outcomes per target and exits non-zero if any
input crashed, hung, got UNKNOWN or INTERNAL, or was refused without naming a field.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from tests.fuzz.run import TARGETS, run
from tests.fuzz.targets import Tally, serving


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.fuzz",
        description="Fuzz the gateway's edge (Check, RecordCrossing, raw bodies) and the MRZ "
        "parser with hypothesis; exit 1 on any crash, hang, UNKNOWN, INTERNAL or refusal "
        "that names no field.",
    )
    parser.add_argument(
        "--examples",
        type=int,
        default=100_000,
        metavar="N",
        help="inputs in all, shared evenly by the targets (default 100000)",
    )
    parser.add_argument(
        "--target",
        action="append",
        choices=[t.name for t in TARGETS],
        help="only this target (repeatable; default: all)",
    )
    parser.add_argument("--seed", type=int, help="hypothesis seed, to repeat a run")
    args = parser.parse_args(argv)
    # Each refused body logs one line by design; a hundred thousand of them say nothing here.
    logging.getLogger("broker").setLevel(logging.ERROR)
    chosen = [t for t in TARGETS if not args.target or t.name in args.target]
    tally = Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as state, serving(Path(state)) as gateway:
        for target in chosen:
            begun = time.monotonic()
            run(target, gateway, tally, args.examples // len(chosen), args.seed)
            count = sum(n for (name, _), n in tally.outcomes.items() if name == target.name)
            print(f"{target.name}: {count} inputs in {time.monotonic() - begun:.0f} s", flush=True)
    print(f"\n{tally.inputs} inputs in {time.monotonic() - started:.0f} s; outcomes:")
    for (name, outcome), count in sorted(tally.outcomes.items()):
        print(f"  {name:<9} {outcome:<20} {count:>8}")
    print(f"failures: {tally.failed}")
    for failure in tally.failures:
        print(f"  {failure}")
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
