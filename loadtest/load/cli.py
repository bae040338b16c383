"""`interop loadtest`: hold a rate against a gateway, find its capacity, compare two runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format

from broker.transport.heap import settle_heap
from interop.v1 import border_check_pb2 as pb
from loadtest.load import compare as comparing
from loadtest.load import digest, report_html
from loadtest.load.arrivals import Arrivals
from loadtest.load.capacity import Ramp, SearchLimits
from loadtest.load.channels import Tls
from loadtest.load.execute import execute
from loadtest.load.helptext import HelpFormatter
from loadtest.load.packs import PackShare
from loadtest.load.plan import Mode, Plan
from loadtest.load.report import write as write_json
from loadtest.load.runner import Transport
from loadtest.load.slo import parse_slo
from loadtest.load.travellers import VARIANTS
from loadtest.load.units import arg_type, parse_duration, parse_rate, parse_share
from loadtest.load.workload import (
    PURPOSES,
    Mix,
    Pool,
    draw_pool,
    fixed_pool,
    parse_subsets,
    parse_weights,
)

EXIT_SLO_MISSED = 1
EXIT_INVALID = 3

EPILOG = """examples:
  interop loadtest run --target 127.0.0.1:50051 --rate 200 --duration 60s --out var/lt/a
  interop loadtest run --ramp 50:800:50 --step 10s --slo "p99<=100ms,errors<=0.1%" --out var/lt/b
  interop loadtest run --find-max --slo "p99<=100ms" --out var/lt/c
  interop loadtest run --concurrency 8 --duration 30s          closed loop, for comparison
  interop loadtest compare var/lt/a var/lt/b --tolerance 10%

run exits 0 when the run is valid and met its SLO (if one was given), 1 when it missed the
SLO, 3 when the run is invalid (the generator fell behind) or the gateway cannot be reached.
compare exits 1 on a regression beyond the tolerance. Reports: loadtest/README.md."""

RUN_EPILOG = """SLO clauses, comma separated:
  p50|p90|p99|p99.9|max|mean  <=, <, >=, > a latency: p99<=100ms, max<1s
  SYSTEM.p99<=40ms            one system's latency as the broker measured it
  errors<=0.1%                calls that ended in a gRPC error
  incomplete<=1%              reports in which an asked system did not answer
  rate>=300                   achieved checks/s

Latency runs from the intended send time in open loop, so a stall of the server is
counted in full (no coordinated omission); in closed loop (--concurrency) from the
actual send. The workload is drawn from the same synthetic world as the mocks': give
the stack's population and seed (defaults: $INTEROP_POPULATION, $INTEROP_POPULATION_SEED)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interop loadtest",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _run_parser(
        commands.add_parser(
            "run",
            help="send load and write report.json and report.html",
            formatter_class=HelpFormatter,
            description="Send checks to a gateway at a fixed rate, a ramp of rates, the highest "
            "rate that meets an SLO, or in closed loop; write report.json and report.html.",
            epilog=RUN_EPILOG,
        )
    )
    _compare_parser(
        commands.add_parser(
            "compare",
            help="deltas between two runs; exit 1 on a regression",
            formatter_class=HelpFormatter,
            description="Compare a candidate run with a baseline run (report.json files or the "
            "directories holding them).",
        )
    )
    return parser


