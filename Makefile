# illhub — see README.md
BIN := bin
PROGRAMS := producer consumers scheduler illctl
GO ?= go

.PHONY: build test demo bench loadtest fuzz chaos cluster cluster-down cluster-chaos cluster-scale clean

build: ## the four programs in bin/
	@mkdir -p $(BIN)
	@for p in $(PROGRAMS); do $(GO) build -o $(BIN)/$$p ./cmd/$$p || exit 1; done
	@echo "built: $(addprefix $(BIN)/,$(PROGRAMS))"

test: ## every test (starts MariaDB/RabbitMQ if needed)
	bash scripts/test.sh

demo: ## services + schema + demo data + producer/consumers/scheduler in the foreground (ILL_DEMO=1, API on :8080)
	ILL_DEMO=1 bash scripts/demo.sh

bench: ## intake → REQUESTED throughput with the demo data (see docs/benchmarks.md)
	bash scripts/services.sh
	$(GO) test -run '^$$' -bench . -benchtime 2000x ./bench/

N ?= 20000
C ?= 64
ISO ?= -1
loadtest: ## N full lifecycles with concurrency C through the API (ISO 18626 requests per brokering phase: ISO, default N/5), with the ceilings → loadtest-report.md
	bash scripts/services.sh
	$(GO) run ./cmd/illbench -n $(N) -c $(C) -iso $(ISO) -report loadtest-report.md

chaos: ## fault tests: SIGKILL consumers, restart RabbitMQ and MariaDB during 5,000-request loads (restarts the shared services)
	bash scripts/services.sh
	ILL_CHAOS=1 $(GO) test -count=1 -v -timeout 15m ./chaos/

cluster: ## a local 3-node RabbitMQ cluster, 3-node Galera cluster behind HAProxy, 2 producers, 3 consumers, 2 schedulers (docs/operations.md)
	bash scripts/cluster.sh up

cluster-down: ## stop the local cluster and remove its directory
	bash scripts/cluster.sh down

# The multi-node drills (chaos/cluster) against the local cluster of scripts/cluster.sh, brought up
# first if it is not fully up. Each takes the whole machine for a quarter of an hour or more.
cluster-chaos: ## SIGKILL a RabbitMQ leader, the Galera writer, a producer, a consumers process and the active scheduler during 5,000 lifecycles on the cluster
	bash scripts/cluster.sh status >/dev/null 2>&1 || bash scripts/cluster.sh up
	ILL_CLUSTER_CHAOS=1 $(GO) test -count=1 -v -timeout 90m -run TestClusterChaos ./chaos/cluster/

cluster-scale: ## lifecycles/s and CPU per delivery with 1, 2 and 3 consumers processes, on the cluster and on the single node
	bash scripts/services.sh
	bash scripts/cluster.sh status >/dev/null 2>&1 || bash scripts/cluster.sh up
	ILL_CLUSTER_SCALE=1 $(GO) test -count=1 -v -timeout 90m -run TestClusterScale ./chaos/cluster/

fuzz: ## a short fuzzing run of every parser
	$(GO) test -run '^$$' -fuzz FuzzNormalizeISBN -fuzztime 30s ./ill/
	$(GO) test -run '^$$' -fuzz FuzzActionBody -fuzztime 30s ./ill/
	$(GO) test -run '^$$' -fuzz FuzzSubmitBody -fuzztime 30s ./httpapi/
	$(GO) test -run '^$$' -fuzz FuzzParseMessage -fuzztime 30s ./iso18626/
	$(GO) test -run '^$$' -fuzz FuzzReadHeader -fuzztime 30s ./iso18626/
	$(GO) test -run '^$$' -fuzz FuzzCanonicalCard -fuzztime 30s ./ill/
	$(GO) test -run '^$$' -fuzz FuzzSignInForm -fuzztime 30s ./web/
	$(GO) test -run '^$$' -fuzz FuzzSafeNext -fuzztime 30s ./web/
	$(GO) test -run '^$$' -fuzz FuzzSafeCell -fuzztime 30s ./reports/

clean:
	rm -rf $(BIN)
