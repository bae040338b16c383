"""`--help` helps: every option of `interop` and of the benchmarks says what it is and,
when it has one, its default."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator

import pytest

from stack.cli import build_parser

BENCHMARKS = [
    "loadtest.bus_roundtrip",
    "loadtest.check_latency",
    "loadtest.cpu_budget",
    "loadtest.envelope",
    "loadtest.ghz_agreement",
    "loadtest.matching",
    "loadtest.matching_quality",
    "loadtest.stack_roundtrip",
]
# Defaults that say nothing worth showing: off, empty, or left to the environment.
UNSHOWN: tuple[object, ...] = (None, False, "", [], argparse.SUPPRESS)


class _Parsed(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _parser_of(
    main: Callable[[list[str]], object], monkeypatch: pytest.MonkeyPatch
) -> argparse.ArgumentParser:
    """The parser `main` builds, taken when it parses (nothing else of `main` runs)."""

    def capture(parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Parsed(parser)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    with pytest.raises(_Parsed) as parsed:
        main([])
    return parsed.value.parser


def _options(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.ArgumentParser, argparse.Action]]:
    """(command and option, its parser, action) of every option, in subcommands too."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(sub, f"{path} {name}")
        elif action.option_strings and not isinstance(action, argparse._HelpAction):
            yield f"{path} {action.option_strings[-1]}", parser, action


def _shown(default: object) -> list[str]:
    """How a default may read in the help: as Python prints it, or a list comma-separated."""
    if isinstance(default, list | tuple):
        return [str(default), ",".join(map(str, default)), ", ".join(map(str, default))]
    return [str(default)]


def _undescribed(parser: argparse.ArgumentParser, path: str) -> list[str]:
    found = []
    for name, owner, action in _options(parser, path):
        if not action.help:
            found.append(f"{name}: no help")
            continue
        # As --help prints it, with what the parser's formatter adds (such as the default).
        text = owner._get_formatter()._expand_help(action)
        if action.default not in UNSHOWN and not any(d in text for d in _shown(action.default)):
            found.append(f"{name}: default {action.default!r} not shown")
    return found


def test_every_interop_option_is_described_with_its_default() -> None:
    assert _undescribed(build_parser(), "interop") == []


@pytest.mark.parametrize("module", BENCHMARKS)
def test_every_benchmark_option_is_described_with_its_default(
    module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = _parser_of(importlib.import_module(module).main, monkeypatch)
    assert _undescribed(parser, f"python -m {module}") == []


@pytest.mark.parametrize(
    ("arguments", "command", "unknown"),
    [
        (["check", "--surname", "X", "--frob"], "interop check", "--frob"),
        (["keys", "init", "--keys-dir", "x"], "interop keys", "--keys-dir x"),
        (["serve", "gateway", "--frob"], "interop serve gateway", "--frob"),
    ],
)
def test_an_unknown_option_is_refused_with_the_usage_of_its_command(
    capsys: pytest.CaptureFixture[str], arguments: list[str], command: str, unknown: str
) -> None:
    from stack.cli import main

    with pytest.raises(SystemExit) as exited:
        main(arguments)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {command} ")
    assert err.splitlines()[-1] == f"{command}: error: unrecognized arguments: {unknown}"


def _positionals(
    parser: argparse.ArgumentParser, path: str
) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _positionals(sub, f"{path} {name}")
        elif not action.option_strings:
            yield f"{path} {action.metavar or action.dest}", action


def test_every_interop_argument_is_described() -> None:
    assert [
        name for name, action in _positionals(build_parser(), "interop") if not action.help
    ] == []
