"""Processes a benchmark starts, each with its log file, all stopped at the end whatever happens.

Children are started through `setpriv --pdeathsig TERM` where it exists, so that they get
SIGTERM even when the benchmark itself is killed with SIGKILL and cannot clean up.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

STOP_GRACE_S = 10.0


class ProcessDied(RuntimeError):
    """A process of the fleet exited while the benchmark still needed it."""


@dataclass(frozen=True)
class Member:
    name: str
    role: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def _orphan_guard() -> tuple[str, ...]:
    setpriv = shutil.which("setpriv")
    return (setpriv, "--pdeathsig", "TERM", "--") if setpriv else ()


class Fleet:
    """Start with `start`, check with `check_alive`, end with `stop` (idempotent; it blocks
    for at most STOP_GRACE_S, which is fine at the end of a run)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.members: list[Member] = []
        self._guard = _orphan_guard()

    def start(
        self, name: str, role: str, argv: Sequence[str], env: Mapping[str, str] | None = None
    ) -> Member:
        self.logs.mkdir(parents=True, exist_ok=True)
        log = self.logs / f"{name.replace(' ', '-')}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [*self._guard, *argv],
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        member = Member(name, role, process, log)
        self.members.append(member)
        return member

    def pids(self, role: str) -> tuple[int, ...]:
        return tuple(m.pid for m in self.members if m.role == role)

    def check_alive(self) -> None:
        for member in self.members:
            code = member.process.poll()
            if code is not None:
                raise ProcessDied(
                    f"{member.name} (pid {member.pid}) exited with {code}; "
                    f"last lines of {member.log}:\n{member.log_tail()}"
                )

    def stop(self) -> None:
        """SIGTERM to all, SIGKILL to those still running after STOP_GRACE_S."""
        members, self.members = self.members, []
        for member in members:
            if member.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    member.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for member in members:
            try:
                member.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                member.process.kill()
                member.process.wait()
