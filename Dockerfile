# syntax=docker/dockerfile:1.7
# Multi-stage build: compile the release binary and the hydrated console, then ship both in a
# small Debian image that runs as an unprivileged user with the SQLite database on a volume.
# Base images are pinned to exact releases so that a rebuild gets the same toolchain and system.

FROM node:20.20.2-bookworm-slim AS node

FROM rust:1.95.0-bookworm AS build
# Node runs Tailwind and wasm-opt (npm binaryen; Debian's binaryen breaks the release wasm).
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s /usr/local/lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && rustup target add wasm32-unknown-unknown
# The tool versions match scripts/setup.sh: cargo-leptos 0.3.10 builds on rustc 1.95, and the
# wasm-bindgen CLI must equal the crate version in Cargo.lock.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo install cargo-leptos --version 0.3.10 --locked \
    && cargo install wasm-bindgen-cli --version 0.2.130 --locked
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The API docs page serves the pinned Scalar bundle itself (fetched from npm, hash-checked).
RUN scripts/vendor-scalar.sh
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=ai-gateway-target \
    cargo leptos build --release --precompress --cargo-locked \
    && mkdir -p /out \
    && cp target/release/ai-gateway /out/ai-gateway \
    && cp -r target/site /out/site

FROM debian:12.11-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home gateway
COPY --from=build /out/ai-gateway /usr/local/bin/ai-gateway
COPY --from=build /out/site /usr/local/share/ai-gateway/site
ENV AI_GATEWAY_LISTEN=0.0.0.0:3000 \
    AI_GATEWAY_DATABASE_URL=sqlite:/data/ai-gateway.db \
    AI_GATEWAY_SITE_ROOT=/usr/local/share/ai-gateway/site
USER gateway
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
# The image has no curl: the binary calls its own /healthz on the configured listen address.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["ai-gateway", "healthcheck"]
ENTRYPOINT ["ai-gateway"]
CMD ["serve"]
