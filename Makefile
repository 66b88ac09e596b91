# Two commands: `make run` serves the console and the API, `make test` checks everything.
# Both install what is missing first (`make setup`) and skip what is already there.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

WASM_TARGET := wasm32-unknown-unknown

.PHONY: help setup run build site test fmt-check lint rust-tests e2e screenshots transfer bench fuzz clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install the toolchain pieces that are missing (idempotent)
	@scripts/setup.sh

run: setup build ## Build the release binary and site, then serve on http://127.0.0.1:3000
	./target/release/ai-gateway serve

build: setup ## Release build: target/release/ai-gateway and target/site (hashed, precompressed)
	cargo leptos build --release --precompress

site: ## Debug build of the server and the hydrated site (what the browser tests use)
	cargo leptos build

test: setup fmt-check lint rust-tests site e2e ## Formatting, clippy, Rust tests (SQLite + PostgreSQL), wasm build, browser tests
	@echo "make test: all checks passed"

fmt-check:
	cargo fmt --all -- --check

lint:
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p frontend --target $(WASM_TARGET) -- -D warnings

rust-tests:
	@scripts/rust-tests.sh

e2e:
	cd end2end && npx playwright test --project=console

screenshots: setup site ## Pictures of every console page into docs/screenshots/ (for the README)
	cd end2end && npx playwright test --project=screenshots

fuzz: ## Property tests with hostile input, 20,000 cases each instead of the test run's 256 (minutes)
	PROPTEST_CASES=$${PROPTEST_CASES:-20000} cargo test --workspace fuzz_

transfer: setup build ## What a cold load of the overview transfers (release build, must stay under 700 KB)
	cd end2end && AI_GATEWAY_BIN=../target/release/ai-gateway npx playwright test --project=transfer

bench: ## Load benchmark against the simulator; writes bench/RESULTS.md (not part of test)
	@bench/run.sh


clean: ## Remove build output and the local database
	cargo clean
	rm -rf data node_modules end2end/node_modules end2end/test-results