def _run_parser(run: argparse.ArgumentParser) -> None:
    run.add_argument("--target", default="127.0.0.1:50051", help="gateway HOST:PORT")
    shape = run.add_argument_group("load shape (choose one)").add_mutually_exclusive_group(
        required=True
    )
    shape.add_argument("--rate", type=arg_type(parse_rate), help="open loop at this many checks/s")
    shape.add_argument(
        "--ramp",
        type=arg_type(Ramp.parse),
        metavar="START:STOP:STEP",
        help="open loop, rates from START to STOP checks/s, --step long each; "
        "with --slo it stops at the first step that misses it",
    )
    shape.add_argument(
        "--find-max",
        action="store_true",
        help="search the highest rate that meets --slo: double the rate from "
        "--start-rate while it holds, then bisect",
    )
    shape.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="closed loop: N callers, each sends when its last check ended",
    )
    timing = run.add_argument_group("timing")
    timing.add_argument(
        "--duration",
        type=arg_type(parse_duration),
        default="60s",
        help="length of a --rate or --concurrency run",
    )
    timing.add_argument(
        "--step",
        type=arg_type(parse_duration),
        default="10s",
        help="length of each ramp step or find-max probe",
    )
    timing.add_argument(
        "--arrivals",
        choices=[a.value for a in Arrivals],
        default="constant",
        help="evenly spaced sends, or a Poisson process (random gaps)",
    )
    timing.add_argument(
        "--warmup",
        type=arg_type(parse_duration),
        default="2s",
        help="unmeasured load at the first rate before measuring",
    )
    timing.add_argument("--seed", type=int, default=1, help="seed of the Poisson arrivals")
    judge = run.add_argument_group("judging")
    judge.add_argument(
        "--slo", type=arg_type(parse_slo), help='objective, e.g. "p99<=100ms,errors<=0.1%%"'
    )
    judge.add_argument(
        "--max-lag",
        type=arg_type(parse_duration),
        default="50ms",
        help="the run is invalid when the p99 of the generator's send lag "
        "(actual minus intended send time) exceeds this",
    )
    search = run.add_argument_group("find-max")
    search.add_argument(
        "--start-rate", type=arg_type(parse_rate), default="25", help="first rate probed"
    )
    search.add_argument(
        "--max-rate", type=arg_type(parse_rate), default="5000", help="highest rate probed"
    )
    search.add_argument(
        "--growth", type=float, default=2.0, help="factor between probes until one misses the SLO"
    )
    search.add_argument(
        "--precision",
        type=arg_type(parse_share),
        default="5%",
        help="stop bisecting when the bracket is narrower than this",
    )
    search.add_argument("--max-probes", type=int, default=12, help="at most this many probes")
    search.add_argument(
        "--max-time",
        type=arg_type(parse_duration),
        default="10m",
        help="no new probe after this long",
    )
    _workload_options(run)
    transport = run.add_argument_group("transport")
    transport.add_argument(
        "--channels", type=int, default=4, help="gRPC channels (connections), used round-robin"
    )
    transport.add_argument(
        "--max-in-flight",
        type=int,
        default=10_000,
        help="open loop: checks in flight at most; past it the generator "
        "waits, and its lag says so",
    )
    transport.add_argument(
        "--timeout", type=arg_type(parse_duration), default="5s", help="gRPC deadline of each check"
    )
    transport.add_argument(
        "--tls-dir",
        type=Path,
        help="use mTLS with ca.pem and NAME.pem/NAME.key from here (as written by interop pki)",
    )
    transport.add_argument("--client-name", help="client certificate NAME in --tls-dir")
    output = run.add_argument_group("output")
    output.add_argument(
        "--out",
        type=Path,
        help="directory for report.json and report.html (default var/loadtest/<UTC time>)",
    )
    output.add_argument(
        "--metrics-url",
        action="append",
        default=[],
        metavar="URL",
        help="Prometheus endpoint scraped before and after the run "
        "(repeatable, e.g. http://127.0.0.1:9464/metrics)",
    )
    output.add_argument("--quiet", action="store_true", help="no live progress line on stderr")


def _workload_options(run: argparse.ArgumentParser) -> None:
    mix = run.add_argument_group("workload")
    mix.add_argument(
        "--population",
        type=int,
        default=int(os.environ.get("INTEROP_POPULATION", "10000")),
        help="synthetic people in the stack's world (as its --population)",
    )
    mix.add_argument(
        "--population-seed",
        type=int,
        default=int(os.environ.get("INTEROP_POPULATION_SEED", "2026")),
        help="seed of the stack's world",
    )
    mix.add_argument("--mix-seed", type=int, default=1, help="seed of the drawn requests")
    mix.add_argument(
        "--distinct",
        type=int,
        default=2000,
        help="distinct requests drawn before the run; sends cycle through them",
    )
    mix.add_argument(
        "--variants",
        default="exact=5,typo=2,mrz=1,document=1,biometrics=1",
        help=f"query variants by weight, from: {', '.join(VARIANTS)}",
    )
    mix.add_argument(
        "--purposes",
        default="border-entry=8,border-exit=1,in-territory-check=1",
        help=f"purposes by weight, from: {', '.join(PURPOSES)}",
    )
    mix.add_argument(
        "--systems",
        default="all",
        help="system subsets by weight: 'all' (what the profile may ask) or "
        "systems joined by '+', e.g. all=8,sis+vis=1,sis=1",
    )
    mix.add_argument(
        "--hit-ratio",
        type=arg_type(parse_share),
        help="share of checks about someone on record in an asked system "
        "(default: the world's own share)",
    )
    mix.add_argument(
        "--pack",
        action="append",
        default=[],
        type=arg_type(PackShare.parse),
        metavar="FILE[=SHARE]",
        help="mix in a scenario pack's checks at this share of all checks "
        "(default 0.1; load the pack into the mocks first)",
    )
    mix.add_argument(
        "--request",
        type=Path,
        metavar="FILE",
        help="send this CheckRequest (protobuf JSON) every time instead of the mix",
    )
    mix.add_argument(
        "--deadline-ms", type=int, help="deadline_ms of every request (default: the broker's)"
    )


