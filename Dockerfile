# syntax=docker/dockerfile:1
#
# illhub: one image with the four programs. The program is the command:
#
#   docker build -t illhub .
#   docker run illhub                # producer (the default CMD), API on :8080
#   docker run illhub consumers      # consumer pools + outbox relay
#   docker run illhub scheduler      # cron jobs (or: scheduler run-once JOB --now RFC3339)
#   docker run illhub illctl help    # admin CLI
#
# Configuration is only ILL_* environment variables (configs/illhub.env lists
# them all). compose.yaml runs the whole system with MySQL 8 and RabbitMQ.

# ---- build -----------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Static binaries: the runtime image needs no C library of a given version.
# GOTOOLCHAIN=auto (the image sets local): an image older than the go line of
# go.mod fetches that toolchain instead of failing.
ENV CGO_ENABLED=0 \
    GOTOOLCHAIN=auto
# Modules first, so source edits do not re-download them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# The whole module: schema.sql and configs/ are embedded (assets.go).
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    mkdir -p /out && \
    go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/ ./cmd/producer ./cmd/consumers ./cmd/scheduler ./cmd/illctl

# ---- runtime ---------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: SMTP over TLS and https webhooks; tzdata: Asia/Shanghai
# (the code falls back to a fixed +08:00 without it, which is exact for China);
# fonts-wqy-microhei: the CJK stamp on delivered copies (ILL_STAMP_FONT).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 illhub \
    && useradd --system --uid 10001 --gid illhub --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin illhub \
    && mkdir -p /var/lib/illhub/files && chown illhub:illhub /var/lib/illhub/files
# /var/lib/illhub/files (ILL_FILES_DIR): delivered copies' PDFs, a volume shared by
# the producer (upload, download) and the scheduler (copy-expiry deletes them).
VOLUME /var/lib/illhub/files
COPY --from=build /out/producer /out/consumers /out/scheduler /out/illctl /usr/local/bin/
# Example env file, the national calendars (illctl calendar import
# /app/configs/calendar/2027.json) and the R2 policy (ILL_POLICY_FILE).
COPY configs/ /app/configs/
WORKDIR /app
# Deadlines are computed in Asia/Shanghai whatever TZ says; TZ only makes
# the log timestamps Beijing time, like the deadlines.
ENV ILL_TZ=Asia/Shanghai \
    TZ=Asia/Shanghai
USER 10001:10001
# 8080: producer API (its /metrics: loopback or ILL_METRICS_TOKEN); 9101, 9102:
# consumers' and scheduler's /metrics, /healthz and /readyz, loopback unless
# ILL_CONSUMERS_METRICS_ADDR / ILL_SCHEDULER_METRICS_ADDR say :9101 / :9102.
# ILL_DEMO is off: the demo dataset's keys work only with ILL_DEMO=1.
EXPOSE 8080 9101 9102
CMD ["producer"]
