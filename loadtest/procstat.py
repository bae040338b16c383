"""CPU time of groups of processes from /proc, and who listens on a port (Linux only).

A group is named roots; its CPU time is what the roots and their live descendants used
(`utime + stime` of every thread) plus what their exited children used (`cutime + cstime`),
so a child that starts or ends between two snapshots is counted once, in full or in part.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_S = os.sysconf("SC_CLK_TCK")
TCP_LISTEN = "0A"


@dataclass(frozen=True)
class ProcTimes:
    """CPU ticks of one process (`/proc/PID/stat`)."""

    pid: int
    ppid: int
    own: int  # utime + stime
    children: int  # cutime + cstime: exited, waited-for descendants

    @classmethod
    def read(cls, pid: int) -> ProcTimes | None:
        """None when the process is gone."""
        try:
            text = (PROC / str(pid) / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            return None
        # The command name may hold spaces and parentheses: fields start after the last ')'.
        fields = text[text.rindex(")") + 2 :].split()
        ppid = int(fields[1])
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        return cls(pid, ppid, utime + stime, cutime + cstime)


@dataclass(frozen=True)
class Group:
    """Processes counted together: roots and, when `descendants`, everything they started."""

    name: str
    roots: tuple[int, ...]
    descendants: bool = True


def _all_processes() -> dict[int, ProcTimes]:
    found: dict[int, ProcTimes] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            times = ProcTimes.read(int(entry.name))
            if times is not None:
                found[times.pid] = times
    return found


def _tree(roots: Iterable[int], processes: Mapping[int, ProcTimes]) -> set[int]:
    children: dict[int, list[int]] = {}
    for times in processes.values():
        children.setdefault(times.ppid, []).append(times.pid)
    members: set[int] = set()
    pending = [pid for pid in roots if pid in processes]
    while pending:
        pid = pending.pop()
        if pid not in members:
            members.add(pid)
            pending.extend(children.get(pid, ()))
    return members


def group_ticks(group: Group, processes: Mapping[int, ProcTimes]) -> int:
    if not group.descendants:
        return sum(processes[pid].own for pid in group.roots if pid in processes)
    return sum(
        processes[pid].own + processes[pid].children for pid in _tree(group.roots, processes)
    )


def machine_busy_ticks() -> int:
    """Ticks every core spent on anything but idle and I/O wait, since boot (`/proc/stat`)."""
    fields = [int(f) for f in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    idle, iowait = fields[3], fields[4]
    # guest time is already inside user time
    return sum(fields[:8]) - idle - iowait


@dataclass(frozen=True)
class Snapshot:
    at_s: float
    ticks: Mapping[str, int]  # per group name
    machine_ticks: int


def snapshot(groups: Sequence[Group]) -> Snapshot:
    processes = _all_processes()
    return Snapshot(
        at_s=time.monotonic(),
        ticks={g.name: group_ticks(g, processes) for g in groups},
        machine_ticks=machine_busy_ticks(),
    )


@dataclass(frozen=True)
class Usage:
    """CPU seconds used between two snapshots, per group and on the whole machine."""

    wall_s: float
    cpu_s: Mapping[str, float]
    machine_s: float


def usage(before: Snapshot, after: Snapshot) -> Usage:
    return Usage(
        wall_s=after.at_s - before.at_s,
        cpu_s={
            name: (after.ticks[name] - before.ticks.get(name, 0)) / TICKS_PER_S
            for name in after.ticks
        },
        machine_s=(after.machine_ticks - before.machine_ticks) / TICKS_PER_S,
    )


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == TCP_LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(inode)
    return inodes


def _fd_targets(process: Path) -> set[str]:
    """What the open file descriptors of a process point at (empty when it is gone)."""
    targets: set[str] = set()
    try:
        fds = list((process / "fd").iterdir())
    except (FileNotFoundError, PermissionError, ProcessLookupError):
        return targets
    for fd in fds:
        try:
            targets.add(os.readlink(fd))
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue  # closed meanwhile
    return targets


def listening_pids(port: int) -> set[int]:
    """Processes holding a socket that listens on TCP `port` (any address)."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return set()
    return {
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and wanted & _fd_targets(entry)
    }


def rss_kb(pid: int) -> int | None:
    """Resident memory of a process in KiB (`VmRSS`), None when it is gone."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None