def _compare_parser(cmp: argparse.ArgumentParser) -> None:
    cmp.add_argument("baseline", type=Path, help="report.json (or its directory) to compare with")
    cmp.add_argument("candidate", type=Path, help="report.json (or its directory) under test")
    cmp.add_argument(
        "--tolerance",
        type=arg_type(parse_share),
        default="10%",
        help="relative change of a latency or rate that counts as a regression",
    )
    cmp.add_argument(
        "--share-tolerance",
        type=arg_type(parse_share),
        default="0.1%",
        help="rise of the error or incomplete share, in points, that counts as one",
    )


def _mode(args: argparse.Namespace) -> Mode:
    if args.ramp is not None:
        return Mode.RAMP
    if args.find_max:
        return Mode.FIND_MAX
    if args.concurrency is not None:
        return Mode.CLOSED
    return Mode.FIXED


def plan_of(args: argparse.Namespace) -> Plan:
    mode = _mode(args)
    if mode is Mode.FIND_MAX and args.slo is None:
        raise ValueError(
            "--find-max needs --slo: the rate it looks for is the highest that meets it"
        )
    if args.client_name and not args.tls_dir:
        raise ValueError("--client-name needs --tls-dir")
    if min(args.channels, args.max_in_flight, args.concurrency or 1, args.distinct) < 1:
        raise ValueError(
            "--channels, --max-in-flight, --concurrency and --distinct must be at least 1"
        )
    search = SearchLimits(
        args.start_rate, args.max_rate, args.growth, args.precision, args.max_probes, args.max_time
    )
    return Plan(
        mode=mode,
        target_rate=args.rate,
        duration_s=args.duration,
        ramp=args.ramp,
        step_s=args.step,
        search=search if mode is Mode.FIND_MAX else None,
        concurrency=args.concurrency,
        arrivals=Arrivals(args.arrivals),
        warmup_s=args.warmup,
        slo=args.slo,
        max_lag_ms=args.max_lag * 1000,
        transport=Transport(
            target=args.target,
            channels=args.channels,
            tls=Tls(args.tls_dir, args.client_name) if args.tls_dir else None,
            timeout_s=args.timeout,
            max_in_flight=args.max_in_flight,
        ),
        mix=None if args.request else _mix(args),
        request_file=args.request,
        deadline_ms=args.deadline_ms,
        metrics_urls=tuple(args.metrics_url),
        seed=args.seed,
    )


def _mix(args: argparse.Namespace) -> Mix:
    return Mix(
        population=args.population,
        population_seed=args.population_seed,
        seed=args.mix_seed,
        distinct=args.distinct,
        variants=parse_weights(args.variants, VARIANTS, "variant"),
        purposes=parse_weights(args.purposes, PURPOSES, "purpose"),
        subsets=parse_subsets(args.systems),
        hit_ratio=args.hit_ratio,
        packs=tuple(args.pack),
    )


def pool_of(plan: Plan) -> Pool:
    if plan.request_file is not None:
        text = plan.request_file.read_text(encoding="utf-8")
        try:
            request = json_format.Parse(text, pb.CheckRequest())
        except json_format.ParseError as error:
            raise ValueError(f"--request {plan.request_file}: {error}") from None
        return fixed_pool(request, plan.deadline_ms)
    assert plan.mix is not None
    return draw_pool(plan.mix, plan.deadline_ms)


def _run(args: argparse.Namespace) -> int:
    plan = plan_of(args)
    pool = pool_of(plan)
    # The pool and the world it was drawn from stay for the whole run: out of the
    # collector's sight, so that its pauses do not delay sends (the send lag).
    settle_heap("interop loadtest")
    out = args.out or Path("var/loadtest") / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    report = asyncio.run(execute(plan, pool, show_progress=not args.quiet))
    files = [write_json(report, out), report_html.write(report, out)]
    print("\n".join(digest.lines(report, files)))
    if not report.valid:
        return EXIT_INVALID
    return EXIT_SLO_MISSED if report.met_slo is False else 0


def _compare(args: argparse.Namespace) -> int:
    result = comparing.compare(
        comparing.load(args.baseline),
        comparing.load(args.candidate),
        args.tolerance,
        args.share_tolerance,
    )
    print(comparing.render(result, args.tolerance, args.share_tolerance))
    return 1 if result.regressed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _run(args) if args.command == "run" else _compare(args)
    except ValueError as error:
        parser.error(str(error))
    except (OSError, TimeoutError) as error:
        print(f"interop loadtest: {error}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130
