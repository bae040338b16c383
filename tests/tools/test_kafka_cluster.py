"""deploy/kafka/kafka.sh: a 3-broker cluster survives a killed broker; clients behind netcut.

Each test starts its own JVMs on free loopback ports with data in a temporary folder, and
removes them at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from tests.fixtures.kafka import KAFKA_SH, REPO_ROOT, _free_ports

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(150)]

BROKERS = 3
TOPIC = "cluster-test"


def _kafka_sh(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(KAFKA_SH), *args],
        env=env,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _kafka(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """kafka.sh off the event loop: the clients of the test keep running meanwhile."""
    return await asyncio.to_thread(_kafka_sh, env, *args)


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"{done.args} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[dict[str, str], str]]:
    """A running 3-broker cluster: the kafka.sh environment and the bootstrap list."""
    ports = _free_ports(2 * BROKERS)
    env = dict(
        os.environ,
        KAFKA_DATA_DIR=str(tmp_path / "cluster"),
        KAFKA_PORTS=",".join(map(str, ports[:BROKERS])),
        KAFKA_CONTROLLER_PORTS=",".join(map(str, ports[BROKERS:])),
        KAFKA_START_TIMEOUT="90",
        KAFKA_STOP_TIMEOUT="15",
        PYTHON=sys.executable,
    )
    try:
        bootstrap = _ok(_kafka_sh(env, "cluster", "start", "--brokers", str(BROKERS))).strip()
        yield env, bootstrap
    finally:
        _kafka_sh(env, "cluster", "clean")


@pytest.fixture
async def admin(cluster: tuple[dict[str, str], str]) -> AsyncIterator[AIOKafkaAdminClient]:
    client = AIOKafkaAdminClient(bootstrap_servers=cluster[1], request_timeout_ms=10_000)
    await client.start()
    yield client
    await client.close()


async def _in_sync(admin: AIOKafkaAdminClient, topic: str, within_s: float = 30.0) -> list[int]:
    """Replicas in sync, per partition of topic (fewest first). Asked again while the node
    the client picks is one just killed (not ready), for up to `within_s`."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            described = await admin.describe_topics([topic])
        except KafkaError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
        else:
            return sorted(len(p["isr"]) for p in described[0]["partitions"])


async def _send_all(bootstrap: str, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", request_timeout_ms=20_000)
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(TOPIC, f"m{n}".encode(), key=f"k{n}".encode())
    finally:
        await producer.stop()


async def test_acks_all_survives_a_killed_broker_which_comes_back(
    cluster: tuple[dict[str, str], str], admin: AIOKafkaAdminClient
) -> None:
    env, bootstrap = cluster
    assert len((await admin.describe_cluster())["brokers"]) == BROKERS
    config = (Path(env["KAFKA_DATA_DIR"]) / "node-2" / "server.properties").read_text()
    for line in (
        "node.id=2",
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "offsets.topic.replication.factor=3",
        "transaction.state.log.replication.factor=3",
    ):
        assert line in config.splitlines()
    await admin.create_topics(
        [NewTopic(TOPIC, 3, 3, topic_configs={"min.insync.replicas": "2"})], timeout_ms=10_000
    )
    await _send_all(bootstrap, 10)

    _ok(await _kafka(env, "cluster", "kill", "2"))
    status = await _kafka(env, "cluster", "status")
    assert status.returncode == 3
    assert "node 2: stopped" in status.stdout and "2 of 3 running" in status.stdout

    await asyncio.wait_for(_send_all(bootstrap, 20), 40)
    deadline = time.monotonic() + 30
    while max(await _in_sync(admin, TOPIC)) != 2:
        assert time.monotonic() < deadline, "the killed broker did not leave every ISR in 30 s"
        await asyncio.sleep(0.5)

    _ok(await _kafka(env, "cluster", "restart", "2"))
    _ok(await _kafka(env, "cluster", "status"))
    deadline = time.monotonic() + 30
    while await _in_sync(admin, TOPIC) != [3, 3, 3]:
        assert time.monotonic() < deadline, "node 2 did not catch up within 30 s"
        await asyncio.sleep(0.5)
    await _send_all(bootstrap, 5)


async def test_clients_go_through_netcut_when_the_broker_advertises_its_port(
    tmp_path: Path,
) -> None:
    proxy_port, broker_port, controller_port = _free_ports(3)
    env = dict(
        os.environ,
        KAFKA_DATA_DIR=str(tmp_path / "single"),
        KAFKA_PORT=str(broker_port),
        KAFKA_CONTROLLER_PORT=str(controller_port),
        KAFKA_ADVERTISED_PORT=str(proxy_port),
        PYTHON=sys.executable,
    )
    proxy = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "loadtest.netcut",
        "serve",
        f"--forward={proxy_port}={broker_port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=REPO_ROOT,
    )
    try:
        assert proxy.stdout is not None
        await asyncio.wait_for(proxy.stdout.readline(), 10)
        bootstrap = _ok(await _kafka(env, "start")).strip()
        assert bootstrap == f"127.0.0.1:{proxy_port}"
        await _create_single_topic(bootstrap)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
        await producer.start()
        try:
            await producer.send_and_wait(TOPIC, b"before")
            proxy.send_signal(signal.SIGUSR1)
            await asyncio.sleep(0.2)
            delivery = await producer.send(TOPIC, b"during")
            done, _ = await asyncio.wait({delivery}, timeout=1.5)
            assert not done, "delivered through a cut network"
            proxy.send_signal(signal.SIGUSR2)
            await asyncio.wait_for(delivery, 10)
        finally:
            await producer.stop()
    finally:
        await _kafka(env, "clean")
        proxy.terminate()
        await proxy.wait()


async def _create_single_topic(bootstrap: str) -> None:
    client = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await client.start()
    try:
        await client.create_topics([NewTopic(TOPIC, 1, 1)], timeout_ms=10_000)
    finally:
        await client.close()
