#!/usr/bin/env bash
# The load benchmark behind `make bench`: builds the gateway, starts the OpenRouter simulator and
# the gateway (SQLite, telemetry, limits on), loads both with oha and writes bench/RESULTS.md.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

# Pinned so that runs stay comparable; built from source.
OHA_VERSION=1.16.0
TOOLS=$root/bench/.tools
TARGET=${CARGO_TARGET_DIR:-$root/target}

DURATION=${BENCH_DURATION:-10s}
LATENCY_REQUESTS=${BENCH_LATENCY_REQUESTS:-5000}
STREAM_REQUESTS=${BENCH_STREAM_REQUESTS:-1000}
CONCURRENCY=64
RATE=500
IN_FLIGHT=1000
SLOW_LATENCY_MS=300

oha=$TOOLS/bin/oha
if ! "$oha" --version 2>/dev/null | grep -q " $OHA_VERSION"; then
    cargo install oha --version "$OHA_VERSION" --locked --root "$TOOLS"
fi
cargo build --release -p server -p ai-gateway-bench --bins
gateway_bin=$TARGET/release/ai-gateway
helper=$TARGET/release/ai-gateway-bench

# 1000 client connections plus the gateway's 1000 upstream ones.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d)
pids=()
stop_all() {
    local status=$?
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $status -eq 0 ]]; then
        rm -rf "$work"
    else
        echo "bench: failed; logs and measurements are in $work" >&2
    fi
}
trap stop_all EXIT

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port=$1
    while ! port_is_free "$port"; do
        port=$((port + 1))
    done
    echo "$port"
}

wait_for_port() {
    for _ in $(seq 200); do
        port_is_free "$1" || return 0
        sleep 0.05
    done
    echo "bench: nothing answers on port $1" >&2
    return 1
}

# Runs "$@" in the background with its output in $work/$1.log; the pid lands in $last_pid.
start() {
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    last_pid=$!
    pids+=("$last_pid")
}

stop() {
    kill "$1"
    wait "$1" 2>/dev/null || true
    local kept=() pid
    for pid in "${pids[@]}"; do
        [[ $pid == "$1" ]] || kept+=("$pid")
    done
    pids=("${kept[@]}")
}

fast_port=$(free_port 4610)
start simulator-fast "$gateway_bin" simulate-openrouter --port "$fast_port" --latency-ms 0
wait_for_port "$fast_port"
slow_port=$(free_port $((fast_port + 1)))
start simulator-slow "$gateway_bin" simulate-openrouter --port "$slow_port" \
    --latency-ms "$SLOW_LATENCY_MS"
wait_for_port "$slow_port"

export AI_GATEWAY_DATABASE_URL="sqlite:$work/gateway.db"
# The console is not measured; an empty site root serves the API all the same.
export AI_GATEWAY_SITE_ROOT=$work/site
export OPENROUTER_API_KEY=bench
mkdir -p "$AI_GATEWAY_SITE_ROOT"

"$gateway_bin" integrations apply bench/integrations.json
token=$(OPENROUTER_BASE_URL="http://127.0.0.1:$fast_port/api/v1" \
    "$gateway_bin" token create --name bench | tail -n 1)

# Serves until stopped, against the simulator on port $1.
start_gateway() {
    gateway_port=$(free_port $((slow_port + 1)))
    start "gateway-$1" env AI_GATEWAY_LISTEN="127.0.0.1:$gateway_port" \
        OPENROUTER_BASE_URL="http://127.0.0.1:$1/api/v1" "$gateway_bin" serve
    gateway_pid=$last_pid
    wait_for_port "$gateway_port"
}

# request TARGET STREAM: sets url, body and auth for a call to `direct` (the simulator) or
# `gateway`. The direct body is what the gateway sends upstream for the same call, so that both
# sides answer the same request.
request() {
    if [[ $1 == direct ]]; then
        url="http://127.0.0.1:$simulator_port/api/v1/chat/completions" auth=bench
        body='{"models": ["openai/gpt-4o-mini"], "usage": {"include": true}, "max_tokens": 64,
            "messages": [{"role": "user", "content": "You are a helpful assistant. How fast is this?"}],'
    else
        url="http://127.0.0.1:$gateway_port/api/ai/bench/chat" auth=$token
        body='{"args": {"question": "How fast is this?"},'
    fi
    body="$body \"stream\": $2}"
}

# load NAME TARGET oha-options...: the JSON report lands in $work/NAME-TARGET.json.
load() {
    local name=$1 target=$2 url body auth
    request "$target" false
    shift 2
    "$oha" --no-tui --output-format json -m POST -H "Authorization: Bearer $auth" \
        -H "Content-Type: application/json" -d "$body" "$@" "$url" >"$work/$name-$target.json"
}

# Fills connection pools and caches on both sides; measured runs follow.
warm_up() {
    for target in direct gateway; do
        load warmup "$target" -n 2000 -c "$CONCURRENCY"
    done
}

first_text() {
    local url body auth
    request "$1" true
    "$helper" first-text --url "$url" --body "$body" --requests "$STREAM_REQUESTS" \
        --header "Authorization: Bearer $auth" --header "Content-Type: application/json" \
        >"$work/stream-$1.json"
}

kib() {
    awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

echo "bench: simulator at 0 ms"
simulator_port=$fast_port
start_gateway "$fast_port"
warm_up
for target in direct gateway; do
    load latency "$target" -c 1 -n "$LATENCY_REQUESTS"
    first_text "$target"
    load rate "$target" -c "$CONCURRENCY" -q "$RATE" -z "$DURATION" -w --latency-correction
    load throughput "$target" -c "$CONCURRENCY" -z "$DURATION" -w
done
stop "$gateway_pid"

echo "bench: simulator at $SLOW_LATENCY_MS ms, $IN_FLIGHT in flight"
simulator_port=$slow_port
start_gateway "$slow_port"
idle_kib=$(kib "$gateway_pid" VmRSS)
for target in direct gateway; do
    load inflight "$target" -c "$IN_FLIGHT" -n $((IN_FLIGHT * 5))
done
printf '{"idle_kib": %s, "peak_kib": %s}\n' "$idle_kib" "$(kib "$gateway_pid" VmHWM)" \
    >"$work/memory.json"
stop "$gateway_pid"

"$helper" report --dir "$work" --out bench/RESULTS.md --date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    --rate "$RATE" --in-flight "$IN_FLIGHT" --slow-latency-ms "$SLOW_LATENCY_MS"
