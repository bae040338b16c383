"""Faults under load, on real processes and a real Kafka of their own (CI's cut of
`python -m loadtest.faults`): every check gets a report or a clean status by its deadline,
each report says the right thing of each system, the stack recovers, no audit record is
lost, and health says what happened.

The load is a fixed 10 checks/s, below half the capacity measured on the 2-core machine
CI runs on (25-31 checks/s, README), so that other work on the cores does not turn a fault
test into an overload test. The faults are shorter than the long command's, and the load
goes on only a few seconds after each is healed; the module takes four to five minutes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from loadtest.faults.catalog import BY_NAME
from loadtest.faults.checks import Fate
from loadtest.faults.health import SERVING
from loadtest.faults.rig import FAULT_ENV, Layout, Rig, rigged
from loadtest.faults.run import Result, Timing, run_fault
from loadtest.faults.table import details, held
from loadtest.processes import Topology

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

RATE = 10.0
BEFORE_S = 4.0
# How long each fault lasts, and how long the load runs on once it is healed.
TIMINGS = {
    "kafka-kill": (6.0, 10.0),
    "network-cut": (6.0, 8.0),
    "adapter-kill": (0.0, 12.0),
    "adapter-term": (0.0, 6.0),
    "mock-stall": (6.0, 5.0),
    "gateway-kill": (2.0, 8.0),
    "gateway-term": (3.0, 8.0),
    "broker-kill": (6.0, 10.0),
}
# Recovery once healed, at most: clients of a Kafka node that was gone reconnect with
# backoff, and a killed adapter's partitions move after its group session times out (6 s).
RECOVERY_S = {"kafka-kill": 15.0, "broker-kill": 15.0, "adapter-kill": 10.0}
RECOVERY_DEFAULT_S = 5.0
BUS_FAULTS = ("kafka-kill", "network-cut")


@pytest_asyncio.fixture(scope="module")
async def single(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    layout = Layout(population=2000, env=FAULT_ENV)
    async with rigged(tmp_path_factory.mktemp("one-node"), 1, layout) as rig:
        yield rig


@pytest_asyncio.fixture(scope="module")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Rig]:
    layout = Layout(Topology.COMPACT, replicated="adapters", population=2000, env=FAULT_ENV)
    async with rigged(tmp_path_factory.mktemp("three-nodes"), 3, layout) as rig:
        yield rig


async def fault_run(rig: Rig, name: str, out: Path) -> Result:
    lasts, after = TIMINGS[name]
    result = await run_fault(rig, BY_NAME[name], Timing(BEFORE_S, lasts, after), RATE, out)
    print(details(result))
    assert held(result), details(result)
    assert result.recovery_s is not None
    assert result.recovery_s <= RECOVERY_S.get(name, RECOVERY_DEFAULT_S), details(result)
    # On a shared machine a scheduler stall can make a rare answer late; never many.
    assert result.fates[Fate.LATE] <= 0.02 * len(result.checks), details(result)
    return result


@pytest.mark.parametrize("name", [n for n, f in BY_NAME.items() if f.brokers == 1])
async def test_one_node_faults(single: Rig, name: str, tmp_path: Path) -> None:
    result = await fault_run(single, name, tmp_path)
    if name in BUS_FAULTS:
        # Health says the bus is gone, and says SERVING again once it is back.
        assert result.health.not_serving("gateway", result.window.start_s), details(result)
        assert result.health.status_at("gateway", float("inf")) == SERVING, details(result)


async def test_one_broker_of_three_killed(cluster: Rig, tmp_path: Path) -> None:
    await fault_run(cluster, "broker-kill", tmp_path)
    audit = cluster.stack.env()["INTEROP_TOPIC_PREFIX"] + ".audit"
    assert await topic_settings(cluster.kafka.bootstrap, audit) == ("3", "2")


async def topic_settings(bootstrap: str, topic: str) -> tuple[str, str]:
    """The replication factor and min.insync.replicas of `topic`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
        replicas = {str(len(p["replicas"])) for p in described["partitions"]}
        resource = ConfigResource(ConfigResourceType.TOPIC, topic)
        (response,) = await admin.describe_configs([resource])
        configs = {entry[0]: entry[1] for entry in response.resources[0][4]}
    finally:
        await admin.close()
    assert len(replicas) == 1
    return replicas.pop(), configs["min.insync.replicas"]
