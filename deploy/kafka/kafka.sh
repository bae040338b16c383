#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft) for development and CI, with no Docker:
# the broker's jars come from Maven Central (deploy/kafka/pom.xml) and run on the local JDK.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

usage() {
  cat <<EOF
Usage: deploy/kafka/kafka.sh [options] COMMAND

Run a single-node Apache Kafka ${KAFKA_VERSION:-4.1.1} (KRaft: broker and controller in one JVM)
on 127.0.0.1, from jars that Maven fetches once into a cache folder. Needs Java 17+ and
Maven (mvn); no Docker.

Commands:
  fetch    download the broker's jars into the cache (once; skipped when already there)
  start    fetch if needed, format the data dir on first use, start the broker in the
           background and wait until it serves requests (idempotent when running)
  stop     stop the broker: SIGTERM, wait, then SIGKILL after KAFKA_STOP_TIMEOUT
  status   print whether the broker runs; exit 0 when it does, 3 when it does not
  clean    stop the broker and delete its data dir
  help     this text (also -h, --help)

Options (each also settable by the environment variable shown):
  --port N             KAFKA_PORT             client listener           [9092]
  --controller-port N  KAFKA_CONTROLLER_PORT  KRaft controller listener [port + 1]
  --data-dir DIR       KAFKA_DATA_DIR         logs, config, pid file    [<repo>/var/kafka]
  --cache-dir DIR      KAFKA_CACHE_DIR        downloaded jars           [<repo>/.cache/kafka]
  --version V          KAFKA_VERSION          org.apache.kafka:kafka_2.13 version [4.1.1]
  --timeout S          KAFKA_START_TIMEOUT    seconds to wait for readiness        [90]
Other environment:
  KAFKA_HEAP_OPTS      JVM heap               [-Xms256m -Xmx512m]
  KAFKA_JVM_OPTS       extra JVM options      []
  KAFKA_STOP_TIMEOUT   seconds before SIGKILL [20]
  PYTHON               interpreter for the readiness probe (uses aiokafka when present) [python3]

Topics are not auto-created (auto.create.topics.enable=false): the services create theirs
with the bus's ensure_topics, and a typo in a topic name fails instead of creating a topic.

Files in the data dir: server.properties, log4j2.properties, kafka.log (the broker's
output), kafka.pid, kraft/ (the KRaft metadata and topic data).

Examples:
  deploy/kafka/kafka.sh start && export INTEROP_KAFKA_BOOTSTRAP=127.0.0.1:9092
  KAFKA_PORT=19092 KAFKA_DATA_DIR=/tmp/k deploy/kafka/kafka.sh start
  deploy/kafka/kafka.sh stop
EOF
}

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

log() {
  echo "kafka.sh: $*" >&2
}

# -- settings ---------------------------------------------------------------------------------

COMMAND=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help | help) COMMAND="help" ;;
    --port) KAFKA_PORT="${2:?--port needs a value}"; shift ;;
    --port=*) KAFKA_PORT="${1#*=}" ;;
    --controller-port) KAFKA_CONTROLLER_PORT="${2:?--controller-port needs a value}"; shift ;;
    --controller-port=*) KAFKA_CONTROLLER_PORT="${1#*=}" ;;
    --data-dir) KAFKA_DATA_DIR="${2:?--data-dir needs a value}"; shift ;;
    --data-dir=*) KAFKA_DATA_DIR="${1#*=}" ;;
    --cache-dir) KAFKA_CACHE_DIR="${2:?--cache-dir needs a value}"; shift ;;
    --cache-dir=*) KAFKA_CACHE_DIR="${1#*=}" ;;
    --version) KAFKA_VERSION="${2:?--version needs a value}"; shift ;;
    --version=*) KAFKA_VERSION="${1#*=}" ;;
    --timeout) KAFKA_START_TIMEOUT="${2:?--timeout needs a value}"; shift ;;
    --timeout=*) KAFKA_START_TIMEOUT="${1#*=}" ;;
    fetch | start | stop | status | clean)
      [[ -z "$COMMAND" || "$COMMAND" == "help" ]] || die "one command at a time (got $COMMAND and $1)"
      [[ "$COMMAND" == "help" ]] || COMMAND="$1"
      ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
