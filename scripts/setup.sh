#!/usr/bin/env bash
# Installs what building and testing need, skipping every piece that is already in place:
# the wasm32 target, cargo-leptos and the matching wasm-bindgen CLI, the npm packages (Tailwind,
# wasm-opt, Playwright) from the committed lockfiles, the official OpenAI Python SDK, LangChain's
# OpenAI chat model, an OpenAPI validator and schemathesis in .venv for the compatibility and
# contract checks, the Scalar bundle for the API docs page, and Debian's Chromium for the browser
# tests.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
# The CLI must equal the wasm-bindgen crate in Cargo.lock exactly, or the wasm cannot be bound.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock)

say() { printf 'setup: %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root to run: $*"; exit 1
  fi
}

# --- Rust ----------------------------------------------------------------------------------
sysroot=$(rustc --print sysroot)
if ls "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib"/libstd-*.rlib >/dev/null 2>&1; then
  say "wasm32 target present"
else
  say "adding the wasm32 target"
  rustup target add wasm32-unknown-unknown
fi

# cargo install builds from source; these profile overrides trade a little tool speed for a
# shorter install (the tools only orchestrate the build).
fast_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --quiet "$@"
}
pids=()
if cargo leptos --version 2>/dev/null | grep -q " ${CARGO_LEPTOS_VERSION}\$"; then
  say "cargo-leptos ${CARGO_LEPTOS_VERSION} present"
else
  # Newer releases need a newer rustc than 1.95; --locked keeps its tested dependency set.
  say "installing cargo-leptos ${CARGO_LEPTOS_VERSION} (about 20 minutes on 2 cores)"
  fast_install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked &
  pids+=($!)
fi
if wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  say "wasm-bindgen ${WASM_BINDGEN_VERSION} present"
else
  # Not --locked: its lock names crate versions newer than some registries carry.
  say "installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (about 8 minutes on 2 cores)"
  fast_install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force &
  pids+=($!)
fi
for pid in "${pids[@]}"; do wait "$pid"; done

# --- npm -----------------------------------------------------------------------------------
npm_ci() {
  local dir=$1
  if [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    say "npm packages in ${dir} present"
  else
    say "installing npm packages in ${dir}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci .
npm_ci end2end

# --- Python: the official OpenAI SDK, LangChain's ChatOpenAI, an OpenAPI validator and
# schemathesis (requests generated from the API's OpenAPI document), for the compatibility and
# contract checks -------------------------------------------------------------------------------
OPENAI_SDK_VERSION=1.109.1
OPENAPI_VALIDATOR_VERSION=0.9.0
SCHEMATHESIS_VERSION=4.32.5
# The last LangChain line that takes the 1.x SDK above; langchain-core pinned with it.
LANGCHAIN_OPENAI_VERSION=0.3.35
LANGCHAIN_CORE_VERSION=0.3.86
if .venv/bin/python - <<PY 2>/dev/null
import sys, importlib.metadata as m
sys.exit(m.version("openai") != "$OPENAI_SDK_VERSION"
         or m.version("openapi-spec-validator") != "$OPENAPI_VALIDATOR_VERSION"
         or m.version("schemathesis") != "$SCHEMATHESIS_VERSION"
         or m.version("langchain-openai") != "$LANGCHAIN_OPENAI_VERSION"
         or m.version("langchain-core") != "$LANGCHAIN_CORE_VERSION")
PY
then
  say "openai ${OPENAI_SDK_VERSION}, openapi-spec-validator ${OPENAPI_VALIDATOR_VERSION}, schemathesis ${SCHEMATHESIS_VERSION} and langchain-openai ${LANGCHAIN_OPENAI_VERSION} (python) present"
else
  say "installing the openai, openapi-spec-validator, schemathesis and langchain-openai python packages into .venv"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check \
    "openai==${OPENAI_SDK_VERSION}" "openapi-spec-validator==${OPENAPI_VALIDATOR_VERSION}" \
    "schemathesis==${SCHEMATHESIS_VERSION}" \
    "langchain-openai==${LANGCHAIN_OPENAI_VERSION}" "langchain-core==${LANGCHAIN_CORE_VERSION}"
fi

# --- The API docs page's bundle, served from this deployment -------------------------------
scripts/vendor-scalar.sh

# --- Debian packages: Chromium for the browser tests, the sqlite3 shell they read the database with
for package in chromium sqlite3; do
  if command -v "$package" >/dev/null; then
    say "$package present"
  else
    say "installing Debian's $package"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$package" >/dev/null
  fi
done
