#!/bin/sh
# HAProxy external check of one Galera node: passes (exit 0) only when the
# node is Synced (wsrep_local_state 4) and ready for queries. HAProxy calls
# it with: proxy_address proxy_port server_address server_port.
out=$(mariadb --connect-timeout=2 -h"$3" -P"$4" -uhaproxy -N -B -e \
  "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE','WSREP_READY') ORDER BY VARIABLE_NAME" 2>/dev/null) || exit 1
[ "$(echo $out)" = "4 ON" ]