if [[ -z "$COMMAND" || "$COMMAND" == "help" ]]; then
  usage
  [[ -n "$COMMAND" ]] || exit 2
  exit 0
fi

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/var/kafka}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$REPO_ROOT/.cache/kafka}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
PYTHON="${PYTHON:-python3}"

for n in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_START_TIMEOUT" "$KAFKA_STOP_TIMEOUT"; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"
done
[[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

[[ "$KAFKA_CACHE_DIR" == /* ]] || KAFKA_CACHE_DIR="$PWD/$KAFKA_CACHE_DIR"
[[ "$KAFKA_DATA_DIR" == /* ]] || KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR"
if [[ "$COMMAND" == "start" ]]; then
  mkdir -p "$KAFKA_DATA_DIR"
fi
if [[ -d "$KAFKA_DATA_DIR" ]]; then
  KAFKA_DATA_DIR="$(cd "$KAFKA_DATA_DIR" && pwd)"
fi
LIBS_DIR="$KAFKA_CACHE_DIR/$KAFKA_VERSION/libs"
PID_FILE="$KAFKA_DATA_DIR/kafka.pid"
LOG_FILE="$KAFKA_DATA_DIR/kafka.log"
CONFIG_FILE="$KAFKA_DATA_DIR/server.properties"
LOG4J_FILE="$KAFKA_DATA_DIR/log4j2.properties"
KRAFT_DIR="$KAFKA_DATA_DIR/kraft"
PROBE_LOG="$KAFKA_DATA_DIR/probe.log"

# -- helpers ----------------------------------------------------------------------------------

running_pid() {
  # The broker's pid when it runs (and really is our Kafka, not a reused pid); else nothing.
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka" || return 1
  fi
  echo "$pid"
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

tail_log() {
  if [[ -f "$LOG_FILE" ]]; then
    echo "---- last lines of $LOG_FILE ----" >&2
    tail -n "${1:-40}" "$LOG_FILE" >&2
    echo "----" >&2
  fi
}

java_cmd() {
  command -v java >/dev/null 2>&1 || die "java not found: install a JDK 17 or newer"
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1)"
  [[ "${major%%.*}" -ge 17 ]] 2>/dev/null || die "Kafka $KAFKA_VERSION needs Java 17 or newer (found: ${major:-unknown})"
}

jars_present() {
  [[ -f "$LIBS_DIR/.complete" ]] && compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null
}

# -- commands ---------------------------------------------------------------------------------

cmd_fetch() {
  if jars_present; then
    log "Kafka $KAFKA_VERSION jars already in $LIBS_DIR"
    return 0
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: install Maven to fetch Kafka's jars"
  log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS_DIR"
  rm -rf "$LIBS_DIR"
  mkdir -p "$LIBS_DIR"
  local mvn_log="$KAFKA_CACHE_DIR/maven-$KAFKA_VERSION.log"
  if ! mvn -B -q -ntp -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" \
    dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -Dkafka.cache.dir="$LIBS_DIR" >"$mvn_log" 2>&1; then
    rm -rf "$LIBS_DIR"
    tail -n 30 "$mvn_log" >&2
    die "maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION (full output: $mvn_log)"
  fi
  compgen -G "$LIBS_DIR/kafka_2.13-*.jar" >/dev/null || die "maven finished but no kafka_2.13 jar is in $LIBS_DIR"
  touch "$LIBS_DIR/.complete"
  log "fetched $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars"
}

write_config() {
  cat >"$CONFIG_FILE" <<EOF
# Written by deploy/kafka/kafka.sh; rewritten at every start. Single node, dev/CI only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KRAFT_DIR

# Topics are created by the services (ensure_topics), never by a stray produce or fetch.
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=1
default.replication.factor=1
min.insync.replicas=1

# One node: every internal topic has one replica.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1

# Fast group joins for tests and a laptop.
group.initial.rebalance.delay.ms=0
group.min.session.timeout.ms=1000

# A 2-core machine.
num.network.threads=2
num.io.threads=4
background.threads=4

# Dev data does not need to live long.
log.retention.hours=24
log.segment.bytes=104857600
EOF

  cat >"$LOG4J_FILE" <<'EOF'
# Written by deploy/kafka/kafka.sh: everything to stdout, which kafka.sh sends to kafka.log.
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
}

format_storage() {
  if [[ -f "$KRAFT_DIR/meta.properties" ]]; then
    return 0
  fi
  local cluster_id
  cluster_id="$(java -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$LOG4J_FILE" \
    kafka.tools.StorageTool random-uuid 2>>"$LOG_FILE" | tail -n1)"
  [[ -n "$cluster_id" ]] || { tail_log; die "could not generate a cluster id"; }
  echo "$cluster_id" >"$KAFKA_DATA_DIR/cluster.id"
  log "formatting $KRAFT_DIR (cluster id $cluster_id)"
  if ! java -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$LOG4J_FILE" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG_FILE" >>"$LOG_FILE" 2>&1; then
    tail_log
    die "formatting the KRaft storage in $KRAFT_DIR failed"
  fi
}

probe_ready() {
  # A metadata round trip and a group coordinator lookup with aiokafka when Python has it;
  # else the log line is enough.
  "$PYTHON" -c 'import aiokafka' >/dev/null 2>&1 || return 0
  "$PYTHON" - "127.0.0.1:$KAFKA_PORT" <<'EOF' >"$PROBE_LOG" 2>&1
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient


async def main() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    await asyncio.wait_for(admin.start(), 5)
    try:
        await asyncio.wait_for(admin.describe_cluster(), 5)
        # The first group lookup creates __consumer_offsets; do it now so that the first
        # consumer group of a test or a service joins at once.
        await asyncio.wait_for(admin.find_coordinator("kafka-sh-readiness-probe"), 5)
    finally:
        await admin.close()


asyncio.run(main())
EOF
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT; data in $KAFKA_DATA_DIR"
    echo "127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  rm -f "$PID_FILE"
  java_cmd
  cmd_fetch
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$p"; then
      die "port 127.0.0.1:$p is already in use by another process; pick others with --port/--controller-port"
    fi
  done
  mkdir -p "$KRAFT_DIR"
  : >"$LOG_FILE"
  write_config
  format_storage

  local started_ms
  started_ms="$(date +%s%3N)"
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT); log: $LOG_FILE"
  # shellcheck disable=SC2086 # the heap and JVM options are lists of words
  nohup java $KAFKA_HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_FILE" \
    $KAFKA_JVM_OPTS \
    -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  until port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOG_FILE" && probe_ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail_log
      die "Kafka exited during start-up (see $LOG_FILE)"
    fi
    if ((SECONDS >= deadline)); then
      tail_log
      if [[ -s "$PROBE_LOG" ]]; then
        echo "---- last readiness probe ($PYTHON, aiokafka) ----" >&2
        tail -n 5 "$PROBE_LOG" >&2
      fi
      log "Kafka did not become ready within ${KAFKA_START_TIMEOUT}s; stopping it"
      cmd_stop || true
      die "start-up timed out (raise --timeout / KAFKA_START_TIMEOUT if the machine is slow)"
    fi
    sleep 0.2
  done
  local took_ms=$(($(date +%s%3N) - started_ms))
  log "ready in $((took_ms / 1000)).$(printf '%03d' $((took_ms % 1000)))s: bootstrap 127.0.0.1:$KAFKA_PORT (pid $pid)"
  echo "127.0.0.1:$KAFKA_PORT"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      log "still running after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  # Reap it when it is our child (stop called by start after a timeout).
  wait "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running: pid $pid, bootstrap 127.0.0.1:$KAFKA_PORT, data $KAFKA_DATA_DIR"
    return 0
  fi
  echo "stopped (data $KAFKA_DATA_DIR)"
  return 3
}

cmd_clean() {
  cmd_stop
  rm -rf "$KAFKA_DATA_DIR"
  log "removed $KAFKA_DATA_DIR"
}

case "$COMMAND" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
esac
