"""What the two Kafka buses (aiokafka, librdkafka) share: their settings, the start-up
error, and the bookkeeping of the topics the cluster knows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from broker.transport.bus.base import BusError, BusUnavailable

START_HINT = (
    "start one with `deploy/kafka/kafka.sh start` (or `docker compose up -d kafka`), "
    "or point the service at a running broker"
)


class KafkaBusBase:
    """Settings and topic bookkeeping; a bus implements `_leaders`.

    Group members heartbeat every 300 ms: a member learns of a rebalance (a replica that
    left, one that joined) at its next heartbeat, and a query on a partition being handed
    over waits that long at least, within a check's 2 s deadline.
    """

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        *,
        connect_timeout_s: float = 5.0,
        ready_timeout_s: float = 30.0,
        acks: int | str = 1,
        linger_ms: int = 1,
        fetch_max_wait_ms: int = 500,
        session_timeout_ms: int = 6000,
        heartbeat_interval_ms: int = 300,
        auto_commit_interval_ms: int = 1000,
        request_timeout_ms: int = 15000,
        metadata_max_age_ms: int = 5000,
    ) -> None:
        self.bootstrap = bootstrap
        self.client_id = client_id
        self.connect_timeout_s = connect_timeout_s
        self.ready_timeout_s = ready_timeout_s
        self._acks = acks
        self._linger_ms = linger_ms
        self._fetch_max_wait_ms = fetch_max_wait_ms
        self._session_timeout_ms = session_timeout_ms
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._auto_commit_interval_ms = auto_commit_interval_ms
        self._request_timeout_ms = request_timeout_ms
        self._metadata_max_age_ms = metadata_max_age_ms
        self._known_topics: dict[str, int] = {}

    def _unavailable(self, reason: str) -> BusUnavailable:
        return BusUnavailable(
            f"no Kafka broker answered at {self.bootstrap} ({reason}); {START_HINT}"
        )

    async def _leaders(self, names: Sequence[str]) -> dict[str, list[int]]:
        """The leader of each partition (-1: none yet) per topic the cluster knows;
        unknown topics are left out."""
        raise NotImplementedError

    async def _partitions(self, names: Sequence[str]) -> dict[str, int]:
        """The partition count of each topic; `BusError` when one does not exist."""
        missing = [name for name in names if name not in self._known_topics]
        if missing:
            found = await self._leaders(missing)
            for name in missing:
                if not found.get(name):
                    raise BusError(
                        f"unknown topic {name!r}: topics are not auto-created, "
                        "call ensure_topics first"
                    )
                self._known_topics[name] = len(found[name])
        return {name: self._known_topics[name] for name in names}

    async def _wait_for_leaders(self, names: Sequence[str]) -> None:
        """Until every partition of `names` has a leader (a new topic's first moments)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._request_timeout_ms / 1000
        while True:
            found = await self._leaders(names)
            pending = [n for n in names if not found.get(n) or min(found[n]) < 0]
            if not pending:
                for name in names:
                    self._known_topics[name] = len(found[name])
                return
            if loop.time() > deadline:
                raise BusError(f"topics {pending} have no leader yet")
            await asyncio.sleep(0.02)
