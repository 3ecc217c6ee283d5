# syntax=docker/dockerfile:1
#
# One image for every Helium process: `helium-server` (the worker is picked at
# run time by WORK_MODE) and `helium-cli` (migrations, default configuration,
# admin accounts).
#
#   docker build -t helium-server:latest .

# --- build stage --------------------------------------------------------------
FROM rust:1.95-bookworm AS builder

WORKDIR /src

# Queries are checked against the committed `.sqlx` cache, so the build needs
# no database. protoc comes from the protoc-bin-vendored crate: no apt step.
ENV SQLX_OFFLINE=true

COPY . .

# The cache mounts keep downloaded crates and compiled dependencies between
# builds. `target/` is a cache mount and does not survive into the image, so
# the two binaries are copied out within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p helium-server -p helium-cli \
    && mkdir -p /out \
    && cp target/release/helium-server target/release/helium-cli /out/

# --- runtime stage ------------------------------------------------------------
# distroless/cc: the C runtime libraries, CA certificates and little else. No
# shell either, so every command below must use the exec (JSON) form.
FROM gcr.io/distroless/cc-debian12:nonroot

COPY --from=builder /out/helium-server /out/helium-cli /usr/local/bin/
# The migrations also ship as plain files: for `sqlx migrate run`, the
# alternative to helium-cli, and so an operator can read what a release changes.
COPY --from=builder /src/migrations /migrations

# 65532 is the `nonroot` user of the distroless image. A numeric id lets
# Kubernetes verify `runAsNonRoot` without looking the name up.
USER 65532:65532

# gRPC, subscribe API, webhook API, and the health/metrics server. Only the
# first three are meant for clients; 9090 is for probes and scrapers.
EXPOSE 50051 8080 8081 9090

ENTRYPOINT ["/usr/local/bin/helium-server"]
