#!/usr/bin/env bash
# A local multi-node illhub on this one machine, from Debian packages only:
# a 3-node RabbitMQ cluster, a 3-node MariaDB Galera cluster behind HAProxy
# (one writer at a time), and 2 producers, 3 consumers processes and 2
# schedulers of the hub built from this tree. Everything lives under
# $ILL_CLUSTER_DIR (default /tmp/illhub-cluster); the shared single-node
# MariaDB (3306) and RabbitMQ (5672, epmd 4369) are never touched: the
# cluster has its own ports, node names, Erlang cookie and epmd (port 4370).
#
#   scripts/cluster.sh up | down | status
#   scripts/cluster.sh env           the hub's ILL_* settings here: env $(scripts/cluster.sh env) bin/illctl …
#   scripts/cluster.sh refresh       rebuild the hub, restart HAProxy and the hub's programs with the tree's code
#   scripts/cluster.sh kill NAME     kill -9 one component (see NAMES)
#   scripts/cluster.sh stop NAME     stop it gracefully (SIGTERM, wait)
#   scripts/cluster.sh start NAME    start it again (a Galera node rejoins by IST/SST)
#   scripts/cluster.sh pid NAME      its process id (empty and exit 1 when not running)
#   scripts/cluster.sh which-writer  the Galera node HAProxy sends writes to
#   scripts/cluster.sh which-leader QUEUE   the RabbitMQ node leading a quorum queue (e.g. ill.requests)
#   scripts/cluster.sh sql [NODE] [mariadb args]    a client on HAProxy, or on galera1..3
#   scripts/cluster.sh ctl NODE [rabbitmqctl args]  rabbitmqctl against rabbit1..3
#
# NAMES: rabbit1-3, galera1-3, haproxy, producer1-2, consumers1-3, scheduler1-2.
# Ports (127.0.0.1 only):
#   RabbitMQ AMQP 5681-5683 (Erlang distribution 25681-25683, epmd 4370)
#   Galera SQL 33061-33063, group communication 4567/4577/4587, IST 4568/4578/4588, SST (rsync) 4569/4579/4589
#   HAProxy writes 3307, stats http://127.0.0.1:8404/
#   producers http://127.0.0.1:18081 and :18082; consumers /metrics /healthz 19101-19103; schedulers 19201-19202
# Logs: $ILL_CLUSTER_DIR/logs/NAME.log (and galeraN/error.log, rabbitN/log/).
set -euo pipefail
set -f # no pathname expansion: unquoted $(hub_env) holds a DSN with '?'

REPO=$(cd "$(dirname "$0")/.." && pwd)
DIR=${ILL_CLUSTER_DIR:-/tmp/illhub-cluster}
CONF=$REPO/configs/cluster
EPMD_PORT=4370
HAPROXY_PORT=3307
HAPROXY_STATS_PORT=8404
COOKIE=illhub-local-cluster-cookie
RABBITS="rabbit1 rabbit2 rabbit3"
GALERAS="galera1 galera2 galera3"
HUB="producer1 producer2 consumers1 consumers2 consumers3 scheduler1 scheduler2"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq "$((secs * 2))"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  log "$name did not come up within ${secs}s"; return 1
}
num() { echo "${1//[!0-9]/}"; }

amqp_port() { echo $((5680 + $(num "$1"))); }
sql_port() { echo $((33060 + $(num "$1"))); }

amqp_urls() {
  local urls="" n
  for n in 1 2 3; do urls+="${urls:+,}amqp://guest:guest@127.0.0.1:$((5680 + n))/"; done
  echo "$urls"
}

