"""CPU per check of the stack, group by group of processes, against the transport floor.

    python -m loadtest.cpu_budget                        # own Kafka, 1,000,000 people
    python -m loadtest.cpu_budget --population 100000 --bootstrap 127.0.0.1:9092
    python -m loadtest.cpu_budget --topology compact --in-flight 16 --parts stack

Starts the stack as a user would, as `interop serve ...` processes on real Kafka: five
mocks, five adapters and a gateway (or, with `--topology compact`, one process for the five
adapters and one for the five mocks). Once every system answers, it drives the gateway in
a closed loop with the ICAO specimen traveller checked within the territory (all five
systems are asked): `--in-flight` checks at a time, a warm-up,
then a window of `--checks` checks or `--seconds`, whichever ends first. From
/proc/PID/stat (utime + stime of all threads, children included) it reports the CPU
milliseconds per check of each group (gateway, adapters, mocks, the Kafka JVM, and this
load generator on its own), the rate, p50 and p99.

On the same Kafka it then measures the transport floor the same way
(loadtest.transport_floor: a gRPC front that publishes five messages and waits for five
echoes from five consumer processes), once per `--floor-linger-ms`, and prints the ratio
stack / floor for the broker part (gateway + adapters + Kafka against front + echoes +
Kafka) and in total (mocks included; the load generator never is).

Rates move with whatever else runs on the cores (each window says how much CPU other
processes took meanwhile); CPU per check moves much less. Without `--bootstrap` it starts
its own single-node Kafka with deploy/kafka/kafka.sh. Every process it starts is stopped
at the end, also on Ctrl-C, SIGTERM or an error; every wait is bounded. A table goes to
stdout, a JSON file to --out-dir (path printed), process logs next to it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import grpc

from interop.v1 import border_check_pb2_grpc
from loadtest.check_latency import percentile
from loadtest.kafka_nodes import own_kafka
from loadtest.processes import (
    EVERY_SYSTEM,
    Fleet,
    ProcessDied,
    ProcessStack,
    Topology,
    complete,
    free_port,
    wait_answering,
)
from loadtest.processes import Role as ProcessRole
from loadtest.procstat import Group, listening_pids, snapshot, usage
from systems import REGISTRY

FLOOR = (sys.executable, "-m", "loadtest.transport_floor")
CHECK_TIMEOUT_S = 10.0
REQUEST = EVERY_SYSTEM


class Role(enum.Enum):
    """A group of processes; the value is its row in the table (stack | floor)."""

    FRONT = "gateway | floor front"
    WORKERS = "adapters | echo consumers"
    SYSTEMS = "mocks"
    KAFKA = "Kafka JVM"
    LOAD = "load generator"


# The processes counted in each row (the floor's front and echoes stand in the stack's places).
_PROCESSES = {
    Role.FRONT: ProcessRole.GATEWAY,
    Role.WORKERS: ProcessRole.ADAPTERS,
    Role.SYSTEMS: ProcessRole.MOCKS,
}
BROKER_PART = (Role.FRONT, Role.WORKERS, Role.KAFKA)
TOTAL = (Role.FRONT, Role.WORKERS, Role.SYSTEMS, Role.KAFKA)


@dataclass(frozen=True)
class Plan:
    bootstrap: str | None
    kafka_pids: tuple[int, ...]
    population: int
    in_flight: tuple[int, ...]
    warmup_s: float
    checks: int
    seconds: float
    idle_s: float
    topology: str
    parts: tuple[str, ...]
    floor_lingers_ms: tuple[int, ...]
    uvloop: bool
    partitions: int
    replication: int
    start_timeout_s: float
    log_level: str
    out_dir: Path


@dataclass(frozen=True)
class Kafka:
    bootstrap: str
    pids: tuple[int, ...]
    started_here: bool


@dataclass(frozen=True)
class Load:
    """What one closed loop did."""

    latencies_ms: tuple[float, ...]  # sorted
    wall_s: float
    errors: int
    incomplete: int


@dataclass(frozen=True)
class Window:
    """One measured window: a setup at one number of checks in flight."""

    setup: str
    in_flight: int
    checks: int
    errors: int
    incomplete: int
    wall_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms: Mapping[str, float]  # per Role name, over the window
    others_ms: float  # CPU of every other process on the machine meanwhile

    @property
    def rate(self) -> float:
        return self.checks / self.wall_s if self.wall_s > 0 else 0.0

    def per_check(self, *roles: Role) -> float:
        if not self.checks:
            return float("nan")
        return sum(self.cpu_ms.get(r.name, 0.0) for r in roles) / self.checks


@dataclass(frozen=True)
class Idle:
    """CPU of each group with no load, in ms per second: what runs whether checks come or not
    (heartbeats, empty fetches, timers). Measured after the load, with every JVM warm."""

    setup: str
    ms_per_s: Mapping[str, float]


@dataclass(frozen=True)
class Report:
    plan: Plan
    kafka: Kafka
    processes: Mapping[str, int]  # per part of the stack: gateway, adapters, mocks
    idle: tuple[Idle, ...]
    windows: tuple[Window, ...]


# -- Kafka ------------------------------------------------------------------------------------


def _kafka_pids(bootstrap: str) -> tuple[int, ...]:
    """The processes listening on the bootstrap ports here: the broker JVMs."""
    pids: set[int] = set()
    for server in bootstrap.split(","):
        pids |= listening_pids(int(server.rsplit(":", 1)[1]))
    if not pids:
        raise SystemExit(
            f"cpu_budget: no process on this machine listens on {bootstrap}; "
            "pass --kafka-pid PID (the broker JVM) to count Kafka's CPU"
        )
    return tuple(sorted(pids))


@contextlib.asynccontextmanager
async def kafka_under_test(plan: Plan, run_dir: Path) -> AsyncIterator[Kafka]:
    """The given Kafka, or a single node started here and stopped (and its data deleted) after."""
    if plan.bootstrap:
        pids = plan.kafka_pids or _kafka_pids(plan.bootstrap)
        yield Kafka(plan.bootstrap, pids, started_here=False)
        return
    _say(f"starting Kafka (data {run_dir / 'kafka'})")
    async with own_kafka(run_dir / "kafka") as nodes:
        yield Kafka(nodes.bootstrap, plan.kafka_pids or nodes.pids(), started_here=True)


# -- the stack and the floor --------------------------------------------------------------------


def stack_of(plan: Plan, kafka: Kafka, run_dir: Path) -> ProcessStack:
    # A fixed admission bound at the most checks in flight: the budget is the cost of the
    # checks asked, not of refusals (an adaptive bound below 64 would refuse some, each
    # refused check asked again at once by its caller).
    bound = str(max(plan.in_flight))
    return ProcessStack(
        kafka.bootstrap,
        Topology(plan.topology),
        population=plan.population,
        env_extra={
            "INTEROP_TOPIC_PARTITIONS": str(plan.partitions),
            "INTEROP_TOPIC_REPLICATION": str(plan.replication),
            "INTEROP_ADMISSION": "fixed",
            "INTEROP_MAX_IN_FLIGHT": bound,
            "INTEROP_MAX_IN_FLIGHT_PER_CLIENT": bound,
        },
        log_level=plan.log_level,
        ready_timeout_s=plan.start_timeout_s,
        state=run_dir / "stack",
    )


async def start_floor(plan: Plan, kafka: Kafka, linger_ms: int, fleet: Fleet) -> str:
    """Start the floor's front, then its five echoes; return the front's address once answering."""
    deadline = time.monotonic() + plan.start_timeout_s
    front = f"127.0.0.1:{free_port()}"
    common = [
        *FLOOR,
        f"--bootstrap={kafka.bootstrap}",
        f"--prefix=floor{uuid.uuid4().hex[:8]}",
        f"--linger-ms={linger_ms}",
        *(["--uvloop"] if plan.uvloop else []),
    ]
    name = f"floor-linger{linger_ms}"
    # The front stands where the gateway stands, the echoes where the adapters do.
    fleet.start(
        f"{name} front",
        ProcessRole.GATEWAY,
        [
            *common,
            "front",
            f"--listen={front}",
            f"--partitions={plan.partitions}",
            f"--replication={plan.replication}",
        ],
    )
    # The front creates the topics; the echoes subscribe to them.
    while not await _listening(front):
        fleet.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError("floor front: not listening within the start timeout")
        await asyncio.sleep(0.3)
    for system in REGISTRY.names:
        fleet.start(
            f"{name} echo {system}", ProcessRole.ADAPTERS, [*common, "echo", f"--system={system}"]
        )
    await wait_answering(front, deadline - time.monotonic(), fleet)
    return front


async def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        _, writer = await asyncio.open_connection(host, int(port))
    except OSError:
        return False
    writer.close()
    return True


# -- load and measurement ---------------------------------------------------------------------


async def closed_loop(
    stub: border_check_pb2_grpc.BorderCheckStub, in_flight: int, checks: int, seconds: float
) -> Load:
    """`in_flight` callers, each sending its next check when the last one came back, until
    `checks` were sent or `seconds` passed."""
    latencies: list[float] = []
    errors = incomplete = 0
    remaining = checks
    started = time.perf_counter()
    until = started + seconds

    async def caller() -> None:
        nonlocal remaining, errors, incomplete
        while remaining > 0 and time.perf_counter() < until:
            remaining -= 1
            sent = time.perf_counter()
            try:
                report = await stub.Check(REQUEST, timeout=CHECK_TIMEOUT_S)
            except grpc.aio.AioRpcError:
                errors += 1
                continue
            latencies.append((time.perf_counter() - sent) * 1000)
            incomplete += not complete(report)

    await asyncio.gather(*(caller() for _ in range(in_flight)))
    return Load(tuple(sorted(latencies)), time.perf_counter() - started, errors, incomplete)


def groups(fleet: Fleet, kafka: Kafka) -> list[Group]:
    processes = [Group(r.name, fleet.pids(kind)) for r, kind in _PROCESSES.items()]
    return [
        *processes,
        Group(Role.KAFKA.name, kafka.pids),
        # The load generator is this process; its children (the fleet) are counted above.
        Group(Role.LOAD.name, (os.getpid(),), descendants=False),
    ]


async def measure_idle(setup: str, watched: Sequence[Group], seconds: float) -> Idle:
    before = snapshot(watched)
    await asyncio.sleep(seconds)
    used = usage(before, snapshot(watched))
    return Idle(setup, {name: s * 1000 / used.wall_s for name, s in used.cpu_s.items()})


async def measure(
    setup: str, target: str, watched: Sequence[Group], plan: Plan, fleet: Fleet
) -> list[Window]:
    windows = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = border_check_pb2_grpc.BorderCheckStub(channel)
        for in_flight in plan.in_flight:
            _say(f"{setup}, {in_flight} in flight: warm-up {plan.warmup_s:g} s")
            await closed_loop(stub, in_flight, sys.maxsize, plan.warmup_s)
            before = snapshot(watched)
            load = await closed_loop(stub, in_flight, plan.checks, plan.seconds)
            used = usage(before, snapshot(watched))
            fleet.check_alive()
            ours = sum(used.cpu_s.values())
            window = Window(
                setup=setup,
                in_flight=in_flight,
                checks=len(load.latencies_ms),
                errors=load.errors,
                incomplete=load.incomplete,
                wall_s=load.wall_s,
                p50_ms=percentile(list(load.latencies_ms), 50) if load.latencies_ms else 0.0,
                p99_ms=percentile(list(load.latencies_ms), 99) if load.latencies_ms else 0.0,
                cpu_ms={name: s * 1000 for name, s in used.cpu_s.items()},
                others_ms=max(0.0, used.machine_s - ours) * 1000,
            )
            _say(
                f"{setup}, {in_flight} in flight: {window.checks} checks, {window.rate:.0f}/s, "
                f"{window.per_check(*TOTAL):.2f} ms CPU per check"
            )
            windows.append(window)
    return windows


async def run(plan: Plan, run_dir: Path) -> Report:
    fleet = Fleet(run_dir / "logs")
    idle: list[Idle] = []
    windows: list[Window] = []
    processes: dict[str, int] = {}
    try:
        async with kafka_under_test(plan, run_dir) as kafka:
            if "stack" in plan.parts:
                stack = stack_of(plan, kafka, run_dir)
                _say(f"stack: {plan.topology}, population {plan.population:,}; starting")
                started = time.monotonic()
                try:
                    await stack.start()
                    _say(f"stack: every system answers after {time.monotonic() - started:.0f} s")
                    watched = groups(stack.fleet, kafka)
                    processes = {r.value: len(stack.pids(r)) for r in _PROCESSES.values()}
                    windows += await measure("stack", stack.target, watched, plan, stack.fleet)
                    idle.append(await measure_idle("stack", watched, plan.idle_s))
                finally:
                    await stack.stop(keep_state=True)
            for linger in plan.floor_lingers_ms if "floor" in plan.parts else ():
                setup = f"floor {linger}ms"
                _say(f"{setup}: starting the front and five echo consumers")
                front = await start_floor(plan, kafka, linger, fleet)
                watched = groups(fleet, kafka)
                windows += await measure(setup, front, watched, plan, fleet)
                idle.append(await measure_idle(setup, watched, plan.idle_s))
                fleet.stop()
    finally:
        fleet.stop()
    return Report(plan, kafka, processes, tuple(idle), tuple(windows))


# -- the report -------------------------------------------------------------------------------


def _ratios(report: Report) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    stack = [w for w in report.windows if w.setup == "stack"]
    floors = [w for w in report.windows if w.setup != "stack"]
    for s in stack:
        for f in (f for f in floors if f.in_flight == s.in_flight):
            rows.append(
                {
                    "in_flight": s.in_flight,
                    "floor": f.setup,
                    "broker_part": s.per_check(*BROKER_PART) / f.per_check(*BROKER_PART),
                    "total": s.per_check(*TOTAL) / f.per_check(*TOTAL),
                    "rate": s.rate / f.rate if f.rate else float("nan"),
                }
            )
    return rows


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _ms(value: float) -> str:
    return f"{value:.2f}"


def render(report: Report) -> str:
    plan, windows = report.plan, report.windows
    kafka = report.kafka
    where = "started here" if kafka.started_here else "given"
    stack = ", ".join(f"{count} {part}" for part, count in report.processes.items())
    head = (
        f"CPU budget: population {plan.population:,}, topology {plan.topology} "
        f"({stack or 'stack not measured'}); floor Nms: transport floor, producer linger N ms\n"
        f"Kafka {kafka.bootstrap} ({where}; JVM pid {', '.join(map(str, kafka.pids))}), "
        f"{os.cpu_count()} cores; window {plan.checks} checks or {plan.seconds:g} s "
        f"after {plan.warmup_s:g} s warm-up; the gateway admits {max(plan.in_flight)} "
        "checks at a time (fixed)"
    )
    header = ["CPU ms per check", *(w.setup for w in windows)]
    rows = [["in flight", *(str(w.in_flight) for w in windows)]]
    rows += [[role.value, *(_ms(w.per_check(role)) for w in windows)] for role in Role]
    rows += [
        [
            "= broker part (front, workers, Kafka)",
            *(_ms(w.per_check(*BROKER_PART)) for w in windows),
        ],
        ["= total (without load generator)", *(_ms(w.per_check(*TOTAL)) for w in windows)],
        ["other processes on the machine", *(_ms(w.others_ms / max(w.checks, 1)) for w in windows)],
        ["checks measured", *(str(w.checks) for w in windows)],
        ["checks/s", *(f"{w.rate:.1f}" for w in windows)],
        ["p50 ms", *(f"{w.p50_ms:.1f}" for w in windows)],
        ["p99 ms", *(f"{w.p99_ms:.1f}" for w in windows)],
        ["errors / incomplete reports", *(f"{w.errors} / {w.incomplete}" for w in windows)],
    ]
    idle_rows = [
        [i.setup, *(f"{i.ms_per_s.get(r.name, 0.0):.1f}" for r in Role if r is not Role.LOAD)]
        for i in report.idle
    ]
    ratio_rows = [
        [
            f"{r['in_flight']} in flight vs {r['floor']}",
            f"{r['broker_part']:.1f}x",
            f"{r['total']:.1f}x",
            f"{r['rate']:.2f}",
        ]
        for r in _ratios(report)
    ]
    parts = [head, _table(header, rows)]
    if idle_rows:
        idle_header = ["idle, CPU ms per s", *(r.value for r in Role if r is not Role.LOAD)]
        parts.append(_table(idle_header, idle_rows))
    if ratio_rows:
        parts.append(_table(["stack / floor", "broker part", "total", "rate ratio"], ratio_rows))
    parts.append(
        "Rates move with other load on the cores (see 'other processes'); CPU per check much less."
    )
    return "\n\n".join(parts)


def to_json(report: Report) -> dict[str, object]:
    return {
        "plan": asdict(report.plan),
        "kafka": asdict(report.kafka),
        "cores": os.cpu_count(),
        "stack_processes": dict(report.processes),
        "idle_ms_per_s": [asdict(i) for i in report.idle],
        "windows": [
            {
                **asdict(w),
                "checks_per_s": w.rate,
                "cpu_ms_per_check": {r.name.lower(): w.per_check(r) for r in Role},
                "broker_part_ms_per_check": w.per_check(*BROKER_PART),
                "total_ms_per_check": w.per_check(*TOTAL),
            }
            for w in report.windows
        ],
        "ratios": _ratios(report),
    }


# -- command line -----------------------------------------------------------------------------


def _say(text: str) -> None:
    print(f"cpu_budget: {text}", file=sys.stderr, flush=True)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(",") if n)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.cpu_budget",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add(
        "--bootstrap",
        metavar="HOST:PORT[,...]",
        help="a running Kafka on this machine (default: start one with deploy/kafka/kafka.sh)",
    )
    add(
        "--kafka-pid",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="a broker JVM (repeatable; default: whoever listens on the bootstrap ports)",
    )
    add("--population", type=int, default=1_000_000, metavar="N", help="people [%(default)s]")
    add(
        "--in-flight",
        type=_numbers,
        default=(16, 64),
        metavar="N[,N...]",
        help="checks at a time, one window each [16,64]",
    )
    add("--warmup-s", type=float, default=5.0, metavar="S", help="before each window [%(default)s]")
    add("--checks", type=int, default=3000, metavar="N", help="a window's checks [%(default)s]")
    add("--seconds", type=float, default=30.0, metavar="S", help="or its time [%(default)s]")
    add(
        "--idle-s",
        type=float,
        default=3.0,
        metavar="S",
        help="CPU with no load, measured after the windows [%(default)s]",
    )
    add(
        "--topology",
        choices=["separate", "compact"],
        default="separate",
        help="separate: a process per mock and per adapter; compact: one for the five adapters "
        "and one for the five mocks [%(default)s]",
    )
    add("--parts", default="stack,floor", metavar="LIST", help="stack, floor [%(default)s]")
    add(
        "--floor-linger-ms",
        type=_numbers,
        default=(0, 2),
        metavar="MS[,MS...]",
        help="producer linger of the floor, a run each [0,2]",
    )
    add("--uvloop", action="store_true", help="run the floor on uvloop (fair if the stack does)")
    add("--partitions", type=int, default=4, metavar="N", help="per topic [%(default)s]")
    add("--replication", type=int, default=1, metavar="N", help="per topic [%(default)s]")
    add(
        "--start-timeout-s",
        type=float,
        default=900.0,
        metavar="S",
        help="until every system answers (1,000,000 people take minutes) [%(default)s]",
    )
    add("--log-level", default="WARNING", metavar="LEVEL", help="of the stack [%(default)s]")
    add(
        "--out-dir",
        type=Path,
        default=Path("var/cpu-budget"),
        metavar="DIR",
        help="JSON and logs [%(default)s]",
    )
    return parser


def parse_plan(argv: Sequence[str] | None = None) -> Plan:
    args = _parser().parse_args(argv)
    parts = tuple(p for p in args.parts.split(",") if p)
    unknown = set(parts) - {"stack", "floor"}
    if unknown or not parts:
        raise SystemExit(f"cpu_budget: --parts takes stack and/or floor, not {args.parts!r}")
    if not args.in_flight or min(args.in_flight) < 1:
        raise SystemExit("cpu_budget: --in-flight needs positive numbers")
    return Plan(
        bootstrap=args.bootstrap,
        kafka_pids=tuple(args.kafka_pid),
        population=args.population,
        in_flight=args.in_flight,
        warmup_s=args.warmup_s,
        checks=args.checks,
        seconds=args.seconds,
        idle_s=args.idle_s,
        topology=args.topology,
        parts=parts,
        floor_lingers_ms=args.floor_linger_ms,
        uvloop=args.uvloop,
        partitions=args.partitions,
        replication=args.replication,
        start_timeout_s=args.start_timeout_s,
        log_level=args.log_level,
        out_dir=args.out_dir,
    )


async def _main(plan: Plan, run_dir: Path) -> Report:
    # SIGTERM ends the run like Ctrl-C: cancelled, so that every `finally` stops what it started.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(plan, run_dir)


def main(argv: Sequence[str] | None = None) -> int:
    plan = parse_plan(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_dir = plan.out_dir / stamp
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        report = asyncio.run(_main(plan, run_dir))
    except (KeyboardInterrupt, asyncio.CancelledError):
        _say(f"interrupted; everything started was stopped (logs in {run_dir})")
        return 130
    except (ProcessDied, TimeoutError, RuntimeError) as error:
        _say(f"failed: {error}\neverything started was stopped (logs in {run_dir})")
        return 1
    print(render(report))
    out = plan.out_dir / f"cpu-budget-{stamp}.json"
    out.write_text(json.dumps(to_json(report), indent=2, default=str) + "\n")
    print(f"\nJSON: {out}\nlogs: {run_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
