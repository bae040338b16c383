"""A command that finds nothing at its address says so in one line, with what to do."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from stack.cli import main
from systems import REGISTRY

PACK = str(Path(__file__).resolve().parents[2] / "mocks" / "packs" / "minor.yaml")


@pytest.fixture
def nobody() -> Iterator[str]:
    """An address where nothing listens (bound and held, so nothing else can listen)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{held.getsockname()[1]}"


@pytest.mark.parametrize(
    ("command", "what", "hint"),
    [
        (["check", "--surname", "X", "--target"], "gateway", "scripts/up"),
        (["check", "--surname", "X", "--stream", "--target"], "gateway", "--target HOST:PORT"),
        (["scenario", "run", PACK, "--no-seed", "--target"], "gateway", "scripts/up"),
        (["mock", "calls", "sis", "--target"], "mock", "--target for `interop mock`"),
        (["health", "--target"], "server", "--target HOST:PORT"),
    ],
    ids=["check", "check-stream", "scenario", "mock", "health"],
)
def test_nothing_at_the_address_is_one_line_saying_so(
    nobody: str, capsys: pytest.CaptureFixture[str], command: list[str], what: str, hint: str
) -> None:
    assert main([*command, nobody]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: no {what} answers at {nobody} (Connection refused); ")
    assert hint in line


def test_a_scenario_whose_mock_is_not_there_names_the_mock(
    nobody: str, capsys: pytest.CaptureFixture[str]
) -> None:
    mocks = [f"--mock={system}={nobody}" for system in REGISTRY.names]
    assert main(["scenario", "run", PACK, *mocks, "--target", nobody]) == 3
    err = capsys.readouterr().err
    assert f"interop: no mock answers at {nobody}" in err
    assert "--mock SYSTEM=HOST:PORT" in err


def test_audit_verify_of_a_trail_that_is_not_there_says_which_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = ["--keys-dir", str(tmp_path / "keys")]
    missing = tmp_path / "gw9.jsonl"
    assert main(["audit", "verify", str(missing), "--trail", "gw9", *keys]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: {missing}: no such audit file (trail 'gw9')")
    assert "--trail" in line


def test_audit_verify_without_the_trail_s_key_says_so_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "gw9.jsonl"
    trail.write_text("")
    keys = ["--keys-dir", str(tmp_path / "keys")]
    # Exit 2 would say "intact, no anchor": a trail that cannot be read is not that.
    assert main(["audit", "verify", str(trail), "--trail", "gw9", *keys]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: no key for trail 'gw9' in {tmp_path / 'keys'}")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["faults", "vis", "--latency-ms", "-5"], "argument --latency-ms: -5 is not between 0"),
        (["faults", "vis", "--every-nth", "x"], "argument --every-nth: 'x' is not a whole number"),
        (["faults", "vis", "--outage-s", "5000000000"], "argument --outage-s: 5000000000 is not"),
        (["faults", "vis", "--lognormal-sigma", "nan"], "nan is not a finite number, 0 or more"),
        (["calls", "sis", "--limit", "-1"], "argument --limit: -1 is not between 0"),
    ],
)
def test_mock_options_out_of_range_are_refused_naming_the_option(
    nobody: str, capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["mock", *arguments, "--target", nobody])
    assert exited.value.code == 2
    assert says in capsys.readouterr().err.splitlines()[-1]


def test_mock_seed_without_a_readable_pack_says_so_before_dialling(
    nobody: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["mock", "seed", "sis", "--target", nobody]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "interop: mock seed: name the scenario pack FILE to take the records from"
    ]
    missing = tmp_path / "missing.yaml"
    assert main(["mock", "seed", "sis", str(missing), "--target", nobody]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: {missing}: ")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (
            ["up", "--insecure", "--listen", "127.0.0.1:99999"],
            "interop: --listen or INTEROP_GATEWAY_LISTEN: '127.0.0.1:99999' is not HOST:PORT",
        ),
        (
            ["serve", "gateway", "--insecure", "--listen", "nowhere"],
            "interop: --listen or INTEROP_GATEWAY_LISTEN: 'nowhere' is not HOST:PORT",
        ),
        (
            ["serve", "mock", "sis", "--insecure", "--listen", "127.0.0.1:x"],
            "interop: --listen or INTEROP_MOCK_SIS: '127.0.0.1:x' is not HOST:PORT",
        ),
        (
            ["serve", "adapter", "vis", "--insecure", "--system-address", "127.0.0.1:-1"],
            "interop: --system-address or INTEROP_MOCK_VIS: '127.0.0.1:-1' is not HOST:PORT",
        ),
        (
            ["serve", "gateway", "--insecure", "--gateway-id", "gw 1!"],
            "interop: --gateway-id or INTEROP_GATEWAY_ID: 'gw 1!' names the reply topic: ",
        ),
        (
            ["up", "--insecure", "--listen", "127.0.0.1:0", "--scenario", "/nonexistent.yaml"],
            "interop: /nonexistent.yaml: ",
        ),
    ],
    ids=["port", "host-port", "mock", "adapter", "gateway-id", "scenario"],
)
def test_what_cannot_be_served_is_refused_in_one_line_naming_the_setting(
    capsys: pytest.CaptureFixture[str], arguments: list[str], says: str
) -> None:
    assert main(arguments) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(says), line