# hub_env prints the ILL_* environment the hub's programs run with here,
# one NAME=value a line with nothing to quote (`env $(cluster.sh env) CMD`).
# wsrep_sync_wait=1 (sent as SET on every new connection) makes each read
# wait until the node has applied every write set committed before it:
# after a writer failover the new writer may not have applied the old
# one's last commits yet, and a consumer would not find a row that its
# message's transaction committed (docs/operations.md).
hub_env() {
  cat <<EOF
ILL_MYSQL_DSN=root:@tcp(127.0.0.1:$HAPROXY_PORT)/illhub?wsrep_sync_wait=1
ILL_AMQP_URL=$(amqp_urls)
ILL_DEMO=1
EOF
}

# --- process bookkeeping ------------------------------------------------------
# A RabbitMQ node's pid is its Erlang VM's, which the node writes itself
# (RABBITMQ_PID_FILE); the rabbitmq-server script that started it waits as
# its parent and is recorded as NAME-wrapper.
pidfile() {
  case $1 in
    rabbit[1-3]) echo "$DIR/$1/rabbit.pid" ;;
    *) echo "$DIR/run/$1.pid" ;;
  esac
}
pid_of() {
  local f; f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  local p; p=$(cat "$f")
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}
running() { pid_of "$1" >/dev/null; }
# launch NAME CMD...: start CMD in its own session, detached, recording its pid.
launch() {
  local name=$1; shift
  mkdir -p "$DIR/run" "$DIR/logs"
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}
stop_proc() { # NAME [seconds]: SIGTERM, then SIGKILL after the grace period
  local name=$1 secs=${2:-30} p
  p=$(pid_of "$name") || { rm -f "$(pidfile "$name")"; return 0; }
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq "$((secs * 2))"); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$(pidfile "$name")"
}

render() { # template output NAME: substitute the @…@ placeholders
  local n; n=$(num "$3")
  sed -e "s#@DIR@#$DIR#g" -e "s#@NAME@#$3#g" -e "s#@CHECK@#$CONF/galera-check.sh#g" \
      -e "s#@AMQP_PORT@#$((5680 + n))#g" -e "s#@SQL_PORT@#$((33060 + n))#g" \
      -e "s#@GCOMM_PORT@#$((4557 + 10 * n))#g" -e "s#@IST_PORT@#$((4558 + 10 * n))#g" \
      -e "s#@SST_PORT@#$((4559 + 10 * n))#g" \
      -e "s#@HAPROXY_PORT@#$HAPROXY_PORT#g" -e "s#@HAPROXY_STATS_PORT@#$HAPROXY_STATS_PORT#g" \
      "$1" >"$2"
}

