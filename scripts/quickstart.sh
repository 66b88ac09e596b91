#!/usr/bin/env bash
# From nothing to an answer with only the ai-gateway binary (and curl): in a temporary folder it
# starts the OpenRouter simulator and the gateway on free ports with a throwaway SQLite database,
# applies examples/integrations.json, creates an API token and calls the integration over HTTP.
# Everything it started and wrote is removed on exit.
#
# Usage: scripts/quickstart.sh [path/to/ai-gateway]
#        (or AI_GATEWAY_BIN=path/to/ai-gateway; default target/release/ai-gateway)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
binary=${1:-${AI_GATEWAY_BIN:-target/release/ai-gateway}}
example=$root/examples/integrations.json
slug=support-answer

say() { printf 'quickstart: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

[ -x "$binary" ] || fail "no ai-gateway binary at $binary (build it with 'cargo build --release -p server', or pass its path)"
command -v curl >/dev/null || fail "curl is needed to call the API"
# Absolute, because the rest runs in the temporary folder.
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cd "$work"

# A configuration file of the user's would point the commands elsewhere.
unset AI_GATEWAY_CONFIG
export AI_GATEWAY_DATABASE_URL="sqlite:$work/gateway.db"
export AI_GATEWAY_LISTEN=127.0.0.1:0
export AI_GATEWAY_LOG_FORMAT=json
export OPENROUTER_API_KEY=quickstart-not-a-real-key

# Waits for the JSON log line that carries the bound address (both servers listen on port 0, so
# no free port has to be guessed) and prints it.
address_from_log() {
  local log=$1 key=$2 pid=$3 found
  for _ in $(seq 1 300); do
    found=$(sed -n "s/.*\"$key\":\"\([0-9.:]*\)\".*/\1/p" "$log" | head -n 1)
    if [ -n "$found" ]; then printf '%s\n' "$found"; return 0; fi
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; fail "the process writing $log stopped"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "no address in $log after 30 s"
}

say "starting the OpenRouter simulator"
"$binary" simulate-openrouter --port 0 2>simulator.log &
pids+=($!)
simulator=$(address_from_log simulator.log addr "${pids[-1]}")
export OPENROUTER_BASE_URL="http://$simulator/api/v1"

# Applied and created before the server starts, so that its first snapshot already holds them
# (a running server would also pick them up, within a second).
say "applying $(basename "$example")"
"$binary" integrations apply "$example" >&2 2>cli.log || { cat cli.log >&2; fail "applying the example failed"; }
say "creating an API token"
token=$("$binary" token create --name quickstart 2>>cli.log | tail -n 1) || { cat cli.log >&2; fail "creating a token failed"; }

say "starting the gateway"
"$binary" serve 2>gateway.log &
pids+=($!)
gateway=$(address_from_log gateway.log address "${pids[-1]}")
for _ in $(seq 1 100); do
  curl -fsS "http://$gateway/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://$gateway/readyz" >/dev/null || fail "the gateway at $gateway is not ready"

say "calling POST /api/ai/$slug/chat on $gateway"
status=$(curl -sS -o answer.json -w '%{http_code}' "http://$gateway/api/ai/$slug/chat" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"args": {"question": "Where is my order #1042?"}}')
[ "$status" = 200 ] || { cat answer.json >&2; fail "the call answered $status"; }
if command -v jq >/dev/null; then
  jq -r '.data.text' answer.json
else
  cat answer.json
  echo
fi
