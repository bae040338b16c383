"""Each bus message is accepted once: the ids of accepted messages, kept until their deadline.

A sealed message copied back onto its topic still opens, so opening alone does not stop a
replay. Its deadline is bound to it (broker.transport.envelope), and a consumer drops
what is past its deadline; so an id needs remembering only until then, and the cache
holds at most the messages of one deadline window.

The cache belongs to one consumer process. A replay reaches the same process as the
original as long as it lands on the same partition (records are keyed by correlation id,
which the seal binds); writes are idempotent by request id in EES besides, so a replay
steered to another partition still records a crossing once.
"""

from __future__ import annotations

import heapq


class ReplayCache:
    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self._expiry: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._seen)

    def first_time(self, message_id: bytes, deadline_ms: int, now_ms: int) -> bool:
        """Whether `message_id` is new; it is then remembered until `deadline_ms`."""
        self._forget_until(now_ms)
        if message_id in self._seen:
            return False
        self._seen.add(message_id)
        heapq.heappush(self._expiry, (deadline_ms, message_id))
        return True

    def _forget_until(self, now_ms: int) -> None:
        expiry = self._expiry
        while expiry and expiry[0][0] < now_ms:
            self._seen.discard(heapq.heappop(expiry)[1])
