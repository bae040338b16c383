#!/usr/bin/env bash
# A real Apache Kafka (KRaft) for development, CI and fault tests, with no Docker: one node, or
# a cluster of combined broker+controller nodes on loopback. The broker's jars come from Maven
# Central (deploy/kafka/pom.xml) and run on the local JDK.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"

usage() {
  cat <<EOF
Usage: deploy/kafka/kafka.sh [options] COMMAND
       deploy/kafka/kafka.sh [options] cluster COMMAND [NODE]

Run Apache Kafka ${KAFKA_VERSION:-4.1.1} (KRaft) on 127.0.0.1 from jars that Maven fetches
once into a cache folder: a single node (broker and controller in one JVM), or a cluster of
N such combined nodes that form the controller quorum together. Needs Java 17+ and Maven
(mvn); no Docker.

Commands (single node):
  fetch    download the broker's jars into the cache (once; skipped when already there)
  start    fetch if needed, format the data dir on first use, start the broker in the
           background and wait until it serves requests (idempotent when running)
  stop     stop the broker: SIGTERM, wait, then SIGKILL after KAFKA_STOP_TIMEOUT
  status   print whether the broker runs; exit 0 when it does, 3 when it does not
  clean    stop the broker and delete its data dir
  help     this text (also -h, --help)

Commands (cluster; nodes are numbered 1..N and node K is also broker id K):
  cluster start      start every node that is not running, wait until all N brokers are in
                     the cluster's metadata, print the bootstrap list
  cluster stop       stop every node (SIGTERM to all, SIGKILL after KAFKA_STOP_TIMEOUT)
  cluster status     one line per node; exit 0 when all run, 3 otherwise
  cluster clean      stop every node and delete the cluster's data dir
  cluster kill K     SIGKILL node K (a crash: no controlled shutdown)
  cluster restart K  stop node K if it runs, start it again, wait until it is back

Options (each also settable by the environment variable shown):
  --port N             KAFKA_PORT             client listener           [9092; cluster: 9192]
  --controller-port N  KAFKA_CONTROLLER_PORT  KRaft controller listener [port + 1; cluster: port + 100]
  --advertised-port N  KAFKA_ADVERTISED_PORT  port given to clients     [port]
  --data-dir DIR       KAFKA_DATA_DIR         logs, config, pid files   [<repo>/var/kafka; cluster: <repo>/var/kafka-cluster]
  --cache-dir DIR      KAFKA_CACHE_DIR        downloaded jars           [<repo>/.cache/kafka]
  --version V          KAFKA_VERSION          org.apache.kafka:kafka_2.13 version [4.1.1]
  --timeout S          KAFKA_START_TIMEOUT    seconds to wait for readiness        [90]
Cluster options (node K gets the K-th port; without a list, ports count up from --port,
--controller-port and --advertised-port; without any port setting, a cluster that was
started before keeps its ports):
  --brokers N                 KAFKA_BROKERS           nodes          [3; later commands: as started]
  --ports P1,P2,...           KAFKA_PORTS             client listeners
  --controller-ports P1,...   KAFKA_CONTROLLER_PORTS  controller listeners
  --advertised-ports P1,...   KAFKA_ADVERTISED_PORTS  ports given to clients
Other environment:
  KAFKA_HEAP_OPTS      JVM heap of each node  [-Xms256m -Xmx512m]
  KAFKA_JVM_OPTS       extra JVM options      []
  KAFKA_STOP_TIMEOUT   seconds before SIGKILL [20]
  PYTHON               interpreter for the readiness probe (uses aiokafka when present) [python3]

Topics are not auto-created (auto.create.topics.enable=false): the services create theirs
with the bus's ensure_topics, and a typo in a topic name fails instead of creating a topic.
A cluster of 3 or more defaults to default.replication.factor=3 and min.insync.replicas=2
(internal topics too), so acks=all survives one broker down; a broker that stops
heartbeating is fenced, and leaves every ISR, after 3 s.

An advertised port other than the client port sends clients through a proxy on that port
(loadtest/netcut.py, to cut the network in fault tests): start the proxy first, since the
readiness probe goes through it too. In a cluster, replication between brokers then goes
through the proxies as well; the controller quorum does not.

Files in the data dir (cluster: in node-K/ per node): server.properties, log4j2.properties,
kafka.log (the broker's output), kafka.pid, kraft/ (the KRaft metadata and topic data).

Examples:
  deploy/kafka/kafka.sh start && export INTEROP_KAFKA_BOOTSTRAP=127.0.0.1:9092
  KAFKA_PORT=19092 KAFKA_DATA_DIR=/tmp/k deploy/kafka/kafka.sh start
  deploy/kafka/kafka.sh stop
  deploy/kafka/kafka.sh cluster start --brokers 3     # 127.0.0.1:9192,127.0.0.1:9193,127.0.0.1:9194
  deploy/kafka/kafka.sh cluster kill 2 && deploy/kafka/kafka.sh cluster restart 2
  python -m loadtest.netcut --forward 19092=29092 &   # then clients use 127.0.0.1:19092
  deploy/kafka/kafka.sh start --port 29092 --advertised-port 19092
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

MODE="single"
COMMAND=""
NODE_ARG=""
while [[ $# -gt 0 ]]; do
  if [[ "$1" == --*=* ]]; then
    set -- "${1%%=*}" "${1#*=}" "${@:2}"
  fi
  case "$1" in
    -h | --help | help) COMMAND="help" ;;
    --port) KAFKA_PORT="${2:?--port needs a value}"; shift ;;
    --controller-port) KAFKA_CONTROLLER_PORT="${2:?--controller-port needs a value}"; shift ;;
    --advertised-port) KAFKA_ADVERTISED_PORT="${2:?--advertised-port needs a value}"; shift ;;
    --data-dir) KAFKA_DATA_DIR="${2:?--data-dir needs a value}"; shift ;;
    --cache-dir) KAFKA_CACHE_DIR="${2:?--cache-dir needs a value}"; shift ;;
    --version) KAFKA_VERSION="${2:?--version needs a value}"; shift ;;
    --timeout) KAFKA_START_TIMEOUT="${2:?--timeout needs a value}"; shift ;;
    --brokers) KAFKA_BROKERS="${2:?--brokers needs a value}"; shift ;;
    --ports) KAFKA_PORTS="${2:?--ports needs a value}"; shift ;;
    --controller-ports) KAFKA_CONTROLLER_PORTS="${2:?--controller-ports needs a value}"; shift ;;
    --advertised-ports) KAFKA_ADVERTISED_PORTS="${2:?--advertised-ports needs a value}"; shift ;;
    cluster)
      [[ "$MODE" == "single" && ( -z "$COMMAND" || "$COMMAND" == "help" ) ]] || die "'cluster' comes before its command"
      MODE="cluster"
      ;;
    fetch | start | stop | status | clean | kill | restart)
      [[ -z "$COMMAND" || "$COMMAND" == "help" ]] || die "one command at a time (got $COMMAND and $1)"
      [[ "$COMMAND" == "help" ]] || COMMAND="$1"
      ;;
    [0-9]*)
      [[ "$COMMAND" == "kill" || "$COMMAND" == "restart" ]] || die "unexpected number: $1 (see --help)"
      NODE_ARG="$1"
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
if [[ "$COMMAND" == "kill" || "$COMMAND" == "restart" ]]; then
  [[ "$MODE" == "cluster" ]] || die "$COMMAND is a cluster command: kafka.sh cluster $COMMAND NODE"
  [[ -n "$NODE_ARG" ]] || die "cluster $COMMAND needs a node number (1..N)"
