"""What a report says about where it was made: the project's version and the machine."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "interop-broker"


@dataclass(frozen=True, slots=True)
class Machine:
    hostname: str
    platform: str
    python: str
    cpu_model: str
    cpus: int
    memory_mb: int
    load_average: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Version:
    package: str
    version: str
    git_commit: str
    git_dirty: bool


def machine() -> Machine:
    return Machine(
        hostname=socket.gethostname(),
        platform=platform.platform(),
        python=platform.python_version(),
        cpu_model=_cpu_model(),
        cpus=os.cpu_count() or 0,
        memory_mb=_memory_mb(),
        load_average=os.getloadavg(),
    )


def version() -> Version:
    try:
        number = importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        number = "unknown"
    commit = _git("rev-parse", "--short=12", "HEAD")
    return Version(PACKAGE, number, commit or "unknown", bool(_git("status", "--porcelain")))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mb() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _git(*args: str) -> str:
    """Output of a git command in the source tree, or '' outside a checkout."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""
