#!/usr/bin/env bash
# Real PostgreSQL, Redis and Kafka on loopback, for the service tests and local runs.
#   bash scripts/services.sh start    make sure all three answer; fetch and start Kafka when needed
#   bash scripts/services.sh stop     stop what `start` started, and nothing else
#   bash scripts/services.sh status   what answers where, and who started it
#   bash scripts/services.sh env      export lines: eval "$(bash scripts/services.sh env)"
#   bash scripts/services.sh run CMD  start, then run CMD with the TRADENOVA_* variables set and the
#                                     service suites required, e.g. run ./tn test packages/cli/test/services
# PostgreSQL and Redis are the machine's own: `start` only starts them (as root) when they do
# not answer, and then records that it did so `stop` can undo exactly that. Kafka is fetched
# from Maven Central with tools/kafka/pom.xml into a cache outside the checkout (so a clean
# clone reuses it) and runs as one KRaft broker+controller with its state under .services/.
# Settings (environment): TRADENOVA_KAFKA_VERSION, TRADENOVA_KAFKA_PORT (first port tried),
# TRADENOVA_KAFKA_HEAP, TRADENOVA_SERVICES_CACHE, TRADENOVA_SERVICES_DIR; a preset
# TRADENOVA_PG_URL or TRADENOVA_REDIS_URL is checked and used instead of the local server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TRADENOVA_SERVICES_DIR:-$root/.services}"
kafka_version="${TRADENOVA_KAFKA_VERSION:-4.4.0}"
cache="${TRADENOVA_SERVICES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tradenova}"
lib="$cache/kafka-$kafka_version/lib"
kdir="$state/kafka"
heap="${TRADENOVA_KAFKA_HEAP:-512m}"
pg_port=5432
redis_port=6379

say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
# Whether something accepts TCP on 127.0.0.1:$1 (bash's /dev/tcp, so no netcat needed).
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -f "$1" ] && cat "$1" || true; }

# ---------------------------------------------------------------- PostgreSQL
# The first URL that runs a query: a preset TRADENOVA_PG_URL, else role postgres or root on `test`.
pg_url() {
  command -v psql >/dev/null || { say "psql not found (install postgresql-client)"; return 1; }
  local candidates=("${TRADENOVA_PG_URL:-}" "postgres://postgres@127.0.0.1:$pg_port/test" "postgres://root@127.0.0.1:$pg_port/test")
  local url
  for url in "${candidates[@]}"; do
    [ -n "$url" ] || continue
    if PGCONNECT_TIMEOUT=3 psql "$url" -Atqc 'select 1' >/dev/null 2>&1; then echo "$url"; return 0; fi
    # A preset URL is the user's choice: do not fall back to another server behind their back.
    [ "$url" = "${TRADENOVA_PG_URL:-}" ] && return 1
  done
  return 1
}

pg_start() {
  pg_url >/dev/null && { say "postgres: answering ($(pg_url))"; return 0; }
  [ -z "${TRADENOVA_PG_URL:-}" ] || die "postgres: TRADENOVA_PG_URL=$TRADENOVA_PG_URL does not answer"
  [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] ||
    die "postgres: nothing answers on 127.0.0.1:$pg_port and this script can only start it as root with pg_ctlcluster"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "postgres: starting cluster $version/main"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  echo "$version" >"$state/postgres.started"
  local i
  for i in $(seq 1 60); do pg_url >/dev/null && { say "postgres: answering ($(pg_url))"; return 0; }; sleep 0.5; done
  die "postgres: started but no query succeeded within 30 s"
}

pg_stop() {
  [ -f "$state/postgres.started" ] || return 0
  say "postgres: stopping the cluster this script started"
  pg_ctlcluster --skip-systemctl-redirect "$(cat "$state/postgres.started")" main stop || true
  rm -f "$state/postgres.started"
}

# --------------------------------------------------------------------- Redis
redis_url() { echo "${TRADENOVA_REDIS_URL:-redis://127.0.0.1:$redis_port}"; }
# PING over the wire, so the check needs neither redis-cli nor Node. Only plain redis://host:port URLs.
redis_ping() {
  local hostport="${1#redis://}"
  hostport="${hostport%%/*}"
  hostport="${hostport##*@}"
  (
    exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || exit 1
    printf 'PING\r\n' >&3
    IFS= read -r -t 2 line <&3 || exit 1
    [[ "$line" == +PONG* ]]
  ) 2>/dev/null
}