# --- RabbitMQ -----------------------------------------------------------------
# The cluster's Erlang nodes use their own epmd (port 4370) and a cookie in
# $DIR/erlang/.erlang.cookie (HOME points there), so neither the shared
# node's epmd nor any user's ~/.erlang.cookie is involved.
rabbit_env() { # NAME → env assignments for rabbitmq-server and rabbitmqctl
  local name=$1 n; n=$(num "$1")
  echo HOME="$DIR/erlang" ERL_EPMD_PORT=$EPMD_PORT \
    RABBITMQ_NODENAME="$name@localhost" RABBITMQ_USE_LONGNAME=false \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$((5680 + n)) \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_CONFIG_FILE="$DIR/$name/rabbitmq.conf" \
    RABBITMQ_CONF_ENV_FILE="$DIR/$name/rabbitmq-env.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/$name/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$DIR/$name/mnesia" RABBITMQ_LOG_BASE="$DIR/$name/log" \
    RABBITMQ_PID_FILE="$DIR/$name/rabbit.pid" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$DIR/$name/advanced.config" \
    ERL_CRASH_DUMP="$DIR/$name/erl_crash.dump"
}
ctl() { # NODE rabbitmqctl-args...
  local name=$1; shift
  env $(rabbit_env "$name") /usr/lib/rabbitmq/bin/rabbitmqctl -n "$name@localhost" "$@"
}
start_epmd() {
  running epmd && return 0
  mkdir -p "$DIR/erlang"
  launch epmd /usr/bin/epmd -port $EPMD_PORT -address 127.0.0.1
  wait_for epmd 10 port_open $EPMD_PORT
}
start_rabbit() {
  local name=$1
  running "$name" && return 0
  start_epmd
  mkdir -p "$DIR/$name/log" "$DIR/$name/mnesia"
  render "$CONF/rabbitmq.conf" "$DIR/$name/rabbitmq.conf" "$name"
  cp "$CONF/advanced.config" "$DIR/$name/advanced.config"
  : >"$DIR/$name/rabbitmq-env.conf"
  echo '[].' >"$DIR/$name/enabled_plugins"
  log "starting $name (AMQP $(amqp_port "$name"))"
  rm -f "$(pidfile "$name")"
  launch "$name-wrapper" env $(rabbit_env "$name") /usr/lib/rabbitmq/bin/rabbitmq-server
}
# await_rabbit waits until the node started by start_rabbit runs (its pid
# file names a live VM) and has booted.
await_rabbit() {
  wait_for "$1" 120 running "$1" && wait_for "$1" 120 ctl "$1" await_startup --timeout 5
}
rabbit_cluster() {
  local name
  for name in $RABBITS; do start_rabbit "$name"; done
  for name in $RABBITS; do await_rabbit "$name"; done
  for name in rabbit2 rabbit3; do
    if ! ctl "$name" cluster_status --formatter json 2>/dev/null | grep -q 'rabbit1@localhost'; then
      log "joining $name to rabbit1"
      {
        ctl "$name" stop_app && ctl "$name" join_cluster rabbit1@localhost && ctl "$name" start_app
      } >>"$DIR/logs/$name.log" 2>&1 || die "$name could not join rabbit1: see $DIR/logs/$name.log"
    fi
  done
}

# --- Galera -------------------------------------------------------------------
galera_sql() { # NODE sql
  mariadb --connect-timeout=2 -h127.0.0.1 -P"$(sql_port "$1")" -uroot -N -B -e "$2"
}
galera_status() { # NODE variable
  galera_sql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='$2'" 2>/dev/null
}
galera_synced() { [ "$(galera_status "$1" WSREP_LOCAL_STATE)" = 4 ]; }
start_galera() { # NODE [--wsrep-new-cluster]
  local name=$1; shift
  running "$name" && return 0
  mkdir -p "$DIR/$name" "$DIR/logs"
  render "$CONF/my.cnf" "$DIR/$name/my.cnf" "$name"
  chown mysql:mysql "$DIR/$name"
  if [ ! -d "$DIR/$name/data/mysql" ]; then
    log "initialising $name's data directory"
    mariadb-install-db --defaults-file="$DIR/$name/my.cnf" --user=mysql --skip-test-db \
      --auth-root-authentication-method=normal --wsrep-on=OFF >"$DIR/logs/$name.install.log" 2>&1 ||
      die "mariadb-install-db failed for $name: see $DIR/logs/$name.install.log"
  fi
  log "starting $name (SQL $(sql_port "$name"))${1:+ bootstrapping a new cluster}"
  launch "$name" /usr/sbin/mariadbd --defaults-file="$DIR/$name/my.cnf" "$@"
}
galera_cluster() {
  local name
  if ! running galera1 && ! running galera2 && ! running galera3; then
    # No node runs: galera1 founds a new cluster. Otherwise galera1 (if
    # down) joins the running ones below, like the others: bootstrapping
    # beside a running cluster would split it in two.
    start_galera galera1 --wsrep-new-cluster
    wait_for galera1 90 galera_synced galera1 || die "galera1 did not bootstrap: see $DIR/galera1/error.log"
    # The development login of the hub (root, empty password, as on the
    # shared single node) and HAProxy's health-check user; created once on
    # the first node, replicated to the others.
    galera_sql galera1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';" 2>/dev/null ||
      mariadb --socket="$DIR/galera1/mysqld.sock" -uroot -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
      CREATE USER IF NOT EXISTS 'haproxy'@'127.0.0.1';"
  fi
  # One joiner at a time: two simultaneous state transfers from one donor
  # would only slow each other on two cores.
  for name in $GALERAS; do
    start_galera "$name"
    wait_for "$name" 180 galera_synced "$name" || die "$name did not join: see $DIR/$name/error.log"
  done
}

