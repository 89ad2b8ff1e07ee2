#!/usr/bin/env bash
# One command from a clean checkout to a running illhub with the demo
# dataset: services, build, schema, demo data, then producer + consumers +
# scheduler in the foreground (Ctrl-C stops all three gracefully).
#
# The demo's API keys (demo-key-CODE), PINs and passwords are public: every
# program here runs with ILL_DEMO=1 (without it `illctl seed demo` refuses,
# demo keys do not authenticate and the programs refuse to start while demo
# keys are active). The API listens on every interface (:8080) as the
# walk-through in the README expects; ILL_HTTP_ADDR=127.0.0.1:8080 keeps a
# demo on a shared network to this host.
set -euo pipefail
cd "$(dirname "$0")/.."
export ILL_DEMO=1
export ILL_HTTP_ADDR="${ILL_HTTP_ADDR:-:8080}"
url="http://${ILL_HTTP_ADDR}"
case "$ILL_HTTP_ADDR" in :*) url="http://localhost${ILL_HTTP_ADDR}" ;; esac
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
bin/illctl iso18626 simulate & pids+=($!)   # CNU's own ISO 18626 system (docs/iso18626.md)
echo "[demo] illhub is running (ILL_DEMO=1): API on ${url}  (keys: demo-key-THU, demo-key-PKU, ..., demo-key-CENTRE)"
echo "[demo] web portal: ${url}/  reader: library THU, card THU2024001, PIN 123456"
echo "[demo] staff console: ${url}/staff/login  library PKU (any member), user staff, password staff123; centre admin: CENTRE / admin / admin123"
echo "[demo] ISO 18626: POST ${url}/iso18626; member CNU's system is simulated on 127.0.0.1:9180 (docs/iso18626.md)"
echo "[demo] try: curl -s -H 'Authorization: Bearer demo-key-THU' '${url}/v1/catalog/search?q=数据库'"
wait -n "${pids[@]}" || true
stop
