"""What `interop up` prints: checks that reach the gateway it started."""

from __future__ import annotations

from stack.cli import DEFAULT_TARGET, build_parser, up_banner
from stack.settings import Settings


def _commands(banner: str) -> list[str]:
    return [line.strip() for line in banner.splitlines() if line.strip().startswith("interop ")]


def test_on_the_default_address_the_commands_need_no_target() -> None:
    banner = up_banner(Settings(population=0), DEFAULT_TARGET)
    assert f"gateway on {DEFAULT_TARGET}" in banner
    commands = _commands(banner)
    assert commands and all("--target" not in command for command in commands)
    assert build_parser().parse_args(["check"]).target == DEFAULT_TARGET


def test_on_another_address_every_command_names_it() -> None:
    banner = up_banner(Settings(population=2000), "127.0.0.1:51351")
    commands = _commands(banner)
    checks = [command for command in commands if command.startswith("interop check ")]
    # The specimen traveller and the synthetic ones the world has to show.
    assert len(checks) > 1
    scenario = [command for command in commands if command.startswith("interop scenario run")]
    assert len(scenario) == 1
    for command in commands:
        assert "--target 127.0.0.1:51351 " in f"{command} ", command


def test_with_mtls_every_command_carries_the_client_certificate_options() -> None:
    banner = up_banner(Settings(population=0, tls_dir="var/pki"), DEFAULT_TARGET)
    commands = _commands(banner)
    assert commands
    for command in commands:
        assert "--tls-dir var/pki --client-name NAME" in command, command
