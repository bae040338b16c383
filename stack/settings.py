"""Settings, read once from the environment (INTEROP_*) and overridable by CLI flags.

One module so that an operator finds every knob in one place; the README lists them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from broker.domain.validation import Limits
from broker.transport.bus.factory import BUS_KINDS, KAFKA_CLIENTS
from broker.transport.telemetry import loopback_listen
from broker.transport.topics import Kind, Replicas, Topics
from systems import REGISTRY

EVENT_LOOPS = ("uvloop", "asyncio")
MOCK_LINKS = ("local", "grpc")
ADMISSIONS = ("adaptive", "fixed")


def _default_mock_addresses() -> dict[str, str]:
    return {system.name: f"127.0.0.1:{system.mock.port}" for system in REGISTRY}


@dataclass(frozen=True)
class Settings:
    bus: str = "memory"
    bootstrap: str = "127.0.0.1:9092"
    # How long a Kafka producer gathers messages into one request (fewer, larger requests).
    kafka_linger_ms: int = 1
    # The Kafka client library: aiokafka (pure Python on the event loop) or librdkafka
    # (confluent-kafka: the protocol in C, in its own threads). Measured per check on this
    # stack, librdkafka saves adapter CPU but costs the broker as much again (README).
    kafka_client: str = "aiokafka"
    gateway_listen: str = "127.0.0.1:50051"
    gateway_id: str = "gw1"
    limits: Limits = field(default_factory=Limits)
    # Checks a gateway serves at once, in all and per caller; beyond, RESOURCE_EXHAUSTED.
    max_in_flight: int = 64
    max_in_flight_per_client: int = 64
    # "adaptive": the gateway's bound follows how fast the systems answer, up to
    # max_in_flight (broker.service.limit); "fixed": it is max_in_flight.
    admission: str = "adaptive"
    # A system's circuit opens after this many failed answers in a row, and is then probed
    # by one check every `breaker_probe_ms`.
    breaker_failures: int = 10
    breaker_probe_ms: int = 1000
    mock_addresses: dict[str, str] = field(default_factory=_default_mock_addresses)
    topics: Topics = field(default_factory=Topics)
    # Where audit trails are kept: <gateway_id>.jsonl, mock-<system>.jsonl (one writer each).
    audit_dir: str = "var/audit"
    # The gateway's trail, if not in audit_dir.
    audit_log: str = ""
    # Keys that seal bus messages; created for development on first use.
    keys_dir: str = "var/keys"
    # Certificates for mTLS on every link (ca.pem, server.pem/key, <client>.pem/key).
    tls_dir: str = ""
    # Plaintext on loopback addresses when there is no tls_dir: only with --insecure.
    insecure: bool = False
    # Client certificate common name -> profile, e.g. ("terminal-1=border-guard",).
    clients: tuple[str, ...] = ()
    # The profile every caller gets without TLS (one laptop only).
    insecure_profile: str = "border-guard"
    # Scenario packs (YAML) the mocks load into their default session at start-up.
    scenarios: tuple[str, ...] = ()
    # Synthetic people each mock draws its records from (same seed: same people everywhere).
    population: int = 10_000
    population_seed: int = 2026
    log_level: str = "INFO"
    # The event loop of served parts: uvloop (libuv, less CPU per message) or asyncio.
    event_loop: str = "uvloop"
    # How `interop up`'s adapters reach their mocks in the same process: directly ("local")
    # or over loopback gRPC ("grpc"), as separate processes always do.
    mock_link: str = "local"
    # Where the process serves Prometheus metrics (loopback HOST:PORT); empty = not served.
    metrics_listen: str = ""

    @property
    def audit_path(self) -> str:
        return self.trail_path(self.gateway_id)

    def trail_path(self, trail: str) -> str:
        """The file of audit trail `trail` (a gateway id, or mock-<system>)."""
        if trail == self.gateway_id and self.audit_log:
            return self.audit_log
        return f"{self.audit_dir}/{trail}.jsonl"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with the given fields replaced; None values are ignored."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})  # type: ignore[arg-type]


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not an integer") from None


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SystemExit(f"{name}={value!r}: choose {' or '.join(choices)}")
    return value


def _replicas(env: dict[str, str], kind: Kind) -> Replicas:
    """INTEROP_TOPIC_REPLICATION_<KIND> and _MIN_INSYNC_<KIND>, else the settings for all."""
    suffix = kind.value.upper()
    replication = _int(env, "INTEROP_TOPIC_REPLICATION", Replicas().replication)
    min_insync = _int(env, "INTEROP_TOPIC_MIN_INSYNC", Replicas().min_insync)
    replicas = Replicas(
        _int(env, f"INTEROP_TOPIC_REPLICATION_{suffix}", replication),
        _int(env, f"INTEROP_TOPIC_MIN_INSYNC_{suffix}", min_insync),
    )
    if not 1 <= replicas.min_insync <= replicas.replication:
        raise SystemExit(
            f"{kind.value} topics: min.insync.replicas {replicas.min_insync} must be between 1 "
            f"and their replication {replicas.replication} (INTEROP_TOPIC_MIN_INSYNC_{suffix})"
        )
    return replicas


def _loopback(env: dict[str, str], name: str) -> str:
    value = env.get(name, "")
    if value:
        try:
            loopback_listen(value)
        except ValueError as error:
            raise SystemExit(f"{name}: {error}") from None
    return value


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from INTEROP_* environment variables, defaults for the rest."""
    env = dict(os.environ if environ is None else environ)
    base = Settings()
    mocks = {
        name: env.get(f"INTEROP_MOCK_{name.upper()}", address)
        for name, address in base.mock_addresses.items()
    }
    topics = Topics(
        prefix=env.get("INTEROP_TOPIC_PREFIX", base.topics.prefix),
        partitions=_int(env, "INTEROP_TOPIC_PARTITIONS", base.topics.partitions),
        retention_ms=_int(env, "INTEROP_TOPIC_RETENTION_MS", base.topics.retention_ms),
        replicas={kind: _replicas(env, kind) for kind in Kind},
    )
    bus = _choice(env, "INTEROP_BUS", base.bus, BUS_KINDS)
    limits = Limits(
        max_request_bytes=_int(env, "INTEROP_MAX_REQUEST_BYTES", base.limits.max_request_bytes),
        default_deadline_ms=_int(env, "INTEROP_DEADLINE_MS", base.limits.default_deadline_ms),
        max_deadline_ms=_int(env, "INTEROP_MAX_DEADLINE_MS", base.limits.max_deadline_ms),
    )
    return Settings(
        bus=bus,
        bootstrap=env.get("INTEROP_KAFKA_BOOTSTRAP", base.bootstrap),
        kafka_linger_ms=_int(env, "INTEROP_KAFKA_LINGER_MS", base.kafka_linger_ms),
        kafka_client=_choice(env, "INTEROP_KAFKA_CLIENT", base.kafka_client, KAFKA_CLIENTS),
        gateway_listen=env.get("INTEROP_GATEWAY_LISTEN", base.gateway_listen),
        gateway_id=env.get("INTEROP_GATEWAY_ID", base.gateway_id),
        limits=limits,
        max_in_flight=_int(env, "INTEROP_MAX_IN_FLIGHT", base.max_in_flight),
        max_in_flight_per_client=_int(
            env, "INTEROP_MAX_IN_FLIGHT_PER_CLIENT", base.max_in_flight_per_client
        ),
        admission=_choice(env, "INTEROP_ADMISSION", base.admission, ADMISSIONS),
        breaker_failures=_int(env, "INTEROP_BREAKER_FAILURES", base.breaker_failures),
        breaker_probe_ms=_int(env, "INTEROP_BREAKER_PROBE_MS", base.breaker_probe_ms),
        mock_addresses=mocks,
        topics=topics,
        audit_dir=env.get("INTEROP_AUDIT_DIR", base.audit_dir),
        audit_log=env.get("INTEROP_AUDIT_LOG", base.audit_log),
        keys_dir=env.get("INTEROP_KEYS_DIR", base.keys_dir),
        tls_dir=env.get("INTEROP_TLS_DIR", base.tls_dir),
        clients=tuple(c.strip() for c in env.get("INTEROP_CLIENTS", "").split(",") if c.strip()),
        insecure_profile=env.get("INTEROP_INSECURE_PROFILE", base.insecure_profile),
        scenarios=tuple(p for p in env.get("INTEROP_SCENARIOS", "").split(",") if p),
        population=_int(env, "INTEROP_POPULATION", base.population),
        population_seed=_int(env, "INTEROP_POPULATION_SEED", base.population_seed),
        log_level=env.get("INTEROP_LOG_LEVEL", base.log_level),
        event_loop=_choice(env, "INTEROP_EVENT_LOOP", base.event_loop, EVENT_LOOPS),
        mock_link=_choice(env, "INTEROP_MOCK_LINK", base.mock_link, MOCK_LINKS),
        metrics_listen=_loopback(env, "INTEROP_METRICS_LISTEN"),
    )
