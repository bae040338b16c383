"""Topic kinds: how each is kept and replicated, from the environment."""

from __future__ import annotations

import pytest

from broker.transport.topics import KEEP_FOREVER, Kind, Replicas, Topics
from stack.settings import load_settings


def test_queries_and_replies_are_kept_briefly_audit_and_dead_letters_are_kept() -> None:
    topics = Topics(prefix="t", retention_ms=1000)
    assert topics.spec(topics.request("sis"), Kind.QUERY).retention_ms == 1000
    assert topics.spec(topics.reply("gw1"), Kind.REPLY).retention_ms == 1000
    assert topics.spec(topics.audit, Kind.AUDIT).retention_ms == KEEP_FOREVER
    assert topics.spec(topics.dead_letter, Kind.DEAD_LETTER).retention_ms is None
    assert [k for k in Kind if k.durable] == [Kind.AUDIT, Kind.DEAD_LETTER]


def test_replication_and_min_insync_for_all_kinds_and_per_kind() -> None:
    settings = load_settings(
        {
            "INTEROP_TOPIC_REPLICATION": "3",
            "INTEROP_TOPIC_MIN_INSYNC_AUDIT": "2",
            "INTEROP_TOPIC_MIN_INSYNC_DEADLETTER": "2",
            "INTEROP_TOPIC_REPLICATION_REPLY": "1",
        }
    )
    topics = settings.topics
    assert topics.replicas[Kind.QUERY] == Replicas(3, 1)
    assert topics.replicas[Kind.REPLY] == Replicas(1, 1)
    spec = topics.spec(topics.audit, Kind.AUDIT)
    assert (spec.replication, spec.min_insync) == (3, 2)
    assert load_settings({}).topics.spec("x", Kind.AUDIT).min_insync == 1


def test_more_replicas_in_sync_than_there_are_is_refused() -> None:
    with pytest.raises(SystemExit, match="INTEROP_TOPIC_MIN_INSYNC_AUDIT"):
        load_settings({"INTEROP_TOPIC_MIN_INSYNC_AUDIT": "2"})
