#!/usr/bin/env bash
# Makes MariaDB (127.0.0.1:3306, root with an empty password) and RabbitMQ
# (127.0.0.1:5672, guest/guest) available: starts them when installed but
# stopped, installs them from Debian's packages when missing. Idempotent.
# For development, tests and `make demo` only: the empty root password and
# the guest user are reachable from this host only (Debian's MariaDB binds
# 127.0.0.1; RabbitMQ's guest may log in from localhost only). A real
# installation uses its own accounts (compose.yaml generates passwords with
# scripts/compose-env.sh; deploy/k8s takes them from Secrets).
set -euo pipefail

log() { printf '[services] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq "$secs"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "$name did not come up within ${secs}s"; return 1
}

# --- MariaDB ---------------------------------------------------------------
mysql_tcp() { mariadb -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1 || mysql -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; }
if ! port_open 3306; then
  if [ ! -x /usr/sbin/mariadbd ] && [ ! -x /usr/sbin/mysqld ]; then
    log "installing mariadb-server"
    apt_install mariadb-server
  fi
  log "starting MariaDB"
  as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
  bin=/usr/sbin/mariadbd; [ -x "$bin" ] || bin=/usr/sbin/mysqld
  as_root start-stop-daemon --start --oknodo --background --exec "$bin"
  wait_for MariaDB 60 port_open 3306
fi
if ! wait_for "MariaDB login" 30 mysql_tcp; then
  # A fresh Debian install lets root in through the unix socket only:
  # allow the development login (root, empty password) over TCP as well.
  log "enabling root login over TCP for development"
  as_root mariadb -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket; FLUSH PRIVILEGES;"
  wait_for "MariaDB login" 10 mysql_tcp
fi
log "MariaDB ready on 127.0.0.1:3306"

# --- RabbitMQ --------------------------------------------------------------
if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1 && [ ! -x /usr/sbin/rabbitmq-server ]; then
    log "installing rabbitmq-server"
    apt_install rabbitmq-server
  fi
  log "starting RabbitMQ"
  as_root rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for RabbitMQ 90 port_open 5672
  as_root rabbitmqctl await_startup >/dev/null 2>&1 || true
fi
log "RabbitMQ ready on 127.0.0.1:5672"
