"""Does `interop loadtest` agree with ghz? Same rate, same payload, same gateway.

    python -m loadtest.ghz_agreement --target 127.0.0.1:50051 --rate 50 --duration 30s

Builds a protoset of the API with buf (ghz's own .proto parser rejects proto3
`optional`), installs ghz into .cache/bin from the Go module proxy if it is missing,
then runs ghz and `python -m loadtest run --request` one after the other at the same
fixed rate with the same CheckRequest (the ICAO specimen traveller by default), each
after the same warm-up, in `--rounds` rounds taking turns (a shared machine's load
drifts), and prints both achieved rates and p50s per round and the median ratios.
Exits 1 when a median ratio is off by more than `--agreement` (10 %).

ghz times a call from its actual send, so the load test's figure compared with it is
its service time (also from the actual send); its latency from the intended send time
is shown beside it, and is larger by the generator's send lag (asyncio wakes up to a
millisecond late: its timers have millisecond resolution).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.load.helptext import HelpFormatter
from loadtest.load.units import arg_type, format_duration, parse_duration, parse_rate, parse_share

# The newest ghz on the Go module proxy; it builds with Go 1.26.
GHZ_VERSION = "v0.121.0"
ROOT = Path(__file__).resolve().parents[1]
GHZ = ROOT / ".cache" / "bin" / "ghz"
METHOD = "interop.v1.BorderCheck.Check"
SPECIMEN = {
    "purpose": "PURPOSE_BORDER_ENTRY",
    "traveller": {
        "surname": "ERIKSSON",
        "given_names": ["ANNA", "MARIA"],
        "date_of_birth": "1974-08-12",
        "nationality": "UTO",
        "document": {"number": "L898902C3"},
    },
}


@dataclass(frozen=True, slots=True)
class Measured:
    tool: str
    rate: float
    p50_ms: float
    p99_ms: float
    calls: int
    errors: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class Load:
    target: str
    rate: float
    duration_s: float
    warmup_s: float
    connections: int
    payload: Path


def build_protoset(out: Path) -> Path:
    subprocess.run(["npx", "--no-install", "buf", "build", "-o", str(out)], cwd=ROOT, check=True)
    return out


def ghz_binary() -> Path:
    """ghz from PATH or .cache/bin; installed there with `go install` when missing."""
    found = shutil.which("ghz")
    if found:
        return Path(found)
    if not GHZ.exists():
        print(f"installing ghz {GHZ_VERSION} into {GHZ.parent}", file=sys.stderr)
        subprocess.run(
            ["go", "install", f"github.com/bojand/ghz/cmd/ghz@{GHZ_VERSION}"],
            env=os.environ | {"GOBIN": str(GHZ.parent)},
            check=True,
        )
    return GHZ


def _flags(options: dict[str, str]) -> list[str]:
    return [part for pair in options.items() for part in pair]


def run_ghz(ghz: Path, protoset: Path, load: Load, out: Path) -> Measured:
    # ghz sends at --rps with as many workers as it is given: enough for half a second.
    workers = max(10, round(load.rate / 2))
    options = {
        "--protoset": str(protoset),
        "--call": METHOD,
        "--data-file": str(load.payload),
        "--rps": f"{load.rate:g}",
        "--duration": f"{load.warmup_s + load.duration_s:g}s",
        "--skipFirst": str(round(load.rate * load.warmup_s)),
        "--concurrency": str(workers),
        "--connections": str(load.connections),
        "--timeout": "5s",
        "--format": "json",
        "--output": str(out),
    }
    subprocess.run([str(ghz), "--insecure", *_flags(options), load.target], check=True)
    report: dict[str, Any] = json.loads(out.read_text())
    percentiles = {p["percentage"]: p["latency"] / 1e6 for p in report["latencyDistribution"]}
    statuses: dict[str, int] = report.get("statusCodeDistribution", {})
    return Measured(
        "ghz",
        _achieved(report["details"]),
        percentiles[50],
        percentiles[99],
        int(report["count"]),
        sum(n for status, n in statuses.items() if status != "OK"),
    )


def _achieved(details: list[dict[str, Any]]) -> float:
    """Calls per second over the measured calls, first send to last end.

    ghz's own `rps` divides by the whole run, warm-up included; the load test divides
    the measured checks by the time from the first measured send to the last end.
    """
    starts = [dt.datetime.fromisoformat(d["timestamp"]).timestamp() for d in details]
    ends = [start + float(d["latency"]) / 1e9 for start, d in zip(starts, details, strict=True)]
    return len(details) / (max(ends) - min(starts))


def run_loadtest(load: Load, out: Path) -> Measured:
    options = {
        "--target": load.target,
        "--rate": f"{load.rate:g}",
        "--duration": f"{load.duration_s:g}s",
        "--warmup": f"{load.warmup_s:g}s",
        "--request": str(load.payload),
        "--channels": str(load.connections),
        "--out": str(out),
    }
    # Exit 3 (invalid) still leaves a report to compare; a missing report fails below.
    subprocess.run(
        [sys.executable, "-m", "loadtest", "run", *_flags(options), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    summary = json.loads((out / "report.json").read_text())["summary"]
    return Measured(
        "interop loadtest",
        float(summary["achieved_rate"]),
        float(summary["service_time"]["p50_ms"]),
        float(summary["service_time"]["p99_ms"]),
        int(summary["completed"]),
        int(summary["errors"]),
        f"  (from the intended send: p50 {summary['latency']['p50_ms']:.2f} ms, "
        f"p99 {summary['latency']['p99_ms']:.2f} ms)",
    )


def _line(m: Measured) -> str:
    return (
        f"{m.tool:>17}: achieved {m.rate:8.2f}/s  p50 {m.p50_ms:8.2f} ms  "
        f"p99 {m.p99_ms:8.2f} ms  calls {m.calls}  errors {m.errors}{m.note}"
    )


def ratios(rounds: list[tuple[Measured, Measured]]) -> dict[str, float]:
    """Median over the rounds of interop loadtest / ghz, for the achieved rate and the p50."""
    return {
        "achieved rate": statistics.median(ours.rate / ghz.rate for ghz, ours in rounds),
        "p50": statistics.median(ours.p50_ms / ghz.p50_ms for ghz, ours in rounds),
    }


def measure(load: Load, rounds: int, directory: Path) -> list[tuple[Measured, Measured]]:
    """`rounds` rounds of both tools; who goes first alternates, so drift hits both alike."""
    protoset = build_protoset(directory / "interop.protoset")
    ghz = ghz_binary()
    results = []
    for i in range(rounds):
        first_ghz = i % 2 == 0
        if first_ghz:
            theirs = run_ghz(ghz, protoset, load, directory / f"ghz-{i}.json")
        ours = run_loadtest(load, directory / f"loadtest-{i}")
        if not first_ghz:
            theirs = run_ghz(ghz, protoset, load, directory / f"ghz-{i}.json")
        print(f"round {i + 1}:\n{_line(theirs)}\n{_line(ours)}", flush=True)
        results.append((theirs, ours))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        epilog="Both tools talk plaintext gRPC to --target; run it against `interop up`.",
        prog="python -m loadtest.ghz_agreement",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--target", default="127.0.0.1:50051", help="gateway HOST:PORT")
    parser.add_argument(
        "--rate", type=arg_type(parse_rate), default="50", help="checks/s for both tools"
    )
    parser.add_argument(
        "--duration", type=arg_type(parse_duration), default="20s", help="measured time per run"
    )
    parser.add_argument(
        "--warmup", type=arg_type(parse_duration), default="3s", help="unmeasured start per run"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of each tool, taking turns; the ratios are the medians over the rounds",
    )
    parser.add_argument("--connections", type=int, default=4, help="gRPC connections per tool")
    parser.add_argument(
        "--request",
        type=Path,
        help="CheckRequest as protobuf JSON; without it, the ICAO specimen traveller",
    )
    parser.add_argument(
        "--agreement",
        type=arg_type(parse_share),
        default="10%",
        help="largest difference of the ratios from 1",
    )
    args = parser.parse_args(argv)
    print(
        f"{args.rate:g} checks/s for {format_duration(args.duration)} (after "
        f"{format_duration(args.warmup)} warm-up) against {args.target}, same request, "
        f"{args.rounds} rounds",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ghz-agreement-") as work:
        directory = Path(work)
        payload = args.request or directory / "request.json"
        if args.request is None:
            payload.write_text(json.dumps(SPECIMEN))
        load = Load(args.target, args.rate, args.duration, args.warmup, args.connections, payload)
        rounds = measure(load, max(1, args.rounds), directory)
    agree = True
    for what, ratio in ratios(rounds).items():
        within = abs(ratio - 1) <= args.agreement
        agree &= within
        print(
            f"{what:>17}: interop loadtest / ghz = {ratio:.3f} (median; "
            f"{'within' if within else 'OUTSIDE'} {args.agreement:.0%})"
        )
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
