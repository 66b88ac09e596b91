#!/usr/bin/env bash
# Runs every host Rust test. The store and server suites also run against PostgreSQL when one
# answers (mandatory when CI=true); otherwise this says plainly that they were skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

postgres_url=${AI_GATEWAY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
hostport=${postgres_url#*://}; hostport=${hostport#*@}; hostport=${hostport%%/*}
host=${hostport%%:*}; port=${hostport##*:}; [ "$port" = "$host" ] && port=5432

if (exec 3<>"/dev/tcp/${host}/${port}") 2>/dev/null; then
  export AI_GATEWAY_TEST_POSTGRES_URL=$postgres_url
  echo "rust-tests: PostgreSQL answers at ${host}:${port}: running the suites on SQLite and PostgreSQL"
elif [ "${CI:-}" = "true" ]; then
  echo "rust-tests: CI=true but PostgreSQL does not answer at ${host}:${port}; the PostgreSQL suite is mandatory in CI" >&2
  exit 1
else
  unset AI_GATEWAY_TEST_POSTGRES_URL
  echo "rust-tests: *** PostgreSQL does not answer at ${host}:${port}: SKIPPING the PostgreSQL suite (SQLite only) ***"
fi

cargo test --no-fail-fast

# The Rust API example runs against the in-process simulator: a changed or broken method fails here.
cargo run --quiet -p gateway --example rust_api