redis_start() {
  redis_ping "$(redis_url)" && { say "redis: answering ($(redis_url))"; return 0; }
  [ -z "${TRADENOVA_REDIS_URL:-}" ] || die "redis: TRADENOVA_REDIS_URL=$TRADENOVA_REDIS_URL does not answer"
  [ "$(id -u)" = 0 ] && command -v redis-server >/dev/null ||
    die "redis: nothing answers on 127.0.0.1:$redis_port and this script can only start it as root"
  say "redis: starting redis-server on 127.0.0.1:$redis_port"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log --pidfile "$state/redis.pid"
  touch "$state/redis.started"
  local i
  for i in $(seq 1 40); do redis_ping "$(redis_url)" && { say "redis: answering ($(redis_url))"; return 0; }; sleep 0.25; done
  die "redis: started but PING got no answer within 10 s (see /var/log/redis/ci.log)"
}

redis_stop() {
  [ -f "$state/redis.started" ] || return 0
  local pid
  pid="$(pid_of "$state/redis.pid")"
  # The pid file could be stale and the number reused: only signal a redis-server.
  if alive "$pid" && grep -q redis-server "/proc/$pid/cmdline" 2>/dev/null; then
    say "redis: stopping the server this script started (pid $pid)"
    kill "$pid"
  fi
  rm -f "$state/redis.started" "$state/redis.pid"
}

# --------------------------------------------------------------------- Kafka
kafka_fetch() {
  [ -f "$lib/kafka_2.13-$kafka_version.jar" ] && return 0
  command -v mvn >/dev/null || die "kafka: mvn not found; install Maven 3 (and Java 17+) to fetch the broker"
  say "kafka: fetching Apache Kafka $kafka_version from Maven Central into $lib"
  local started=$SECONDS tmp="$lib.partial.$$"
  rm -rf "$tmp"
  # Maven's output goes to a file and is shown only when the fetch fails.
  mkdir -p "$cache"
  mvn -q -B -f "$root/tools/kafka/pom.xml" dependency:copy-dependencies \
    "-Dkafka.version=$kafka_version" "-DoutputDirectory=$tmp" >"$cache/fetch.log" 2>&1 ||
    { cat "$cache/fetch.log" >&2; rm -rf "$tmp"; die "kafka: Maven fetch failed"; }
  # Renamed into place only when complete, so an interrupted fetch is never mistaken for a cache.
  rm -rf "$lib"
  mv "$tmp" "$lib"
  say "kafka: fetched in $((SECONDS - started)) s"
}

kafka_port() { cat "$kdir/port" 2>/dev/null || true; }
kafka_ready() { node "$root/tools/kafka/ready.mjs" "127.0.0.1:$1" "$2" ; }

kafka_properties() {
  local port=$1 controller=$2
  cat <<EOF
# Written by scripts/services.sh on each start: one broker+controller on loopback for tests.
process.roles=broker,controller
node.id=1
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$kdir/data
num.partitions=1
# Topics are created by whoever needs them (the Kafka sink does at start), never by a typo.
auto.create.topics.enable=false
# One node: every internal topic has replication factor 1, and fewer partitions start faster.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests start consumer groups often; the default 3 s delay before the first rebalance is pure wait.
group.initial.rebalance.delay.ms=0
# Routers and executors use a 3 s session timeout so a killed member's partitions move within
# 5 s; Kafka's default floor (6 s) would raise it (docs/operations.md, "Failover").
group.min.session.timeout.ms=1000
EOF
  case "$kafka_version" in
    3.*) echo "controller.quorum.voters=1@127.0.0.1:$controller" ;;
    *) echo "controller.quorum.bootstrap.servers=127.0.0.1:$controller" ;;
  esac
}