def test_health_of_a_service_the_server_does_not_know_names_it_and_what_to_give(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from concurrent import futures

    import grpc
    from grpc_health.v1 import health, health_pb2, health_pb2_grpc

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    servicer = health.HealthServicer()
    servicer.set("interop.v1.BorderCheck", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        target = f"127.0.0.1:{port}"
        assert main(["health", "--target", target, "--service", "interop.v1.BorderCheck"]) == 0
        assert capsys.readouterr().out == "SERVING\n"
        assert main(["health", "--target", target, "--service", "nosuch"]) == 1
        [line] = capsys.readouterr().err.splitlines()
        assert line.startswith(f"interop: NOT_FOUND: {target} reports no health of service ")
        assert "service 'nosuch'; " in line
        assert "--service takes a full gRPC service name" in line
    finally:
        server.stop(None)


@pytest.mark.parametrize(
    ("mock", "says"),
    [
        (
            "foo=127.0.0.1:1",
            "interop: --mock 'foo=127.0.0.1:1': unknown system 'foo'; choose from ",
        ),
        ("sis", "interop: --mock 'sis': expected SYSTEM=HOST:PORT"),
        ("sis=", "interop: --mock 'sis=': expected SYSTEM=HOST:PORT"),
    ],
)
def test_a_scenario_mock_address_that_cannot_be_used_says_why(mock: str, says: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["scenario", "run", PACK, "--mock", mock])
    assert str(exited.value.code).startswith(says)


@pytest.mark.parametrize("name", ["bad name!", "../evil", "ca"])
def test_pki_refuses_a_client_name_that_cannot_be_a_file_name_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    directory = tmp_path / "pki"
    assert main(["pki", "--dir", str(directory), "--client", name]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: --client: client common name {name!r} must match ")
    assert not directory.exists()


@pytest.fixture(params=["close", "reset"])
def hangs_up(request: pytest.FixtureRequest) -> Iterator[str]:
    """An address where a server accepts and closes at once, as a TLS server does to a
    plaintext client: a plain close, or a reset (what the client sees when the close
    comes while its bytes are still unread)."""
    import struct
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if request.param == "reset":
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def test_a_server_that_hangs_up_on_plaintext_is_said_to_want_mtls(
    hangs_up: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--surname", "X", "--target", hangs_up]) == 3
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"interop: the gateway at {hangs_up} closed the connection at once")
    assert line.endswith("give --tls-dir DIR --client-name NAME")
