"""Faults under load: each fault injected into the stack as processes on Kafka of its own,
while the load tool holds an open-loop rate; the README's table rows.

    python -m loadtest.faults --fault kafka-kill --duration 120s
    python -m loadtest.faults --fault all --duration 60s --rate 12
    python -m loadtest.faults --list

For each fault every check is judged: answered in time (a report within the 2 s deadline
plus 0.5 s), a clean gRPC status within that time, late, or hung (no answer until the
client's 5 s timeout); each report must say the right thing of each system (TIMEOUT or
UNAVAILABLE only for the systems the fault keeps from answering, never CLEAR then); the
recovery is the time from the fault's end (the restart, thaw or reconnection) until checks
were whole and in time again; and every answered check must be in the gateway's audit
file. Without --rate the load is half the capacity a short find-max measures first.

Faults of one Kafka node run on one stack in turn (the node sits behind a loadtest.netcut
proxy, to cut its network); the three-broker fault gets a cluster and a stack of its own
(replication 3, min.insync.replicas 2 for audit and dead letters). The stack: five mocks,
six adapters (VIS has two replicas), a gateway. Run reports (report.json, report.html) and
every process's log go to --out. Exit 0 when no check hung, no audit record was lost, every
report was right and every fault was recovered from; 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest.faults.capacity import half_capacity
from loadtest.faults.catalog import BY_NAME, FAULTS, Fault
from loadtest.faults.rig import FAULT_ENV, Layout, rigged
from loadtest.faults.run import Result, Timing, run_fault
from loadtest.faults.table import details, held, table
from loadtest.load.helptext import HelpFormatter
from loadtest.load.units import arg_type, parse_duration, parse_rate
from loadtest.processes import Topology


def _faults(text: str) -> tuple[Fault, ...]:
    if text == "all":
        return FAULTS
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown or not names:
        raise ValueError(f"choose from: all, {', '.join(BY_NAME)}")
    return tuple(BY_NAME[n] for n in names)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.faults",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=HelpFormatter,
    )
    add = parser.add_argument
    add("--fault", type=arg_type(_faults), default="all", help="NAME[,NAME...] or all")
    add("--list", action="store_true", help="list the faults and exit")
    add(
        "--duration",
        type=arg_type(parse_duration),
        default="60s",
        help="load per fault, before, during and after it; the time healing takes (a Kafka "
        "node's or a gateway's start) comes on top",
    )
    add(
        "--before",
        type=arg_type(parse_duration),
        default="10s",
        help="load before the fault is injected",
    )
    add(
        "--lasts",
        type=arg_type(parse_duration),
        help="how long each fault lasts before it is healed "
        "(default: the fault's own, 10 s; 2 s for the gateway)",
    )
    add("--rate", type=arg_type(parse_rate), help="checks/s (default: half the capacity)")
    add(
        "--topology",
        choices=[Topology.SEPARATE.value, Topology.COMPACT.value],
        default=Topology.SEPARATE.value,
        help="a process per mock and adapter, or one for all mocks and one for all adapters",
    )
    add("--population", type=int, default=10_000, help="synthetic people in the mocks")
    add("--out", type=Path, help="reports and logs (default var/faults/<UTC time>)")
    return parser


def _timing(fault: Fault, args: argparse.Namespace) -> Timing:
    lasts = fault.lasts_s if args.lasts is None or fault.heal is None else args.lasts
    after = args.duration - args.before - lasts
    if after < fault.after_s / 2:
        raise ValueError(
            f"{fault.name}: --duration {args.duration:g}s leaves {after:g} s after the fault; "
            f"give at least {args.before + lasts + fault.after_s / 2:g}s"
        )
    return Timing(args.before, lasts, after)


async def _run(args: argparse.Namespace, out: Path) -> list[Result]:
    layout = Layout(Topology(args.topology), population=args.population, env=FAULT_ENV)
    results: list[Result] = []
    for brokers in sorted({f.brokers for f in args.fault}):
        state = out / f"kafka-{brokers}"
        _say(f"starting Kafka ({brokers} node(s)) and the stack; logs in {state}")
        async with rigged(state, brokers, layout) as rig:
            rate = args.rate or await half_capacity(rig.stack.target, state / "capacity")
            for fault in (f for f in args.fault if f.brokers == brokers):
                _say(f"{fault.name} at {rate:g} checks/s")
                result = await run_fault(rig, fault, _timing(fault, args), rate, out / fault.name)
                _say(details(result))
                results.append(result)
    return results


def _say(text: str) -> None:
    print(f"faults: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        for fault in FAULTS:
            print(f"{fault.name:14} {fault.what}")
        return 0
    try:
        for fault in args.fault:
            _timing(fault, args)
    except ValueError as error:
        parser.error(str(error))
    out = args.out or Path("var/faults") / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        results = asyncio.run(_run(args, out))
    except KeyboardInterrupt:
        return 130
    print(table(results))
    return 0 if all(held(r) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