# --- HAProxy ------------------------------------------------------------------
start_haproxy() {
  running haproxy && return 0
  render "$CONF/haproxy.cfg" "$DIR/haproxy.cfg" haproxy
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "invalid $DIR/haproxy.cfg"
  log "starting haproxy (writes on $HAPROXY_PORT, stats http://127.0.0.1:$HAPROXY_STATS_PORT/)"
  # -db: one process in the foreground (the recorded pid is all of it).
  launch haproxy haproxy -db -f "$DIR/haproxy.cfg"
  wait_for haproxy 20 writer_name
}
haproxy_stat() { echo "show stat" | socat stdio "unix-connect:$DIR/haproxy.sock" 2>/dev/null; }
# writer_name prints the server HAProxy routes writes to: the first server
# that is UP and active, else the first UP backup (HAProxy's own order).
writer_name() {
  haproxy_stat | awk -F, '$1=="galera-write" && $2 ~ /^galera/ && $18 ~ /^UP/ {
      if ($20 == 1 && active == "") active = $2; else if ($21 == 1 && backup == "") backup = $2 }
    END { w = active != "" ? active : backup; if (w == "") exit 1; print w }'
}

# --- the hub ------------------------------------------------------------------
build_hub() {
  log "building the hub's programs"
  mkdir -p "$DIR/bin"
  (cd "$REPO" && go build -o "$DIR/bin/" ./cmd/producer ./cmd/consumers ./cmd/scheduler ./cmd/illctl)
}
hub_run() { # command...: run with the cluster's hub environment
  env $(hub_env | tr '\n' ' ') "$@"
}
hub_port() { # NAME → its HTTP port (API or /metrics + /healthz)
  case $1 in
    producer*) echo $((18080 + $(num "$1"))) ;;
    consumers*) echo $((19100 + $(num "$1"))) ;;
    scheduler*) echo $((19200 + $(num "$1"))) ;;
  esac
}
start_hub() {
  local name=$1 port; port=$(hub_port "$name")
  running "$name" && return 0
  [ -x "$DIR/bin/producer" ] || build_hub
  case $name in
    producer*) launch "$name" env $(hub_env) ILL_HTTP_ADDR="127.0.0.1:$port" "$DIR/bin/producer" ;;
    consumers*) launch "$name" env $(hub_env) ILL_CONSUMERS_METRICS_ADDR="127.0.0.1:$port" "$DIR/bin/consumers" ;;
    scheduler*) launch "$name" env $(hub_env) ILL_SCHEDULER_METRICS_ADDR="127.0.0.1:$port" "$DIR/bin/scheduler" ;;
    *) die "unknown hub program $name" ;;
  esac
}
healthy() { curl -fsS -m 2 "http://127.0.0.1:$(hub_port "$1")/healthz" >/dev/null; }
hub_up() {
  build_hub
  log "schema and demo data (illctl migrate, illctl seed demo)"
  hub_run "$DIR/bin/illctl" migrate >>"$DIR/logs/illctl.log" 2>&1 || die "illctl migrate failed: see $DIR/logs/illctl.log"
  if [ ! -f "$DIR/run/seeded" ]; then
    hub_run "$DIR/bin/illctl" seed demo >>"$DIR/logs/illctl.log" 2>&1 || die "illctl seed demo failed: see $DIR/logs/illctl.log"
    touch "$DIR/run/seeded"
  fi
  local name
  for name in $HUB; do start_hub "$name"; done
  for name in $HUB; do wait_for "$name" 60 healthy "$name" || die "$name is not healthy: see $DIR/logs/$name.log"; done
}

