"""`interop`: run the stack or one part of it, and send checks from a terminal."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path

import grpc
from google.protobuf import json_format

from broker.audit.trail import Anchors
from broker.domain.labels import short_name
from broker.domain.profiles import PROFILES
from broker.transport.bus import BusUnavailable
from broker.transport.bus.factory import BUS_KINDS
from broker.transport.envelope import ChannelKeys, KeyringError, audit_channel
from broker.transport.links import InsecureLink, dial
from broker.transport.telemetry import Telemetry, loopback_listen
from interop.v1 import border_check_pb2 as pb
from mocks.scenarios import ScenarioError
from mocks.scenarios import load as load_pack
from stack.client import GATEWAY_HINT, answering, check, check_stream, field_violations
from stack.render import render_report
from stack.settings import Settings, load_settings
from systems import REGISTRY

EPILOG = """examples:
  interop up --insecure                       whole stack, in-memory bus, 127.0.0.1:50051
  interop up --insecure --bus kafka --bootstrap 127.0.0.1:9092
  INTEROP_TLS_DIR=var/pki interop up          the same with mTLS on every link
  interop check --surname ERIKSSON --given-names "ANNA MARIA" --dob 1974-08-12 --sex F \\
                --nationality UTO --document L898902C3 --issuing-state UTO
  interop serve gateway --bus kafka --insecure  one part per process
  interop serve adapter sis --bus kafka --insecure
  interop serve mock sis --insecure
  interop serve adapters sis,vis,ees,etias,eurodac --bus kafka --insecure   all adapters
  interop serve mocks sis,vis,ees,etias,eurodac --insecure                  all mocks
  interop scenario run mocks/packs/*.yaml     run scenario packs, PASS/FAIL per check
  interop mock faults vis --latency-ms 3000   make a mock slow (see interop mock --help)
  interop up --metrics-listen 127.0.0.1:9464  Prometheus metrics at http://127.0.0.1:9464/metrics
  interop loadtest run --rate 50 --duration 60s   hold a rate, write a report (loadtest --help)

Plaintext (--insecure) serves and dials loopback addresses only; with INTEROP_TLS_DIR every
link is mutual TLS (`interop pki` makes development certificates).

Every setting can also come from the environment (INTEROP_BUS, INTEROP_KAFKA_BOOTSTRAP,
INTEROP_GATEWAY_LISTEN, ...; see README)."""

PURPOSES = {
    short_name(pb.Purpose, v).lower().replace("_", "-"): v for v in pb.Purpose.values() if v
}
SEXES = {"M": pb.SEX_MALE, "F": pb.SEX_FEMALE, "X": pb.SEX_OTHER}
LOADTEST = "loadtest"
DEFAULT_TARGET = "127.0.0.1:50051"  # where clients look for the gateway


_SYSTEMS = f"comma separated, from: {', '.join(REGISTRY.names)}"


def _system_list(text: str) -> tuple[str, ...]:
    try:
        names = tuple(dict.fromkeys(REGISTRY[n].name for n in text.split(",") if n.strip()))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if not names:
        raise argparse.ArgumentTypeError("name at least one system")
    return names


_UINT32_MAX = 2**32 - 1


def _count(text: str) -> int:
    """A whole number a MockControl field holds (uint32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value <= _UINT32_MAX:
        raise argparse.ArgumentTypeError(f"{value} is not between 0 and {_UINT32_MAX}")
    return value


def _spread(text: str) -> float:
    """A lognormal sigma: a finite number, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a finite number, 0 or more")
    return value


def _insecure_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="without INTEROP_TLS_DIR: serve and call in plaintext, on loopback addresses only",
    )


def _tls_options(parser: argparse.ArgumentParser, whom: str) -> None:
    parser.add_argument("--tls-dir", help="use mTLS with ca.pem and NAME.pem/NAME.key from here")
    parser.add_argument("--client-name", help=f"client certificate NAME in --tls-dir ({whom})")


def _bus_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bus", choices=BUS_KINDS, help="message bus (default: $INTEROP_BUS or memory)"
    )
    parser.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="Kafka bootstrap servers (default: $INTEROP_KAFKA_BOOTSTRAP or 127.0.0.1:9092)",
    )


def _loopback(text: str) -> str:
    try:
        loopback_listen(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _metrics_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--metrics-listen",
        type=_loopback,
        metavar="HOST:PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics, loopback only; port 0 "
        "takes a free one (default: $INTEROP_METRICS_LISTEN or off)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="interop",
        description="Interoperability broker for EU border systems: one check to SIS, VIS, "
        "EES, ETIAS and Eurodac, one merged hit report.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO, WARNING (default INFO)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="run gateway, five adapters and five mocks in one process")
    _bus_options(up)
    _insecure_option(up)
    up.add_argument(
        "--listen", metavar="HOST:PORT", help="gateway address (default 127.0.0.1:50051)"
    )
    up.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="FILE",
        help="scenario pack to load into the mocks (repeatable)",
    )
    up.add_argument(
        "--population",
        type=int,
        metavar="N",
        help="synthetic people per system (default 10000; e.g. 1000000)",
    )
    _metrics_option(up)

    serve = commands.add_parser("serve", help="run one part of the stack in this process")
    parts = serve.add_subparsers(dest="part", required=True, metavar="PART")
    gw = parts.add_parser("gateway", help="the BorderCheck gRPC gateway")
    _bus_options(gw)
    _insecure_option(gw)
    gw.add_argument("--listen", metavar="HOST:PORT", help="default 127.0.0.1:50051")
    gw.add_argument("--gateway-id", help="names this instance's reply topic (default gw1)")
    _metrics_option(gw)
    ad = parts.add_parser(
        "adapter",
        aliases=["adapters"],
        help="the adapter of one system, or of several (each a consumer group member)",
    )
    ad.add_argument("systems", type=_system_list, metavar="SYSTEM[,SYSTEM...]", help=_SYSTEMS)
    ad.add_argument(
        "--health-listen",
        metavar="HOST:PORT",
        help="serve grpc.health.v1 here (for probes); off by default",
    )
    _bus_options(ad)
    _insecure_option(ad)
    ad.add_argument(
        "--system-address",
        metavar="HOST:PORT",
        help="where the system (or its mock) answers; one system only "
        "(default: $INTEROP_MOCK_<SYSTEM> or 127.0.0.1:5006x)",
    )
    _metrics_option(ad)
    mk = parts.add_parser("mock", aliases=["mocks"], help="the mock of one system, or of several")
    mk.add_argument("systems", type=_system_list, metavar="SYSTEM[,SYSTEM...]", help=_SYSTEMS)
    mk.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="one system only (default: $INTEROP_MOCK_<SYSTEM> or 127.0.0.1:5006x)",
    )
    mk.add_argument(
        "--scenario",
        action="append",
        default=[],
        metavar="FILE",
        help="scenario pack to load (repeatable)",
    )
    mk.add_argument("--population", type=int, metavar="N", help="synthetic people (default 10000)")
    _insecure_option(mk)
    _metrics_option(mk)

    sc = commands.add_parser("scenario", help="run scenario packs against a gateway")
    sc.add_argument(
        "action", choices=["run"], help="run: seed each pack, send its checks, PASS/FAIL"
    )
    sc.add_argument("files", nargs="+", metavar="FILE", help="scenario packs (mocks/packs/*.yaml)")
    sc.add_argument(
        "--target", default=DEFAULT_TARGET, help="gateway address (default %(default)s)"
    )
    sc.add_argument(
        "--mock",
        action="append",
        default=[],
        metavar="SYSTEM=HOST:PORT",
        help="where a mock's MockControl answers (default: configured addresses)",
    )
    sc.add_argument(
        "--no-seed",
        action="store_true",
        help="only run the checks; the systems already hold the records",
    )
    _tls_options(sc, "for the gateway")
    sc.add_argument(
        "--control-name",
        help="client certificate for the mocks' MockControl (a test-team profile; "
        "default: --client-name)",
    )

    mc = commands.add_parser("mock", help="drive a mock: seed, reset, faults, calls")
    mc.add_argument(
        "action",
        choices=["seed", "reset", "faults", "calls"],
        help="seed: add a pack's records; reset: drop records, faults and calls, back to how "
        "the mock started; faults: set them (options below); calls: what the mock was asked",
    )
    mc.add_argument("system", choices=REGISTRY.names, help="the mock to drive")
    mc.add_argument("file", nargs="?", help="scenario pack to take the records from (seed)")
    mc.add_argument("--target", help="the mock's address (default: its configured one)")
    mc.add_argument("--session", default="", help="test session (x-test-session header)")
    faults = mc.add_argument_group("faults (all off by default)")
    faults.add_argument("--latency-ms", type=_count, default=0, help="fixed added latency")
    faults.add_argument("--lognormal-median-ms", type=_count, default=0, help="lognormal latency")
    faults.add_argument(
        "--lognormal-sigma", type=_spread, default=0.0, help="spread of the lognormal latency"
    )
    faults.add_argument("--error-rate", type=float, default=0.0, help="probability 0..1")
    faults.add_argument("--every-nth", type=_count, default=0, help="fail every Nth call")
    faults.add_argument("--error-code", default="", help="gRPC status name (UNAVAILABLE)")
    faults.add_argument("--error-message", default="", help='text of the errors ("injected fault")')
    faults.add_argument("--outage-s", type=_count, default=0, help="UNAVAILABLE for N seconds")
    mc.add_argument(
        "--limit", type=_count, default=20, help="calls: the newest N (default %(default)s)"
    )
    _tls_options(mc, "with a profile that may control mocks, e.g. test-team")

    ck = commands.add_parser(
        "check",
        help="send one border check and print the hit report",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ck.add_argument(
        "--target", default=DEFAULT_TARGET, help="gateway address (default %(default)s)"
    )
    ck.add_argument(
        "--surname", help="e.g. ERIKSSON; Cyrillic, Greek and Arabic letters are transliterated"
    )
    ck.add_argument("--given-names", help='space separated, e.g. "ANNA MARIA"')
    ck.add_argument("--dob", help="date of birth YYYY-MM-DD (00 for unknown month/day)")
    ck.add_argument("--sex", choices=list(SEXES), help="M, F or X (unspecified)")
    ck.add_argument(
        "--nationality", help="ISO 3166-1 alpha-3 or ICAO 9303 code, e.g. DEU (or D), RKS, XXA"
    )
    ck.add_argument("--document", help="travel document number")
    ck.add_argument(
        "--document-type",
        choices=["passport", "id-card", "visa", "residence-permit"],
        help="type of the travel document",
    )
    ck.add_argument("--issuing-state", help="State that issued the document, e.g. UTO, FRA")
    ck.add_argument("--expiry", help="document expiry YYYY-MM-DD")
    ck.add_argument("--issue-date", help="document issue date YYYY-MM-DD (not in the MRZ)")
    ck.add_argument("--visa-sticker", help="visa sticker number")
    ck.add_argument(
        "--mrz",
        nargs="+",
        metavar="LINE",
        help="the MRZ lines (2 or 3), each as one argument or joined by \\n",
    )
    ck.add_argument(
        "--purpose",
        choices=list(PURPOSES),
        default="border-entry",
        help="why the check is made: it decides which systems are asked (default %(default)s)",
    )
    ck.add_argument("--checking-state", help="Member State making the check, e.g. DEU")
    ck.add_argument("--crossing-point", help="border crossing point, e.g. DEU-FRA-AIRPORT")
    stay = ck.add_mutually_exclusive_group()
    stay.add_argument("--exit-date", help="intended exit from the Schengen area YYYY-MM-DD")
    stay.add_argument("--stay-days", type=int, help="intended stay in days, entry day included")
    ck.add_argument("--systems", help="comma separated subset, e.g. sis,vis (default: all)")
    ck.add_argument("--deadline-ms", type=int, help="how long the broker may wait (default 2000)")
    ck.add_argument(
        "--request-id", default="", help="your reference, kept in the report and the audit"
    )
    ck.add_argument("--json", action="store_true", help="print the report as JSON")
    ck.add_argument(
        "--stream",
        action="store_true",
        help="use CheckStream: print each system's result as it arrives",
    )

    _tls_options(ck, "mapped to a profile by INTEROP_CLIENTS")

    keys = commands.add_parser("keys", help="keys that seal messages on the bus")
    keys.add_argument(
        "action",
        choices=["init", "rotate"],
        help="init: create development keys for every channel; rotate: add a new current key",
    )
    keys.add_argument("--dir", help="key directory (default: $INTEROP_KEYS_DIR or var/keys)")

    pki = commands.add_parser("pki", help="create a CA, a server and client certificates for mTLS")
    pki.add_argument("--dir", default="var/pki", help="where to write them (default var/pki)")
    pki.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="NAME",
        help="a client certificate to issue (repeatable), e.g. terminal-1 or tester; the "
        "adapters' certificates are always issued",
    )
    pki.add_argument("--force", action="store_true", help="replace an existing CA")

    audit = commands.add_parser(
        "audit",
        help="check an audit trail: its keyed chain, and its anchors on the audit topic",
        description="Exit 0: intact and anchored; 1: altered, removed, reordered or cut "
        "(the line is named); 2: the chain is intact but no anchor could be read, so a cut "
        "tail cannot be ruled out; 3: the trail cannot be read (no such file, no key for "
        "the trail, or Kafka out of reach).",
    )
    audit.add_argument("action", choices=["verify"], help="verify: check the chain and anchors")
    audit.add_argument(
        "file", nargs="?", help="audit file (default: the trail's in $INTEROP_AUDIT_DIR)"
    )
    audit.add_argument(
        "--trail",
        help="whose trail: a gateway id (default: $INTEROP_GATEWAY_ID or gw1) or mock-SYSTEM",
    )
    _bus_options(audit)
    audit.add_argument(
        "--keys-dir", help="holds audit.TRAIL/ (default: $INTEROP_KEYS_DIR or var/keys)"
    )

    hl = commands.add_parser("health", help="ask a server's grpc.health.v1 status")
    hl.add_argument(
        "--target", default="127.0.0.1:50051", help="the server's address (default %(default)s)"
    )
    hl.add_argument("--service", default="", help="service name (default: the whole server)")
    _tls_options(hl, "any certificate of the CA")

    lt = commands.add_parser(
        LOADTEST,
        help="load-test a gateway: run (a rate, a ramp, find-max), compare two runs",
        description="The load tool; `interop loadtest --help` and `interop loadtest run "
        "--help` describe its options (loadtest/README.md).",
        add_help=False,
    )
    lt.add_argument(
        "argv", nargs=argparse.REMAINDER, metavar="run|compare ...", help="the load tool's command"
    )
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings().with_overrides(
        bus=getattr(args, "bus", None),
        bootstrap=getattr(args, "bootstrap", None),
        gateway_listen=getattr(args, "listen", None)
        if args.command != "serve" or args.part == "gateway"
        else None,
        gateway_id=getattr(args, "gateway_id", None),
        insecure=getattr(args, "insecure", False) or None,
        scenarios=tuple(getattr(args, "scenario", None) or ()) or None,
        population=getattr(args, "population", None),
        metrics_listen=getattr(args, "metrics_listen", None),
    )
    part = _part(args)
    address = getattr(args, "listen", None) if part == "mock" else None
    if part == "adapter":
        address = args.system_address
    if address:
        if len(args.systems) != 1:
            raise SystemExit("interop: an address can be given for one system only")
        settings = settings.with_overrides(
            mock_addresses={**settings.mock_addresses, args.systems[0]: address}
        )
    return settings


_GATEWAY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _served_problems(args: argparse.Namespace, settings: Settings) -> list[str]:
    """What in the settings of `interop up` or `interop serve` cannot be served: an address
    that is not HOST:PORT with a port up to 65535, a scenario pack that cannot be read, a
    gateway id that cannot name a topic."""
    part = _part(args)
    named: list[tuple[str, str]] = []
    if args.command == "up" or part == "gateway":
        named.append(("--listen or INTEROP_GATEWAY_LISTEN", settings.gateway_listen))
    systems = REGISTRY.names if args.command == "up" else getattr(args, "systems", ())
    if part in ("mock", "adapter") or args.command == "up":
        for system in systems:
            where = {"mock": "--listen or ", "adapter": "--system-address or "}.get(part or "", "")
            named.append((f"{where}INTEROP_MOCK_{system.upper()}", settings.mock_addresses[system]))
    problems = [
        f"{name}: {address!r} is not HOST:PORT with a port from 0 to 65535"
        for name, address in named
        if not _host_port(address)
    ]
    if args.command == "up" or part == "mock":
        for pack in settings.scenarios:
            try:
                load_pack(Path(pack), REGISTRY.names)
            except ScenarioError as error:
                problems.append(str(error))
    if (args.command == "up" or part == "gateway") and not _GATEWAY_ID.fullmatch(
        settings.gateway_id
    ):
        problems.append(
            f"--gateway-id or INTEROP_GATEWAY_ID: {settings.gateway_id!r} names the reply topic: "
            "letters, digits, '.', '_' and '-', at most 64, starting with a letter or digit"
        )
    return problems


def _host_port(address: str) -> bool:
    host, sep, port = address.rpartition(":")
    return bool(sep and host.strip("[]") and port.isascii() and port.isdigit()) and (
        int(port) <= 65535
    )


def _part(args: argparse.Namespace) -> str | None:
    """`serve`'s part with aliases folded: "adapters" is "adapter", "mocks" is "mock"."""
    part: str | None = getattr(args, "part", None)
    return part.removesuffix("s") if part else None


def build_request(args: argparse.Namespace) -> pb.CheckRequest:
    traveller = pb.Traveller(
        surname=args.surname or "",
        given_names=(args.given_names or "").split(),
        date_of_birth=args.dob or "",
        sex=SEXES.get(args.sex or "", pb.SEX_UNSPECIFIED),
        nationality=args.nationality or "",
        visa_sticker_number=args.visa_sticker or "",
        mrz="\n".join(line.replace("\\n", "\n") for line in args.mrz or []),
    )
    if args.document or args.issuing_state or args.expiry or args.issue_date or args.document_type:
        traveller.document.number = args.document or ""
        traveller.document.issuing_state = args.issuing_state or ""
        traveller.document.expiry_date = args.expiry or ""
        traveller.document.issue_date = args.issue_date or ""
        if args.document_type:
            traveller.document.type = pb.DocumentType.Value(
                "DOCUMENT_TYPE_" + args.document_type.upper().replace("-", "_")
            )
    request = pb.CheckRequest(
        request_id=args.request_id,
        purpose=PURPOSES[args.purpose],
        traveller=traveller,
        checking_state=args.checking_state or "",
        border_crossing_point=args.crossing_point or "",
    )
    if args.exit_date:
        request.intended_exit_date = args.exit_date
    if args.stay_days is not None:
        # The field is unsigned: a negative count is sent as 0, which the gateway refuses.
        request.intended_stay_days = max(0, args.stay_days)
    if args.systems:
        try:
            chosen = [REGISTRY.catalog.by_name(s).value for s in args.systems.split(",")]
        except ValueError as error:
            raise SystemExit(f"interop: --systems: {error}") from None
        request.systems.extend(chosen)
    if args.deadline_ms is not None:
        request.deadline_ms = args.deadline_ms
    return request


def _credentials(
    args: argparse.Namespace, name: str | None = None
) -> grpc.ChannelCredentials | None:
    """mTLS credentials from --tls-dir as client certificate `name` (default --client-name)."""
    if not args.tls_dir:
        return None
    from broker.transport.tls import channel_credentials

    directory = Path(args.tls_dir)
    name = name or args.client_name
    return channel_credentials(
        directory / "ca.pem",
        directory / f"{name}.pem" if name else None,
        directory / f"{name}.key" if name else None,
    )


async def _check(args: argparse.Namespace) -> int:
    with answering("gateway", GATEWAY_HINT):
        await _print_check(args)
    return 0


async def _print_check(args: argparse.Namespace) -> None:
    request = build_request(args)
    timeout = max(5.0, (args.deadline_ms or 2000) / 1000 + 3)
    credentials = _credentials(args)
    if not args.stream:
        report = await check(args.target, request, timeout, credentials)
        print(_json(report) if args.json else render_report(report))
        return
    async for event in check_stream(args.target, request, timeout, credentials):
        if args.json:
            print(_json(event))
        elif event.HasField("system_result"):
            o = event.system_result.outcome
            status = short_name(pb.OutcomeStatus, o.status)
            print(
                f"-> {REGISTRY.catalog.name(o.system).upper():<8} {status:<13} "
                f"{o.hit_count} hit(s) {o.latency_ms:>5} ms",
                flush=True,
            )
        else:
            print(render_report(event.report))


def _json(message: pb.HitReport | pb.CheckEvent) -> str:
    return json_format.MessageToJson(message, preserving_proto_field_name=True)


async def _health(args: argparse.Namespace) -> int:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    request = health_pb2.HealthCheckRequest(service=args.service)
    try:
        with answering("server", "is it running? name it with --target HOST:PORT"):
            async with dial(args.target, _credentials(args)) as health_channel:
                stub = health_pb2_grpc.HealthStub(health_channel)
                response = await stub.Check(request, timeout=5)
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.NOT_FOUND:
            raise
        print(f"interop: NOT_FOUND: {args.target} reports no health of service {args.service!r}; "
              "--service takes a full gRPC service name, e.g. interop.v1.BorderCheck "
              "(without it: the whole server)", file=sys.stderr)  # fmt: skip
        return 1
    name = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    print(name)
    return 0 if response.status == health_pb2.HealthCheckResponse.SERVING else 1


async def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from stack import bootstrap as stack

    async with stack.process_metrics(settings) as telemetry:
        if args.command == "up":
            await _up(settings, telemetry)
        else:
            await _serve_part(args, settings, telemetry)
    return 0


def up_banner(settings: Settings, target: str) -> str:
    """What `interop up` prints once it serves: where, and checks to send to it (with
    `--target` when the gateway is not on the clients' default address, and the client
    certificate options with mTLS)."""
    from stack import bootstrap as stack

    aimed = "" if target == DEFAULT_TARGET else f" --target {target}"
    if settings.tls_dir:
        aimed += f" --tls-dir {settings.tls_dir} --client-name NAME"
    examples = [
        "  # the ICAO 9303 specimen traveller\n"
        "  interop check --surname ERIKSSON --given-names "
        '"ANNA MARIA" --dob 1974-08-12 --sex F --nationality UTO --document L898902C3 '
        "--issuing-state UTO",
        *stack.example_commands(settings),
    ]
    checks = "\n".join(
        line.replace("interop check ", f"interop check{aimed} ", 1) for line in examples
    )
    return (
        f"interop: stack up on {settings.bus} bus; gateway on {target}, "
        f"{settings.population} synthetic people per system\n"
        "send a check, for example:\n"
        f"{checks}\n"
        f"  interop scenario run mocks/packs/*.yaml{aimed}      # the shipped scenarios\n"
        "stop with Ctrl-C"
    )


async def _up(settings: Settings, telemetry: Telemetry) -> None:
    from broker.transport.grpc_server import wait_for_shutdown_signal
    from broker.transport.heap import settle_heap
    from stack import bootstrap as stack

    async with stack.whole_stack(settings, telemetry=telemetry) as running:
        settle_heap("interop up")
        print(up_banner(settings, running.target), flush=True)
        await wait_for_shutdown_signal()


async def _serve_part(args: argparse.Namespace, settings: Settings, telemetry: Telemetry) -> None:
    from broker.transport.grpc_server import wait_for_shutdown_signal
    from broker.transport.heap import settle_heap
    from stack import bootstrap as stack

    part: contextlib.AbstractAsyncContextManager[object]
    if _part(args) == "gateway":
        part = stack.gateway(settings, telemetry=telemetry)
    elif _part(args) == "adapter":
        part = stack.adapters(settings, args.systems, args.health_listen, telemetry=telemetry)
    else:
        part = stack.mocks(settings, args.systems, telemetry=telemetry)
    async with part:
        settle_heap(f"interop serve {_part(args)}")
        await wait_for_shutdown_signal()


def _loadtest(argv: Sequence[str]) -> int:
    """The load tool, which reads its own options (`interop loadtest run --help`)."""
    from loadtest.load.cli import main as loadtest

    return loadtest(argv)


async def _scenario(args: argparse.Namespace, settings: Settings) -> int:
    from stack.mock_commands import run_scenarios

    mocks = dict(settings.mock_addresses)
    for entry in args.mock:
        system, sep, address = entry.partition("=")
        if not sep or not address:
            raise SystemExit(f"interop: --mock {entry!r}: expected SYSTEM=HOST:PORT")
        if system not in REGISTRY.names:
            raise SystemExit(
                f"interop: --mock {entry!r}: unknown system {system!r}; "
                f"choose from {', '.join(REGISTRY.names)}"
            )
        mocks[system] = address
    paths = [Path(f) for f in args.files]
    return await run_scenarios(
        paths,
        args.target,
        mocks,
        _credentials(args),
        _credentials(args, args.control_name),
        seed=not args.no_seed,
    )


async def _mock(args: argparse.Namespace, settings: Settings) -> int:
    from stack.mock_commands import control

    return await control(
        args, args.target or settings.mock_addresses[args.system], _credentials(args)
    )


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from broker.transport.envelope import Keyring
    from stack.bootstrap import dev_channels

    directory = Path(args.dir or settings.keys_dir)
    if args.action == "init":
        channels = dev_channels(REGISTRY, [settings.gateway_id])
        Keyring.generate_dev(directory, channels)
        print(f"keys in {directory} (channels: {', '.join(channels)})")
    else:
        print(f"new current key {Keyring.rotate(directory)} in {directory}; restart the services")
    return 0


def _pki(args: argparse.Namespace) -> int:
    from broker.domain.profiles import adapter_identity
    from broker.transport.tls import generate_dev_pki

    directory = Path(args.dir)
    adapters = [(adapter_identity(name), "interop adapters") for name in REGISTRY.names]
    clients = [(name, "interop") for name in args.client]
    try:
        generate_dev_pki(directory, [*adapters, *clients], force=args.force)
    except ValueError as error:  # a name that cannot be a certificate's file name
        print(f"interop: --client: {error}", file=sys.stderr)
        return 2
    print(
        f"CA, server (127.0.0.1, localhost), {len(adapters)} adapter and {len(clients)} "
        f"client certificate(s) in {directory}\nserve with INTEROP_TLS_DIR={directory} "
        f"INTEROP_CLIENTS=NAME=PROFILE,... (profiles: {', '.join(PROFILES)})"
    )
    return 0


def _trail_keys(path: Path, trail: str, keys_dir: Path) -> ChannelKeys | None:
    """The keys of `trail` when its file and keys are there; None, said why, otherwise."""
    if not path.is_file():
        print(f"interop: {path}: no such audit file (trail {trail!r}); name the trail with "
              "--trail, or its FILE", file=sys.stderr)  # fmt: skip
        return None
    try:
        return ChannelKeys.load(keys_dir, audit_channel(trail))
    except KeyringError as error:
        print(f"interop: no key for trail {trail!r} in {keys_dir} ({error}); the trail is "
              "named by --trail: a gateway id or mock-SYSTEM", file=sys.stderr)  # fmt: skip
        return None


async def _audit(args: argparse.Namespace, settings: Settings) -> int:
    from broker.audit.trail import verify

    trail = args.trail or settings.gateway_id
    path = Path(args.file or settings.trail_path(trail))
    keys = _trail_keys(path, trail, Path(args.keys_dir or settings.keys_dir))
    if keys is None:
        return 3
    anchors = await _anchors(settings, trail)
    result = verify(path, keys, trail, anchors)
    if not result.ok:
        print(f"{path}: BROKEN at line {result.first_bad_line}: {result.reason}", file=sys.stderr)
        return 1
    print(f"{path}: {result.records} records, chain intact (last MAC {result.last_mac})")
    if anchors is None:
        return 2
    print(f"anchored on {settings.topics.audit} up to seq {result.anchored}")
    if result.anchored < result.records:
        print(f"seq {result.anchored + 1} to {result.records} not anchored (yet)")
    return 0


async def _anchors(settings: Settings, trail: str) -> Anchors | None:
    """The trail's anchors from the audit topic, or None (said why) when out of reach."""
    from broker.audit.anchor import AnchorsUnavailable, read_anchors
    from broker.transport.bus.factory import make_bus

    if settings.bus == "memory":
        print(
            "no anchors: the in-memory bus lives inside the stack's process; verify with "
            "--bus kafka to rule out a cut tail",
            file=sys.stderr,
        )
        return None
    bus = make_bus(settings.bus, settings.bootstrap, "interop-audit-verify")
    await bus.start()
    try:
        return await read_anchors(bus, settings.topics.audit, trail)
    except AnchorsUnavailable as error:
        print(f"no anchors: {error}", file=sys.stderr)
        return None
    finally:
        await bus.stop()


def _run_served(served: Coroutine[object, object, int], settings: Settings) -> int:
    """Run a serving part on the configured event loop."""
    if settings.event_loop == "uvloop":
        import uvloop

        return uvloop.run(served)
    return asyncio.run(served)


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command `args` were parsed for, e.g. `interop serve gateway`'s."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen = action.choices.get(getattr(args, action.dest, None) or "")
            if chosen is not None:
                return _chosen(chosen, args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == [LOADTEST]:
        # All that follows is the load tool's, `--help` too.
        return _loadtest(arguments[1:])
    parser = build_parser()
    args, unknown = parser.parse_known_args(arguments)
    if unknown:
        # Said by the command's own parser, so that its usage is the one shown.
        _chosen(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    settings = _settings(args)
    logging.basicConfig(
        level=(args.log_level or settings.log_level).upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("aiokafka", "faiss"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "check":
            return asyncio.run(_check(args))
        if args.command == "health":
            return asyncio.run(_health(args))
        if args.command == "scenario":
            return asyncio.run(_scenario(args, settings))
        if args.command == "mock":
            return asyncio.run(_mock(args, settings))
        if args.command == "keys":
            return _keys(args, settings)
        if args.command == "pki":
            return _pki(args)
        if args.command == "audit":
            return asyncio.run(_audit(args, settings))
        if args.command == LOADTEST:
            return _loadtest(args.argv)
        problems = _served_problems(args, settings)
        for problem in problems:
            print(f"interop: {problem}", file=sys.stderr)
        if problems:
            return 2
        return _run_served(_serve(args, settings), settings)
    except ScenarioError as error:
        print(f"interop: {error}", file=sys.stderr)
        return 2
    except BusUnavailable as error:
        print(f"interop: {error}", file=sys.stderr)
        return 3
    except (InsecureLink, KeyringError) as error:
        print(f"interop: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"interop: {error}", file=sys.stderr)
        return 3
    except grpc.aio.AioRpcError as error:
        violations = field_violations(error)
        if violations:
            print(f"interop: {error.code().name}:", file=sys.stderr)
        else:
            print(f"interop: {error.code().name}: {error.details()}", file=sys.stderr)
        for field, description in violations:
            print(f"  {field}: {description}", file=sys.stderr)
        return 2 if error.code() == grpc.StatusCode.INVALID_ARGUMENT else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
