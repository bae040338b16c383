"""Kafka of its own for a benchmark or a fault run: nodes started with deploy/kafka/kafka.sh.

A single node is started as a cluster of one, so that it too can be killed (-9) and
restarted by number. The nodes listen on free loopback ports with their data in a folder
of the run; `stop` stops them and deletes their data, leaving each node's kafka.log.
With `advertised` ports, clients are sent to those ports (a loadtest.netcut proxy in front
of each node, started first, to cut the network).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from loadtest.processes import ROOT, free_ports
from loadtest.procstat import listening_pids

KAFKA_SH = ROOT / "deploy" / "kafka" / "kafka.sh"
START_TIMEOUT_S = 180
_LEADER = re.compile(r"In the new epoch (\d+), the leader is (\d+)\.")


@dataclass(frozen=True)
class KafkaNodes:
    """Running nodes 1..count and how kafka.sh reaches them."""

    env: Mapping[str, str]
    data: Path
    ports: tuple[int, ...]
    bootstrap: str

    @property
    def count(self) -> int:
        return len(self.ports)

    def pids(self) -> tuple[int, ...]:
        """The broker JVMs running now."""
        return tuple(sorted(pid for port in self.ports for pid in listening_pids(port)))

    async def kill(self, node: int) -> None:
        """SIGKILL node `node` (1..count): a crash, no controlled shutdown."""
        await self.kafka_sh("cluster", "kill", str(node))

    async def restart(self, node: int) -> None:
        """Start node `node` again and wait until it is back in the cluster."""
        await self.kafka_sh("cluster", "restart", str(node))

    async def start_stopped(self) -> None:
        """Start every node that is not running, and wait until all are in the cluster."""
        await self.kafka_sh("cluster", "start")

    def quorum_leader(self) -> int:
        """The node that is the active controller now, as the nodes' own logs last said.

        Kafka's clients are not told (a KRaft broker names a random broker as controller),
        so this reads the quorum's leader changes from the logs of kafka.sh's nodes."""
        latest = (-1, 0)
        for log in self.data.glob("node-*/kafka.log"):
            for epoch, leader in _LEADER.findall(log.read_text(errors="replace")):
                latest = max(latest, (int(epoch), int(leader)))
        if latest[0] < 0:
            raise RuntimeError(f"no controller election in the logs under {self.data}")
        return latest[1]

    async def kafka_sh(self, *args: str) -> str:
        """Run kafka.sh off the event loop (load keeps running meanwhile); its stdout."""
        return await asyncio.to_thread(_kafka_sh, self.env, self.data / "kafka.sh.log", args)


@contextlib.asynccontextmanager
async def own_kafka(
    data: Path, nodes: int = 1, ports: Sequence[int] = (), advertised: Sequence[int] = ()
) -> AsyncIterator[KafkaNodes]:
    """`nodes` Kafka nodes on loopback, data in `data`; stopped at the end. Their client
    ports are `ports`, or free ones."""
    clients = list(ports) or free_ports(nodes)
    controllers = free_ports(nodes)
    env = {
        **os.environ,
        "KAFKA_DATA_DIR": str(data),
        "KAFKA_BROKERS": str(nodes),
        "KAFKA_PORTS": ",".join(map(str, clients)),
        "KAFKA_CONTROLLER_PORTS": ",".join(map(str, controllers)),
        "KAFKA_START_TIMEOUT": str(START_TIMEOUT_S),
        "KAFKA_STOP_TIMEOUT": "15",
        "PYTHON": sys.executable,
    }
    if advertised:
        env["KAFKA_ADVERTISED_PORTS"] = ",".join(map(str, advertised))
    kafka = KafkaNodes(env, data, tuple(clients), "")
    try:
        bootstrap = (await kafka.kafka_sh("cluster", "start")).strip().splitlines()[-1]
        yield KafkaNodes(env, data, kafka.ports, bootstrap)
    finally:
        await kafka.kafka_sh("cluster", "stop")
        await asyncio.to_thread(_delete_data, data)


def _delete_data(data: Path) -> None:
    """Everything but each node's kafka.log."""
    for node in data.glob("node-*"):
        shutil.rmtree(node / "kraft", ignore_errors=True)


def _kafka_sh(env: Mapping[str, str], log: Path, args: Sequence[str]) -> str:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as stderr:
        done = subprocess.run(
            ["bash", str(KAFKA_SH), *args],
            env=dict(env),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            timeout=START_TIMEOUT_S + 60,
            check=False,
        )
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"kafka.sh {' '.join(args)} exited {done.returncode}:\n{tail}")
    return done.stdout.decode()