fi
[[ "$MODE" == "single" || "$COMMAND" != "fetch" ]] || die "fetch is not a cluster command: kafka.sh fetch"

# Without ports in the settings, a cluster starts again on the ports it had.
PORTS_GIVEN="${KAFKA_PORT:-}${KAFKA_PORTS:-}${KAFKA_CONTROLLER_PORT:-}${KAFKA_CONTROLLER_PORTS:-}"
PORTS_GIVEN+="${KAFKA_ADVERTISED_PORT:-}${KAFKA_ADVERTISED_PORTS:-}"
KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$REPO_ROOT/.cache/kafka}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_JVM_OPTS="${KAFKA_JVM_OPTS:-}"
PYTHON="${PYTHON:-python3}"
if [[ "$MODE" == "single" ]]; then
  KAFKA_PORT="${KAFKA_PORT:-9092}"
  KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
  KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/var/kafka}"
else
  KAFKA_PORT="${KAFKA_PORT:-9192}"
  KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 100))}"
  KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$REPO_ROOT/var/kafka-cluster}"
fi
KAFKA_ADVERTISED_PORT="${KAFKA_ADVERTISED_PORT:-$KAFKA_PORT}"

for n in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" "$KAFKA_ADVERTISED_PORT" "$KAFKA_START_TIMEOUT" \
  "$KAFKA_STOP_TIMEOUT" ${KAFKA_BROKERS:+"$KAFKA_BROKERS"} ${NODE_ARG:+"$NODE_ARG"}; do
  [[ "$n" =~ ^[0-9]+$ ]] || die "not a number: $n"
