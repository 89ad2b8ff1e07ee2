#!/usr/bin/env bash
# One command from a clean checkout to a running illhub with the demo
# dataset: services, build, schema, demo data, then producer + consumers +
# scheduler in the foreground (Ctrl-C stops all three gracefully).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
make build
bin/illctl migrate
bin/illctl seed demo
pids=()
stopped=""
stop() {
  [ -n "$stopped" ] && return; stopped=1; trap - INT TERM
  echo; echo "[demo] stopping (waiting for in-flight work)..."
  kill -TERM "${pids[@]}" 2>/dev/null || true; wait
}
trap stop INT TERM
bin/consumers & pids+=($!)
bin/scheduler & pids+=($!)
bin/producer & pids+=($!)
bin/illctl iso18626 simulate & pids+=($!)   # issue 6: CNU's own ISO 18626 system (docs/iso18626.md)
echo "[demo] illhub is running: API on http://localhost${ILL_HTTP_ADDR:-:8080}  (keys: demo-key-THU, demo-key-PKU, ..., demo-key-CENTRE)"
echo "[demo] web portal: http://localhost${ILL_HTTP_ADDR:-:8080}/  reader: library THU, card THU2024001, PIN 123456"
echo "[demo] staff console: http://localhost${ILL_HTTP_ADDR:-:8080}/staff/login  library PKU (any member), user staff, password staff123; centre admin: CENTRE / admin / admin123"
echo "[demo] ISO 18626: POST http://localhost${ILL_HTTP_ADDR:-:8080}/iso18626; member CNU's system is simulated on 127.0.0.1:9180 (docs/iso18626.md)"
echo "[demo] try: curl -s -H 'Authorization: Bearer demo-key-THU' 'http://localhost:8080/v1/catalog/search?q=数据库'"
wait -n "${pids[@]}" || true
stop
