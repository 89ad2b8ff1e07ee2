#!/usr/bin/env bash
# Runs every test: vet, unit tests, and the integration tests against the
# real MariaDB and RabbitMQ (each test gets its own database and queue
# names), with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
# xmllint validates every ISO 18626 message the tests produce (iso18626/isotest)
command -v xmllint >/dev/null || (apt-get update -qq && apt-get install -y -qq libxml2-utils)
# chromium drives the browser test (web/browser_test.go, chromedp); CJK fonts make its screenshots readable.
# ILL_REQUIRE_BROWSER=1 makes that test fail, not skip, when no browser can be started.
command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk)
# The stamp on delivered copies (pdf, docs/delivery.md) embeds this CJK font; without it its test stamps the English line only.
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei)
export ILL_REQUIRE_BROWSER="${ILL_REQUIRE_BROWSER:-1}"
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
# Exported functions nothing reaches (tests included) are dead code too.
dead=$(go run golang.org/x/tools/cmd/deadcode@v0.52.0 -test ./...)
if [ -n "$dead" ]; then echo "unreachable code:"; echo "$dead"; exit 1; fi
go test -race -count=1 -timeout 12m ./... "$@"