done

[[ "$KAFKA_CACHE_DIR" == /* ]] || KAFKA_CACHE_DIR="$PWD/$KAFKA_CACHE_DIR"
[[ "$KAFKA_DATA_DIR" == /* ]] || KAFKA_DATA_DIR="$PWD/$KAFKA_DATA_DIR"
if [[ "$COMMAND" == "start" ]]; then
  mkdir -p "$KAFKA_DATA_DIR"
fi
if [[ -d "$KAFKA_DATA_DIR" ]]; then
  KAFKA_DATA_DIR="$(cd "$KAFKA_DATA_DIR" && pwd)"
fi
LIBS_DIR="$KAFKA_CACHE_DIR/$KAFKA_VERSION/libs"

# -- nodes ------------------------------------------------------------------------------------
# Node K (1..N) is index K-1 of these arrays. A single node is node 1 of 1, with its files
# directly in the data dir as they always were.

formatted_nodes() {
  # How many nodes a cluster data dir holds (0 when it is new).
  local count=0
  while [[ -d "$KAFKA_DATA_DIR/node-$((count + 1))" ]]; do
    count=$((count + 1))
  done
  echo "$count"
}

port_list() {
  # LIST FIRST COUNT: the comma-separated LIST when given, else COUNT ports from FIRST up.
  if [[ -n "$1" ]]; then
    tr ',' ' ' <<<"$1"
  else
    seq -s ' ' "$2" $(($2 + $3 - 1))
  fi
}

if [[ "$MODE" == "single" ]]; then
  NODES=1
  DIRS=("$KAFKA_DATA_DIR")
  PORTS=("$KAFKA_PORT")
  CONTROLLER_PORTS=("$KAFKA_CONTROLLER_PORT")
  ADVERTISED_PORTS=("$KAFKA_ADVERTISED_PORT")
else
  EXISTING="$(formatted_nodes)"
  if [[ "$COMMAND" == "start" ]]; then
    NODES="${KAFKA_BROKERS:-3}"
    ((EXISTING == 0)) || NODES="${KAFKA_BROKERS:-$EXISTING}"
    [[ "$EXISTING" == 0 || "$EXISTING" == "$NODES" ]] ||
      die "$KAFKA_DATA_DIR holds a cluster of $EXISTING nodes, not $NODES: 'cluster clean' it first"
  else
    NODES="$EXISTING"
  fi
  ((NODES <= 9)) || die "at most 9 nodes on one machine (asked for $NODES)"
  DIRS=()
  for ((i = 1; i <= NODES; i++)); do
    DIRS+=("$KAFKA_DATA_DIR/node-$i")
  done
  read -r -a PORTS <<<"$(port_list "${KAFKA_PORTS:-}" "$KAFKA_PORT" "$NODES")"
  read -r -a CONTROLLER_PORTS <<<"$(port_list "${KAFKA_CONTROLLER_PORTS:-}" "$KAFKA_CONTROLLER_PORT" "$NODES")"
  if [[ -z "${KAFKA_ADVERTISED_PORTS:-}" && "$KAFKA_ADVERTISED_PORT" == "$KAFKA_PORT" ]]; then
    ADVERTISED_PORTS=("${PORTS[@]}")
  else
    read -r -a ADVERTISED_PORTS <<<"$(port_list "${KAFKA_ADVERTISED_PORTS:-}" "$KAFKA_ADVERTISED_PORT" "$NODES")"
  fi
fi

if [[ "$COMMAND" == "start" ]]; then
  ((NODES >= 1)) || die "a cluster needs at least one node"
  for list in PORTS CONTROLLER_PORTS ADVERTISED_PORTS; do
    declare -n ports="$list"
    ((${#ports[@]} == NODES)) || die "$list: ${#ports[@]} ports for $NODES nodes"
    for n in "${ports[@]}"; do
      [[ "$n" =~ ^[0-9]+$ ]] || die "not a port number in $list: $n"
    done
    unset -n ports
  done
  ALL_LISTENERS="$(printf '%s\n' "${PORTS[@]}" "${CONTROLLER_PORTS[@]}")"
  [[ "$(sort -u <<<"$ALL_LISTENERS" | wc -l)" == $((2 * NODES)) ]] ||
    die "client and controller ports must all differ (got ${PORTS[*]} and ${CONTROLLER_PORTS[*]})"
fi
if [[ -n "$NODE_ARG" ]]; then
  ((NODE_ARG >= 1 && NODE_ARG <= NODES)) || die "no node $NODE_ARG in a cluster of $NODES ($KAFKA_DATA_DIR)"
fi

use_node() {
  # Point the per-node file names at node $1 (1-based).
  NODE="$1"
  local dir="${DIRS[$((NODE - 1))]}"
  PID_FILE="$dir/kafka.pid"
  LOG_FILE="$dir/kafka.log"
  CONFIG_FILE="$dir/server.properties"
  LOG4J_FILE="$dir/log4j2.properties"
  KRAFT_DIR="$dir/kraft"
  PROBE_LOG="$dir/probe.log"
}

node_name() {
  # How the messages name node $1: a single node is just "Kafka".
  if [[ "$MODE" == "single" ]]; then echo "Kafka"; else echo "Kafka node $1"; fi
}

bootstrap_list() {
  local out="" port
  for port in "${ADVERTISED_PORTS[@]}"; do
    out+="${out:+,}127.0.0.1:$port"
  done
  echo "$out"
}

ports_from_config() {
  # Node $NODE's ports as it was last started with them (they may differ from this call's
  # settings), when it has a config.
  [[ -f "$CONFIG_FILE" ]] || return 0
  local i=$((NODE - 1))
  PORTS[i]="$(sed -n 's|^listeners=PLAINTEXT://127.0.0.1:\([0-9]*\),.*|\1|p' "$CONFIG_FILE")"
  CONTROLLER_PORTS[i]="$(sed -n 's|^listeners=.*CONTROLLER://127.0.0.1:\([0-9]*\)$|\1|p' "$CONFIG_FILE")"
  ADVERTISED_PORTS[i]="$(sed -n 's|^advertised.listeners=PLAINTEXT://127.0.0.1:||p' "$CONFIG_FILE")"
}

# -- helpers ----------------------------------------------------------------------------------

running_pid() {
  # Node $NODE's pid when it runs (and really is our Kafka, not a reused pid); else nothing.
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
    tail -n 40 "$LOG_FILE" >&2
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

elapsed_since() {
  local took_ms=$(($(date +%s%3N) - $1))
  echo "$((took_ms / 1000)).$(printf '%03d' $((took_ms % 1000)))s"
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

replication_settings() {
  # Internal and default topics get as many replicas as the cluster allows, up to 3, and
  # acks=all needs 2 of 3 in sync: one broker may be down.
  local rf=$((NODES < 3 ? NODES : 3))
  local isr=$((rf < 3 ? 1 : 2))
  local offsets_partitions=$((NODES == 1 ? 1 : NODES))
  cat <<EOF
num.partitions=1
default.replication.factor=$rf
min.insync.replicas=$isr

# Internal topics: as many replicas as the default, one partition per broker.
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=$offsets_partitions
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=$offsets_partitions
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
EOF
  if ((NODES > 1)); then
    cat <<'EOF'

# A killed broker is fenced (and leaves every ISR) after 3 s without heartbeats, so acks=all
# produce stalls for seconds, not for replica.lag.time.max.ms (30 s), and the partitions it
# led have a new leader as soon.
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=3000
EOF
  fi
}

write_config() {
  local i=$((NODE - 1)) voters="" k
  for ((k = 0; k < NODES; k++)); do
    voters+="${voters:+,}$((k + 1))@127.0.0.1:${CONTROLLER_PORTS[$k]}"
  done
  local what="Single node, dev/CI only."
  ((NODES == 1)) || what="Node $NODE of a $NODES-node cluster on loopback, dev/fault tests only."
  cat >"$CONFIG_FILE" <<EOF
# Written by deploy/kafka/kafka.sh; rewritten at every start. $what
process.roles=broker,controller
node.id=$NODE
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:${PORTS[$i]},CONTROLLER://127.0.0.1:${CONTROLLER_PORTS[$i]}
advertised.listeners=PLAINTEXT://127.0.0.1:${ADVERTISED_PORTS[$i]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KRAFT_DIR

# Topics are created by the services (ensure_topics), never by a stray produce or fetch.
auto.create.topics.enable=false
delete.topic.enable=true
$(replication_settings)

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

cluster_id() {
  # One id for every node of the data dir, generated on first use.
  local file="$KAFKA_DATA_DIR/cluster.id"
  if [[ ! -s "$file" ]]; then
    java -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$LOG4J_FILE" \
      kafka.tools.StorageTool random-uuid 2>>"$LOG_FILE" | tail -n1 >"$file"
  fi
  [[ -s "$file" ]] || { rm -f "$file"; tail_log; die "could not generate a cluster id"; }
  cat "$file"
}

format_storage() {
  if [[ -f "$KRAFT_DIR/meta.properties" ]]; then
    return 0
  fi
  local id
  id="$(cluster_id)"
  log "formatting $KRAFT_DIR (cluster id $id)"
  if ! java -cp "$LIBS_DIR/*" -Dlog4j2.configurationFile="$LOG4J_FILE" \
    kafka.tools.StorageTool format -t "$id" -c "$CONFIG_FILE" >>"$LOG_FILE" 2>&1; then
    tail_log
    die "formatting the KRaft storage in $KRAFT_DIR failed"
  fi
}

probe_ready() {
  # A metadata round trip that lists all $1 brokers and a group coordinator lookup, with
  # aiokafka when Python has it; else the log lines are enough.
  "$PYTHON" -c 'import aiokafka' >/dev/null 2>&1 || return 0
  "$PYTHON" - "$(bootstrap_list)" "$1" <<'EOF' >"$PROBE_LOG" 2>&1
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient


async def main() -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=sys.argv[1], request_timeout_ms=3000)
    await asyncio.wait_for(admin.start(), 5)
    try:
        cluster = await asyncio.wait_for(admin.describe_cluster(), 5)
        if len(cluster["brokers"]) < int(sys.argv[2]):
            raise SystemExit(f"{len(cluster['brokers'])} of {sys.argv[2]} brokers registered")
        # The first group lookup creates __consumer_offsets; do it now so that the first
        # consumer group of a test or a service joins at once.
        await asyncio.wait_for(admin.find_coordinator("kafka-sh-readiness-probe"), 5)
    finally:
        await admin.close()


asyncio.run(main())
EOF
}

launch_node() {
  # Start node $NODE's JVM in the background from its written config; remember where its log
  # stood so that readiness looks only at lines of this start.
  local port
  for port in "${PORTS[$((NODE - 1))]}" "${CONTROLLER_PORTS[$((NODE - 1))]}"; do
    if port_open "$port"; then
      die "port 127.0.0.1:$port is already in use by another process; pick others with --port/--controller-port"
    fi
  done
  LOG_MARK[NODE]="$(wc -l <"$LOG_FILE")"
  # shellcheck disable=SC2086 # the heap and JVM options are lists of words
  nohup java $KAFKA_HEAP_OPTS \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_FILE" \
    $KAFKA_JVM_OPTS \
    -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 </dev/null &
  echo "$!" >"$PID_FILE"
}

launched() {
  # Node $NODE's JVM, launched by this script, is still alive.
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

node_started() {
  # Node $NODE listens and has logged its start since launch_node.
  port_open "${PORTS[$((NODE - 1))]}" &&
    tail -n "+$((LOG_MARK[NODE] + 1))" "$LOG_FILE" | grep -q "Kafka Server started"
}

await_nodes() {
  # Wait until every node in "$@" has started and the cluster lists all NODES brokers; on a
  # crash or a timeout, stop the nodes that were launched here and fail.
  local deadline=$((SECONDS + KAFKA_START_TIMEOUT)) n pending
  while true; do
    pending=0
    for n in "$@"; do
      use_node "$n"
      if ! launched; then
        local crashed_log="$LOG_FILE"
        tail_log
        stop_nodes "$@"
        die "$(node_name "$n") exited during start-up (see $crashed_log)"
      fi
      node_started || pending=1
    done
    if ((pending == 0)) && probe_ready "$NODES"; then
      return 0
    fi
    if ((SECONDS >= deadline)); then
      tail_log
      if [[ -s "$PROBE_LOG" ]]; then
        echo "---- last readiness probe ($PYTHON, aiokafka) ----" >&2
        tail -n 5 "$PROBE_LOG" >&2
      fi
      log "Kafka did not become ready within ${KAFKA_START_TIMEOUT}s; stopping it"
      stop_nodes "$@"
      die "start-up timed out (raise --timeout / KAFKA_START_TIMEOUT if the machine is slow)"
    fi
    sleep 0.2
  done
}

stop_nodes() {
  # SIGTERM to every running node in "$@" at once, SIGKILL to those still up after the timeout.
  local n pid pids=()
  for n in "$@"; do
    use_node "$n"
    if pid="$(running_pid)"; then
      log "stopping $(node_name "$n") (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$PID_FILE"
  done
  ((${#pids[@]} > 0)) || { log "not running"; return 0; }
  local deadline=$((SECONDS + KAFKA_STOP_TIMEOUT))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null; do
      if ((SECONDS >= deadline)); then
        log "pid $pid still running after ${KAFKA_STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.2
    done
    # Reap it when it is our child (stop called by start after a timeout).
    wait "$pid" 2>/dev/null || true
  done
  log "stopped"
}

all_nodes() {
  seq 1 "$NODES"
}

cmd_start() {
  local n pid to_start=()
  for n in $(all_nodes); do
    use_node "$n"
    if [[ "$MODE" == "cluster" && -z "$PORTS_GIVEN" ]]; then
      ports_from_config
    fi
    if pid="$(running_pid)"; then
      ports_from_config
      log "$(node_name "$n") already running (pid $pid) on 127.0.0.1:${PORTS[$((n - 1))]}; data in ${DIRS[$((n - 1))]}"
    else
      rm -f "$PID_FILE"
      to_start+=("$n")
    fi
  done
  if ((${#to_start[@]} == 0)); then
    bootstrap_list
    return 0
  fi
  java_cmd
  cmd_fetch
  for n in "${to_start[@]}"; do
    use_node "$n"
    mkdir -p "$KRAFT_DIR"
    : >"$LOG_FILE"
    write_config
  done
  use_node "${to_start[0]}"
  cluster_id >/dev/null
  for n in "${to_start[@]}"; do
    use_node "$n"
    format_storage &
  done
  wait_all_or_die "formatting"

  local started_ms
  started_ms="$(date +%s%3N)"
  for n in "${to_start[@]}"; do
    use_node "$n"
    log "starting $(node_name "$n") (version $KAFKA_VERSION) on 127.0.0.1:${PORTS[$((n - 1))]} (controller ${CONTROLLER_PORTS[$((n - 1))]}); log: $LOG_FILE"
    launch_node
  done
  await_nodes "${to_start[@]}"
  if [[ "$MODE" == "single" ]]; then
    log "ready in $(elapsed_since "$started_ms"): bootstrap $(bootstrap_list) (pid $(node_pids))"
  else
    log "cluster of $NODES ready in $(elapsed_since "$started_ms"): bootstrap $(bootstrap_list) (pids $(node_pids))"
  fi
  bootstrap_list
}

wait_all_or_die() {
  # Wait for the background jobs of this shell; fail when one of them failed.
  local job failed=0
  for job in $(jobs -p); do
    wait "$job" || failed=1
  done
  ((failed == 0)) || die "$1 failed"
}

node_pids() {
  local n out=""
  for n in $(all_nodes); do
    use_node "$n"
    out+="${out:+ }$(running_pid || echo -)"
  done
  echo "$out"
}

cmd_stop() {
  # shellcheck disable=SC2046 # a list of node numbers
  stop_nodes $(all_nodes)
}

cmd_status() {
  if [[ "$MODE" == "single" ]]; then
    use_node 1
    ports_from_config
    local pid
    if pid="$(running_pid)"; then
      echo "running: pid $pid, bootstrap $(bootstrap_list), data $KAFKA_DATA_DIR"
      return 0
    fi
    echo "stopped (data $KAFKA_DATA_DIR)"
    return 3
  fi
  ((NODES > 0)) || { echo "no cluster (data $KAFKA_DATA_DIR)"; return 3; }
  local n pid up=0 bootstrap=""
  for n in $(all_nodes); do
    use_node "$n"
    ports_from_config
    local port="${ADVERTISED_PORTS[$((n - 1))]}"
    if pid="$(running_pid)"; then
      echo "node $n: running, pid $pid, 127.0.0.1:$port"
      up=$((up + 1))
      bootstrap+="${bootstrap:+,}127.0.0.1:$port"
    else
      echo "node $n: stopped, 127.0.0.1:$port"
    fi
  done
  echo "$up of $NODES running; bootstrap ${bootstrap:--}; data $KAFKA_DATA_DIR"
  ((up == NODES)) || return 3
}

cmd_clean() {
  cmd_stop
  rm -rf "$KAFKA_DATA_DIR"
  log "removed $KAFKA_DATA_DIR"
}

cmd_kill() {
  use_node "$NODE_ARG"
  ports_from_config
  local pid
  pid="$(running_pid)" || die "node $NODE_ARG is not running"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.05
  done
  rm -f "$PID_FILE"
  log "killed node $NODE_ARG (pid $pid, 127.0.0.1:${ADVERTISED_PORTS[$((NODE_ARG - 1))]})"
}

cmd_restart() {
  use_node "$NODE_ARG"
  [[ -f "$CONFIG_FILE" && -f "$KRAFT_DIR/meta.properties" ]] ||
    die "node $NODE_ARG was never started: use 'cluster start'"
  # Every node keeps the ports it was started with.
  local n
  for n in $(all_nodes); do
    use_node "$n"
    ports_from_config
  done
  stop_nodes "$NODE_ARG"
  java_cmd
  use_node "$NODE_ARG"
  echo "---- restarted by kafka.sh at $(date -Is) ----" >>"$LOG_FILE"
  local started_ms
  started_ms="$(date +%s%3N)"
  launch_node
  await_nodes "$NODE_ARG"
  use_node "$NODE_ARG"
  log "node $NODE_ARG back in $(elapsed_since "$started_ms") (pid $(running_pid)); bootstrap $(bootstrap_list)"
}

declare -a LOG_MARK=()
case "$COMMAND" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  clean) cmd_clean ;;
  kill) cmd_kill ;;
  restart) cmd_restart ;;
esac