# --- commands -----------------------------------------------------------------
kind() {
  case $1 in
    rabbit[1-3]) echo rabbit ;; galera[1-3]) echo galera ;; haproxy) echo haproxy ;;
    producer[1-2] | consumers[1-3] | scheduler[1-2]) echo hub ;;
    *) die "unknown name '$1' (rabbit1-3, galera1-3, haproxy, producer1-2, consumers1-3, scheduler1-2)" ;;
  esac
}
cmd_start() {
  case $(kind "$1") in
    rabbit) start_rabbit "$1"; await_rabbit "$1" ;;
    galera)
      # A node that was killed rejoins the running cluster through IST (or
      # SST when the gcache no longer holds what it missed).
      start_galera "$1"; wait_for "$1" 180 galera_synced "$1" ;;
    haproxy) start_haproxy ;;
    hub) start_hub "$1"; wait_for "$1" 60 healthy "$1" ;;
  esac
}
cmd_kill() {
  kind "$1" >/dev/null
  local p; p=$(pid_of "$1") || die "$1 is not running"
  kill -KILL "$p"
  # mariadbd may leave its rsync SST helpers; their parent is gone with it.
  log "killed $1 (pid $p)"
}
cmd_stop() { kind "$1" >/dev/null; stop_proc "$1" 60; log "stopped $1"; }

# ensure_packages installs the Debian packages the cluster needs and the
# machine lacks (the shared services' packages are normally there already).
ensure_packages() {
  local missing=()
  command -v haproxy >/dev/null || missing+=(haproxy)
  command -v rsync >/dev/null || missing+=(rsync)       # Galera state transfers (SST)
  command -v socat >/dev/null || missing+=(socat)       # HAProxy's stats socket
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)   # status reads rabbitmqctl's JSON
  [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  [ -f /usr/lib/galera/libgalera_smm.so ] || missing+=(galera-4)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

cmd_up() {
  ensure_packages
  mkdir -p "$DIR/run" "$DIR/logs" "$DIR/erlang"
  if [ ! -f "$DIR/erlang/.erlang.cookie" ]; then
    echo "$COOKIE" >"$DIR/erlang/.erlang.cookie"; chmod 400 "$DIR/erlang/.erlang.cookie"
  fi
  rabbit_cluster
  galera_cluster
  start_haproxy
  hub_up
  cmd_status
  log "up: env \$(scripts/cluster.sh env) COMMAND runs COMMAND against the cluster; scripts/cluster.sh down removes everything"
}

# cmd_refresh puts the tree's current code and configuration into a
# running cluster: rebuilds the programs, restarts HAProxy with the
# rendered configuration, then restarts the hub's programs one at a time
# (each gracefully, waiting for its /healthz). The engines keep running.
cmd_refresh() {
  build_hub
  stop_proc haproxy 5
  start_haproxy
  local name
  for name in $HUB; do
    stop_proc "$name" 30
    start_hub "$name"
    wait_for "$name" 60 healthy "$name" || die "$name is not healthy: see $DIR/logs/$name.log"
  done
  log "refreshed: programs rebuilt and restarted, HAProxy reconfigured"
}

cmd_down() {
  local name
  for name in $HUB; do stop_proc "$name" 30 & done; wait
  stop_proc haproxy 5
  for name in $GALERAS; do stop_proc "$name" 60 & done; wait
  for name in $RABBITS; do
    if running "$name"; then ctl "$name" stop >/dev/null 2>&1 || true; fi
    stop_proc "$name" 30
    stop_proc "$name-wrapper" 5
  done
  stop_proc epmd 5
  # Anything else a killed node left behind under the cluster directory
  # (e.g. an rsync SST daemon): only processes whose command line names $DIR.
  local p
  for p in $(pgrep -f -- "$DIR/" || true); do
    [ "$p" != "$$" ] && kill -KILL "$p" 2>/dev/null || true
  done
  rm -rf "$DIR"
  log "down: $DIR removed"
}

cmd_status() {
  local bad=0 name
  echo "RabbitMQ:"
  for name in $RABBITS; do
    if running "$name"; then printf '  %-9s up (AMQP %s, pid %s)\n' "$name" "$(amqp_port "$name")" "$(pid_of "$name")"
    else printf '  %-9s DOWN\n' "$name"; bad=1; fi
  done
  local any; any=$(for name in $RABBITS; do running "$name" && echo "$name" && break; done || true)
  if [ -n "$any" ]; then
    local members
    members=$(ctl "$any" cluster_status --formatter json 2>/dev/null |
      python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d.get("running_nodes",[])), "running of", len(d.get("disk_nodes",[])), "members")' 2>/dev/null || echo "unknown")
    echo "  cluster: $members"
    ctl "$any" list_queues name type leader members --formatter json 2>/dev/null |
      python3 -c 'import json,sys
for q in json.load(sys.stdin):
    print("  queue %-16s %s leader %s, %d replicas" % (q["name"], q.get("type",""), q.get("leader",""), len(q.get("members") or [])))' 2>/dev/null || true
  fi
  echo "Galera:"
  for name in $GALERAS; do
    if running "$name"; then
      printf '  %-9s up (SQL %s) state %s, cluster size %s, %s\n' "$name" "$(sql_port "$name")" \
        "$(galera_status "$name" WSREP_LOCAL_STATE_COMMENT)" "$(galera_status "$name" WSREP_CLUSTER_SIZE)" \
        "$(galera_status "$name" WSREP_CLUSTER_STATUS)"
    else printf '  %-9s DOWN\n' "$name"; bad=1; fi
  done
  echo "HAProxy:"
  if running haproxy; then echo "  up on $HAPROXY_PORT, writer $(writer_name || echo NONE)"; else echo "  DOWN"; bad=1; fi
  echo "Hub:"
  for name in $HUB; do
    if running "$name" && healthy "$name"; then printf '  %-11s healthy (http://127.0.0.1:%s)\n' "$name" "$(hub_port "$name")"
    elif running "$name"; then printf '  %-11s running, NOT healthy\n' "$name"; bad=1
    else printf '  %-11s DOWN\n' "$name"; bad=1; fi
  done
  return $bad
}