kafka_start() {
  local pid port
  pid="$(pid_of "$kdir/kafka.pid")"
  port="$(kafka_port)"
  if alive "$pid" && [ -n "$port" ] && kafka_ready "$port" 5000 2>/dev/null; then
    say "kafka: already running on 127.0.0.1:$port (pid $pid)"
    return 0
  fi
  command -v java >/dev/null || die "kafka: java not found; Kafka $kafka_version needs Java 17 or newer"
  command -v node >/dev/null || . "$root/scripts/use-node.sh"
  kafka_fetch
  local started=$SECONDS
  port="${TRADENOVA_KAFKA_PORT:-19092}"
  local tries=0
  while port_busy "$port" || port_busy "$((port + 1))"; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || die "kafka: no two free ports from ${TRADENOVA_KAFKA_PORT:-19092} up"
    port=$((port + 2))
  done
  # A fresh broker every start: tests see no topics or offsets left from an earlier run.
  rm -rf "$kdir"
  mkdir -p "$kdir/data" "$kdir/logs"
  kafka_properties "$port" "$((port + 1))" >"$kdir/server.properties"
  echo "$port" >"$kdir/port"
  local cluster_id format_args=()
  # Kafka's cluster id is 16 random bytes in URL-safe base64 without padding (what StorageTool random-uuid prints).
  # Like Kafka's own, it never starts with '-': StorageTool would read `-t -…` as a missing argument
  # (one start in 64 failed so, in CI: "argument --cluster-id/-t: expected one argument").
  cluster_id=-
  while [ "${cluster_id#-}" != "$cluster_id" ]; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
  done
  case "$kafka_version" in 3.*) ;; *) format_args=(--standalone) ;; esac
  local java_opts=(-Xms128m "-Xmx$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j2.configurationFile=$root/tools/kafka/log4j2.xml" "-Dkafka.logs.dir=$kdir/logs")
  java "${java_opts[@]}" -cp "$lib/*" kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$kdir/server.properties" "${format_args[@]}" >"$kdir/format.log" 2>&1 ||
    { cat "$kdir/format.log" >&2; die "kafka: formatting the storage failed"; }
  # setsid: the broker outlives this script and ignores a Ctrl-C meant for the caller's terminal.
  setsid nohup java "${java_opts[@]}" -cp "$lib/*" kafka.Kafka "$kdir/server.properties" \
    >"$kdir/kafka.log" 2>&1 </dev/null &
  echo $! >"$kdir/kafka.pid"
  pid=$!
  if ! kafka_ready "$port" 90000; then
    tail -n 40 "$kdir/kafka.log" >&2 || true
    alive "$pid" && kill "$pid"
    die "kafka: broker did not become ready (log: $kdir/kafka.log)"
  fi
  say "kafka: $kafka_version ready on 127.0.0.1:$port (pid $pid) in $((SECONDS - started)) s; log $kdir/kafka.log"
}

kafka_stop() {
  local pid
  pid="$(pid_of "$kdir/kafka.pid")"
  if alive "$pid" && grep -q kafka.Kafka "/proc/$pid/cmdline" 2>/dev/null; then
    say "kafka: stopping broker (pid $pid)"
    kill "$pid"
    local i
    # A controlled shutdown of one node takes a few seconds; after 30 s it is stuck.
    for i in $(seq 1 120); do alive "$pid" || break; sleep 0.25; done
    alive "$pid" && { say "kafka: still running after 30 s; killing"; kill -9 "$pid"; }
  fi
  rm -f "$kdir/kafka.pid"
}

# ---------------------------------------------------------------- commands
print_env() {
  local missing=0 url port
  if url="$(pg_url)"; then echo "export TRADENOVA_PG_URL=$url"; else say "postgres: not answering"; missing=1; fi
  if redis_ping "$(redis_url)"; then echo "export TRADENOVA_REDIS_URL=$(redis_url)"; else say "redis: not answering"; missing=1; fi
  port="$(kafka_port)"
  if alive "$(pid_of "$kdir/kafka.pid")" && [ -n "$port" ]; then
    echo "export TRADENOVA_KAFKA_BROKERS=127.0.0.1:$port"
  else
    say "kafka: not running (bash scripts/services.sh start)"
    missing=1
  fi
  return "$missing"
}

status() {
  local url port pid
  if url="$(pg_url)"; then echo "postgres  up    $url$([ -f "$state/postgres.started" ] && echo '  (started by this script)')"; else echo "postgres  down"; fi
  if redis_ping "$(redis_url)"; then echo "redis     up    $(redis_url)$([ -f "$state/redis.started" ] && echo '  (started by this script)')"; else echo "redis     down"; fi
  pid="$(pid_of "$kdir/kafka.pid")"
  port="$(kafka_port)"
  if alive "$pid"; then echo "kafka     up    127.0.0.1:$port  (pid $pid, $kafka_version, log $kdir/kafka.log)"; else echo "kafka     down"; fi
}

mkdir -p "$state"
case "${1:-}" in
  start)
    pg_start
    redis_start
    kafka_start
    ;;
  stop)
    kafka_stop
    redis_stop
    pg_stop
    ;;
  status) status ;;
  env) print_env ;;
  run)
    shift
    [ "$#" -gt 0 ] || die "run: which command? e.g. bash scripts/services.sh run ./tn test packages/cli/test/services"
    pg_start
    redis_start
    kafka_start
    exports="$(print_env)"
    eval "$exports"
    export TRADENOVA_REQUIRE_SERVICES=1
    cd "$root"
    exec "$@"
    ;;
  *)
    sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
