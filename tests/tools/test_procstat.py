"""CPU time of process groups and the listener lookup, on this machine's /proc."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from loadtest.procstat import Group, ProcTimes, listening_pids, snapshot, usage

SPIN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"


def test_a_group_counts_a_child_that_ran_and_exited_between_snapshots() -> None:
    # The shell waits for its child (so the child's CPU moves to the shell's cutime) and
    # then stays alive, as a service whose worker exited would.
    shell = subprocess.Popen(
        ["sh", "-c", f'{sys.executable} -c "$SPIN"; echo done; sleep 30'],
        env={**os.environ, "SPIN": SPIN},
        stdout=subprocess.PIPE,
    )
    try:
        with_children = Group("tree", (shell.pid,))
        alone = Group("alone", (shell.pid,), descendants=False)
        before = snapshot([with_children, alone])
        assert shell.stdout is not None and shell.stdout.readline() == b"done\n"
        used = usage(before, snapshot([with_children, alone]))
    finally:
        shell.kill()
        shell.wait()
    assert used.cpu_s["tree"] >= 0.25
    assert used.cpu_s["alone"] < 0.1
    assert used.machine_s >= used.cpu_s["tree"] - 0.05
    assert used.wall_s > 0


def test_times_of_a_process_that_is_gone_are_none() -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    assert ProcTimes.read(process.pid) is None
    me = ProcTimes.read(os.getpid())
    assert me is not None and me.ppid == os.getppid()


def test_the_listener_of_a_port_is_found() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert listening_pids(port) == {os.getpid()}
    assert listening_pids(port) == set()