cmd_which_leader() {
  local q=${1:?usage: cluster.sh which-leader QUEUE} name
  for name in $RABBITS; do
    running "$name" || continue
    ctl "$name" list_queues name leader --formatter json 2>/dev/null |
      python3 -c 'import json,sys
q=sys.argv[1]
for x in json.load(sys.stdin):
    if x["name"]==q: print(x["leader"].split("@")[0]); sys.exit(0)
sys.exit(1)' "$q" && return 0
  done
  die "no running node knows queue $q"
}

cmd=${1:-}
shift || true
case $cmd in
  up) cmd_up ;;
  refresh) cmd_refresh ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) hub_env ;;
  start) cmd_start "${1:?usage: cluster.sh start NAME}" ;;
  stop) cmd_stop "${1:?usage: cluster.sh stop NAME}" ;;
  kill) cmd_kill "${1:?usage: cluster.sh kill NAME}" ;;
  pid) pid_of "${1:?usage: cluster.sh pid NAME}" ;;
  which-writer) writer_name ;;
  which-leader) cmd_which_leader "$@" ;;
  sql)
    if [[ ${1:-} == galera[1-3] ]]; then n=$1; shift; exec mariadb -h127.0.0.1 -P"$(sql_port "$n")" -uroot illhub "$@"; fi
    exec mariadb -h127.0.0.1 -P$HAPROXY_PORT -uroot illhub "$@" ;;
  ctl) n=${1:?usage: cluster.sh ctl NODE args}; shift; ctl "$n" "$@" ;;
  *) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
